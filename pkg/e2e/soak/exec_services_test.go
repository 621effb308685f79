//go:build soak

package soak

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// The Service annotations the workload decides; any other is left alone.
var soakAnnotations = []string{annSelector, annManagedByUser, annAddressType, annBandwidth, annBackendLabel,
	annPrefix + "loadbalancer-scheduler", annForceOverride}

// applyService creates the slot's Service or brings the live one to spec.
func (e *env) applyService(ctx context.Context, sl slot, spec *svcSpec) (string, error) {
	svcs := e.kube.CoreV1().Services(sl.ns)
	cur, err := svcs.Get(ctx, sl.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: sl.name, Namespace: sl.ns,
			Labels: map[string]string{soakLabel: "true"}}}
		setSpec(svc, sl, spec)
		_, err = svcs.Create(ctx, svc, metav1.CreateOptions{})
		return "created", err
	}
	if err != nil {
		return "", err
	}
	if cur.DeletionTimestamp != nil {
		return "skipped: the Service is still being deleted", nil
	}
	setSpec(cur, sl, spec)
	_, err = svcs.Update(ctx, cur, metav1.UpdateOptions{})
	return "updated", err
}

// setSpec writes spec into svc, keeping the nodePorts of ports that stay.
func setSpec(svc *corev1.Service, sl slot, spec *svcSpec) {
	if svc.Annotations == nil {
		svc.Annotations = map[string]string{}
	}
	for _, k := range soakAnnotations {
		delete(svc.Annotations, k)
	}
	svc.Annotations["openyurt.io/topologyKeys"] = "openyurt.io/nodepool"
	setIf(svc.Annotations, annSelector, spec.Selector)
	if spec.User {
		svc.Annotations[annManagedByUser] = "true"
	}
	if sl.force {
		svc.Annotations[annForceOverride] = "true"
	}
	if spec.Intranet {
		svc.Annotations[annAddressType] = "intranet"
	}
	if spec.Bandwidth > 0 {
		svc.Annotations[annBandwidth] = strconv.Itoa(spec.Bandwidth)
	}
	setIf(svc.Annotations, annBackendLabel, spec.BackendLabel)
	setIf(svc.Annotations, annPrefix+"loadbalancer-scheduler", spec.Scheduler)
	svc.Spec.Type = corev1.ServiceTypeLoadBalancer
	svc.Spec.LoadBalancerClass = ptr.To(classELB)
	svc.Spec.Selector = map[string]string{appLabel: sl.name}
	svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	svc.Spec.HealthCheckNodePort = 0
	if spec.Local {
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	}
	svc.Spec.Ports = servicePorts(svc.Spec.Ports, spec.Ports)
}

// servicePorts builds the ports, reusing the nodePort of a port that keeps
// its number and protocol.
func servicePorts(old []corev1.ServicePort, ports []portSpec) []corev1.ServicePort {
	var out []corev1.ServicePort
	for _, p := range ports {
		proto := corev1.ProtocolTCP
		if p.UDP {
			proto = corev1.ProtocolUDP
		}
		sp := corev1.ServicePort{Name: fmt.Sprintf("p%d", p.Port), Port: p.Port, Protocol: proto, TargetPort: intstr.FromInt32(p.Port)}
		for _, o := range old {
			if o.Port == p.Port && o.Protocol == proto {
				sp.NodePort = o.NodePort
			}
		}
		out = append(out, sp)
	}
	return out
}

func setIf(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func (e *env) deleteService(ctx context.Context, sl slot) (string, error) {
	err := e.kube.CoreV1().Services(sl.ns).Delete(ctx, sl.name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return "skipped: no such Service", nil
	}
	return "deleted", err
}
