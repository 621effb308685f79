package elb

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/dryrun"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

// Adoption: an operator moving from another controller that used the same
// naming scheme (k8s/<svc>/<ns>/<pool>/<cluster-id>) keeps the running
// ELBs and EIPs, and with them the public addresses, by opting in (the
// Service annotation AnnotationAdoptExisting, or --adopt-existing). The
// adopted resource is written into the ownership record and is ours from
// then on: changed, and released on deletion, like one we made. Without the
// opt-in, a resource named ours that we have no record of is never used,
// changed or released (LoadBalancerNameTaken).

// adopting says whether the PoolService may adopt what is named ours.
func (c *Controller) adopting(d elbmodel.Desired) bool {
	return d.Managed && (d.Adopt || c.cfg.AdoptExisting)
}

// adopt records the one unrecorded resource of kind named name as ours,
// and says which it is. Several of one name are refused: we cannot tell
// which the other controller served with. Under --dry-run the adoption is
// reported, not recorded.
func (c *Controller) adopt(ctx context.Context, v poolServiceView, name string, kind ownership.Kind, ids []string) (string, error) {
	if len(ids) != 1 {
		return "", &elbmodel.InputError{Reason: apis.EventNameTaken, Field: apis.AnnotationAdoptExisting,
			Message: fmt.Sprintf("%s %s are all named %s: adoption takes exactly one; release or rename the others",
				kind, strings.Join(ids, ", "), name)}
	}
	id := ids[0]
	if c.cfg.DryRun {
		dryrun.Report(ctx, c.recorder, v.ps, apis.ControllerELB, "Adopt", fmt.Sprintf("adopt %s %s named %s", kind, id, name))
		return id, nil
	}
	if _, err := c.owned.Update(ctx, name, func(r *ownership.Record) {
		r.Add(kind, ownership.Entry{Token: "adopted-" + id, ID: id, Since: c.cfg.Clock.Now(), Adopted: true})
	}); err != nil {
		return "", err
	}
	c.normal(v, apis.EventAdopted, fmt.Sprintf("adopted %s %s named %s: it keeps its id and address and is managed from now on", kind, id, name))
	return id, nil
}

// adoptEIP adopts the EIP named name: the one on our ELB when there is
// one (several EIPs of a name, one of them serving: that one), else the
// only one.
func (c *Controller) adoptEIP(ctx context.Context, v poolServiceView, name string, lb *cloud.LoadBalancer, named []cloud.EIP) ([]cloud.EIP, error) {
	candidates := named
	if lb != nil {
		if i := slices.IndexFunc(named, func(e cloud.EIP) bool { return e.AssociatedInstanceID == lb.ID }); i >= 0 {
			candidates = named[i : i+1]
		}
	}
	ids := make([]string, 0, len(candidates))
	for _, e := range candidates {
		ids = append(ids, e.AllocationID)
	}
	id, err := c.adopt(ctx, v, name, ownership.EIP, ids)
	if err != nil {
		return nil, err
	}
	return []cloud.EIP{candidates[slices.IndexFunc(candidates, func(e cloud.EIP) bool { return e.AllocationID == id })]}, nil
}
