package ensemulator_test

import (
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

func createTCP(c *ens.Client, lb string, port, backend int) error {
	req := ens.CreateCreateLoadBalancerTCPListenerRequest()
	req.LoadBalancerId, req.ListenerPort, req.BackendServerPort = lb, requests.NewInteger(port), requests.NewInteger(backend)
	req.Description, req.Scheduler, req.HealthyThreshold = "svc default/web", "wrr", requests.NewInteger(4)
	_, err := c.CreateLoadBalancerTCPListener(req)
	return err
}

func listenerOf(t testing.TB, env *emulatortest.Env, lb string, port int, proto string) *ensemulator.Listener {
	t.Helper()
	for _, l := range env.Emulator.Inventory().LoadBalancer(lb).Listeners {
		if l.Port == port && l.Protocol == proto {
			return &l
		}
	}
	return nil
}

func TestListenerLifecycle(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "listeners")
	if err := createTCP(c, lb, 80, 30080); err != nil {
		t.Fatal(err)
	}
	l := listenerOf(t, env, lb, 80, "TCP")
	if l == nil || l.Status != "Stopped" || l.BackendServerPort != 30080 || l.Scheduler != "wrr" || l.HealthyThreshold != 4 ||
		l.EstablishedTimeout != 500 || l.Description != "svc default/web" {
		t.Fatalf("new listener = %+v", l)
	}

	start := ens.CreateStartLoadBalancerListenerRequest()
	start.LoadBalancerId, start.ListenerPort, start.ListenerProtocol = lb, requests.NewInteger(80), "tcp"
	must[*ens.StartLoadBalancerListenerResponse](t)(c.StartLoadBalancerListener(start))
	if got := listenerOf(t, env, lb, 80, "TCP").Status; got != "Running" {
		t.Fatalf("status after start = %q", got)
	}

	set := ens.CreateSetLoadBalancerTCPListenerAttributeRequest()
	set.LoadBalancerId, set.ListenerPort = lb, requests.NewInteger(80)
	set.Scheduler, set.EstablishedTimeout, set.Description = "rr", requests.NewInteger(900), "changed"
	must[*ens.SetLoadBalancerTCPListenerAttributeResponse](t)(c.SetLoadBalancerTCPListenerAttribute(set))

	desc := ens.CreateDescribeLoadBalancerTCPListenerAttributeRequest()
	desc.LoadBalancerId, desc.ListenerPort = lb, requests.NewInteger(80)
	got := must[*ens.DescribeLoadBalancerTCPListenerAttributeResponse](t)(c.DescribeLoadBalancerTCPListenerAttribute(desc))
	if got.Status != "Running" || got.Scheduler != "rr" || got.EstablishedTimeout != 900 || got.Description != "changed" ||
		got.BackendServerPort != 30080 || got.HealthyThreshold != 4 || got.ListenerPort != 80 {
		t.Fatalf("DescribeLoadBalancerTCPListenerAttribute = %+v", got)
	}

	attr := describeLB(t, c, lb)
	if len(attr.ListenerPortsAndProtocols) != 1 || attr.ListenerPortsAndProtocols[0].ListenerProtocol != "tcp" ||
		attr.ListenerPortsAndProtocols[0].BackendServerPort != 30080 || attr.ListenerPorts[0] != "80" {
		t.Fatalf("ListenerPortsAndProtocols = %+v / %v", attr.ListenerPortsAndProtocols, attr.ListenerPorts)
	}

	stop := ens.CreateStopLoadBalancerListenerRequest()
	stop.LoadBalancerId, stop.ListenerPort = lb, requests.NewInteger(80) // protocol optional when unambiguous
	must[*ens.StopLoadBalancerListenerResponse](t)(c.StopLoadBalancerListener(stop))
	if got := listenerOf(t, env, lb, 80, "TCP").Status; got != "Stopped" {
		t.Fatalf("status after stop = %q", got)
	}

	del := ens.CreateDeleteLoadBalancerListenerRequest()
	del.LoadBalancerId, del.ListenerPort, del.ListenerProtocol = lb, requests.NewInteger(80), "TCP"
	must[*ens.DeleteLoadBalancerListenerResponse](t)(c.DeleteLoadBalancerListener(del))
	if l := listenerOf(t, env, lb, 80, "TCP"); l != nil {
		t.Fatalf("deleted listener still there: %+v", l)
	}
	_, err := c.DeleteLoadBalancerListener(del)
	wantCode(t, err, "InvalidResourceId.NotFound", 404)
	_, err = c.DescribeLoadBalancerTCPListenerAttribute(desc)
	wantCode(t, err, "InvalidResourceId.NotFound", 404)
}

func TestListenerPortRules(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "ports")
	if err := createTCP(c, lb, 53, 30053); err != nil {
		t.Fatal(err)
	}
	wantCode(t, createTCP(c, lb, 53, 30054), "ListenerAlreadyExists", 400)

	udp := ens.CreateCreateLoadBalancerUDPListenerRequest()
	udp.LoadBalancerId, udp.ListenerPort, udp.BackendServerPort = lb, requests.NewInteger(53), requests.NewInteger(30053)
	must[*ens.CreateLoadBalancerUDPListenerResponse](t)(c.CreateLoadBalancerUDPListener(udp))

	http := ens.CreateCreateLoadBalancerHTTPListenerRequest()
	http.LoadBalancerId, http.ListenerPort, http.BackendServerPort = lb, requests.NewInteger(53), requests.NewInteger(30080)
	_, err := c.CreateLoadBalancerHTTPListener(http)
	wantCode(t, err, "ListenerPortConflict", 400)

	// TCP and UDP share 53, so a protocol-less stop is ambiguous.
	stop := ens.CreateStopLoadBalancerListenerRequest()
	stop.LoadBalancerId, stop.ListenerPort = lb, requests.NewInteger(53)
	_, err = c.StopLoadBalancerListener(stop)
	wantCode(t, err, "MissingParameter", 400)

	if got := len(env.Emulator.Inventory().LoadBalancer(lb).Listeners); got != 2 {
		t.Fatalf("listeners = %d, want TCP and UDP on 53", got)
	}
}

func TestListenerValidation(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "validation")
	tests := []struct {
		name string
		set  func(*ens.CreateLoadBalancerTCPListenerRequest)
		code string
	}{
		{"bad scheduler", func(r *ens.CreateLoadBalancerTCPListenerRequest) { r.Scheduler = "random" }, "InvalidParameter"},
		{"threshold too high", func(r *ens.CreateLoadBalancerTCPListenerRequest) { r.HealthyThreshold = "11" }, "InvalidParameter"},
		{"port zero", func(r *ens.CreateLoadBalancerTCPListenerRequest) { r.ListenerPort = "0" }, "InvalidParameter"},
		{"no backend port", func(r *ens.CreateLoadBalancerTCPListenerRequest) { r.BackendServerPort = "" }, "MissingParameter"},
		{"port not a number", func(r *ens.CreateLoadBalancerTCPListenerRequest) { r.ListenerPort = "http" }, "InvalidParameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := ens.CreateCreateLoadBalancerTCPListenerRequest()
			req.LoadBalancerId, req.ListenerPort, req.BackendServerPort = lb, requests.NewInteger(8080), requests.NewInteger(30080)
			tc.set(req)
			_, err := c.CreateLoadBalancerTCPListener(req)
			wantCode(t, err, tc.code, 400)
			if n := len(env.Emulator.Inventory().LoadBalancer(lb).Listeners); n != 0 {
				t.Fatalf("a rejected create left %d listeners", n)
			}
		})
	}
	wantCode(t, createTCP(c, "lb-missing", 80, 80), "LoadBalancerNotFound", 400)
}

func TestHTTPAndHTTPSListeners(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "web")

	https := ens.CreateCreateLoadBalancerHTTPSListenerRequest()
	https.LoadBalancerId, https.ListenerPort, https.BackendServerPort = lb, requests.NewInteger(443), requests.NewInteger(30443)
	_, err := c.CreateLoadBalancerHTTPSListener(https)
	wantCode(t, err, "MissingParameter", 400)
	https.ServerCertificateId = "cert-1"
	must[*ens.CreateLoadBalancerHTTPSListenerResponse](t)(c.CreateLoadBalancerHTTPSListener(https))

	http := ens.CreateCreateLoadBalancerHTTPListenerRequest()
	http.LoadBalancerId, http.ListenerPort, http.BackendServerPort = lb, requests.NewInteger(80), requests.NewInteger(30080)
	http.HealthCheckURI, http.RequestTimeout = "/healthz", requests.NewInteger(30)
	must[*ens.CreateLoadBalancerHTTPListenerResponse](t)(c.CreateLoadBalancerHTTPListener(http))

	setHTTP := ens.CreateSetLoadBalancerHTTPListenerAttributeRequest()
	setHTTP.LoadBalancerId, setHTTP.ListenerPort, setHTTP.IdleTimeout = lb, requests.NewInteger(80), requests.NewInteger(20)
	must[*ens.SetLoadBalancerHTTPListenerAttributeResponse](t)(c.SetLoadBalancerHTTPListenerAttribute(setHTTP))

	dh := ens.CreateDescribeLoadBalancerHTTPListenerAttributeRequest()
	dh.LoadBalancerId, dh.ListenerPort = lb, requests.NewInteger(80)
	gotHTTP := must[*ens.DescribeLoadBalancerHTTPListenerAttributeResponse](t)(c.DescribeLoadBalancerHTTPListenerAttribute(dh))
	if gotHTTP.HealthCheckURI != "/healthz" || gotHTTP.RequestTimeout != 30 || gotHTTP.IdleTimeout != 20 || gotHTTP.Status != "Stopped" {
		t.Fatalf("HTTP listener = %+v", gotHTTP)
	}
	ds := ens.CreateDescribeLoadBalancerHTTPSListenerAttributeRequest()
	ds.LoadBalancerId, ds.ListenerPort = lb, requests.NewInteger(443)
	gotHTTPS := must[*ens.DescribeLoadBalancerHTTPSListenerAttributeResponse](t)(c.DescribeLoadBalancerHTTPSListenerAttribute(ds))
	if gotHTTPS.ServerCertificateId != "cert-1" || gotHTTPS.BackendServerPort != 30443 {
		t.Fatalf("HTTPS listener = %+v", gotHTTPS)
	}
	// The HTTP port is not a UDP listener.
	du := ens.CreateDescribeLoadBalancerUDPListenerAttributeRequest()
	du.LoadBalancerId, du.ListenerPort = lb, requests.NewInteger(80)
	_, err = c.DescribeLoadBalancerUDPListenerAttribute(du)
	wantCode(t, err, "InvalidResourceId.NotFound", 404)
}

func TestUDPListenerAttributes(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	lb := createHefeiLB(t, c, "udp")
	udp := ens.CreateCreateLoadBalancerUDPListenerRequest()
	udp.LoadBalancerId, udp.ListenerPort, udp.BackendServerPort = lb, requests.NewInteger(5353), requests.NewInteger(31353)
	must[*ens.CreateLoadBalancerUDPListenerResponse](t)(c.CreateLoadBalancerUDPListener(udp))
	set := ens.CreateSetLoadBalancerUDPListenerAttributeRequest()
	set.LoadBalancerId, set.ListenerPort, set.UnhealthyThreshold = lb, requests.NewInteger(5353), requests.NewInteger(7)
	must[*ens.SetLoadBalancerUDPListenerAttributeResponse](t)(c.SetLoadBalancerUDPListenerAttribute(set))
	d := ens.CreateDescribeLoadBalancerUDPListenerAttributeRequest()
	d.LoadBalancerId, d.ListenerPort = lb, requests.NewInteger(5353)
	got := must[*ens.DescribeLoadBalancerUDPListenerAttributeResponse](t)(c.DescribeLoadBalancerUDPListenerAttribute(d))
	if got.UnhealthyThreshold != 7 || got.BackendServerPort != 31353 || got.Status != "Stopped" {
		t.Fatalf("UDP listener = %+v", got)
	}
	if l := listenerOf(t, env, lb, 5353, "UDP"); l == nil || l.UnhealthyThreshold != 7 {
		t.Fatalf("inventory UDP listener = %+v", l)
	}
}
