package main

import "testing"

func TestWantsVersion(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--version"}, true},
		{[]string{"--cluster-id=c1", "--version"}, true},
		{[]string{"--version=true"}, true},
		{[]string{"--version=false"}, false},
		{[]string{"--cluster-id=c1"}, false},
		// After "--" nothing is a flag.
		{[]string{"--", "--version"}, false},
	}
	for _, tt := range tests {
		if got := wantsVersion(tt.args); got != tt.want {
			t.Errorf("wantsVersion(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}
