//go:build soak

package soak

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
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

// handDescription is the Description of the listeners the user makes.
const handDescription = "made by hand in the console"

// foreignBackend: the user adds (or re-weights) a backend of an instance
// that is no node of this cluster on one of their ELBs, or removes it.
func (e *env) foreignBackend(ctx context.Context, o op) (string, error) {
	id := e.userELBs[o.detail]
	if id == "" {
		return "skipped: the user has no ELB " + o.detail, nil
	}
	if o.variant == 1 {
		err := retry(ctx, func() error {
			return e.user.RemoveBackends(ctx, id, []cloud.Backend{{ServerID: o.instance, Type: "ens"}})
		})
		// Done or not, no entry of it is certain any more.
		e.ledger.forgetBackends(id, o.instance)
		return fmt.Sprintf("removed %s from %s", o.instance, id), err
	}
	b := cloud.Backend{ServerID: o.instance, Type: "ens", Port: o.port, Weight: o.n}
	if err := retry(ctx, func() error { return e.user.AddBackends(ctx, id, []cloud.Backend{b}) }); err != nil {
		e.ledger.forgetBackends(id, o.instance)
		return "", err
	}
	e.ledger.setBackend(UserBackend{LB: id, ServerID: o.instance, Port: o.port, Weight: o.n})
	return fmt.Sprintf("%s on %s port %d weight %d", o.instance, id, o.port, o.n), nil
}

// protectedListener: the user makes a listener by hand on a hand port of
// one of their ELBs and starts it, or removes the one they made there.
func (e *env) protectedListener(ctx context.Context, o op) (string, error) {
	id := e.userELBs[o.detail]
	if id == "" {
		return "skipped: the user has no ELB " + o.detail, nil
	}
	proto := "TCP"
	if o.variant == 1 {
		proto = "UDP"
	}
	if e.ledger.hasListener(id, o.port, proto) {
		err := retry(ctx, func() error {
			if err := e.user.StopListener(ctx, id, o.port, proto); err != nil && !errors.Is(err, cloud.ErrNotFound) {
				return err
			}
			if err := e.user.DeleteListener(ctx, id, o.port, proto); err != nil && !errors.Is(err, cloud.ErrNotFound) {
				return err
			}
			return nil
		})
		e.ledger.forgetListener(id, o.port, proto)
		return fmt.Sprintf("removed %s:%d from %s", proto, o.port, id), err
	}
	backend := o.n
	if backend == 0 {
		backend = e.nodePortOn(ctx, o.detail)
	}
	l := cloud.Listener{Port: o.port, Protocol: proto, BackendPort: backend, Description: handDescription}
	err := retry(ctx, func() error {
		err := e.user.CreateListener(ctx, id, l)
		var apiErr *cloud.APIError
		if !errors.As(err, &apiErr) || apiErr.Code != "ListenerAlreadyExists" {
			return err
		}
		// A lost answer (the listener is the user's), a stray one of an
		// earlier try, or the port still being released.
		got, derr := e.user.DescribeListener(ctx, id, o.port, proto)
		switch {
		case errors.Is(derr, cloud.ErrNotFound):
			return permanent(fmt.Errorf("port %d still being released", o.port))
		case derr != nil:
			return derr
		case got.Description != l.Description || got.BackendPort != l.BackendPort:
			return permanent(fmt.Errorf("port %d has another listener: %+v", o.port, *got))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	// Started or not, it is the user's; the oracle does not judge its status.
	startErr := retry(ctx, func() error { return e.user.StartListener(ctx, id, o.port, proto) })
	e.ledger.setListener(UserListener{LB: id, Port: o.port, Protocol: proto, BackendPort: backend, Description: handDescription})
	return fmt.Sprintf("%s:%d->%d on %s (start: %s)", proto, o.port, backend, id, errOrOK(startErr)), nil
}

// nodePortOn is the first nodePort of a live Service of a slot that uses
// the user ELB, so that a hand-made listener routes to the same backend
// port as one of ours (30999 when there is none).
func (e *env) nodePortOn(ctx context.Context, key string) int {
	for _, sl := range slots {
		if !slices.Contains(slices.Collect(maps.Values(sl.elb)), key) {
			continue
		}
		svc, err := e.kube.CoreV1().Services(sl.ns).Get(ctx, sl.name, metav1.GetOptions{})
		if err == nil && len(svc.Spec.Ports) > 0 && svc.Spec.Ports[0].NodePort != 0 {
			return int(svc.Spec.Ports[0].NodePort)
		}
	}
	return 30999
}

// visibilityGrace is how long the controller keeps believing in an ELB it
// created that ENS does not show (a new one may take a while to appear):
// a young ELB released by hand is made again only after it.
const visibilityGrace = 2 * time.Minute

// releaseOurs: the user releases by hand one of our managed ELBs (an EIP
// on it comes free): mostly one older than visibilityGrace, a younger one
// (every third op, or when there is no older one) only while the run has
// visibilityGrace and half a minute left, so that its recreation is not
// what the quiesce waits for.
func (e *env) releaseOurs(ctx context.Context, o op) (string, error) {
	inv, err := e.emu.Inventory()
	if err != nil {
		return "", err
	}
	var old, young []ensemulator.LoadBalancer
	for _, lb := range inv.LoadBalancers {
		switch {
		case lb.CreatedBy != controllerKeyID || lb.Status != lbStatusActive:
		case time.Since(lb.CreateTime) > visibilityGrace:
			old = append(old, lb)
		default:
			young = append(young, lb)
		}
	}
	ours := old
	if len(young) > 0 && (len(old) == 0 || o.n%3 == 0) && time.Until(e.workloadEnd) > visibilityGrace+30*time.Second {
		ours = young
	}
	if len(ours) == 0 {
		return fmt.Sprintf("skipped: no ELB of ours to release (%d young ones)", len(young)), nil
	}
	sort.Slice(ours, func(i, j int) bool { return ours[i].Name < ours[j].Name })
	lb := ours[o.n%len(ours)]
	err = retry(ctx, func() error {
		if err := e.user.ReleaseLoadBalancer(ctx, lb.ID); err != nil && !errors.Is(err, cloud.ErrNotFound) {
			return err
		}
		return nil
	})
	return fmt.Sprintf("released %s %s", lb.ID, lb.Name), err
}

// userELBRelease: the user releases one of their ELBs and makes a
// replacement of the same name, binding their EIP of it (if any) to the
// new one. PoolServices naming the old one stay as they are until a
// user-attach names the replacement.
func (e *env) userELBRelease(ctx context.Context, o op) (string, error) {
	d := userELBByKey(o.detail)
	old := e.userELBs[d.key]
	if old != "" {
		err := retry(ctx, func() error {
			if err := e.user.ReleaseLoadBalancer(ctx, old); err != nil && !errors.Is(err, cloud.ErrNotFound) {
				return err
			}
			return nil
		})
		if err != nil {
			// Perhaps released: the EIP on it is no longer certain.
			if eip := e.ledger.eipOn(old); eip != "" {
				e.ledger.forgetEIP(eip)
			}
			return "", fmt.Errorf("releasing %s: %w", old, err)
		}
		e.ledger.released(old)
		e.deadELBs[old] = d.key
		e.userELBs[d.key] = ""
	}
	id, err := e.userCreateELB(ctx, d.name, d.site, fmt.Sprintf("soak-replace-%s-%d", d.key, o.n))
	if err != nil {
		return "", fmt.Errorf("released %s; the replacement: %w", old, err)
	}
	e.userELBs[d.key] = id
	result := fmt.Sprintf("released %s, replaced by %s", old, id)
	eip := e.userEIPs[d.key]
	if eip == "" {
		return result, nil
	}
	err = retry(ctx, func() error {
		err := e.user.AssociateEIP(ctx, eip, id)
		if err != nil && cloud.IsIncorrectStatus(err) {
			// A lost answer: bound already?
			eips, lerr := e.user.ListEIPs(ctx, cloud.EIPFilter{AllocationID: eip})
			if lerr == nil && len(eips) == 1 && eips[0].AssociatedInstanceID == id {
				return nil
			}
		}
		return err
	})
	if err != nil {
		e.ledger.forgetEIP(eip)
		return "", fmt.Errorf("%s; binding EIP %s: %w", result, eip, err)
	}
	e.ledger.setEIP(UserEIP{ID: eip, Bandwidth: userEIPBandwidth, BoundTo: id})
	return result + ", EIP " + eip + " bound to it", nil
}
