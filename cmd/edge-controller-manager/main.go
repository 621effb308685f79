// Command edge-controller-manager exposes LoadBalancer Services of class
// alibabacloud.com/elb through one ENS Edge Load Balancer per OpenYurt
// node pool.
package main

import (
	"fmt"
	"os"
	"slices"

	"github.com/edge-lb/edge-controller-manager/pkg/manager"
	"github.com/edge-lb/edge-controller-manager/pkg/version"
)

func main() {
	args := os.Args[1:]
	// --version answers before any flag is validated, so that it works
	// without a cluster id or a cluster (image tests, support questions).
	if wantsVersion(args) {
		fmt.Println(version.String(manager.Component))
		os.Exit(0)
	}
	os.Exit(manager.Main(args, os.Stderr))
}

// wantsVersion reports whether --version appears among the flags (before a
// "--" that ends them).
func wantsVersion(args []string) bool {
	if i := slices.Index(args, "--"); i >= 0 {
		args = args[:i]
	}
	return slices.Contains(args, "--version") || slices.Contains(args, "--version=true")
}
