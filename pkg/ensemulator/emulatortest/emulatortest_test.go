package emulatortest

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

func TestStartDefaults(t *testing.T) {
	env := Start(t)
	if env.Scheme != "HTTP" || env.AccessKeyID != ensemulator.DefaultAccessKeyID ||
		env.AccessKeySecret != ensemulator.DefaultAccessKeySecret || env.URL != "http://"+env.Endpoint {
		t.Fatalf("env = %+v", env)
	}
	resp, err := http.Get(env.URL + "/admin/inventory")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var inv ensemulator.Inventory
	if err := json.NewDecoder(resp.Body).Decode(&inv); err != nil {
		t.Fatal(err)
	}
	if len(inv.LoadBalancers) != 2 || len(inv.Instances) != 4 {
		t.Fatalf("default inventory over HTTP = %+v", inv)
	}
}

func TestStartOptions(t *testing.T) {
	inv := ensemulator.Inventory{Regions: []ensemulator.Region{{ID: "r1"}}}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	env := Start(t, WithInventory(inv), WithSeed(5), WithActiveDelay(time.Second), WithTLS(),
		WithFault("DescribeNetworks", ensemulator.Fault{Rate: 1}), WithClock(func() time.Time { return now }),
		WithStateFile(t.TempDir()+"/state.json"),
		WithConfig(func(c *ensemulator.Config) { c.AccessKeyID, c.AccessKeySecret = "ak2", "sk2" }),
		WithCredentials(ensemulator.Credential{AccessKeyID: "ak3", AccessKeySecret: "sk3"}))
	wantCreds := []ensemulator.Credential{{AccessKeyID: "ak2", AccessKeySecret: "sk2"}, {AccessKeyID: "ak3", AccessKeySecret: "sk3"}}
	if env.Scheme != "HTTPS" || env.AccessKeyID != "ak2" || env.AccessKeySecret != "sk2" || !slices.Equal(env.Credentials, wantCreds) {
		t.Fatalf("env = %+v", env)
	}
	if got := env.Emulator.Inventory(); len(got.Regions) != 1 || len(got.LoadBalancers) != 0 {
		t.Fatalf("inventory = %+v", got)
	}
	if f := env.Emulator.Faults()["DescribeNetworks"]; f.Rate != 1 {
		t.Fatalf("faults = %+v", env.Emulator.Faults())
	}
}
