//go:build scale

package scale

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
)

// probe is a Local-policy Service whose endpoints move between the first
// and the second half of every pool's nodes. A move's latency runs from
// the EndpointSlice write to the moment every one of its ELBs in the
// emulator has exactly the new half as backends, checked after each
// backend call on those ELBs is answered (and every 250 ms besides).
type probe struct {
	e      *env
	half   int
	onB    bool           // endpoints on the second half now
	lbs    map[string]int // the probe's ELB id → pool index
	signal chan struct{}
}

var backendActions = []string{"AddBackendServers", "RemoveBackendServers", "SetBackendServers"}

// moveTimeout bounds one move; a move slower than this fails the run.
const moveTimeout = 15 * time.Minute

func newProbe(e *env) *probe {
	p := &probe{e: e, half: e.s.nodes / 2, signal: make(chan struct{}, 1)}
	if _, err := e.kube.CoreV1().Services(namespace).Create(e.ctx, service(probeName, -1, corev1.ServiceExternalTrafficPolicyLocal), metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.kube.DiscoveryV1().EndpointSlices(namespace).Create(e.ctx, endpointSlice(probeName, p.nodes()), metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// from and to bound the node indexes the endpoints are on.
func (p *probe) from() int { return map[bool]int{false: 0, true: p.half}[p.onB] }
func (p *probe) to() int   { return p.from() + p.half }

func (p *probe) nodes() []string { return allNodes(p.e.s, p.from(), p.to()) }

// learnELBs reads the probe's ELB ids from its converged PoolServices and
// starts listening to the backend calls on them.
func (p *probe) learnELBs() {
	pss, err := p.e.psLister.List(labels.SelectorFromSet(labels.Set{apis.LabelServiceName: probeName}))
	if err != nil {
		p.e.t.Fatal(err)
	}
	p.lbs = map[string]int{}
	for _, ps := range pss {
		id := ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID]
		var pool int
		if _, err := fmt.Sscanf(ps.Labels[apis.LabelPoolName], "np-%d", &pool); err != nil || id == "" {
			p.e.t.Fatalf("probe PoolService %s: pool %q, ELB %q", ps.Name, ps.Labels[apis.LabelPoolName], id)
		}
		p.lbs[id] = pool
	}
	if len(p.lbs) != p.e.s.pools {
		p.e.t.Fatalf("the probe has %d ELBs, want one per pool (%d)", len(p.lbs), p.e.s.pools)
	}
	p.e.calls.setHook(func(ev callEvent) {
		if _, ours := p.lbs[ev.LBID]; ours && slices.Contains(backendActions, ev.Action) {
			select {
			case p.signal <- struct{}{}:
			default:
			}
		}
	})
}

// wantBackends is what each probe ELB should have now.
func (p *probe) wantBackends(pool int) []string { return instancesOf(pool, p.from(), p.to()) }

func (p *probe) reflected() bool {
	inv := p.e.emu.Inventory()
	for id, pool := range p.lbs {
		lb := inv.LoadBalancer(id)
		if lb == nil {
			return false
		}
		var have []string
		for _, b := range lb.Backends {
			have = append(have, b.ServerID)
		}
		slices.Sort(have)
		if !slices.Equal(have, p.wantBackends(pool)) {
			return false
		}
	}
	return true
}

// move puts the endpoints on the other half and waits until every probe
// ELB shows it.
func (p *probe) move(ctx context.Context) (time.Duration, error) {
	slice, err := p.e.kube.DiscoveryV1().EndpointSlices(namespace).Get(ctx, probeName+"-eps", metav1.GetOptions{})
	if err != nil {
		return 0, err
	}
	p.onB = !p.onB
	slice.Endpoints = endpointSlice(probeName, p.nodes()).Endpoints
	select {
	case <-p.signal: // a stale signal of the last move
	default:
	}
	start := time.Now()
	if _, err := p.e.kube.DiscoveryV1().EndpointSlices(namespace).Update(ctx, slice, metav1.UpdateOptions{}); err != nil {
		return 0, err
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(moveTimeout)
	for {
		select {
		case <-p.signal:
		case <-tick.C:
		case <-deadline:
			return 0, fmt.Errorf("endpoint move not on the ELBs after %v", moveTimeout)
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		if p.reflected() {
			return time.Since(start), nil
		}
	}
}

// moves moves the endpoints again and again, a gap apart, until stop is
// closed; the move under way then finishes.
func (p *probe) moves(ctx context.Context, stop <-chan struct{}, gap time.Duration) <-chan moveResult {
	out := make(chan moveResult, 1)
	go func() {
		var r moveResult
		defer func() { out <- r }()
		for {
			lat, err := p.move(ctx)
			if err != nil {
				r.err = err
				return
			}
			r.samples = append(r.samples, lat)
			select {
			case <-stop:
				return
			case <-time.After(gap):
			}
		}
	}()
	return out
}

type moveResult struct {
	samples []time.Duration
	err     error
}
