//go:build benchscale

package benchscale

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/poolserviceset"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

// Phase 4 needs the state a manager leaves at 20,000 PoolServices: the
// ELBs, listeners, backends and EIPs in the cloud, and in the API server the
// Services, their EndpointSlices, the PoolServices with their finalizer and
// status, and the ownership records. Converging that many at the
// documented limits would take hours, and the manager's own API client
// (50 writes/s) most of an hour more, so it is seeded instead, from a
// template the real manager made in phase 1: every object of one of its
// Cluster-policy Services (its PoolServices, records, ELBs and EIPs, one
// per pool) is copied for each new Service with the Service's name, UID,
// node ports, ids, addresses and ClientTokens replaced. Whatever the
// controller writes, the copies are what it would have written; the first
// manager started on them proves it (phase 4 reports its writes).
const templateService = 1

// seed is the template and the plan of the copies.
type seed struct {
	p       Profile
	service *corev1.Service
	// by pool
	ps     map[int]*v1alpha1.PoolService
	record map[int]*corev1.ConfigMap
	elb    map[int]ensemulator.LoadBalancer
	eip    map[int]ensemulator.EIP
	// rank of each pool's template ELB id, EIP id and EIP address
	// among the pools'.
	rank map[string]map[int]int
}

func (e *env) readTemplate(ctx context.Context, inv ensemulator.Inventory) *seed {
	e.t.Helper()
	s := &seed{p: e.p, ps: map[int]*v1alpha1.PoolService{}, record: map[int]*corev1.ConfigMap{},
		elb: map[int]ensemulator.LoadBalancer{}, eip: map[int]ensemulator.EIP{}}
	var err error
	if s.service, err = e.kube.CoreV1().Services(namespace).Get(ctx, serviceName(templateService), metav1.GetOptions{}); err != nil {
		e.t.Fatal(err)
	}
	records, err := e.kube.CoreV1().ConfigMaps(managerNS).List(ctx, metav1.ListOptions{LabelSelector: ownership.LabelRecord + "=true"})
	if err != nil {
		e.t.Fatal(err)
	}
	for pool := range e.p.Pools {
		ps, err := e.yurt.NetworkV1alpha1().PoolServices(namespace).Get(ctx,
			poolserviceset.PoolServiceName(serviceName(templateService), poolName(pool), false), metav1.GetOptions{})
		if err != nil {
			e.t.Fatal(err)
		}
		s.ps[pool] = ps
		lb := inv.LoadBalancer(ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID])
		eip := inv.EIPOn(lb.ID)
		if lb == nil || eip == nil {
			e.t.Fatalf("template PoolService %s: ELB %v, EIP %v", ps.Name, lb, eip)
		}
		s.elb[pool], s.eip[pool] = *lb, *eip
		for i := range records.Items {
			if cm := &records.Items[i]; cm.Name == ownership.ObjectName(lb.Name) {
				s.record[pool] = cm
			}
		}
		if s.record[pool] == nil {
			e.t.Fatalf("no ownership record of %s", lb.Name)
		}
	}
	s.rank = map[string]map[int]int{
		"elb":     ranks(e.p.Pools, func(pool int) string { return s.elb[pool].ID }),
		"eip":     ranks(e.p.Pools, func(pool int) string { return s.eip[pool].ID }),
		"eipAddr": ranks(e.p.Pools, func(pool int) string { return s.eip[pool].Address }),
	}
	// The template, as the manager wrote it, for whoever reads the run.
	raw, _ := json.MarshalIndent(map[string]any{"service": s.service, "poolService": s.ps[0], "record": s.record[0],
		"elb": s.elb[0], "eip": s.eip[0]}, "", "  ")
	_ = os.WriteFile(e.path("seed-template.json"), raw, 0o644)
	return s
}

// The copies' ids and addresses: apart from anything the emulator hands
// out (lb-/eip- and 25 random characters; ELB addresses from .100 of the
// vSwitch, EIPs in 47.100-199.x.x), and numbered so that a Service's copies
// sort the way the template's do: the Service's aggregated annotations and
// its ingress are sorted lists of them.
func (s *seed) elbID(svc, pool int) string {
	return fmt.Sprintf("lb-seed%05dr%02d", svc, s.rank["elb"][pool])
}
func (s *seed) eipID(svc, pool int) string {
	return fmt.Sprintf("eip-seed%05dr%02d", svc, s.rank["eip"][pool])
}
func (s *seed) eipAddr(svc, pool int) string {
	return fmt.Sprintf("39.%d.%d.%d", 100+s.rank["eipAddr"][pool], svc/250, 1+svc%250)
}

// elbAddr is in the pool's vSwitch, above the emulator's own.
func elbAddr(svc, pool int) string { return fmt.Sprintf("10.%d.%d.%d", pool, 8+svc/250, 1+svc%250) }

// ranks numbers the pools by the sort order of the template's values.
func ranks(pools int, value func(pool int) string) map[int]int {
	order := make([]int, pools)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(value(a), value(b)) })
	out := map[int]int{}
	for r, pool := range order {
		out[pool] = r
	}
	return out
}

// replacer maps the template's tokens to Service svc's.
func (s *seed) replacer(svc int, uid string) *tokenReplacer {
	pairs := map[string]string{serviceName(templateService): serviceName(svc)}
	if uid != "" {
		pairs[string(s.service.UID)] = uid
	}
	for pool := range s.p.Pools {
		pairs[s.elb[pool].ID] = s.elbID(svc, pool)
		pairs[s.eip[pool].ID] = s.eipID(svc, pool)
		pairs[s.elb[pool].Address] = elbAddr(svc, pool)
		pairs[s.eip[pool].Address] = s.eipAddr(svc, pool)
		var rec ownership.Record
		if err := json.Unmarshal([]byte(s.record[pool].Data["record.json"]), &rec); err == nil {
			for _, e := range append(rec.LoadBalancers, rec.EIPs...) {
				pairs[e.Token] = seedToken(e.Token, svc)
			}
		}
	}
	return newTokenReplacer(pairs)
}

// cloud returns inv with the copies' ELBs and EIPs for Services from..to-1.
func (s *seed) cloud(inv ensemulator.Inventory, from, to int) (ensemulator.Inventory, error) {
	inv.ClientTokens = nil // remembered for ten minutes: long gone at a restart
	for svc := from; svc < to; svc++ {
		r := s.replacer(svc, "")
		tcp, udp := nodePorts(svc)
		for pool := range s.p.Pools {
			var lb ensemulator.LoadBalancer
			if err := r.copyJSON(s.elb[pool], &lb); err != nil {
				return inv, err
			}
			lb.ClientToken, lb.ActiveAt = "", nil
			for i := range lb.Listeners {
				lb.Listeners[i].BackendServerPort = int(map[string]int32{"TCP": tcp, "UDP": udp}[lb.Listeners[i].Protocol])
			}
			var eip ensemulator.EIP
			if err := r.copyJSON(s.eip[pool], &eip); err != nil {
				return inv, err
			}
			eip.ClientToken = ""
			if lb.ID != s.elbID(svc, pool) || eip.InstanceID != lb.ID || lb.Address != elbAddr(svc, pool) {
				return inv, fmt.Errorf("copy of %s for Service %d: %s %s %s", s.elb[pool].ID, svc, lb.ID, eip.InstanceID, lb.Address)
			}
			inv.LoadBalancers = append(inv.LoadBalancers, lb)
			inv.EIPs = append(inv.EIPs, eip)
		}
	}
	return inv, nil
}

// api creates Service svc as the manager left the template's: the
// Service (finalizer, aggregated annotations and labels, status), its
// EndpointSlice of endpoints endpoints, and per pool the PoolService (with
// its status) and the ownership record.
func (e *env) seedService(ctx context.Context, s *seed, svc, endpoints int) error {
	want := service(svc)
	r0 := s.replacer(svc, "")
	want.Finalizers = slices.Clone(s.service.Finalizers)
	for k, v := range s.service.Annotations {
		want.Annotations[r0.replace(k)] = r0.replace(v)
	}
	want.Labels = map[string]string{}
	for k, v := range s.service.Labels {
		want.Labels[r0.replace(k)] = r0.replace(v)
	}
	if _, err := e.kube.DiscoveryV1().EndpointSlices(namespace).Create(ctx, endpointSlice(svc, spreadNodes(e.p, svc, endpoints)), metav1.CreateOptions{}); err != nil {
		return err
	}
	created, err := e.createService(ctx, want)
	if err != nil {
		return err
	}
	r := s.replacer(svc, string(created.UID))
	if err := r.copyJSON(s.service.Status, &created.Status); err != nil {
		return err
	}
	if _, err := e.kube.CoreV1().Services(namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return err
	}
	for pool := range e.p.Pools {
		var ps v1alpha1.PoolService
		if err := r.copyJSON(scrubbed(s.ps[pool]), &ps); err != nil {
			return err
		}
		status := ps.Status
		res, err := e.yurt.NetworkV1alpha1().PoolServices(namespace).Create(ctx, &ps, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		res.Status = status
		if _, err := e.yurt.NetworkV1alpha1().PoolServices(namespace).UpdateStatus(ctx, res, metav1.UpdateOptions{}); err != nil {
			return err
		}
		if err := e.seedRecord(ctx, s.record[pool], r); err != nil {
			return err
		}
	}
	return nil
}

// seedRecord copies an ownership record: its cloud name, entries (ids,
// tokens) and each entry's create request.
func (e *env) seedRecord(ctx context.Context, tmpl *corev1.ConfigMap, r *tokenReplacer) error {
	var rec ownership.Record
	if err := json.Unmarshal([]byte(tmpl.Data["record.json"]), &rec); err != nil {
		return fmt.Errorf("record %s: %w", tmpl.Name, err)
	}
	rec.Name = r.replace(rec.Name)
	for _, es := range []*[]ownership.Entry{&rec.LoadBalancers, &rec.EIPs} {
		for i := range *es {
			en := &(*es)[i]
			en.Token, en.ID, en.Request = r.replace(en.Token), r.replace(en.ID), []byte(r.replace(string(en.Request)))
		}
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: ownership.ObjectName(rec.Name), Namespace: managerNS,
		Labels: tmpl.Labels, Annotations: tmpl.Annotations}, Data: map[string]string{}}
	for k, v := range tmpl.Data {
		cm.Data[k] = v
	}
	cm.Data["name"], cm.Data["record.json"] = rec.Name, string(raw)
	if len(tmpl.Data) != 2 {
		return fmt.Errorf("record %s has data keys %v; the seed knows name and record.json", tmpl.Name, keysOf(tmpl.Data))
	}
	_, err = e.kube.CoreV1().ConfigMaps(managerNS).Create(ctx, cm, metav1.CreateOptions{})
	return err
}

// scrubbed is a PoolService without what the API server assigns.
func scrubbed(ps *v1alpha1.PoolService) *v1alpha1.PoolService {
	out := ps.DeepCopy()
	out.UID, out.ResourceVersion, out.Generation, out.ManagedFields = "", "", 0, nil
	out.CreationTimestamp = metav1.Time{}
	return out
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// createService creates want; a create the client retried after the
// server had taken it (a slow API server on a busy machine) answers that
// its node port is allocated: then the Service is there, made by the
// first attempt.
func (e *env) createService(ctx context.Context, want *corev1.Service) (*corev1.Service, error) {
	created, err := e.kube.CoreV1().Services(namespace).Create(ctx, want, metav1.CreateOptions{})
	if err == nil || !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "already allocated") {
		return created, err
	}
	if got, ok := e.serviceWithPorts(ctx, want); ok {
		return got, nil
	}
	return nil, err
}

// serviceWithPorts is want's Service if it exists with want's node ports.
func (e *env) serviceWithPorts(ctx context.Context, want *corev1.Service) (*corev1.Service, bool) {
	got, err := e.kube.CoreV1().Services(namespace).Get(ctx, want.Name, metav1.GetOptions{})
	if err != nil || len(got.Spec.Ports) != len(want.Spec.Ports) {
		return nil, false
	}
	for i := range want.Spec.Ports {
		if got.Spec.Ports[i].NodePort != want.Spec.Ports[i].NodePort {
			return nil, false
		}
	}
	return got, true
}
