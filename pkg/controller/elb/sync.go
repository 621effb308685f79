package elb

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
)

// poolServiceView is the PoolService one sync works on and what it
// serves, as the listers have them.
type poolServiceView struct {
	ps     *v1alpha1.PoolService
	served v1alpha1.Served
	svc    *corev1.Service   // nil when gone
	pool   *v1beta2.NodePool // nil when gone
}

// sync brings one PoolService's ELB in line. A positive duration asks to be
// looked at again after it (transitional cloud state, or verifying a plan
// just applied); an error is retried with rate limiting.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	cached, err := c.poolServices.PoolServices(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	v := c.load(cached.DeepCopy())
	if !isELBClass(v.ps) && !hasFinalizer(v.ps) {
		return 0, nil
	}
	if why := v.notExposed(); why != "" {
		klog.FromContext(ctx).V(2).Info("PoolService not exposed; cleaning up", "why", why)
		return c.cleanup(ctx, v, why)
	}
	return c.ensure(ctx, v)
}

func (c *Controller) load(ps *v1alpha1.PoolService) poolServiceView {
	v := poolServiceView{ps: ps, served: v1alpha1.ServedBy(ps)}
	if svc, err := c.services.Services(ps.Namespace).Get(v.served.Service); err == nil {
		v.svc = svc
	}
	if pool, err := c.pools.Get(v.served.Pool); err == nil {
		v.pool = pool
	}
	return v
}

// cloudName is the ELB/EIP name of what the PoolService serves.
func (v poolServiceView) cloudName(clusterID string) string {
	return elbmodel.Name(v.served.Service, v.ps.Namespace, v.served.Pool, clusterID)
}

// notExposed says why the PoolService should have no ELB, or "".
func (v poolServiceView) notExposed() string {
	switch {
	case v.ps.DeletionTimestamp != nil:
		return "PoolService is being deleted"
	case !isELBClass(v.ps):
		return "PoolService is not of class " + apis.LoadBalancerClassELB
	case v.svc == nil || v.svc.DeletionTimestamp != nil:
		return "Service is gone"
	case v.svc.Spec.Type != corev1.ServiceTypeLoadBalancer || v.svc.Spec.LoadBalancerClass == nil ||
		*v.svc.Spec.LoadBalancerClass != apis.LoadBalancerClassELB:
		return "Service is no longer a LoadBalancer of class " + apis.LoadBalancerClassELB
	case v.pool == nil || v.pool.DeletionTimestamp != nil:
		return "NodePool is gone"
	}
	sel := v.svc.Annotations[apis.AnnotationNodePoolSelector]
	if sel == "" {
		return "Service has no " + apis.AnnotationNodePoolSelector
	}
	// An unparsable selector is the fan-out's to report; it never releases.
	if s, err := labels.Parse(sel); err == nil && !s.Matches(labels.Set(v.pool.Labels)) {
		return "NodePool no longer matches the Service's selector"
	}
	return ""
}

func (c *Controller) ensure(ctx context.Context, v poolServiceView) (time.Duration, error) {
	cfg, err := elbmodel.ParseConfig(v.svc.Annotations)
	if err != nil {
		return c.inputError(ctx, v, err)
	}
	defer c.names.lock(v.cloudName(c.cfg.ClusterID))()
	if cfg.ManagedByUser {
		if err := c.releaseManagedLeftovers(ctx, v); err != nil {
			return c.readError(ctx, v, err)
		}
		if elbmodel.UserLoadBalancerID(v.ps) == "" {
			return 0, c.waitForLoadBalancerID(ctx, v)
		}
	}
	in := c.inputs(v, cfg)
	d, err := elbmodel.Build(in, nil) // validated before any cloud call
	if err != nil {
		return c.inputError(ctx, v, err)
	}
	needs, err := c.backendNeeds(v, in, &d)
	if err != nil {
		return c.inputError(ctx, v, err)
	}
	instances, err := c.instances(ctx, slices.Sorted(maps.Keys(needs)))
	if err != nil {
		return c.cloudError(ctx, v, err)
	}
	actual, err := c.readActual(ctx, v.ps, d)
	if err != nil {
		return c.readError(ctx, v, err)
	}
	followLoadBalancer(&d, actual.LoadBalancer)
	skipped := d.SetBackends(needs, instances, elbNetwork(d, actual.LoadBalancer))
	plan, err := elbmodel.Diff(d, actual)
	if err != nil {
		return c.inputError(ctx, v, err)
	}
	logPlan(ctx, d, actual, plan)
	return c.applyAndReport(ctx, v, d, actual, plan, c.skippedNodes(in, skipped))
}

// releaseManagedLeftovers: a Service switched from managed to user-managed
// releases what the controller had created for this PoolService (its
// recorded ELB and EIP), except the user's ELB and the EIP on it.
func (c *Controller) releaseManagedLeftovers(ctx context.Context, v poolServiceView) error {
	name := v.cloudName(c.cfg.ClusterID)
	if c.owned.Cached(name).Empty() {
		return nil
	}
	released, err := c.releaseRecorded(ctx, name, keepID(elbmodel.UserLoadBalancerID(v.ps)))
	if len(released) > 0 {
		c.normal(v, apis.EventCleanedLoadBalancer, "Service is user-managed now; released "+orNone(released))
	}
	return err
}

// readError: a step that cannot be taken yet waits with backoff; a name
// someone else's resource holds is the user's to fix (reported like bad
// input); anything else is a cloud error.
func (c *Controller) readError(ctx context.Context, v poolServiceView, err error) (time.Duration, error) {
	if asNotNow(err) != nil {
		return c.waits.When(keyOf(v.ps)), nil
	}
	if elbmodel.AsInputError(err) != nil {
		return c.inputError(ctx, v, err)
	}
	return c.cloudError(ctx, v, err)
}

// elbNetwork is where backends must be: the ELB's region and network once
// it exists, else the pool's.
func elbNetwork(d elbmodel.Desired, lb *ens.LoadBalancer) elbmodel.Network {
	if lb == nil {
		return d.Network
	}
	return elbmodel.Network{RegionID: lb.RegionID, NetworkID: lb.NetworkID}
}

func (c *Controller) applyAndReport(ctx context.Context, v poolServiceView, d elbmodel.Desired, a elbmodel.Actual, plan elbmodel.Plan,
	skipped []string) (time.Duration, error) {
	if !plan.Empty() || a.LoadBalancer != nil {
		if err := c.ensureFinalizer(ctx, v); err != nil {
			return 0, err
		}
	}
	res, err := c.apply(ctx, v, d, a, plan)
	n := asNotNow(err)
	if err != nil && n == nil {
		return c.cloudError(ctx, v, err)
	}
	if n != nil {
		plan.Wait = joinNonEmpty(plan.Wait, n.why)
	}
	if err := c.reportSynced(ctx, v, d, c.eipsAfter(ctx, a, res), plan, res, skipped); err != nil {
		return 0, err
	}
	key := keyOf(v.ps)
	switch {
	case res.done > 0: // progress: look again soon to verify and go on
		c.waits.Forget(key)
		return c.cfg.RequeueDelay, nil
	case plan.Wait != "": // nothing could be done: back off
		return c.waits.When(key), nil
	}
	c.waits.Forget(key)
	c.authWaits.Forget(key)
	return 0, nil
}

func (c *Controller) inputs(v poolServiceView, cfg elbmodel.Config) elbmodel.Inputs {
	in := elbmodel.Inputs{
		ClusterID: c.cfg.ClusterID, PoolService: v.ps, Service: v.svc, Pool: v.pool,
		Nodes: c.poolNodes(v.pool.Name), Config: cfg,
	}
	if isLocalService(v.svc) {
		sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: v.svc.Name})
		in.Slices, _ = c.slices.EndpointSlices(v.svc.Namespace).List(sel)
	}
	return in
}

// instances reads the candidate instances (the client splits the ids).
func (c *Controller) instances(ctx context.Context, ids []string) (map[string]ens.Instance, error) {
	out := map[string]ens.Instance{}
	if len(ids) == 0 {
		return out, nil
	}
	list, err := c.cloud.ListInstances(ctx, ens.InstanceFilter{IDs: ids})
	if err != nil {
		return nil, err
	}
	for _, i := range list {
		out[i.ID] = i
	}
	return out, nil
}

// logPlan writes the readable difference at V(2).
func logPlan(ctx context.Context, d elbmodel.Desired, a elbmodel.Actual, plan elbmodel.Plan) {
	logger := klog.FromContext(ctx)
	if plan.Empty() && plan.Wait == "" {
		logger.V(4).Info("ELB up to date", "name", d.Name)
		return
	}
	steps := make([]string, 0, len(plan.Actions))
	for _, a := range plan.Actions {
		steps = append(steps, a.String())
	}
	logger.V(2).Info("ELB differs from desired", "name", d.Name, "plan", steps, "wait", plan.Wait,
		"diff", cmp.Diff(actualView(d, a), desiredView(d)))
}

// modelView is the part of an ELB the diff log shows.
type modelView struct {
	Listeners    []ens.Listener
	Backends     []ens.Backend
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

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
