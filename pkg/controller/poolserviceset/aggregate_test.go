package poolserviceset

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestIngressEqual: what the API server stores (ipMode VIP filled in)
// equals what the PoolServices say without it, so a served Service's
// status is not patched on every sync.
func TestIngressEqual(t *testing.T) {
	vip, proxy := corev1.LoadBalancerIPModeVIP, corev1.LoadBalancerIPModeProxy
	ip := func(addr string, mode *corev1.LoadBalancerIPMode) corev1.LoadBalancerIngress {
		return corev1.LoadBalancerIngress{IP: addr, IPMode: mode}
	}
	for _, tt := range []struct {
		name string
		a, b []corev1.LoadBalancerIngress
		want bool
	}{
		{"nil and empty", nil, []corev1.LoadBalancerIngress{}, true},
		{"stored VIP, planned without", []corev1.LoadBalancerIngress{ip("47.0.0.1", &vip)}, []corev1.LoadBalancerIngress{ip("47.0.0.1", nil)}, true},
		{"proxy is not VIP", []corev1.LoadBalancerIngress{ip("47.0.0.1", &proxy)}, []corev1.LoadBalancerIngress{ip("47.0.0.1", nil)}, false},
		{"other address", []corev1.LoadBalancerIngress{ip("47.0.0.1", nil)}, []corev1.LoadBalancerIngress{ip("47.0.0.2", nil)}, false},
		{"one more", []corev1.LoadBalancerIngress{ip("47.0.0.1", nil)}, []corev1.LoadBalancerIngress{ip("47.0.0.1", nil), ip("47.0.0.2", nil)}, false},
	} {
		if got := ingressEqual(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: ingressEqual = %v, want %v", tt.name, got, tt.want)
		}
	}
}
