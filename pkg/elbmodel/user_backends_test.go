package elbmodel

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// TestUserRemovable: this cluster's nodes' instances and the ones we
// recorded adding are removable, less the kept ones; nothing else is.
func TestUserRemovable(t *testing.T) {
	tests := []struct {
		name        string
		nodes       map[string]bool
		added, kept []string
		want        map[string]bool
	}{
		{"nothing known", nil, nil, nil, map[string]bool{}},
		{"this cluster's nodes", map[string]bool{"i-a": true, "i-b": true}, nil, nil, map[string]bool{"i-a": true, "i-b": true}},
		{"a deleted node's instance we added", map[string]bool{"i-a": true}, []string{"i-a", "i-gone"}, nil,
			map[string]bool{"i-a": true, "i-gone": true}},
		{"kept for a sharer whose needs are unknown", map[string]bool{"i-a": true, "i-b": true}, []string{"i-gone"}, []string{"i-b"},
			map[string]bool{"i-a": true, "i-gone": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, UserRemovable(tt.nodes, tt.added, tt.kept)); d != "" {
				t.Errorf("UserRemovable (-want +got):\n%s", d)
			}
		})
	}
}

// TestDiffBackendsRemovesRecordedNotForeign: on a user ELB, the instance of
// a deleted node that we recorded adding is removed; a foreign instance
// (another cluster's, a person's) beside it is not, nor one kept.
func TestDiffBackendsRemovesRecordedNotForeign(t *testing.T) {
	b := backend
	d := Desired{Name: testName, Backends: []cloud.Backend{b("i-a", 0, 100)},
		Removable: UserRemovable(map[string]bool{"i-a": true, "i-kept": true}, []string{"i-a", "i-gone"}, []string{"i-kept"})}
	got := diffBackends(d, &cloud.LoadBalancer{Backends: []cloud.Backend{
		b("i-a", 0, 100), b("i-gone", 0, 100), b("i-foreign", 0, 100), b("i-foreign", 30081, 100), b("i-kept", 0, 100)}})
	want := backendDiff{remove: []cloud.Backend{b("i-gone", 0, 100)}}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(backendDiff{})); d != "" {
		t.Errorf("backend diff (-want +got):\n%s", d)
	}
}
