package ens

import (
	"testing"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

func TestCanonicalStatus(t *testing.T) {
	for in, want := range map[string]string{
		"running": cloud.ListenerRunning, "Running": cloud.ListenerRunning, "STOPPED": cloud.ListenerStopped, "starting": cloud.ListenerStarting,
		"configuring": cloud.ListenerConfiguring, "stopping": cloud.ListenerStopping, "deleting": "deleting", "": "",
	} {
		if got := canonicalStatus(in); got != want {
			t.Errorf("canonicalStatus(%q) = %q, want %q", in, got, want)
		}
	}
}
