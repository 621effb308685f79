//go:build soak

package soak

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
)

// observe reads the World the oracle judges: every Service, PoolService,
// NodePool, Node and EndpointSlice, and the emulator's inventory.
func (e *env) observe(ctx context.Context) (World, error) {
	w := World{ClusterID: clusterID, ControllerKey: controllerKeyID}
	svcs, err := e.kube.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return w, err
	}
	pss, err := e.yurt.NetworkV1alpha1().PoolServices("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return w, err
	}
	pools, err := e.yurt.AppsV1beta2().NodePools().List(ctx, metav1.ListOptions{})
	if err != nil {
		return w, err
	}
	nodes, err := e.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return w, err
	}
	eps, err := e.kube.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return w, err
	}
	w.Services, w.PoolServices, w.Pools, w.Nodes, w.Slices = svcs.Items, pss.Items, pools.Items, nodes.Items, eps.Items
	w.User = e.ledger.snapshot()
	for _, c := range e.rec.Calls() {
		w.Calls = append(w.Calls, CloudCall{At: c.At, Action: c.Action, AccessKey: c.AccessKeyID, Params: c.Params,
			Status: c.Status, Code: c.Code})
	}
	w.Cloud, err = e.emu.Inventory()
	return w, err
}

// quiesce: no more workload or chaos; clear the faults, keep two replicas
// running, and wait until the oracle is satisfied or timeout passes. The
// report is one more observation after that.
func (e *env) quiesce(ctx context.Context, timeout time.Duration) (Report, error) {
	if !e.emu.Alive() {
		if err := e.emu.Restart(ctx); err != nil {
			return Report{}, fmt.Errorf("restarting the emulator: %w", err)
		}
	}
	if err := e.emu.ClearFaults(); err != nil {
		return Report{}, err
	}
	t0, lastLog := time.Now(), time.Now()
	_ = framework.WaitFor(ctx, timeout, 2*time.Second, func() (bool, string) {
		if err := e.mgrs.Ensure(ctx, 2); err != nil {
			e.logf("quiesce: restarting a replica: %v", err)
		}
		w, err := e.observe(ctx)
		if err != nil {
			return false, err.Error()
		}
		r := Check(w)
		if time.Since(lastLog) > 15*time.Second {
			e.logf("quiesce +%s: %s%s", time.Since(t0).Round(time.Second), r.Summary(), firstViolations(r, 3))
			lastLog = time.Now()
		}
		return r.Clean(), r.Summary()
	})
	e.logf("quiesce took %s", time.Since(t0).Round(100*time.Millisecond))
	w, err := e.observe(ctx)
	if err != nil {
		return Report{}, err
	}
	return Check(w), nil
}

// firstViolations is up to n violations of a report, one per line, for
// the quiesce log (what it is waiting for).
func firstViolations(r Report, n int) string {
	var out string
	for _, l := range [][]Violation{r.ForeignReleases, r.ForeignMutations, r.Duplicates, r.Leaks, r.Unconverged, r.Stuck} {
		for _, v := range l {
			if n == 0 {
				return out + "\n  …"
			}
			out += "\n  - " + v.String()
			n--
		}
	}
	return out
}
