//go:build soak

package soak

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	appsv1beta2 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
)

// createUniverse makes the namespaces, the static pools (labelled as the
// model starts), the nodes and the user's own ELBs and EIPs, before any
// fault is injected.
func (e *env) createUniverse(ctx context.Context, m *model) error {
	for _, ns := range namespaces {
		_, err := e.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
			Labels: map[string]string{soakLabel: "true"}}}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
	}
	// Pods need their namespace's default ServiceAccount.
	for _, ns := range namespaces {
		err := framework.WaitFor(ctx, 30*time.Second, 200*time.Millisecond, func() (bool, string) {
			_, err := e.kube.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
			return err == nil, fmt.Sprint(err)
		})
		if err != nil {
			return err
		}
	}
	for _, p := range poolDefs {
		if p.static {
			if err := e.createPool(ctx, p, m.pools[p.name]); err != nil {
				return err
			}
		}
	}
	for _, n := range nodeDefs {
		if _, err := e.kube.CoreV1().Nodes().Create(ctx, kwokNode(n), metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating node %s: %w", n.name, err)
		}
	}
	if _, err := e.cluster.Kubectl(ctx, "wait", "--for=condition=Ready", "--timeout=60s", "node", "--all"); err != nil {
		return err
	}
	return e.createUserELBs(ctx)
}

// createPool makes a NodePool in its site, labelled by st.
func (e *env) createPool(ctx context.Context, p poolDef, st *poolState) error {
	np := &appsv1beta2.NodePool{
		ObjectMeta: metav1.ObjectMeta{Name: p.name, Labels: poolLabels(p, st), Annotations: map[string]string{
			annPoolRegion: p.site.region, annPoolNetwork: p.site.network, annPoolVSwitches: p.site.vswitch}},
		Spec: appsv1beta2.NodePoolSpec{Type: appsv1beta2.Edge},
	}
	_, err := e.yurt.AppsV1beta2().NodePools().Create(ctx, np, metav1.CreateOptions{})
	return err
}

func kwokNode(n nodeDef) *corev1.Node {
	labels := map[string]string{"kubernetes.io/hostname": n.name, labelNodePool: n.pool, soakLabel: "true"}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: n.name, Labels: labels, Annotations: map[string]string{kwokAnnotation: "fake"}},
		Status:     corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: n.ip}}},
	}
	if n.byProviderID {
		node.Spec.ProviderID = fmt.Sprintf("alicloud://%s.%s", poolByName(n.pool).site.region, n.instance)
	} else {
		labels[labelInstanceID] = n.instance
	}
	if n.rack != "-" {
		labels["soak-rack"] = n.rack
	}
	return node
}

const kwokAnnotation = "kwok.x-k8s.io/node"

// createUserELBs: the user's ELBs (one named like ours), their EIPs, and
// squatters named for a Service that never exists and for another cluster;
// all of it, and the emulator's seeded ELBs and EIPs, in the ledger.
func (e *env) createUserELBs(ctx context.Context) error {
	e.userELBs, e.userEIPs = map[string]string{}, map[string]string{}
	seeded := soakInventory()
	for _, lb := range seeded.LoadBalancers {
		e.ledger.setLB(UserLB{ID: lb.ID, Name: lb.Name})
	}
	for _, eip := range seeded.EIPs {
		e.ledger.setEIP(UserEIP{ID: eip.ID, Bandwidth: eip.Bandwidth, BoundTo: eip.InstanceID})
	}
	for _, d := range userELBDefs() {
		id, err := e.userCreateELB(ctx, d.name, d.site, "soak-setup-elb-"+d.key)
		if err != nil {
			return err
		}
		e.userELBs[d.key] = id
		if d.eipName == "" {
			continue
		}
		eip, err := e.userCreateEIP(ctx, d.eipName, d.site, "soak-setup-eip-"+d.key)
		if err != nil {
			return err
		}
		e.userEIPs[d.key] = eip
		if err := e.user.AssociateEIP(ctx, eip, id); err != nil {
			return fmt.Errorf("user binding EIP %s to %s: %w", eip, id, err)
		}
		e.ledger.setEIP(UserEIP{ID: eip, Bandwidth: userEIPBandwidth, BoundTo: id})
	}
	if _, err := e.userCreateELB(ctx, ghostName(0, hefei, clusterID), hefei, "soak-setup-ghost-elb"); err != nil {
		return err
	}
	if _, err := e.userCreateEIP(ctx, ghostName(0, chengdu, clusterID), chengdu, "soak-setup-ghost-eip"); err != nil {
		return err
	}
	_, err := e.userCreateELB(ctx, ghostName(0, hefei, "other-cluster"), hefei, "soak-setup-other-cluster")
	return err
}

// userCreateELB creates an ELB with the user's key, retrying (with the
// same ClientToken, so a lost answer does not make a second one), and
// notes it in the ledger.
func (e *env) userCreateELB(ctx context.Context, name string, s site, token string) (string, error) {
	var id string
	err := retry(ctx, func() (err error) {
		id, err = e.user.CreateLoadBalancer(ctx, cloud.CreateLoadBalancerRequest{Name: name, RegionID: s.region,
			NetworkID: s.network, VSwitchID: s.vswitch, Spec: "elb.s2.small", PayType: "PostPaid", ClientToken: token})
		return err
	})
	if err == nil {
		e.ledger.setLB(UserLB{ID: id, Name: name})
	}
	return id, err
}

// userEIPBandwidth is the bandwidth of every EIP the user makes.
const userEIPBandwidth = 5

// userCreateEIP creates an (unbound) EIP with the user's key and notes it
// in the ledger.
func (e *env) userCreateEIP(ctx context.Context, name string, s site, token string) (string, error) {
	var id string
	err := retry(ctx, func() (err error) {
		id, err = e.user.CreateEIP(ctx, cloud.CreateEIPRequest{Name: name, RegionID: s.region, Bandwidth: userEIPBandwidth, ClientToken: token})
		return err
	})
	if err == nil {
		e.ledger.setEIP(UserEIP{ID: id, Bandwidth: userEIPBandwidth})
	}
	return id, err
}

// retry runs fn up to 10 times, a quarter second apart, as a user retries
// in the console through injected faults and emulator restarts; an error
// made with permanent ends it at once.
func retry(ctx context.Context, fn func() error) error {
	var err error
	for range 10 {
		if err = fn(); err == nil {
			return nil
		}
		var p permanentError
		if errors.As(err, &p) {
			return p.err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return err
}

// permanentError is an error retry does not retry.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }

func permanent(err error) error { return permanentError{err} }
