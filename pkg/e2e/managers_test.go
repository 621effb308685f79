//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

// Helpers of the tests that run a manager of their own beside, or instead
// of, the suite's replicas (dryrun_test.go, adoption_test.go).

// startOwnManager starts a manager that is not one of s.managers (the
// suite's leader bookkeeping never counts it) with cfg and the extra flags,
// and stops it when t ends; on failure its log tail is logged.
func startOwnManager(t *testing.T, cfg framework.ManagerConfig, name string, flags ...string) *framework.Manager {
	t.Helper()
	cfg.ExtraArgs = append(append([]string(nil), cfg.ExtraArgs...), flags...)
	s.replicas++
	m, err := framework.StartManager(context.Background(), cfg, fmt.Sprintf("%s-%d", name, s.replicas))
	if err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last lines of %s:\n%s", m.LogPath, m.Tail(40))
		}
		if err := m.Stop(10 * time.Second); err != nil {
			t.Errorf("stopping %s: %v", m.Name, err)
		}
	})
	return m
}

// stopReplicas stops every replica of the suite (each releases its Lease on
// the way out); ensureOneReplica starts one again.
func stopReplicas(t *testing.T) {
	t.Helper()
	for _, m := range s.managers {
		if err := m.Stop(15 * time.Second); err != nil {
			t.Errorf("stopping %s: %v", m.Name, err)
		}
	}
	s.prune()
}

// metric reads one summed series of m's /metrics.
func metric(t *testing.T, m *framework.Manager, name string, labels map[string]string) float64 {
	t.Helper()
	v, err := m.Metric(name, labels)
	if err != nil {
		t.Fatalf("reading %s of %s: %v", name, m.Name, err)
	}
	return v
}

func identity(t *testing.T, m *framework.Manager) string {
	t.Helper()
	id, err := m.Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// leaseHolders maps each Lease of the manager's namespace to its holder.
func leaseHolders(t *testing.T) map[string]string {
	t.Helper()
	list, err := s.kube.CoordinationV1().Leases(managerNS).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing Leases: %v", err)
	}
	out := map[string]string{}
	for _, l := range list.Items {
		holder := ""
		if l.Spec.HolderIdentity != nil {
			holder = *l.Spec.HolderIdentity
		}
		out[l.Name] = holder
	}
	return out
}

// ownershipRecords reads every ownership record ConfigMap of the manager's
// namespace, by cloud name.
func ownershipRecords(t *testing.T) map[string]ownership.Record {
	t.Helper()
	list, err := s.kube.CoreV1().ConfigMaps(managerNS).List(context.Background(),
		metav1.ListOptions{LabelSelector: ownership.LabelRecord + "=true"})
	if err != nil {
		t.Fatalf("listing ownership records: %v", err)
	}
	out := map[string]ownership.Record{}
	for _, cm := range list.Items {
		var r ownership.Record
		if err := json.Unmarshal([]byte(cm.Data["record.json"]), &r); err != nil {
			t.Fatalf("ownership record %s: %v", cm.Name, err)
		}
		if r.Name != cm.Data["name"] || cm.Name != ownership.ObjectName(r.Name) {
			t.Fatalf("ownership record %s holds %q (name %q)", cm.Name, r.Name, cm.Data["name"])
		}
		out[r.Name] = r
	}
	return out
}

// recordNames lists the cloud names records exist for, sorted.
func recordNames(recs map[string]ownership.Record) []string {
	out := make([]string, 0, len(recs))
	for n := range recs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// eventsWith lists the Events in ns with the reason, as "Kind/name: message".
func eventsWith(t *testing.T, ns, reason string) []string {
	t.Helper()
	evs, err := s.kube.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing Events in %s: %v", ns, err)
	}
	var out []string
	for _, e := range evs.Items {
		if e.Reason == reason {
			out = append(out, fmt.Sprintf("%s/%s %s: %s", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Type, e.Message))
		}
	}
	sort.Strings(out)
	return out
}

// hasEvent says whether one of events (eventsWith's form) is on the object
// (Kind/name) of that type and holds every text.
func hasEvent(events []string, object, typ string, texts ...string) bool {
	for _, e := range events {
		if !strings.HasPrefix(e, object+" "+typ+": ") {
			continue
		}
		all := true
		for _, text := range texts {
			all = all && strings.Contains(e, text)
		}
		if all {
			return true
		}
	}
	return false
}

// waitEvents waits until every want (object, type and texts, as hasEvent)
// is among the Events with the reason.
func waitEvents(t *testing.T, ns, reason string, want ...eventWant) {
	t.Helper()
	eventually(t, defaultTimeout, fmt.Sprintf("%s Events %v", reason, want), func() (bool, string) {
		evs := eventsWith(t, ns, reason)
		var missing []string
		for _, w := range want {
			if !hasEvent(evs, w.object, w.typ, w.texts...) {
				missing = append(missing, fmt.Sprint(w))
			}
		}
		return len(missing) == 0, fmt.Sprintf("missing %v; have %v", missing, evs)
	})
}

type eventWant struct {
	object, typ string
	texts       []string
}

func normalOn(object string, texts ...string) eventWant {
	return eventWant{object: object, typ: corev1.EventTypeNormal, texts: texts}
}

func warningOn(object string, texts ...string) eventWant {
	return eventWant{object: object, typ: corev1.EventTypeWarning, texts: texts}
}
