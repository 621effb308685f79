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

// objects are what one sync reads from the listers.
type objects struct {
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
	o := c.load(cached.DeepCopy())
	if !isELBClass(o.ps) && !hasFinalizer(o.ps) {
		return 0, nil
	}
	if why := o.notExposed(); why != "" {
		klog.FromContext(ctx).V(2).Info("PoolService not exposed; cleaning up", "why", why)
		return c.cleanup(ctx, o, why)
	}
	return c.ensure(ctx, o)
}

func (c *Controller) load(ps *v1alpha1.PoolService) objects {
	o := objects{ps: ps, served: v1alpha1.ServedBy(ps)}
	if svc, err := c.services.Services(ps.Namespace).Get(o.served.Service); err == nil {
		o.svc = svc
	}
	if pool, err := c.pools.Get(o.served.Pool); err == nil {
		o.pool = pool
	}
	return o
}

// cloudName is the ELB/EIP name of what the PoolService serves.
func (o objects) cloudName(clusterID string) string {
	return elbmodel.Name(o.served.Service, o.ps.Namespace, o.served.Pool, clusterID)
}

// notExposed says why the PoolService should have no ELB, or "".
func (o objects) notExposed() string {
	switch {
	case o.ps.DeletionTimestamp != nil:
		return "PoolService is being deleted"
	case !isELBClass(o.ps):
		return "PoolService is not of class " + apis.LoadBalancerClassELB
	case o.svc == nil || o.svc.DeletionTimestamp != nil:
		return "Service is gone"
	case o.svc.Spec.Type != corev1.ServiceTypeLoadBalancer || o.svc.Spec.LoadBalancerClass == nil ||
		*o.svc.Spec.LoadBalancerClass != apis.LoadBalancerClassELB:
		return "Service is no longer a LoadBalancer of class " + apis.LoadBalancerClassELB
	case o.pool == nil || o.pool.DeletionTimestamp != nil:
		return "NodePool is gone"
	}
	sel := o.svc.Annotations[apis.AnnotationNodePoolSelector]
	if sel == "" {
		return "Service has no " + apis.AnnotationNodePoolSelector
	}
	// An unparsable selector is the fan-out's to report; it never releases.
	if s, err := labels.Parse(sel); err == nil && !s.Matches(labels.Set(o.pool.Labels)) {
		return "NodePool no longer matches the Service's selector"
	}
	return ""
}

func (c *Controller) ensure(ctx context.Context, o objects) (time.Duration, error) {
	cfg, err := elbmodel.ParseConfig(o.svc.Annotations)
	if err != nil {
		return c.inputError(ctx, o, err)
	}
	defer c.names.lock(o.cloudName(c.cfg.ClusterID))()
	if cfg.ManagedByUser {
		if err := c.releaseManagedLeftovers(ctx, o); err != nil {
			return c.readError(ctx, o, err)
		}
		if elbmodel.UserLoadBalancerID(o.ps) == "" {
			return 0, c.waitForLoadBalancerID(ctx, o)
		}
	}
	in := c.inputs(o, cfg)
	d, err := elbmodel.Build(in, nil) // validated before any cloud call
	if err != nil {
		return c.inputError(ctx, o, err)
	}
	needs, err := c.backendNeeds(o, in, &d)
	if err != nil {
		return c.inputError(ctx, o, err)
	}
	instances, err := c.instances(ctx, slices.Sorted(maps.Keys(needs)))
	if err != nil {
		return c.cloudError(ctx, o, err)
	}
	actual, err := c.readActual(ctx, o.ps, d)
	if err != nil {
		return c.readError(ctx, o, err)
	}
	followLoadBalancer(&d, actual.LoadBalancer)
	skipped := d.SetBackends(needs, instances, elbNetwork(d, actual.LoadBalancer))
	plan, err := elbmodel.Diff(d, actual)
	if err != nil {
		return c.inputError(ctx, o, err)
	}
	logPlan(ctx, d, actual, plan)
	return c.applyAndReport(ctx, o, d, actual, plan, c.skippedNodes(in, skipped))
}

// releaseManagedLeftovers: a Service switched from managed to user-managed
// releases what the controller had created for this PoolService (its
// recorded ELB and EIP), except the user's ELB and the EIP on it.
func (c *Controller) releaseManagedLeftovers(ctx context.Context, o objects) error {
	name := o.cloudName(c.cfg.ClusterID)
	if c.owned.Cached(name).Empty() {
		return nil
	}
	released, err := c.releaseRecorded(ctx, name, keepID(elbmodel.UserLoadBalancerID(o.ps)))
	if len(released) > 0 {
		c.normal(o, apis.EventCleanedLoadBalancer, "Service is user-managed now; released "+orNone(released))
	}
	return err
}

// readError: a step that cannot be taken yet waits with backoff; a name
// someone else's resource holds is the user's to fix (reported like bad
// input); anything else is a cloud error.
func (c *Controller) readError(ctx context.Context, o objects, err error) (time.Duration, error) {
	if asNotNow(err) != nil {
		return c.waits.When(keyOf(o.ps)), nil
	}
	if elbmodel.AsInputError(err) != nil {
		return c.inputError(ctx, o, err)
	}
	return c.cloudError(ctx, o, err)
}

// elbNetwork is where backends must be: the ELB's region and network once
// it exists, else the pool's.
func elbNetwork(d elbmodel.Desired, lb *ens.LoadBalancer) elbmodel.Network {
	if lb == nil {
		return d.Network
	}
	return elbmodel.Network{RegionID: lb.RegionID, NetworkID: lb.NetworkID}
}

func (c *Controller) applyAndReport(ctx context.Context, o objects, d elbmodel.Desired, a elbmodel.Actual, plan elbmodel.Plan,
	skipped []string) (time.Duration, error) {
	if !plan.Empty() || a.LoadBalancer != nil {
		if err := c.ensureFinalizer(ctx, o); err != nil {
			return 0, err
		}
	}
	res, err := c.apply(ctx, o, d, a, plan)
	n := asNotNow(err)
	if err != nil && n == nil {
		return c.cloudError(ctx, o, err)
	}
	if n != nil {
		plan.Wait = joinNonEmpty(plan.Wait, n.why)
	}
	if err := c.reportSynced(ctx, o, d, c.eipsAfter(ctx, a, res), plan, res, skipped); err != nil {
		return 0, err
	}
	key := keyOf(o.ps)
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

func (c *Controller) inputs(o objects, cfg elbmodel.Config) elbmodel.Inputs {
	in := elbmodel.Inputs{
		ClusterID: c.cfg.ClusterID, PoolService: o.ps, Service: o.svc, Pool: o.pool,
		Nodes: c.poolNodes(o.pool.Name), Config: cfg,
	}
	if isLocalService(o.svc) {
		sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: o.svc.Name})
		in.Slices, _ = c.slices.EndpointSlices(o.svc.Namespace).List(sel)
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
