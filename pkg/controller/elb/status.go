package elb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
)

// Condition reasons besides the event reasons (apis.Event*).
const (
	reasonReady              = "LoadBalancerReady"
	reasonSynced             = "Synced"
	reasonProgressing        = "Progressing"
	reasonWaitingForID       = "WaitingForLoadBalancerID"
	reasonNotExposed         = "NotExposed"
	reasonChangeRefused      = "ChangeRefused"
	reasonCloudError         = apis.EventSyncLoadBalancerFailed
	msgWaitingForID          = "managed-by-user Service: annotate the PoolService with " + apis.AnnotationLoadBalancerID
	conditionMessageMaxChars = apis.MaxMessageLength
)

// cond is one condition to set.
type cond struct {
	typ     string
	status  metav1.ConditionStatus
	reason  string
	message string
}

// writeStatus sets the conditions on a copy of ps's status, lets mutate
// change the rest, and updates the status subresource only when it changed.
func (c *Controller) writeStatus(ctx context.Context, ps *v1alpha1.PoolService, mutate func(*v1alpha1.PoolServiceStatus), conds ...cond) error {
	if c.cfg.DryRun { // reported through Events only
		return nil
	}
	st := *ps.Status.DeepCopy()
	if mutate != nil {
		mutate(&st)
	}
	for _, x := range conds {
		msg := apis.BoundMessage(x.message, conditionMessageMaxChars)
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: x.typ, Status: x.status, Reason: x.reason,
			Message: msg, ObservedGeneration: ps.Generation, LastTransitionTime: metav1.NewTime(time.Now())})
	}
	if equality.Semantic.DeepEqual(ps.Status, st) {
		return nil
	}
	upd := ps.DeepCopy()
	upd.Status = st
	res, err := c.yurtClient.NetworkV1alpha1().PoolServices(ps.Namespace).UpdateStatus(ctx, upd, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) { // deleted meanwhile: no status to show
		return nil
	}
	if err != nil {
		return fmt.Errorf("update PoolService status: %w", err)
	}
	*ps = *res
	return nil
}

// inputError reports bad user input: Warning event, Synced False (Ready
// False unless the ELB already serves), no requeue until objects change.
func (c *Controller) inputError(ctx context.Context, v poolServiceView, err error) (time.Duration, error) {
	ie := elbmodel.AsInputError(err)
	if ie == nil {
		return c.cloudError(ctx, v, err)
	}
	msg := ie.Error()
	c.warnOnce(v, apis.ConditionSynced, ie.Reason, msg)
	conds := []cond{{apis.ConditionSynced, metav1.ConditionFalse, ie.Reason, msg}}
	var mutate func(*v1alpha1.PoolServiceStatus)
	switch {
	case ie.Unusable: // never advertise an ELB we no longer reconcile
		mutate = clearLoadBalancer
		conds = append(conds, cond{apis.ConditionReady, metav1.ConditionFalse, ie.Reason, msg})
	case !meta.IsStatusConditionTrue(v.ps.Status.Conditions, apis.ConditionReady):
		conds = append(conds, cond{apis.ConditionReady, metav1.ConditionFalse, ie.Reason, msg})
	}
	return 0, c.writeStatus(ctx, v.ps, mutate, conds...)
}

// warnOnce emits a Warning unless the condition already says the same: a
// problem that lasts is one Event, not one per sync.
func (c *Controller) warnOnce(v poolServiceView, condType, reason, msg string) {
	was := meta.FindStatusCondition(v.ps.Status.Conditions, condType)
	if was == nil || was.Reason != reason || was.Message != apis.BoundMessage(msg, conditionMessageMaxChars) {
		c.warn(v, reason, msg)
	}
}

// cloudError reports a failed cloud call and retries it with backoff: the
// workqueue's for most errors (an invalid-input answer included: what ENS
// refused may be fixed by a change elsewhere), a slower one for
// authorization errors (credentials and RAM policies get fixed, but not in
// milliseconds). Nothing is retried on a fixed short delay.
func (c *Controller) cloudError(ctx context.Context, v poolServiceView, err error) (time.Duration, error) {
	msg := "cloud call failed: " + cloudMessage(err)
	c.warnOnce(v, apis.ConditionSynced, reasonCloudError, msg)
	if serr := c.writeStatus(ctx, v.ps, nil, cond{apis.ConditionSynced, metav1.ConditionFalse, reasonCloudError, msg}); serr != nil {
		return 0, fmt.Errorf("%w (and %v)", err, serr)
	}
	if errors.Is(err, cloud.ErrAuth) {
		after := c.authBackoff.When(keyOf(v.ps))
		klog.FromContext(ctx).Error(err, "Cloud refused our credentials or permissions; retrying later", "after", after)
		return after, nil
	}
	return 0, err
}

// cloudMessage is err without the ENS request id, so that a failure that
// repeats writes the same condition.
func cloudMessage(err error) string {
	var apiErr *cloud.APIError
	if errors.As(err, &apiErr) {
		return strings.Replace(err.Error(), ", request "+apiErr.RequestID, "", 1)
	}
	return err.Error()
}

// waitForLoadBalancerID: a user-managed PoolService naming no ELB (yet, or
// any more) serves nothing, so it shows no address or ELB id either; what
// is on a formerly named ELB stays there (not removed on delete).
func (c *Controller) waitForLoadBalancerID(ctx context.Context, v poolServiceView) error {
	return c.writeStatus(ctx, v.ps, clearLoadBalancer,
		cond{apis.ConditionReady, metav1.ConditionFalse, reasonWaitingForID, msgWaitingForID},
		cond{apis.ConditionSynced, metav1.ConditionFalse, reasonWaitingForID, msgWaitingForID})
}

// reportSynced writes ingress, the ELB id and the conditions from what
// the sync saw (actual), decided (plan) and did (done), and emits
// EnsuredLoadBalancer when the ELB first matches.
func (c *Controller) reportSynced(ctx context.Context, v poolServiceView, w wanted, actual elbmodel.Actual, plan elbmodel.Plan,
	done outcome) error {
	after := actual
	after.EIPs = elbmodel.EIPsAfter(actual.EIPs, done.eips)
	ingress := ingressOf(plan.Desired, after)
	active := actual.LoadBalancer != nil && actual.LoadBalancer.Status == cloud.LoadBalancerActive
	ready := cond{apis.ConditionReady, metav1.ConditionTrue, reasonReady, fmt.Sprintf("ELB %s serves %v", done.lbID, ingressIPs(ingress))}
	if !active || len(ingress) == 0 {
		ready = cond{apis.ConditionReady, metav1.ConditionFalse, reasonProgressing, "waiting for the ELB and its address"}
	}
	synced := syncedCondition(done, plan, c.skippedNodes(w.in, plan.Skipped))
	wasSynced := meta.FindStatusCondition(v.ps.Status.Conditions, apis.ConditionSynced)
	changed := wasSynced == nil || wasSynced.Reason != synced.reason || wasSynced.Message != apis.BoundMessage(synced.message, conditionMessageMaxChars)
	err := c.writeStatus(ctx, v.ps, func(st *v1alpha1.PoolServiceStatus) {
		st.LoadBalancer.Ingress = ingress
		if done.lbID != "" {
			if st.AggregateToAnnotations == nil {
				st.AggregateToAnnotations = map[string]string{}
			}
			st.AggregateToAnnotations[apis.AnnotationLoadBalancerID] = done.lbID
		}
	}, ready, synced)
	if err == nil && changed {
		switch synced.reason {
		case reasonSynced:
			c.normal(v, apis.EventEnsuredLoadBalancer, synced.message+fmt.Sprintf(", ingress %v", ingressIPs(ingress)))
		case reasonChangeRefused:
			for _, ref := range plan.Refused {
				c.warn(v, ref.Reason, ref.Error())
			}
		case apis.EventBackendNodeSkipped:
			c.warn(v, apis.EventBackendNodeSkipped, synced.message)
		}
	}
	return err
}

// syncedCondition says whether the ELB matches: progressing while the plan
// waits or was not applied in full, else refused changes, else nodes left
// out, else synced (a plan applied in full made it match: ENS took every
// step, and the next resync reads it again).
func syncedCondition(done outcome, plan elbmodel.Plan, skipped []string) cond {
	wait := elbmodel.JoinWaits(plan.Wait, done.wait)
	switch {
	case wait != nil || (!plan.Empty() && !done.completes(plan)):
		msg := fmt.Sprintf("applied %d change(s)", done.steps)
		if wait != nil {
			msg += "; " + wait.Why
		}
		return cond{apis.ConditionSynced, metav1.ConditionFalse, reasonProgressing, msg}
	case len(plan.Refused) > 0:
		return cond{apis.ConditionSynced, metav1.ConditionFalse, reasonChangeRefused, plan.Refused[0].Error()}
	case len(skipped) > 0:
		return cond{apis.ConditionSynced, metav1.ConditionFalse, apis.EventBackendNodeSkipped,
			"left out of the backends (" + apis.LabelENSInstanceID + " or spec.providerID): " + strings.Join(skipped, "; ")}
	}
	return cond{apis.ConditionSynced, metav1.ConditionTrue, reasonSynced, fmt.Sprintf("ELB %s matches the Service", done.lbID)}
}

// ingressOf: the EIP on the ELB, else (intranet, or a user ELB without
// one) the ELB's own address.
func ingressOf(d elbmodel.Desired, a elbmodel.Actual) []corev1.LoadBalancerIngress {
	lb := a.LoadBalancer
	if lb == nil {
		return nil
	}
	var ips []string
	for _, e := range a.EIPs {
		if e.AssociatedInstanceID == lb.ID && e.IP != "" {
			ips = append(ips, e.IP)
		}
	}
	slices.Sort(ips)
	switch {
	case len(ips) > 0:
		return []corev1.LoadBalancerIngress{{IP: ips[0]}}
	case d.EIP == nil && lb.Address != "":
		return []corev1.LoadBalancerIngress{{IP: lb.Address}}
	}
	return nil
}

func ingressIPs(in []corev1.LoadBalancerIngress) []string {
	var out []string
	for _, i := range in {
		out = append(out, i.IP)
	}
	return out
}
