package soak

import (
	"reflect"
	"testing"
)

// TestLedger: what the user did is what the snapshot says; a release
// takes the ELB's listeners and backends and frees its EIP; a forgotten
// change is no claim.
func TestLedger(t *testing.T) {
	l := newLedger()
	l.setLB(UserLB{ID: "lb-2", Name: "b"})
	l.setLB(UserLB{ID: "lb-1", Name: "a"})
	l.setEIP(UserEIP{ID: "eip-1", Bandwidth: 5, BoundTo: "lb-1"})
	l.setEIP(UserEIP{ID: "eip-2", Bandwidth: 5})
	l.setListener(UserListener{LB: "lb-1", Port: 9901, Protocol: "TCP", BackendPort: 30999, Description: "by hand"})
	l.setListener(UserListener{LB: "lb-2", Port: 9900, Protocol: "UDP", BackendPort: 31000, Description: "by hand"})
	l.setBackend(UserBackend{LB: "lb-1", ServerID: "i-x", Port: 0, Weight: 10})
	l.setBackend(UserBackend{LB: "lb-1", ServerID: "i-x", Port: 30999, Weight: 20})
	l.setBackend(UserBackend{LB: "lb-2", ServerID: "i-x", Weight: 30})
	l.setBackend(UserBackend{LB: "lb-2", ServerID: "i-y", Weight: 40})

	if !l.hasListener("lb-1", 9901, "tcp") || l.hasListener("lb-1", 9901, "UDP") {
		t.Errorf("hasListener does not follow port and protocol")
	}
	if got := l.eipOn("lb-1"); got != "eip-1" {
		t.Errorf("eipOn(lb-1) = %q, want eip-1", got)
	}
	l.forgetBackends("lb-2", "i-x")
	l.forgetEIP("eip-2")
	l.released("lb-1")
	want := UserLedger{
		LoadBalancers: []UserLB{{ID: "lb-2", Name: "b"}},
		EIPs:          []UserEIP{{ID: "eip-1", Bandwidth: 5}},
		Listeners:     []UserListener{{LB: "lb-2", Port: 9900, Protocol: "UDP", BackendPort: 31000, Description: "by hand"}},
		Backends:      []UserBackend{{LB: "lb-2", ServerID: "i-y", Weight: 40}},
	}
	if got := l.snapshot(); !reflect.DeepEqual(got, want) {
		t.Errorf("snapshot\n%+v\nwant\n%+v", got, want)
	}
	l.forgetListener("lb-2", 9900, "udp")
	if got := l.snapshot().Listeners; len(got) != 0 {
		t.Errorf("listeners after forgetListener: %+v", got)
	}
}
