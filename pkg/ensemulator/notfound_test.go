package ensemulator_test

import (
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// TestNotFoundAnswers checks ens-openapi.md, "Lifecycle rules": "Not
// found: HTTP 400 with LoadBalancerNotFound, InstanceNotFound, EipNotFound
// (not 404)", "Start/Stop/Delete on a missing ELB: LoadBalancerNotFound
// (400)" and AssociateEnsEipAddress / UnAssociateEnsEipAddress "errors
// InstanceNotFound, ... EipNotFound".
func TestNotFoundAnswers(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	port := requests.NewInteger(80)
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"DescribeLoadBalancerAttribute", func() error {
			r := ens.CreateDescribeLoadBalancerAttributeRequest()
			r.LoadBalancerId = "lb-missing"
			_, err := c.DescribeLoadBalancerAttribute(r)
			return err
		}, "LoadBalancerNotFound"},
		{"SetLoadBalancerStatus", func() error {
			r := ens.CreateSetLoadBalancerStatusRequest()
			r.LoadBalancerId, r.LoadBalancerStatus = "lb-missing", "Active"
			_, err := c.SetLoadBalancerStatus(r)
			return err
		}, "LoadBalancerNotFound"},
		{"StartLoadBalancerListener", func() error {
			r := ens.CreateStartLoadBalancerListenerRequest()
			r.LoadBalancerId, r.ListenerPort = "lb-missing", port
			_, err := c.StartLoadBalancerListener(r)
			return err
		}, "LoadBalancerNotFound"},
		{"StopLoadBalancerListener", func() error {
			r := ens.CreateStopLoadBalancerListenerRequest()
			r.LoadBalancerId, r.ListenerPort = "lb-missing", port
			_, err := c.StopLoadBalancerListener(r)
			return err
		}, "LoadBalancerNotFound"},
		{"DeleteLoadBalancerListener", func() error {
			r := ens.CreateDeleteLoadBalancerListenerRequest()
			r.LoadBalancerId, r.ListenerPort = "lb-missing", port
			_, err := c.DeleteLoadBalancerListener(r)
			return err
		}, "LoadBalancerNotFound"},
		{"DescribeLoadBalancerListeners", func() error {
			r := ens.CreateDescribeLoadBalancerListenersRequest()
			r.LoadBalancerId = "lb-missing"
			_, err := c.DescribeLoadBalancerListeners(r)
			return err
		}, "LoadBalancerNotFound"},
		{"AddBackendServers on a missing ELB", func() error {
			_, err := addBackends(c, "lb-missing", backend("i-hefei-1", "", "", "10"))
			return err
		}, "LoadBalancerNotFound"},
		{"AddBackendServers of a missing instance", func() error {
			_, err := addBackends(c, "lb-hefei-existing", backend("i-missing", "", "", "10"))
			return err
		}, "InstanceNotFound"},
		{"AssociateEnsEipAddress of a missing EIP", func() error {
			r := ens.CreateAssociateEnsEipAddressRequest()
			r.AllocationId, r.InstanceId, r.InstanceType = "eip-missing", "lb-hefei-existing", "SlbInstance"
			_, err := c.AssociateEnsEipAddress(r)
			return err
		}, "EipNotFound"},
		{"AssociateEnsEipAddress to a missing ELB", func() error {
			r := ens.CreateAssociateEnsEipAddressRequest()
			r.AllocationId, r.InstanceId, r.InstanceType = "eip-hefei-existing", "lb-missing", "SlbInstance"
			_, err := c.AssociateEnsEipAddress(r)
			return err
		}, "InstanceNotFound"},
		{"UnAssociateEnsEipAddress", func() error {
			r := ens.CreateUnAssociateEnsEipAddressRequest()
			r.AllocationId = "eip-missing"
			_, err := c.UnAssociateEnsEipAddress(r)
			return err
		}, "EipNotFound"},
		{"ModifyEnsEipAddressAttribute", func() error {
			r := ens.CreateModifyEnsEipAddressAttributeRequest()
			r.AllocationId, r.Bandwidth = "eip-missing", requests.NewInteger(10)
			_, err := c.ModifyEnsEipAddressAttribute(r)
			return err
		}, "EipNotFound"},
		{"ReleaseInstance of an ELB id", func() error { return release(t, c, "lb-missing") }, "LoadBalancerNotFound"},
		{"ReleaseInstance of an EIP id", func() error { return release(t, c, "eip-missing") }, "EipNotFound"},
		{"ReleaseInstance of another id", func() error { return release(t, c, "i-missing") }, "InstanceNotFound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(), tc.code, 400) })
	}
}

// TestDescribeListenersRules checks ens-openapi.md, Listeners:
// "DescribeLoadBalancerListeners needs LoadBalancerId; its Status is lower
// case (running, stopped)".
func TestDescribeListenersRules(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	lb := "lb-hefei-existing"
	if err := createTCP(c, lb, 80, 30080); err != nil {
		t.Fatal(err)
	}
	if err := createTCP(c, lb, 81, 30081); err != nil {
		t.Fatal(err)
	}
	start := ens.CreateStartLoadBalancerListenerRequest()
	start.LoadBalancerId, start.ListenerPort = lb, requests.NewInteger(81)
	must[*ens.StartLoadBalancerListenerResponse](t)(c.StartLoadBalancerListener(start))

	_, err := c.DescribeLoadBalancerListeners(ens.CreateDescribeLoadBalancerListenersRequest())
	wantCode(t, err, "MissingParameter", 400)
	req := ens.CreateDescribeLoadBalancerListenersRequest()
	req.LoadBalancerId = lb
	ls := must[*ens.DescribeLoadBalancerListenersResponse](t)(c.DescribeLoadBalancerListeners(req)).Listeners.Listener
	if len(ls) != 2 || ls[0].Status != "stopped" || ls[1].Status != "running" || ls[0].Protocol != "tcp" {
		t.Fatalf("listeners = %+v, want stopped 80 and running 81 in lower case", ls)
	}
	if got := listenerOf(t, env, lb, 81, "TCP").Status; got != "Running" {
		t.Fatalf("inventory status = %q, want the canonical Running", got)
	}
}
