package version

import "testing"

func TestString(t *testing.T) {
	defer func(v, c, d string) { Version, GitCommit, BuildDate = v, c, d }(Version, GitCommit, BuildDate)
	tests := []struct {
		name, version, commit, date, want string
	}{
		{"unstamped", "dev", "unknown", "unknown", "edge-controller-manager dev (commit unknown, built unknown)"},
		{"release", "v0.3.0", "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", "2026-01-02T03:04:05Z",
			"edge-controller-manager v0.3.0 (commit 1a2b3c4, built 2026-01-02T03:04:05Z)"},
		{"dirty describe, short commit", "v0.3.0-2-g1a2b3c4-dirty", "1a2b3", "2026-01-02T03:04:05Z",
			"edge-controller-manager v0.3.0-2-g1a2b3c4-dirty (commit 1a2b3, built 2026-01-02T03:04:05Z)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			Version, GitCommit, BuildDate = tt.version, tt.commit, tt.date
			if got := String("edge-controller-manager"); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
