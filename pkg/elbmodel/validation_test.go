package elbmodel

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// Every user-written string that is sent to ENS as an id (the pool's
// region, network and vSwitches, the user ELB id, the spec) is bounded and
// shaped before any cloud call.
func TestBuildRejectsStringsENSCannotTake(t *testing.T) {
	user := map[string]string{apis.AnnotationManagedByUser: "true"}
	long := strings.Repeat("x", MaxIDLen-1) // with "n-": one over the bound
	poolWith := func(key, value string) map[string]string {
		ann := map[string]string{apis.AnnotationPoolRegionID: "cn-hefei-cmcc-2", apis.AnnotationPoolNetworkID: "n-hefei",
			apis.AnnotationPoolVSwitchIDs: "vsw-hefei-1"}
		ann[key] = value
		return ann
	}
	for _, tt := range []struct {
		name     string
		in       Inputs
		field    string
		unusable bool
	}{
		{"region with a space", withPool(inputs(svc("", nil)), poolWith(apis.AnnotationPoolRegionID, "cn-hefei cmcc-2")),
			apis.AnnotationPoolRegionID, false},
		{"region too long", withPool(inputs(svc("", nil)), poolWith(apis.AnnotationPoolRegionID, "cn-"+long)),
			apis.AnnotationPoolRegionID, false},
		{"user-managed: region with a quote", withPool(inputs(svc("", user)), poolWith(apis.AnnotationPoolRegionID, `cn-hefei"`)),
			apis.AnnotationPoolRegionID, false},
		{"network too long", withPool(inputs(svc("", nil)), poolWith(apis.AnnotationPoolNetworkID, "n-"+long)),
			apis.AnnotationPoolNetworkID, false},
		{"network with a slash", withPool(inputs(svc("", nil)), poolWith(apis.AnnotationPoolNetworkID, "n-hefei/x")),
			apis.AnnotationPoolNetworkID, false},
		{"first vSwitch too long", withPool(inputs(svc("", nil)), poolWith(apis.AnnotationPoolVSwitchIDs, "vsw-"+long+",vsw-hefei-2")),
			apis.AnnotationPoolVSwitchIDs, false},
		{"second vSwitch malformed", withPool(inputs(svc("", nil)), poolWith(apis.AnnotationPoolVSwitchIDs, "vsw-hefei-1, vsw hefei 2")),
			apis.AnnotationPoolVSwitchIDs, false},
		{"ELB id too long", withLoadBalancerID(inputs(svc("", user)), "lb-"+long), apis.AnnotationLoadBalancerID, true},
		{"ELB id with a newline", withLoadBalancerID(inputs(svc("", user)), "lb-hefei\nexisting"), apis.AnnotationLoadBalancerID, true},
		{"ELB id of another kind", withLoadBalancerID(inputs(svc("", user)), "eip-hefei-existing"), apis.AnnotationLoadBalancerID, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.in)
			ie := AsInputError(err)
			if ie == nil || ie.Reason != apis.EventInvalidAnnotation || ie.Field != tt.field || ie.Unusable != tt.unusable {
				t.Fatalf("err = %#v, want an %s InputError on %s (Unusable %v)", err, apis.EventInvalidAnnotation, tt.field, tt.unusable)
			}
			if tt.field != apis.AnnotationLoadBalancerID && !strings.Contains(ie.Message, "NodePool np-hefei") {
				t.Errorf("message %q does not name the NodePool", ie.Message)
			}
		})
	}
}

// Real ENS ids, and annotations a user ELB does not use, are accepted.
func TestBuildAcceptsENSIDs(t *testing.T) {
	user := map[string]string{apis.AnnotationManagedByUser: "true"}
	real := map[string]string{apis.AnnotationPoolRegionID: "cn-shenzhen-cmcc-3", apis.AnnotationPoolNetworkID: "n-5uf6ms7u3nj3ya2fubr8f1vq1",
		apis.AnnotationPoolVSwitchIDs: " vsw-5uf6ms7u3nj3ya2fubr8f1vq1 , vsw-5ugu7e3rxhr9rkryrkw6tpsb0,"}
	if _, err := Build(withPool(inputs(svc("", nil)), real)); err != nil {
		t.Errorf("managed with real ids: %v", err)
	}
	at := strings.Repeat("a", MaxIDLen-3)
	if _, err := Build(withLoadBalancerID(inputs(svc("", user)), "lb-"+at)); err != nil {
		t.Errorf("user ELB id of %d characters: %v", MaxIDLen, err)
	}
	// A user ELB brings its own network: the pool's network and vSwitch
	// annotations are not sent, so they are not judged either.
	unused := map[string]string{apis.AnnotationPoolRegionID: "cn-hefei-cmcc-2", apis.AnnotationPoolNetworkID: "not used",
		apis.AnnotationPoolVSwitchIDs: "not used either"}
	if _, err := Build(withLoadBalancerID(withPool(inputs(svc("", user)), unused), "lb-hefei-existing")); err != nil {
		t.Errorf("user-managed with unused pool annotations: %v", err)
	}
}

func withLoadBalancerID(in Inputs, id string) Inputs {
	in.PoolService = &v1alpha1.PoolService{ObjectMeta: metav1.ObjectMeta{Name: in.PoolService.Name, Namespace: in.PoolService.Namespace,
		Annotations: map[string]string{apis.AnnotationLoadBalancerID: id}}}
	return in
}

// The spec matches its pattern and is bounded too (the pattern alone has
// no length limit).
func TestParseAnnotationsSpecBounded(t *testing.T) {
	at := "elb.s2." + strings.Repeat("a", MaxIDLen-len("elb.s2."))
	if c, err := ParseAnnotations(map[string]string{apis.AnnotationSpec: at}); err != nil || c.Spec != at {
		t.Errorf("spec of %d characters: %v, %q", len(at), err, c.Spec)
	}
	over := at + "a"
	_, err := ParseAnnotations(map[string]string{apis.AnnotationSpec: over})
	if ie := AsInputError(err); ie == nil || ie.Field != apis.AnnotationSpec || ie.Reason != apis.EventInvalidAnnotation {
		t.Errorf("spec of %d characters: err %#v, want an InputError on %s", len(over), err, apis.AnnotationSpec)
	}
}

// A node whose instance id cannot be an ENS id is dropped from the needs
// (never read from ENS) and reported as skipped, sorted with the others;
// the rest of the pool keeps its backends.
func TestInvalidInstanceIDsSkipped(t *testing.T) {
	long := "i-" + strings.Repeat("0", MaxIDLen-1)
	needs := map[string]int{"i-hefei-1": 100, "i-hefei 2": 100, long: 100, "cn-hefei.i-abc_9": 100, "i-zz:1": 100}
	bad := DropInvalidInstances(needs)
	if d := cmp.Diff(map[string]int{"i-hefei-1": 100, "cn-hefei.i-abc_9": 100}, needs); d != "" {
		t.Errorf("needs left (-want +got):\n%s", d)
	}
	var ids []string
	for _, s := range bad {
		ids = append(ids, s.InstanceID)
		if !strings.HasPrefix(s.Why, "the instance id is ") {
			t.Errorf("skip reason %q", s.Why)
		}
	}
	if d := cmp.Diff([]string{long, "i-hefei 2", "i-zz:1"}, ids); d != "" {
		t.Errorf("skipped (-want +got):\n%s", d)
	}
	if !strings.Contains(bad[0].Why, "at most 64") {
		t.Errorf("the long id's reason %q does not give the bound", bad[0].Why)
	}

	d := Desired{Name: testName, Managed: true, Listeners: []cloud.Listener{{Port: 80, Protocol: "TCP", BackendPort: 30080}}, BadInstances: bad}
	skipped := d.setBackends(map[string]int{"i-hefei-1": 100, "i-gone": 100}, running("i-hefei-1"), Network{})
	if d := cmp.Diff([]cloud.Backend{backend("i-hefei-1", 0, 100)}, stripIPs(d.Backends)); d != "" {
		t.Errorf("backends (-want +got):\n%s", d)
	}
	ids = nil
	for _, s := range skipped {
		ids = append(ids, s.InstanceID)
	}
	if d := cmp.Diff([]string{long, "i-gone", "i-hefei 2", "i-zz:1"}, ids); d != "" {
		t.Errorf("skipped by setBackends (-want +got):\n%s", d)
	}
}
