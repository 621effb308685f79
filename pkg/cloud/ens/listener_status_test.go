package ens

import "testing"

func TestCanonicalStatus(t *testing.T) {
	for in, want := range map[string]string{
		"running": ListenerRunning, "Running": ListenerRunning, "STOPPED": ListenerStopped, "starting": ListenerStarting,
		"configuring": ListenerConfiguring, "stopping": ListenerStopping, "deleting": "deleting", "": "",
	} {
		if got := canonicalStatus(in); got != want {
			t.Errorf("canonicalStatus(%q) = %q, want %q", in, got, want)
		}
	}
}
