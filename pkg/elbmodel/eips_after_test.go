package elbmodel

import (
	"testing"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/google/go-cmp/cmp"
)

func TestEIPsAfter(t *testing.T) {
	a := cloud.EIP{AllocationID: "eip-a", IP: "47.0.0.1", AssociatedInstanceID: "lb-1"}
	b := cloud.EIP{AllocationID: "eip-b", IP: "47.0.0.2"}
	created := cloud.EIP{AllocationID: "eip-new", IP: "47.0.0.3"}
	tests := []struct {
		name   string
		before []cloud.EIP
		ch     func(*EIPChanges)
		want   []cloud.EIP
	}{
		{"nothing done", []cloud.EIP{a, b}, func(*EIPChanges) {}, []cloud.EIP{a, b}},
		{"bound and unbound", []cloud.EIP{a, b}, func(ch *EIPChanges) { ch.Associate("eip-a", ""); ch.Associate("eip-b", "lb-1") },
			[]cloud.EIP{{AllocationID: "eip-a", IP: "47.0.0.1"}, {AllocationID: "eip-b", IP: "47.0.0.2", AssociatedInstanceID: "lb-1"}}},
		{"released", []cloud.EIP{a, b}, func(ch *EIPChanges) { ch.Associate("eip-a", ""); ch.Release("eip-a") }, []cloud.EIP{b}},
		{"created and bound", nil, func(ch *EIPChanges) { ch.Created = &created; ch.Associate("eip-new", "lb-1") },
			[]cloud.EIP{{AllocationID: "eip-new", IP: "47.0.0.3", AssociatedInstanceID: "lb-1"}}},
		{"created, not bound yet", nil, func(ch *EIPChanges) { ch.Created = &created }, []cloud.EIP{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ch EIPChanges
			tt.ch(&ch)
			if d := cmp.Diff(tt.want, EIPsAfter(tt.before, ch)); d != "" {
				t.Errorf("EIPs after (-want +got):\n%s", d)
			}
		})
	}
}
