// Package version is the build's identity: what `--version` prints and what
// the image labels say. The linker sets the variables (-ldflags -X, see the
// Makefile's LDFLAGS); a plain `go build` or `go test` leaves the defaults.
package version

import "fmt"

// Set by -ldflags "-X github.com/edge-lb/edge-controller-manager/pkg/version.Version=...".
var (
	// Version is `git describe --tags --always --dirty`, "dev" outside a
	// git checkout.
	Version = "dev"
	// GitCommit is the full commit hash the binary was built from.
	GitCommit = "unknown"
	// BuildDate is the build time, RFC 3339 in UTC.
	BuildDate = "unknown"
)

// Package is the import path the -X flags name.
const Package = "github.com/edge-lb/edge-controller-manager/pkg/version"

// Source is the repository the image's org.opencontainers.image.source
// label points at.
const Source = "https://github.com/edge-lb/edge-controller-manager"

// String is the one line `--version` prints, e.g.
// "edge-controller-manager v0.3.0 (commit 1a2b3c4, built 2026-01-02T03:04:05Z)".
func String(component string) string {
	return fmt.Sprintf("%s %s (commit %s, built %s)", component, Version, ShortCommit(GitCommit), BuildDate)
}

// ShortCommit abbreviates a full commit hash to the 7 characters git shows.
func ShortCommit(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}
