package elbmodel

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
)

func TestEIPsAfter(t *testing.T) {
	a := ens.EIP{AllocationID: "eip-a", IP: "47.0.0.1", AssociatedInstanceID: "lb-1"}
	b := ens.EIP{AllocationID: "eip-b", IP: "47.0.0.2"}
	created := ens.EIP{AllocationID: "eip-new", IP: "47.0.0.3"}
	tests := []struct {
		name   string
		before []ens.EIP
		ch     func(*EIPChanges)
		want   []ens.EIP
	}{
		{"nothing done", []ens.EIP{a, b}, func(*EIPChanges) {}, []ens.EIP{a, b}},
		{"bound and unbound", []ens.EIP{a, b}, func(ch *EIPChanges) { ch.Associate("eip-a", ""); ch.Associate("eip-b", "lb-1") },
			[]ens.EIP{{AllocationID: "eip-a", IP: "47.0.0.1"}, {AllocationID: "eip-b", IP: "47.0.0.2", AssociatedInstanceID: "lb-1"}}},
		{"released", []ens.EIP{a, b}, func(ch *EIPChanges) { ch.Associate("eip-a", ""); ch.Release("eip-a") }, []ens.EIP{b}},
		{"created and bound", nil, func(ch *EIPChanges) { ch.Created = &created; ch.Associate("eip-new", "lb-1") },
			[]ens.EIP{{AllocationID: "eip-new", IP: "47.0.0.3", AssociatedInstanceID: "lb-1"}}},
		{"created, not bound yet", nil, func(ch *EIPChanges) { ch.Created = &created }, []ens.EIP{}},
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
