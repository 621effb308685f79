package ensemulator_test

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"
	"github.com/google/go-cmp/cmp"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

var (
	controllerKey = ensemulator.Credential{AccessKeyID: "ak-controller", AccessKeySecret: "secret-controller"}
	userKey       = ensemulator.Credential{AccessKeyID: "ak-user", AccessKeySecret: "secret-user"}
)

func release(t *testing.T, c *ens.Client, id string) error {
	t.Helper()
	req := ens.CreateReleaseInstanceRequest()
	req.InstanceId = id
	_, err := c.ReleaseInstance(req)
	return err
}

// TestCreatorAndReleaseRecords: every ELB and EIP records the AccessKey
// that created it, every successful release who released what, and both
// survive a restart from the state file.
func TestCreatorAndReleaseRecords(t *testing.T) {
	clock := newFakeClock()
	state := filepath.Join(t.TempDir(), "state.json")
	env := emulatortest.Start(t, emulatortest.WithClock(clock.Now), emulatortest.WithStateFile(state),
		emulatortest.WithCredentials(controllerKey, userKey))
	ctrl := newClientWithKeys(t, env, controllerKey.AccessKeyID, controllerKey.AccessKeySecret)
	user := newClientWithKeys(t, env, userKey.AccessKeyID, userKey.AccessKeySecret)

	lb := createHefeiLB(t, ctrl, "k8s/svc/ns/pool/cluster")
	eip := createEIP(t, ctrl, hefei, "k8s/svc/ns/pool/cluster")
	inv := env.Emulator.Inventory()
	if got := inv.LoadBalancer(lb).CreatedBy; got != controllerKey.AccessKeyID {
		t.Errorf("ELB CreatedBy = %q, want %q", got, controllerKey.AccessKeyID)
	}
	if got := inv.EIP(eip).CreatedBy; got != controllerKey.AccessKeyID {
		t.Errorf("EIP CreatedBy = %q, want %q", got, controllerKey.AccessKeyID)
	}
	if got := inv.LoadBalancer("lb-hefei-existing").CreatedBy; got != "" {
		t.Errorf("seeded ELB CreatedBy = %q, want the seed's empty value", got)
	}

	// A failed release records nothing: the seeded EIP is InUse.
	wantCode(t, release(t, user, "eip-hefei-existing"), "IncorrectEipStatus", 400)
	clock.Advance(time.Second)
	for _, r := range []struct {
		c  *ens.Client
		id string
	}{{user, lb}, {ctrl, eip}, {ctrl, "lb-hefei-existing"}} {
		if err := release(t, r.c, r.id); err != nil {
			t.Fatalf("release %s: %v", r.id, err)
		}
	}
	at := clock.Now().UTC()
	want := []ensemulator.Released{
		{Kind: ensemulator.KindLoadBalancer, ID: lb, Name: "k8s/svc/ns/pool/cluster", CreatedBy: controllerKey.AccessKeyID, ReleasedBy: userKey.AccessKeyID, ReleasedAt: at},
		{Kind: ensemulator.KindEIP, ID: eip, Name: "k8s/svc/ns/pool/cluster", CreatedBy: controllerKey.AccessKeyID, ReleasedBy: controllerKey.AccessKeyID, ReleasedAt: at},
		{Kind: ensemulator.KindLoadBalancer, ID: "lb-hefei-existing", Name: "user-elb-hefei", ReleasedBy: controllerKey.AccessKeyID, ReleasedAt: at},
	}
	cmpTime := cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })
	if diff := cmp.Diff(want, env.Emulator.Inventory().Released, cmpTime); diff != "" {
		t.Errorf("Released (-want +got):\n%s", diff)
	}
	var overHTTP ensemulator.Inventory
	adminDo(t, http.MethodGet, env.URL+"/admin/inventory", "", &overHTTP)
	if diff := cmp.Diff(want, overHTTP.Released, cmpTime); diff != "" {
		t.Errorf("GET /admin/inventory released (-want +got):\n%s", diff)
	}

	restarted, err := ensemulator.New(ensemulator.Config{StateFile: state, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, restarted.Inventory().Released, cmpTime); diff != "" {
		t.Errorf("Released after a restart (-want +got):\n%s", diff)
	}
}

func TestSeededCreatedBy(t *testing.T) {
	inv := ensemulator.DefaultInventory()
	inv.LoadBalancers[0].CreatedBy, inv.EIPs[0].CreatedBy = "ak-seed", "ak-seed-eip"
	env := emulatortest.Start(t, emulatortest.WithInventory(inv))
	got := env.Emulator.Inventory()
	if lb := got.LoadBalancer(inv.LoadBalancers[0].ID); lb.CreatedBy != "ak-seed" {
		t.Errorf("seeded ELB CreatedBy = %q", lb.CreatedBy)
	}
	if eip := got.EIP(inv.EIPs[0].ID); eip.CreatedBy != "ak-seed-eip" {
		t.Errorf("seeded EIP CreatedBy = %q", eip.CreatedBy)
	}
}

// TestCallsByAccessKey: call counters per AccessKeyId, over the Go API and
// GET /admin/calls, reset with the others.
func TestCallsByAccessKey(t *testing.T) {
	env := emulatortest.Start(t, emulatortest.WithCredentials(userKey))
	ctrl := newClient(t, env)
	user := newClientWithKeys(t, env, userKey.AccessKeyID, userKey.AccessKeySecret)
	createHefeiLB(t, ctrl, "mine")
	must[*ens.DescribeLoadBalancersResponse](t)(ctrl.DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest()))
	must[*ens.DescribeLoadBalancersResponse](t)(user.DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest()))
	wantCode(t, release(t, user, "eip-hefei-existing"), "IncorrectEipStatus", 400) // a failed call counts too
	_, err := newClientWithKeys(t, env, userKey.AccessKeyID, "wrong").DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest())
	wantCode(t, err, "SignatureDoesNotMatch", 400) // an unauthenticated one does not

	want := map[string]ensemulator.AccessKeyCalls{
		env.AccessKeyID:     {Calls: map[string]int{"CreateLoadBalancer": 1, "DescribeLoadBalancers": 1}, MutatingCalls: 1},
		userKey.AccessKeyID: {Calls: map[string]int{"DescribeLoadBalancers": 1, "ReleaseInstance": 1}, MutatingCalls: 1},
	}
	if diff := cmp.Diff(want, env.Emulator.CallsByAccessKey()); diff != "" {
		t.Errorf("CallsByAccessKey (-want +got):\n%s", diff)
	}
	var stats ensemulator.CallStats
	adminDo(t, http.MethodGet, env.URL+"/admin/calls", "", &stats)
	if diff := cmp.Diff(want, stats.ByAccessKey); diff != "" || stats.Total != 4 || stats.MutatingCalls != 2 {
		t.Errorf("GET /admin/calls = %+v; byAccessKey (-want +got):\n%s", stats, diff)
	}
	env.Emulator.ResetCalls()
	if got := env.Emulator.CallStats(); len(got.ByAccessKey) != 0 || got.Total != 0 {
		t.Errorf("after ResetCalls: %+v", got)
	}
}
