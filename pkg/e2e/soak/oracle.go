package soak

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	appsv1beta2 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// World is one observation of everything the oracle judges: the API
// objects and the emulator's inventory (with who created and released
// what). The oracle is written from SPEC.md alone; it shares no code with
// the controller, so a bug in one is not mirrored in the other.
type World struct {
	ClusterID string
	// ControllerKey is the AccessKeyId the controller calls ENS with.
	ControllerKey string
	Services      []corev1.Service
	PoolServices  []networkv1alpha1.PoolService
	Pools         []appsv1beta2.NodePool
	Nodes         []corev1.Node
	Slices        []discoveryv1.EndpointSlice
	Cloud         ensemulator.Inventory
	// Calls are the mutating ENS calls the managers made, oldest first
	// (the call recorder's; only those with ControllerKey are judged).
	Calls []CloudCall
	// User is what the console user made and expects to find as they left
	// it (oracle_foreign.go).
	User UserLedger
}

// Violation is one thing the oracle found wrong.
type Violation struct {
	Object  string // what it is about: a resource name, an id, ns/name
	Problem string
}

func (v Violation) String() string { return v.Object + ": " + v.Problem }

// Report is the oracle's verdict, one list per promise.
type Report struct {
	// ForeignReleases: ELBs/EIPs that another AccessKey created, released
	// by the controller's.
	ForeignReleases []Violation
	// ForeignMutations: what another AccessKey created, changed (or tried
	// to be changed) by the controller's: a user's EIP bound, unbound or
	// re-sized, a user ELB's status set, a listener the user made touched,
	// a backend of an instance not of this cluster's nodes added, removed
	// or re-weighted on a user ELB, or any of the user's things not as the
	// user left them. The final line counts them under foreign-releases
	// (its form is fixed); Details and ForeignBreakdown tell them apart.
	ForeignMutations []Violation
	// Duplicates: names with two or more live ELBs (or EIPs) of ours.
	Duplicates []Violation
	// Leaks: live ELBs/EIPs of ours that no live managed PoolService wants.
	Leaks []Violation
	// Unconverged: PoolServices (and their Services' fan-out and status)
	// not in their desired state.
	Unconverged []Violation
	// Stuck: Services, PoolServices and NodePools being deleted.
	Stuck []Violation
	// BackendForms counts the backend layouts seen on converged ELBs:
	// "per-instance" (one entry per instance, Port 0, what SPEC asks for)
	// and "per-port" (one entry per instance and nodePort, the older form,
	// still accepted).
	BackendForms map[string]int
	// Judged says how much there was to judge: live PoolServices of live
	// Services (managed, user-managed naming an ELB, user-managed naming
	// none), and the ELBs and EIPs of ours.
	Judged struct{ Managed, UserNamed, UserUnnamed, OurELBs, OurEIPs int }
}

// Clean reports whether every count is zero.
func (r Report) Clean() bool {
	return len(r.ForeignReleases)+len(r.ForeignMutations)+len(r.Duplicates)+len(r.Leaks)+len(r.Unconverged)+len(r.Stuck) == 0
}

// Summary is the counts in the order of the final line; foreign-releases
// counts every violation of "never touch what is not ours", releases and
// mutations.
func (r Report) Summary() string {
	return fmt.Sprintf("foreign-releases=%d duplicates=%d leaks=%d unconverged=%d stuck=%d",
		len(r.ForeignReleases)+len(r.ForeignMutations), len(r.Duplicates), len(r.Leaks), len(r.Unconverged), len(r.Stuck))
}

// ForeignBreakdown splits the line's foreign-releases count.
func (r Report) ForeignBreakdown() string {
	return fmt.Sprintf("foreign: releases=%d mutations=%d", len(r.ForeignReleases), len(r.ForeignMutations))
}

// Details lists every violation under its category, for a failure report.
func (r Report) Details() string {
	var b strings.Builder
	for _, c := range []struct {
		name string
		list []Violation
	}{
		{"foreign releases", r.ForeignReleases}, {"foreign mutations", r.ForeignMutations}, {"duplicates", r.Duplicates}, {"leaks", r.Leaks},
		{"unconverged", r.Unconverged}, {"stuck", r.Stuck},
	} {
		if len(c.list) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s (%d):\n", c.name, len(c.list))
		for _, v := range c.list {
			fmt.Fprintf(&b, "  - %s\n", v)
		}
	}
	return b.String()
}

// Check judges one observation.
func Check(w World) Report {
	ix := newIndex(w)
	exps := ix.expectations()
	r := Report{
		ForeignReleases:  foreignReleases(w),
		ForeignMutations: ix.foreignMutations(),
		Duplicates:       ix.duplicates(),
		Leaks:            ix.leaks(exps),
		Stuck:            stuck(w),
		BackendForms:     map[string]int{},
	}
	for _, e := range exps {
		r.Unconverged = append(r.Unconverged, ix.converged(e, r.BackendForms)...)
		switch {
		case !e.user:
			r.Judged.Managed++
		case e.lbID != "":
			r.Judged.UserNamed++
		default:
			r.Judged.UserUnnamed++
		}
	}
	r.Judged.OurELBs, r.Judged.OurEIPs = len(ix.ourLBs), len(ix.ourEIPs)
	r.Unconverged = append(r.Unconverged, ix.serviceViolations()...)
	r.Unconverged = append(r.Unconverged, ix.strayPoolServices()...)
	for _, l := range [][]Violation{r.ForeignReleases, r.ForeignMutations, r.Duplicates, r.Leaks, r.Unconverged, r.Stuck} {
		slices.SortStableFunc(l, func(a, b Violation) int { return strings.Compare(a.Object, b.Object) })
	}
	return r
}

// foreignReleases: every release by the controller's AccessKey of an ELB
// or EIP it did not create (a user's, or a seeded one) breaks the
// ownership promise. The user releasing their own, or one of ours, is no
// violation.
func foreignReleases(w World) []Violation {
	var out []Violation
	for _, rel := range w.Cloud.Released {
		if rel.ReleasedBy == w.ControllerKey && rel.CreatedBy != w.ControllerKey {
			out = append(out, Violation{Object: rel.ID, Problem: fmt.Sprintf("%s %q created by %q was released by %q at %s",
				rel.Kind, rel.Name, rel.CreatedBy, rel.ReleasedBy, rel.ReleasedAt.Format("15:04:05.000"))})
		}
	}
	return out
}

// duplicates: names with two or more live ELBs or EIPs of ours.
func (ix *index) duplicates() []Violation {
	var out []Violation
	for _, name := range sortedKeys(ix.ourLBs) {
		if lbs := ix.ourLBs[name]; len(lbs) > 1 {
			out = append(out, Violation{Object: name, Problem: fmt.Sprintf("%d ELBs: %s", len(lbs), lbIDs(lbs))})
		}
	}
	for _, name := range sortedKeys(ix.ourEIPs) {
		if eips := ix.ourEIPs[name]; len(eips) > 1 {
			out = append(out, Violation{Object: name, Problem: fmt.Sprintf("%d EIPs: %s", len(eips), eipIDs(eips))})
		}
	}
	return out
}

// leaks: ELBs and EIPs of ours whose name no live managed PoolService
// wants (an intranet one wants no EIP).
func (ix *index) leaks(exps []expectation) []Violation {
	wantLB, wantEIP := map[string]bool{}, map[string]bool{}
	for _, e := range exps {
		if !e.user {
			wantLB[e.name] = true
			wantEIP[e.name] = wantEIP[e.name] || e.internet
		}
	}
	var out []Violation
	for _, name := range sortedKeys(ix.ourLBs) {
		if !wantLB[name] {
			out = append(out, Violation{Object: name, Problem: describeLBs(ix.ourLBs[name]) + " backs no live managed PoolService"})
		}
	}
	for _, name := range sortedKeys(ix.ourEIPs) {
		if !wantEIP[name] {
			out = append(out, Violation{Object: name, Problem: describeEIPs(ix.ourEIPs[name]) + " backs no live managed internet PoolService"})
		}
	}
	return out
}

// stuck: objects still being deleted after quiesce.
func stuck(w World) []Violation {
	var out []Violation
	for _, s := range w.Services {
		if s.DeletionTimestamp != nil {
			out = append(out, Violation{Object: "Service " + s.Namespace + "/" + s.Name,
				Problem: fmt.Sprintf("deleting since %s, finalizers %v", s.DeletionTimestamp.Format("15:04:05"), s.Finalizers)})
		}
	}
	for _, ps := range w.PoolServices {
		if ps.DeletionTimestamp != nil {
			out = append(out, Violation{Object: "PoolService " + ps.Namespace + "/" + ps.Name,
				Problem: fmt.Sprintf("deleting since %s, finalizers %v", ps.DeletionTimestamp.Format("15:04:05"), ps.Finalizers)})
		}
	}
	for _, np := range w.Pools {
		if np.DeletionTimestamp != nil {
			out = append(out, Violation{Object: "NodePool " + np.Name,
				Problem: fmt.Sprintf("deleting since %s, finalizers %v", np.DeletionTimestamp.Format("15:04:05"), np.Finalizers)})
		}
	}
	return out
}

func lbIDs(lbs []*ensemulator.LoadBalancer) string {
	var ids []string
	for _, lb := range lbs {
		ids = append(ids, lb.ID)
	}
	return strings.Join(ids, ",")
}

func eipIDs(eips []*ensemulator.EIP) string {
	var ids []string
	for _, e := range eips {
		ids = append(ids, e.ID+"("+e.Address+")")
	}
	return strings.Join(ids, ",")
}

// describeLBs and describeEIPs say enough about a leak to find its story
// in the logs: id, state, when and with which ClientToken it was made.
func describeLBs(lbs []*ensemulator.LoadBalancer) string {
	var parts []string
	for _, lb := range lbs {
		parts = append(parts, fmt.Sprintf("ELB %s (%s, created %s, token %q, %d listeners)", lb.ID, lb.Status,
			lb.CreateTime.Format("15:04:05.000"), lb.ClientToken, len(lb.Listeners)))
	}
	return strings.Join(parts, ", ")
}

func describeEIPs(eips []*ensemulator.EIP) string {
	var parts []string
	for _, e := range eips {
		parts = append(parts, fmt.Sprintf("EIP %s %s (%s on %q, created %s, token %q)", e.ID, e.Address, e.Status, e.InstanceID,
			e.CreateTime.Format("15:04:05.000"), e.ClientToken))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
