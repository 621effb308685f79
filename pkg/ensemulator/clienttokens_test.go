package ensemulator_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// TestClientTokenWindow checks ens-openapi.md "States and limits": "A token
// stays valid for about 10 minutes, also after its resource was released: a
// repeat within that time answers with the original id", and "ClientToken:
// ≤ 64 ASCII chars; same token + same parameters returns the original
// result; valid 10 minutes".
func TestClientTokenWindow(t *testing.T) {
	clock := newFakeClock()
	env := emulatortest.Start(t, emulatortest.WithClock(clock.Now))
	c := newClient(t, env)
	createLB := func(req *ens.CreateLoadBalancerRequest) string {
		t.Helper()
		return must[*ens.CreateLoadBalancerResponse](t)(c.CreateLoadBalancer(req)).LoadBalancerId
	}
	createEIP := func(req *ens.CreateEipInstanceRequest) string {
		t.Helper()
		return must[*ens.CreateEipInstanceResponse](t)(c.CreateEipInstance(req)).AllocationId
	}

	lb := createLB(lbRequest("tok", "token-1"))
	eip := createEIP(eipRequest("tok", "token-1")) // tokens are per action
	if again := createLB(lbRequest("tok", "token-1")); again != lb {
		t.Fatalf("repeat gave %s, want %s", again, lb)
	}
	if other := createLB(lbRequest("tok", "token-2")); other == lb {
		t.Fatal("a new ClientToken returned the old ELB")
	}
	if n := len(env.Emulator.Inventory().LoadBalancers); n != 4 {
		t.Fatalf("ELBs = %d, want 2 seeded + 2 created", n)
	}

	// Released, then repeated within the window: the original id, nothing new.
	clock.Advance(5 * time.Minute)
	if err := release(t, c, lb); err != nil {
		t.Fatal(err)
	}
	if err := release(t, c, eip); err != nil {
		t.Fatal(err)
	}
	before := env.Emulator.Inventory()
	if again := createLB(lbRequest("tok", "token-1")); again != lb {
		t.Errorf("repeat after release gave %s, want the released %s", again, lb)
	}
	if again := createEIP(eipRequest("tok", "token-1")); again != eip {
		t.Errorf("EIP repeat after release gave %s, want the released %s", again, eip)
	}
	after := env.Emulator.Inventory()
	if len(after.LoadBalancers) != len(before.LoadBalancers) || len(after.EIPs) != len(before.EIPs) || after.LoadBalancer(lb) != nil {
		t.Errorf("a repeat within the window created or revived something: %d→%d ELBs, %d→%d EIPs",
			len(before.LoadBalancers), len(after.LoadBalancers), len(before.EIPs), len(after.EIPs))
	}

	// Same token, other parameters: refused.
	_, err := c.CreateLoadBalancer(lbRequest("other-name", "token-1"))
	wantCode(t, err, "IdempotentParameterMismatch", 400)
	_, err = c.CreateEipInstance(eipRequest("other-name", "token-1"))
	wantCode(t, err, "IdempotentParameterMismatch", 400)

	// After the window the token is forgotten: a repeat creates anew.
	clock.Advance(5*time.Minute + time.Second)
	if fresh := createLB(lbRequest("tok", "token-1")); fresh == lb || env.Emulator.Inventory().LoadBalancer(fresh) == nil {
		t.Errorf("repeat after the window gave %s, want a new ELB", fresh)
	}
	if fresh := createEIP(eipRequest("other-name", "token-1")); fresh == eip || env.Emulator.Inventory().EIP(fresh) == nil {
		t.Errorf("EIP after the window gave %s, want a new EIP", fresh)
	}
}

func TestClientTokenLimits(t *testing.T) {
	env := emulatortest.Start(t)
	c := newClient(t, env)
	for _, bad := range []string{strings.Repeat("a", 65), "naïve-token", "tab\there"} {
		_, err := c.CreateLoadBalancer(lbRequest("long", bad))
		wantCode(t, err, "InvalidParameter.ClientToken", 400)
		_, err = c.CreateEipInstance(eipRequest("long", bad))
		wantCode(t, err, "InvalidParameter.ClientToken", 400)
	}
	must[*ens.CreateLoadBalancerResponse](t)(c.CreateLoadBalancer(lbRequest("max", strings.Repeat("a", 64))))
	if n := len(env.Emulator.Inventory().LoadBalancers); n != 3 {
		t.Fatalf("ELBs = %d, want 2 seeded + the 64-character token one", n)
	}
}

func TestClientTokenWindowConfigured(t *testing.T) {
	clock := newFakeClock()
	env := emulatortest.Start(t, emulatortest.WithClock(clock.Now),
		emulatortest.WithConfig(func(c *ensemulator.Config) { c.ClientTokenWindow = time.Minute }))
	c := newClient(t, env)
	first := must[*ens.CreateLoadBalancerResponse](t)(c.CreateLoadBalancer(lbRequest("w", "tok"))).LoadBalancerId
	clock.Advance(59 * time.Second)
	if again := must[*ens.CreateLoadBalancerResponse](t)(c.CreateLoadBalancer(lbRequest("w", "tok"))).LoadBalancerId; again != first {
		t.Fatalf("within the window: %s, want %s", again, first)
	}
	if toks := env.Emulator.Inventory().ClientTokens; len(toks) != 1 || toks[0].ID != first || toks[0].Action != "CreateLoadBalancer" || toks[0].Token != "tok" {
		t.Fatalf("Inventory.ClientTokens = %+v", toks)
	}
	clock.Advance(time.Second)
	if again := must[*ens.CreateLoadBalancerResponse](t)(c.CreateLoadBalancer(lbRequest("w", "tok"))).LoadBalancerId; again == first {
		t.Fatal("after the window the old ELB was returned")
	}
}

// TestClientTokensSurviveRestart: the tokens are in the state file.
func TestClientTokensSurviveRestart(t *testing.T) {
	clock := newFakeClock()
	state := filepath.Join(t.TempDir(), "state.json")
	env := emulatortest.Start(t, emulatortest.WithClock(clock.Now), emulatortest.WithStateFile(state))
	c := newClient(t, env)
	lb := must[*ens.CreateLoadBalancerResponse](t)(c.CreateLoadBalancer(lbRequest("persist", "tok"))).LoadBalancerId
	if err := release(t, c, lb); err != nil {
		t.Fatal(err)
	}
	env.Server.Close()

	restarted := emulatortest.Start(t, emulatortest.WithClock(clock.Now), emulatortest.WithStateFile(state))
	c = newClient(t, restarted)
	if again := must[*ens.CreateLoadBalancerResponse](t)(c.CreateLoadBalancer(lbRequest("persist", "tok"))).LoadBalancerId; again != lb {
		t.Fatalf("after a restart the repeat gave %s, want %s", again, lb)
	}
	if n := len(restarted.Emulator.Inventory().LoadBalancers); n != 2 {
		t.Fatalf("ELBs = %d, want only the 2 seeded", n)
	}
}
