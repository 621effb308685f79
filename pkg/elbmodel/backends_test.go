package elbmodel

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// hefei is the ELB's region and network in the backend tables.
var hefei = Network{RegionID: "cn-hefei-cmcc-2", NetworkID: "n-hefei", VSwitchID: "vsw-hefei-1"}

// instanceTable is what ENS reports about the instances of the tables.
func instanceTable() map[string]cloud.Instance {
	in := func(id, region, network, status, ip string) cloud.Instance {
		return cloud.Instance{ID: id, RegionID: region, NetworkID: network, Status: status, PrivateIP: ip}
	}
	return map[string]cloud.Instance{
		"i-run":      in("i-run", "cn-hefei-cmcc-2", "n-hefei", cloud.InstanceRunning, "10.0.0.1"),
		"i-run2":     in("i-run2", "cn-hefei-cmcc-2", "n-hefei", cloud.InstanceRunning, "10.0.0.2"),
		"i-stopped":  in("i-stopped", "cn-hefei-cmcc-2", "n-hefei", "Stopped", "10.0.0.3"),
		"i-starting": in("i-starting", "cn-hefei-cmcc-2", "n-hefei", "Starting", "10.0.0.4"),
		"i-chengdu":  in("i-chengdu", "cn-chengdu-telecom-4", "n-chengdu", cloud.InstanceRunning, "10.9.0.1"),
		"i-othernet": in("i-othernet", "cn-hefei-cmcc-2", "n-other", cloud.InstanceRunning, "10.8.0.1"),
		// Stopped and elsewhere: the place is what the user must fix.
		"i-chengdu-stopped": in("i-chengdu-stopped", "cn-chengdu-telecom-4", "n-chengdu", "Stopped", "10.9.0.2"),
		// ENS left region and network out: nothing to compare, kept.
		"i-unplaced": in("i-unplaced", "", "", cloud.InstanceRunning, "10.0.0.9"),
	}
}

func TestBuildBackendsFromNeeds(t *testing.T) {
	ensB := func(id, ip string, weight int) cloud.Backend {
		return cloud.Backend{ServerID: id, Type: cloud.BackendTypeENS, IP: ip, Weight: weight}
	}
	tests := []struct {
		name  string
		needs map[string]int
		where Network
		want  []cloud.Backend
		// skipped maps each skipped instance to words its Why must hold.
		skipped map[string][]string
	}{
		{"running in the ELB's region and network", map[string]int{"i-run": 100}, hefei,
			[]cloud.Backend{ensB("i-run", "10.0.0.1", 100)}, nil},
		{"not running: left out silently", map[string]int{"i-stopped": 100, "i-starting": 100, "i-run": 100}, hefei,
			[]cloud.Backend{ensB("i-run", "10.0.0.1", 100)}, nil},
		{"unknown to ENS: skipped", map[string]int{"i-gone": 100, "i-run": 100}, hefei,
			[]cloud.Backend{ensB("i-run", "10.0.0.1", 100)}, map[string][]string{"i-gone": {"no such instance"}}},
		{"other region: skipped", map[string]int{"i-chengdu": 100, "i-run": 100}, hefei,
			[]cloud.Backend{ensB("i-run", "10.0.0.1", 100)},
			map[string][]string{"i-chengdu": {"cn-chengdu-telecom-4", "cn-hefei-cmcc-2"}}},
		{"other network: skipped", map[string]int{"i-othernet": 100}, hefei, nil,
			map[string][]string{"i-othernet": {"n-other", "n-hefei"}}},
		{"stopped in another region: skipped, not silent", map[string]int{"i-chengdu-stopped": 100}, hefei, nil,
			map[string][]string{"i-chengdu-stopped": {"region cn-chengdu-telecom-4"}}},
		{"instance without a reported place is kept", map[string]int{"i-unplaced": 100}, hefei,
			[]cloud.Backend{ensB("i-unplaced", "10.0.0.9", 100)}, nil},
		{"ELB place unknown: any place is kept", map[string]int{"i-chengdu": 100, "i-othernet": 100}, Network{},
			[]cloud.Backend{ensB("i-chengdu", "10.9.0.1", 100), ensB("i-othernet", "10.8.0.1", 100)}, nil},
		{"weights per instance, sorted by id", map[string]int{"i-run2": 0, "i-run": 70}, hefei,
			[]cloud.Backend{ensB("i-run", "10.0.0.1", 70), ensB("i-run2", "10.0.0.2", 0)}, nil},
		{"no needs", nil, hefei, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skipped := BuildBackends(tt.needs, instanceTable(), tt.where)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("backends (-want +got):\n%s", diff)
			}
			if len(skipped) != len(tt.skipped) {
				t.Fatalf("skipped %v, want %v", skipped, tt.skipped)
			}
			for _, s := range skipped {
				words, ok := tt.skipped[s.InstanceID]
				if !ok {
					t.Errorf("skipped %v, not expected", s)
				}
				for _, w := range words {
					if !strings.Contains(s.Why, w) {
						t.Errorf("skipped %s: %q does not say %q", s.InstanceID, s.Why, w)
					}
				}
			}
		})
	}
}

func TestSetBackends(t *testing.T) {
	needs := map[string]int{"i-run": 80, "i-gone": 80}
	withListeners := Desired{Listeners: []cloud.Listener{{Port: 80, Protocol: "TCP", BackendPort: 30080}},
		Backends: []cloud.Backend{backend("i-stale", 0, 100)}}
	skipped := withListeners.setBackends(needs, instanceTable(), hefei)
	if want := []cloud.Backend{{ServerID: "i-run", Type: cloud.BackendTypeENS, IP: "10.0.0.1", Weight: 80}}; !cmp.Equal(want, withListeners.Backends) {
		t.Errorf("backends %v, want %v (earlier ones replaced)", withListeners.Backends, want)
	}
	if len(skipped) != 1 || skipped[0].InstanceID != "i-gone" {
		t.Errorf("skipped %v, want i-gone", skipped)
	}
	// Without listeners there is nothing to route to: no backends, but
	// the instances that could not be backends are still reported.
	none := Desired{Backends: []cloud.Backend{backend("i-stale", 0, 100)}}
	skipped = none.setBackends(needs, instanceTable(), hefei)
	if none.Backends != nil || len(skipped) != 1 || skipped[0].InstanceID != "i-gone" {
		t.Errorf("no listeners: backends %v skipped %v, want none and i-gone", none.Backends, skipped)
	}
}

func TestMergeNeeds(t *testing.T) {
	tests := []struct {
		name           string
		all, one, want map[string]int
	}{
		{"into empty", map[string]int{}, map[string]int{"a": 100}, map[string]int{"a": 100}},
		{"disjoint: union", map[string]int{"a": 100}, map[string]int{"b": 30}, map[string]int{"a": 100, "b": 30}},
		{"higher weight wins", map[string]int{"a": 50}, map[string]int{"a": 100}, map[string]int{"a": 100}},
		{"lower weight does not lower", map[string]int{"a": 100}, map[string]int{"a": 50}, map[string]int{"a": 100}},
		{"draining sharer does not starve another", map[string]int{"a": 30}, map[string]int{"a": 0}, map[string]int{"a": 30}},
		{"weight 0 of a sole sharer is kept", map[string]int{"b": 10}, map[string]int{"a": 0}, map[string]int{"a": 0, "b": 10}},
		{"nothing to add", map[string]int{"a": 10}, nil, map[string]int{"a": 10}},
		{"Needs of two Services", Needs([]string{"a", "b"}, 40), Needs([]string{"b", "c"}, 60),
			map[string]int{"a": 40, "b": 60, "c": 60}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			one := map[string]int{}
			for k, v := range tt.one {
				one[k] = v
			}
			MergeNeeds(tt.all, tt.one)
			if diff := cmp.Diff(tt.want, tt.all); diff != "" {
				t.Errorf("merged (-want +got):\n%s", diff)
			}
			if len(tt.one) != 0 && !cmp.Equal(one, tt.one) {
				t.Errorf("MergeNeeds changed its second argument: %v, was %v", tt.one, one)
			}
		})
	}
	if got := Needs(nil, 100); got == nil || len(got) != 0 {
		t.Errorf("Needs(nil) = %#v, want an empty map MergeNeeds can fill", got)
	}
}

// TestBackendLabelSelectorSemantics: the backend label filter reads like a
// Kubernetes equality selector, so "k=" wants label k present and empty.
func TestBackendLabelSelectorSemantics(t *testing.T) {
	nodes := []*corev1.Node{
		node("a", true, map[string]string{"edge": ""}),
		node("b", true, map[string]string{"edge": "yes"}),
		node("c", true, nil),
		node("d", true, map[string]string{"edge": "", "role": "lb"}),
	}
	tests := []struct {
		filter string
		parsed map[string]string
		want   []string
	}{
		{"edge=", map[string]string{"edge": ""}, []string{"i-a", "i-d"}},
		{"edge=, role=lb", map[string]string{"edge": "", "role": "lb"}, []string{"i-d"}},
		{"edge=yes", map[string]string{"edge": "yes"}, []string{"i-b"}},
		{"role=", map[string]string{"role": ""}, []string{}},
		{"", nil, []string{"i-a", "i-b", "i-c", "i-d"}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			parsed, err := ParseBackendLabels(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.parsed, parsed); diff != "" {
				t.Errorf("parsed (-want +got):\n%s", diff)
			}
			in := inputs(svc(corev1.ServiceExternalTrafficPolicyCluster, map[string]string{apis.AnnotationBackendLabel: tt.filter}), nodes...)
			if diff := cmp.Diff(tt.want, BackendInstanceIDs(in)); diff != "" {
				t.Errorf("backend instances (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiffBackends: one port-0 entry per needed instance. A managed ELB is
// all ours; on a user ELB only this cluster's instances (Removable) that no
// sharer needs are removed, and an older controller's per-port entries of a
// needed instance are left alone.
func TestDiffBackends(t *testing.T) {
	ours := map[string]bool{"i-a": true, "i-b": true, "i-c": true} // this cluster's nodes
	b := backend
	tests := []struct {
		name      string
		removable map[string]bool // nil: managed ELB
		desired   []cloud.Backend
		actual    []cloud.Backend
		want      backendDiff
	}{
		{"user: converged", ours, []cloud.Backend{b("i-a", 0, 100)}, []cloud.Backend{b("i-a", 0, 100)}, backendDiff{}},
		{"user: unknown instance untouched", ours, []cloud.Backend{b("i-a", 0, 100)},
			[]cloud.Backend{b("i-a", 0, 100), b("i-x", 0, 100), b("i-y", 30080, 50)}, backendDiff{}},
		{"user: this cluster's unneeded instance removed, every entry of it", ours, []cloud.Backend{b("i-a", 0, 100)},
			[]cloud.Backend{b("i-c", 30080, 100), b("i-a", 0, 100), b("i-c", 0, 100)},
			backendDiff{remove: []cloud.Backend{b("i-c", 0, 100), b("i-c", 30080, 100)}}},
		{"user: needed per-port entry left alone", ours, []cloud.Backend{b("i-a", 0, 100)},
			[]cloud.Backend{b("i-a", 0, 100), b("i-a", 30080, 100)}, backendDiff{}},
		{"user: needed instance with per-port entries only gets its port-0 entry", ours, []cloud.Backend{b("i-a", 0, 100)},
			[]cloud.Backend{b("i-a", 30080, 100)}, backendDiff{add: []cloud.Backend{b("i-a", 0, 100)}}},
		{"user: weight change is SetBackendWeights", ours, []cloud.Backend{b("i-a", 0, 50), b("i-b", 0, 100)},
			[]cloud.Backend{b("i-a", 0, 100), b("i-a", 31080, 100), b("i-b", 0, 100)},
			backendDiff{weights: []cloud.Backend{b("i-a", 0, 50)}}},
		{"user: new instance added", ours, []cloud.Backend{b("i-a", 0, 100), b("i-b", 0, 100)},
			[]cloud.Backend{b("i-a", 0, 100)}, backendDiff{add: []cloud.Backend{b("i-b", 0, 100)}}},
		{"user: no node of this cluster, nothing removed", map[string]bool{}, nil,
			[]cloud.Backend{b("i-a", 0, 100), b("i-x", 30080, 100)}, backendDiff{}},
		{"managed: per-port entries of a needed instance replaced", nil, []cloud.Backend{b("i-a", 0, 100)},
			[]cloud.Backend{b("i-a", 30443, 100), b("i-a", 30080, 100)},
			backendDiff{remove: []cloud.Backend{b("i-a", 30080, 100), b("i-a", 30443, 100)}, add: []cloud.Backend{b("i-a", 0, 100)}}},
		{"managed: per-port entry beside the port-0 one removed", nil, []cloud.Backend{b("i-a", 0, 100)},
			[]cloud.Backend{b("i-a", 0, 100), b("i-a", 30080, 100)}, backendDiff{remove: []cloud.Backend{b("i-a", 30080, 100)}}},
		{"managed: every backend not desired removed", nil, []cloud.Backend{b("i-a", 0, 100)},
			[]cloud.Backend{b("i-a", 0, 100), b("i-x", 0, 100), b("i-y", 30080, 100)},
			backendDiff{remove: []cloud.Backend{b("i-x", 0, 100), b("i-y", 30080, 100)}}},
		{"managed: weight change", nil, []cloud.Backend{b("i-a", 0, 0)}, []cloud.Backend{b("i-a", 0, 100)},
			backendDiff{weights: []cloud.Backend{b("i-a", 0, 0)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Desired{Name: testName, Managed: tt.removable == nil, Removable: tt.removable, Backends: tt.desired}
			got := diffBackends(d, &cloud.LoadBalancer{Backends: tt.actual})
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(backendDiff{})); diff != "" {
				t.Errorf("backend diff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitReplaced(t *testing.T) {
	remove := []cloud.Backend{{ServerID: "i-a", Port: 30080}, {ServerID: "i-z"}, {ServerID: "i-a", Port: 30443}}
	add := []cloud.Backend{{ServerID: "i-a"}}
	gone, replaced := splitReplaced(remove, add)
	if len(gone) != 1 || gone[0].ServerID != "i-z" {
		t.Errorf("gone = %+v, want only i-z", gone)
	}
	if len(replaced) != 2 || replaced[0].Port != 30080 || replaced[1].Port != 30443 {
		t.Errorf("replaced = %+v, want both per-port entries of i-a", replaced)
	}
	if g, r := splitReplaced(nil, add); g != nil || r != nil {
		t.Errorf("nothing to remove gave %v %v", g, r)
	}
}
