package elbmodel

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
)

func defaultConfig() Annotations {
	return Annotations{
		Spec: "elb.s2.small", PayType: "PostPaid", AddressType: AddressInternet,
		EIP:    EIPConfig{Bandwidth: 10, InstanceChargeType: "PostPaid", InternetChargeType: "95BandwidthByMonth"},
		Weight: 100,
		Listener: ListenerConfig{Scheduler: "rr", EstablishedTimeout: 500, HealthyThreshold: 3, UnhealthyThreshold: 3,
			HealthCheckInterval: 2, HealthCheckConnectTimeout: 5},
	}
}

func TestParseAnnotationsValid(t *testing.T) {
	tests := []struct {
		key, value string
		edit       func(*Annotations)
	}{
		{"", "", func(*Annotations) {}},
		{apis.AnnotationManagedByUser, "true", func(c *Annotations) { c.ManagedByUser = true }},
		{apis.AnnotationForceOverrideListeners, "true", func(c *Annotations) { c.ForceOverride = true }},
		{apis.AnnotationSpec, "elb.s3.medium", func(c *Annotations) { c.Spec = "elb.s3.medium" }},
		// CreateLoadBalancer takes PostPaid only (PrePaid is refused below).
		{apis.AnnotationPayType, "PostPaid", func(*Annotations) {}},
		{apis.AnnotationAddressType, "intranet", func(c *Annotations) { c.AddressType = AddressIntranet }},
		{apis.AnnotationEIPBandwidth, "200", func(c *Annotations) { c.EIP.Bandwidth = 200 }},
		{apis.AnnotationEIPISP, "cmcc", func(c *Annotations) { c.EIP.ISP = "cmcc" }},
		{apis.AnnotationEIPInstanceChargeType, "PrePaid", func(c *Annotations) { c.EIP.InstanceChargeType = "PrePaid" }},
		{apis.AnnotationEIPInternetChargeType, "PayByTraffic", func(c *Annotations) { c.EIP.InternetChargeType = "PayByTraffic" }},
		{apis.AnnotationBackendLabel, "a=b, c.io/d=e", func(c *Annotations) { c.BackendLabels = map[string]string{"a": "b", "c.io/d": "e"} }},
		{apis.AnnotationBackendWeight, "0", func(c *Annotations) { c.Weight = 0 }},
		{apis.AnnotationScheduler, "wrr", func(c *Annotations) { c.Listener.Scheduler = "wrr" }},
		{apis.AnnotationPersistenceTimeout, "3600", func(c *Annotations) { c.Listener.PersistenceTimeout = 3600 }},
		{apis.AnnotationEstablishedTimeout, "10", func(c *Annotations) { c.Listener.EstablishedTimeout = 10 }},
		{apis.AnnotationHealthyThreshold, "10", func(c *Annotations) { c.Listener.HealthyThreshold = 10 }},
		{apis.AnnotationUnhealthyThreshold, "2", func(c *Annotations) { c.Listener.UnhealthyThreshold = 2 }},
		{apis.AnnotationHealthCheckInterval, "50", func(c *Annotations) { c.Listener.HealthCheckInterval = 50 }},
		{apis.AnnotationHealthCheckConnectTimeout, " 300 ", func(c *Annotations) { c.Listener.HealthCheckConnectTimeout = 300 }},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			ann := map[string]string{}
			if tt.key != "" {
				ann[tt.key] = tt.value
			}
			got, err := ParseAnnotations(ann)
			if err != nil {
				t.Fatalf("ParseAnnotations: %v", err)
			}
			want := defaultConfig()
			tt.edit(&want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("config (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseAnnotationsInvalid(t *testing.T) {
	tests := []struct{ key, value string }{
		{apis.AnnotationManagedByUser, "yes please"},
		{apis.AnnotationForceOverrideListeners, "maybe"},
		{apis.AnnotationSpec, "big"},
		{apis.AnnotationPayType, "Free"},
		{apis.AnnotationPayType, "PrePaid"},
		{apis.AnnotationAddressType, "public"},
		{apis.AnnotationEIPBandwidth, "ten"},
		{apis.AnnotationEIPBandwidth, "0"},
		{apis.AnnotationEIPBandwidth, "10001"},
		{apis.AnnotationEIPISP, "att"},
		{apis.AnnotationEIPISP, "elecom"},
		{apis.AnnotationEIPInstanceChargeType, "Monthly"},
		{apis.AnnotationEIPInternetChargeType, "Free"},
		{apis.AnnotationBackendLabel, "novalue"},
		{apis.AnnotationBackendLabel, "a=b,bad key=c"},
		{apis.AnnotationBackendWeight, "101"},
		{apis.AnnotationBackendWeight, "-1"},
		{apis.AnnotationBackendWeight, "1.5"},
		{apis.AnnotationScheduler, "random"},
		{apis.AnnotationPersistenceTimeout, "3601"},
		{apis.AnnotationEstablishedTimeout, "9"},
		{apis.AnnotationEstablishedTimeout, "901"},
		{apis.AnnotationHealthyThreshold, "1"},
		{apis.AnnotationUnhealthyThreshold, "11"},
		{apis.AnnotationHealthCheckInterval, "0"},
		{apis.AnnotationHealthCheckInterval, "51"},
		{apis.AnnotationHealthCheckConnectTimeout, "301"},
		{apis.AnnotationHealthCheckConnectTimeout, ""},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			_, err := ParseAnnotations(map[string]string{tt.key: tt.value})
			ie := AsInputError(err)
			if ie == nil {
				t.Fatalf("err = %v, want an InputError", err)
			}
			if ie.Field != tt.key || ie.Reason != apis.EventInvalidAnnotation {
				t.Errorf("got field %q reason %q, want field %q reason %s", ie.Field, ie.Reason, tt.key, apis.EventInvalidAnnotation)
			}
		})
	}
}

// TestParseAnnotationsENSRanges: the EIP annotations take exactly what ENS
// CreateEipInstance takes: Bandwidth 5-10000 Mbit/s, Isp cmcc|unicom|telecom.
func TestParseAnnotationsENSRanges(t *testing.T) {
	tests := []struct {
		key, value string
		want       func(EIPConfig) bool // nil: refused
		refusal    string
	}{
		{apis.AnnotationEIPBandwidth, "4", nil, "out of range [5, 10000]"},
		{apis.AnnotationEIPBandwidth, "5", func(e EIPConfig) bool { return e.Bandwidth == 5 }, ""},
		{apis.AnnotationEIPBandwidth, "10000", func(e EIPConfig) bool { return e.Bandwidth == 10000 }, ""},
		{apis.AnnotationEIPBandwidth, "10001", nil, "out of range [5, 10000]"},
		{apis.AnnotationEIPISP, "cmcc", func(e EIPConfig) bool { return e.ISP == "cmcc" }, ""},
		{apis.AnnotationEIPISP, "unicom", func(e EIPConfig) bool { return e.ISP == "unicom" }, ""},
		{apis.AnnotationEIPISP, "telecom", func(e EIPConfig) bool { return e.ISP == "telecom" }, ""},
		{apis.AnnotationEIPISP, "elecom", nil, "want one of cmcc|unicom|telecom"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			c, err := ParseAnnotations(map[string]string{tt.key: tt.value})
			if tt.want != nil {
				if err != nil || !tt.want(c.EIP) {
					t.Errorf("EIP config %+v err %v, want %s accepted", c.EIP, err, tt.value)
				}
				return
			}
			ie := AsInputError(err)
			if ie == nil || ie.Field != tt.key || ie.Reason != apis.EventInvalidAnnotation || !strings.Contains(ie.Message, tt.refusal) {
				t.Errorf("err %#v, want an InputError on %s saying %q", err, tt.key, tt.refusal)
			}
		})
	}
}

func TestNames(t *testing.T) {
	n := Name("cube-svc", "default", "np-hefei", "c1")
	if n != "k8s/cube-svc/default/np-hefei/c1" {
		t.Fatalf("Name = %q", n)
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{n, true},
		{"k8s/a/b/c/c2", false},
		{"k8s/a/b/c/d/c1", false},
		{"k8s/a/b/c1", false},
		{"k8s//b/c/c1", false},
		{"x8s/a/b/c/c1", false},
		{"user-elb-hefei", false},
	}
	for _, tt := range tests {
		if _, ok := ParseName(tt.name, "c1"); ok != tt.ok {
			t.Errorf("ParseName(%q) ok = %v, want %v", tt.name, ok, tt.ok)
		}
	}
	if p, _ := ParseName(n, "c1"); p != (NameParts{"cube-svc", "default", "np-hefei", "c1"}) {
		t.Errorf("parts = %+v", p)
	}
}

func TestNamedForOtherCluster(t *testing.T) {
	for name, want := range map[string]bool{
		"k8s/cube-svc/default/np-hefei/other": true,
		"k8s/cube-svc/default/np-hefei/c1":    false, // ours
		"k8s/cube-svc/default/other":          false,
		"k8s//default/np-hefei/other":         false,
		"user-elb-hefei":                      false,
	} {
		if got := NamedForOtherCluster(name, "c1"); got != want {
			t.Errorf("NamedForOtherCluster(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestEIPDescriptionBounded(t *testing.T) {
	long := strings.Repeat("p", 253)
	if d := EIPDescription("default", long); len(d) != MaxEIPDescriptionLen || !strings.HasPrefix(d, "managed by edge-controller-manager for default/") {
		t.Errorf("EIPDescription of a 253-character name: %d characters %q", len(d), d)
	}
	if d := EIPDescription("ns", "ps"); d != "managed by edge-controller-manager for ns/ps" {
		t.Errorf("short description %q", d)
	}
}

func TestNamedForAnother(t *testing.T) {
	ours := "k8s/cube-svc/default/np-hefei/c1"
	for name, want := range map[string]bool{
		ours:                              false,
		"k8s/other/default/np-hefei/c1":   true,
		"k8s/other/default/np-hefei/c2":   false,
		"user-elb-hefei":                  false,
		"k8s/other/default/np-hefei/x/c1": false,
	} {
		if got := NamedForAnother(name, ours); got != want {
			t.Errorf("NamedForAnother(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestParseDrain(t *testing.T) {
	for _, tt := range []struct {
		ann     map[string]string
		want    time.Duration
		invalid string
	}{
		{nil, 0, ""},
		{map[string]string{apis.AnnotationConnectionDrain: "off"}, 0, ""},
		{map[string]string{apis.AnnotationConnectionDrain: "on"}, 300 * time.Second, ""},
		{map[string]string{apis.AnnotationConnectionDrain: "on", apis.AnnotationConnectionDrainTimeout: "10"}, 10 * time.Second, ""},
		{map[string]string{apis.AnnotationConnectionDrain: "on", apis.AnnotationConnectionDrainTimeout: "900"}, 900 * time.Second, ""},
		{map[string]string{apis.AnnotationConnectionDrain: "on", apis.AnnotationConnectionDrainTimeout: "9"}, 0, apis.AnnotationConnectionDrainTimeout},
		{map[string]string{apis.AnnotationConnectionDrain: "on", apis.AnnotationConnectionDrainTimeout: "901"}, 0, apis.AnnotationConnectionDrainTimeout},
		{map[string]string{apis.AnnotationConnectionDrainTimeout: "60"}, 0, apis.AnnotationConnectionDrainTimeout},
		{map[string]string{apis.AnnotationConnectionDrain: "yes"}, 0, apis.AnnotationConnectionDrain},
	} {
		c, err := ParseAnnotations(tt.ann)
		ie := AsInputError(err)
		switch {
		case tt.invalid == "" && (err != nil || c.Drain != tt.want):
			t.Errorf("%v: drain %v, %v; want %v", tt.ann, c.Drain, err, tt.want)
		case tt.invalid != "" && (ie == nil || ie.Field != tt.invalid):
			t.Errorf("%v: %v, want an input error naming %s", tt.ann, err, tt.invalid)
		}
	}
}
