package elb

import (
	"context"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
	"github.com/google/go-cmp/cmp"
	"k8s.io/klog/v2"
)

// plan decides, from what was wanted and what was read, what to do
// (elbmodel.NewPlan, a pure function), and logs the difference.
func (c *Controller) plan(ctx context.Context, w wanted, seen elbmodel.Observed) (elbmodel.Plan, error) {
	plan, err := elbmodel.NewPlan(w.desired, seen)
	if err == nil {
		logPlan(ctx, plan.Desired, seen.Actual, plan)
	}
	return plan, err
}

// logPlan writes the readable difference at V(2).
func logPlan(ctx context.Context, d elbmodel.Desired, a elbmodel.Actual, plan elbmodel.Plan) {
	logger := klog.FromContext(ctx)
	if plan.Empty() && plan.Wait == nil {
		logger.V(4).Info("ELB up to date", "name", d.Name)
		return
	}
	steps := make([]string, 0, len(plan.Actions))
	for _, a := range plan.Actions {
		steps = append(steps, a.String())
	}
	logger.V(2).Info("ELB differs from desired", "name", d.Name, "plan", steps, "wait", plan.Wait.Reason(),
		"diff", cmp.Diff(actualView(d, a), desiredView(d)))
}

// modelView is the part of an ELB the diff log shows.
type modelView struct {
	Listeners    []cloud.Listener
	Backends     []cloud.Backend
	EIPBandwidth int
}

func desiredView(d elbmodel.Desired) modelView {
	v := modelView{Listeners: d.Listeners, Backends: d.Backends}
	if d.EIP != nil {
		v.EIPBandwidth = d.EIP.Bandwidth
	}
	return v
}

func actualView(d elbmodel.Desired, a elbmodel.Actual) modelView {
	var v modelView
	if lb := a.LoadBalancer; lb != nil {
		for _, l := range lb.Listeners {
			if l.Description == d.Name {
				l.Status = ""
				v.Listeners = append(v.Listeners, l)
			}
		}
		v.Backends = lb.Backends
	}
	if d.Managed && len(a.EIPs) > 0 {
		v.EIPBandwidth = a.EIPs[0].Bandwidth
	}
	return v
}
