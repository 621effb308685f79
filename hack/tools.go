//go:build tools

// Package tools pins build-time generators in go.mod so hack/ scripts run
// them from the module cache at the pinned version.
package tools

import (
	_ "k8s.io/code-generator"
	_ "k8s.io/code-generator/cmd/register-gen"
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
)
