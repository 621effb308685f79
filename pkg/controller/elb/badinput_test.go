package elb

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// expectRejected runs one sync of key and checks: no error (no hot loop,
// no requeue), a Warning event with reason naming field, Synced False with
// that reason, and no mutating cloud call.
func (h *harness) expectRejected(key, reason, field string) {
	h.t.Helper()
	before := h.emu.MutatingCalls()
	h.events()
	after, err := h.syncOnce(key)
	if err != nil || after != 0 {
		h.t.Errorf("sync = %v, %v; want no retry", after, err)
	}
	if m := h.emu.MutatingCalls(); m != before {
		h.t.Errorf("bad input made %d mutating calls", m-before)
	}
	ev := h.events()
	if !hasEvent(ev, corev1.EventTypeWarning, reason, field) {
		h.t.Errorf("no Warning %s event naming %s in %v", reason, field, ev)
	}
	ps := h.poolService(key)
	if got := condition(ps, apis.ConditionSynced); got != "False/"+reason {
		h.t.Errorf("Synced = %s, want False/%s", got, reason)
	}
	for _, c := range ps.Status.Conditions {
		if c.Type == apis.ConditionSynced && !strings.Contains(c.Message, field) {
			h.t.Errorf("Synced message %q does not name %s", c.Message, field)
		}
	}
}

func TestBadAnnotations(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	bad := map[string]string{
		apis.AnnotationManagedByUser: "perhaps", apis.AnnotationForceOverrideListeners: "nope", apis.AnnotationSpec: "huge",
		apis.AnnotationPayType: "Free", apis.AnnotationAddressType: "public", apis.AnnotationEIPBandwidth: "0",
		apis.AnnotationEIPISP: "att", apis.AnnotationEIPInstanceChargeType: "x", apis.AnnotationEIPInternetChargeType: "x",
		apis.AnnotationBackendLabel: "no-equals", apis.AnnotationBackendWeight: "101", apis.AnnotationScheduler: "random",
		apis.AnnotationPersistenceTimeout: "-1", apis.AnnotationEstablishedTimeout: "abc", apis.AnnotationHealthyThreshold: "1",
		apis.AnnotationUnhealthyThreshold: "11", apis.AnnotationHealthCheckInterval: "51", apis.AnnotationHealthCheckConnectTimeout: "0",
	}
	for key, value := range bad {
		t.Run(key, func(t *testing.T) {
			h.t = t
			h.editService(func(s *corev1.Service) {
				s.Annotations = map[string]string{apis.AnnotationNodePoolSelector: "k8s-svc=cube", key: value}
			})
			h.expectRejected(hefeiKey, apis.EventInvalidAnnotation, key)
		})
	}
}

func TestBadInputs(t *testing.T) {
	user := map[string]string{apis.AnnotationManagedByUser: "true"}
	setID := func(h *harness, key, id string) {
		ps := h.poolService(key)
		ps.Annotations = map[string]string{apis.AnnotationLoadBalancerID: id}
		h.update(ps)
	}
	setPool := func(h *harness, key, value string) {
		p := newPool("np-hefei")
		p.Annotations[key] = value
		h.update(p)
	}
	tooLong := strings.Repeat("x", 64) // with any prefix: over the 64 characters an ENS id may have
	cases := []struct {
		name          string
		svcAnn        map[string]string
		policy        corev1.ServiceExternalTrafficPolicy
		setup         func(h *harness)
		reason, field string
	}{
		{"pool without network annotations", nil, "Cluster", func(h *harness) {
			p := newPool("np-hefei")
			delete(p.Annotations, apis.AnnotationPoolNetworkID)
			h.update(p)
		}, apis.EventMissingPoolNetwork, apis.AnnotationPoolNetworkID},
		// Strings that are sent to ENS as ids are shaped and bounded first.
		{"pool region not an ENS id", nil, "Cluster", func(h *harness) { setPool(h, apis.AnnotationPoolRegionID, "cn-hefei cmcc-2") },
			apis.EventInvalidAnnotation, apis.AnnotationPoolRegionID},
		{"pool network too long", nil, "Cluster", func(h *harness) { setPool(h, apis.AnnotationPoolNetworkID, "n-"+tooLong) },
			apis.EventInvalidAnnotation, apis.AnnotationPoolNetworkID},
		{"pool vSwitch not an ENS id", nil, "Cluster", func(h *harness) { setPool(h, apis.AnnotationPoolVSwitchIDs, `vsw-hefei-1"`) },
			apis.EventInvalidAnnotation, apis.AnnotationPoolVSwitchIDs},
		{"user pool region too long", user, "Cluster", func(h *harness) {
			setPool(h, apis.AnnotationPoolRegionID, "cn-"+tooLong)
			setID(h, hefeiKey, "lb-hefei-existing")
		}, apis.EventInvalidAnnotation, apis.AnnotationPoolRegionID},
		{"ELB id too long", user, "Cluster", func(h *harness) { setID(h, hefeiKey, "lb-"+tooLong) },
			apis.EventInvalidAnnotation, apis.AnnotationLoadBalancerID},
		{"ELB id not an ENS id", user, "Cluster", func(h *harness) { setID(h, hefeiKey, "lb-hefei-existing/../x") },
			apis.EventInvalidAnnotation, apis.AnnotationLoadBalancerID},
		{"ELB id of an EIP", user, "Cluster", func(h *harness) { setID(h, hefeiKey, "eip-hefei-existing") },
			apis.EventInvalidAnnotation, apis.AnnotationLoadBalancerID},
		{"spec too long", map[string]string{apis.AnnotationSpec: "elb.s2." + tooLong}, "Cluster", func(*harness) {},
			apis.EventInvalidAnnotation, apis.AnnotationSpec},
		{"SCTP port", nil, "Cluster", func(h *harness) {
			h.editService(func(s *corev1.Service) { s.Spec.Ports[0].Protocol = corev1.ProtocolSCTP })
		}, apis.EventSyncLoadBalancerFailed, "spec.ports[0].protocol"},
		{"ELB id that does not exist", user, "Cluster", func(h *harness) { setID(h, hefeiKey, "lb-nope") },
			apis.EventLoadBalancerNotFound, apis.AnnotationLoadBalancerID},
		{"ELB in another region", user, "Cluster", func(h *harness) { setID(h, hefeiKey, "lb-chengdu-existing") },
			apis.EventSyncLoadBalancerFailed, "cn-chengdu-telecom-4"},
		{"shared ELB with Local policy", user, "Local", func(h *harness) {
			h.create(newService("other-svc", "Cluster", user, corev1.ServicePort{Port: 8080, NodePort: 30880, Protocol: "TCP"}))
			other := newPoolService("other-svc", "np-hefei", map[string]string{apis.AnnotationLoadBalancerID: "lb-hefei-existing"})
			other.CreationTimestamp = metav1.NewTime(time.Now().Add(-time.Hour)) // there first: the Local one is refused
			h.create(other)
			ps := h.poolService(hefeiKey)
			ps.CreationTimestamp = metav1.Now()
			h.update(ps)
			setID(h, hefeiKey, "lb-hefei-existing")
		}, apis.EventSyncLoadBalancerFailed, "externalTrafficPolicy"},
		{"listener port taken by hand", user, "Cluster", func(h *harness) { setID(h, hefeiKey, "lb-hefei-existing") },
			apis.EventListenerConflict, "TCP:80"},
		{"listener port of another Service", user, "Cluster", func(h *harness) { setID(h, hefeiKey, "lb-chengdu-existing") },
			apis.EventListenerConflict, "k8s/other/default/np-chengdu/c-test"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, emulatortest.WithInventory(inventoryWithHandMadeListeners()))
			h.seedWalkthrough(tc.svcAnn, tc.policy)
			if tc.name == "listener port of another Service" {
				p := newPool("np-hefei")
				p.Annotations[apis.AnnotationPoolRegionID] = "cn-chengdu-telecom-4"
				h.update(p)
			}
			tc.setup(h)
			h.expectRejected(hefeiKey, tc.reason, tc.field)
		})
	}
}

// inventoryWithHandMadeListeners adds a hand-made TCP:80 listener on
// lb-hefei-existing and another Service's TCP:80 on lb-chengdu-existing.
func inventoryWithHandMadeListeners() ensemulator.Inventory {
	return defaultInventoryWith(func(inv *invT) {
		for i := range inv.LoadBalancers {
			l := ensemulator.Listener{Port: 80, Protocol: "TCP", BackendServerPort: 30999, Status: "Running", CreateTime: time.Now()}
			if inv.LoadBalancers[i].ID == "lb-chengdu-existing" {
				l.Description = "k8s/other/default/np-chengdu/c-test"
			}
			inv.LoadBalancers[i].Listeners = append(inv.LoadBalancers[i].Listeners, l)
		}
	})
}

func TestForceOverrideTakesListenerOver(t *testing.T) {
	h := newHarness(t, emulatortest.WithInventory(inventoryWithHandMadeListeners()))
	h.seedWalkthrough(map[string]string{apis.AnnotationManagedByUser: "true", apis.AnnotationForceOverrideListeners: "true"}, "Cluster")
	ps := h.poolService(hefeiKey)
	ps.Annotations = map[string]string{apis.AnnotationLoadBalancerID: "lb-hefei-existing"}
	h.update(ps)
	h.converge(hefeiKey)
	if d := cmp.Diff([]string{"TCP:80->30081 Running " + hefeiName}, listeners(h.lb("lb-hefei-existing"))); d != "" {
		t.Errorf("listeners (-want +got):\n%s", d)
	}
}
