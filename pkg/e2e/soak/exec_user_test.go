//go:build soak

package soak

import (
	"context"
	"errors"
	"fmt"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// handListener: the user adds a TCP listener by hand on the force-override
// Service's hefei ELB, on one of that Service's ports; the Service takes it
// over once it uses the port. A port already taken is left alone.
func (e *env) handListener(ctx context.Context, o op) (string, error) {
	id := e.userELBs[forceSlot().elb[hefei.name]]
	l := cloud.Listener{Port: o.port, Protocol: "TCP", BackendPort: 30999, Description: "made by hand in the console"}
	err := retry(ctx, func() error {
		err := e.user.CreateListener(ctx, id, l)
		var apiErr *cloud.APIError
		if errors.As(err, &apiErr) && (apiErr.Code == "ListenerAlreadyExists" || apiErr.Code == "ListenerPortConflict") {
			return nil // there already (ours, an earlier hand-made one, or a lost answer)
		}
		return err
	})
	return fmt.Sprintf("on %s port %d", id, o.port), err
}

// squatter: the user makes an ELB or EIP named like one of ours, for a
// Service that never exists (or for another cluster), and never binds it.
func (e *env) squatter(ctx context.Context, o op) (string, error) {
	s := hefei
	if o.detail == chengdu.name {
		s = chengdu
	}
	token := fmt.Sprintf("soak-squatter-%d", o.n)
	switch o.variant {
	case 0:
		name := ghostName(o.n, s, clusterID)
		id, err := e.userCreateELB(ctx, name, s, token)
		return "ELB " + id + " " + name, err
	case 1:
		name := ghostName(o.n, s, clusterID)
		id, err := e.userCreateEIP(ctx, name, s, token)
		return "EIP " + id + " " + name, err
	default:
		name := ghostName(o.n, s, "other-cluster")
		id, err := e.userCreateELB(ctx, name, s, token)
		return "ELB " + id + " " + name, err
	}
}
