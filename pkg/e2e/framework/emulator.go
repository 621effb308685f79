package framework

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// Emulator is an ens-emulator process serving HTTP on Addr with its
// inventory persisted in StateFile, so a restart continues where it was.
type Emulator struct {
	*Process
	Addr      string
	StateFile string
	client    *http.Client
}

// StartEmulator runs bin on a free loopback port with the default
// inventory, logging to dir/ens-emulator.log, and waits until it answers.
func StartEmulator(ctx context.Context, bin, dir string, extraArgs ...string) (*Emulator, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	e := &Emulator{Addr: addr, StateFile: filepath.Join(dir, "ens-emulator-state.json"),
		client: &http.Client{Timeout: 10 * time.Second}}
	args := append([]string{"--listen-address=" + addr, "--state-file=" + e.StateFile}, extraArgs...)
	e.Process = NewProcess("ens-emulator", filepath.Join(dir, "ens-emulator.log"), bin, args...)
	return e, e.Restart(ctx)
}

// Restart starts the emulator again (after Kill or Stop) on the same address
// and state file, and waits until it answers.
func (e *Emulator) Restart(ctx context.Context) error {
	if err := e.Start(); err != nil {
		return err
	}
	return WaitFor(ctx, 30*time.Second, 100*time.Millisecond, func() (bool, string) {
		if !e.Alive() {
			return false, fmt.Sprintf("exited: %v\n%s", e.ExitError(), e.Tail(20))
		}
		_, err := e.Inventory()
		return err == nil, fmt.Sprint(err)
	})
}

// Endpoint is the host:port for the cloud config.
func (e *Emulator) Endpoint() string { return e.Addr }

// Inventory reads GET /admin/inventory.
func (e *Emulator) Inventory() (ensemulator.Inventory, error) {
	var inv ensemulator.Inventory
	return inv, e.admin(http.MethodGet, "/admin/inventory", nil, &inv)
}

// Calls reads GET /admin/calls.
func (e *Emulator) Calls() (ensemulator.CallStats, error) {
	var st ensemulator.CallStats
	return st, e.admin(http.MethodGet, "/admin/calls", nil, &st)
}

// ResetCalls sets every call counter back to zero (POST /admin/calls/reset),
// so a test can count the calls of one phase.
func (e *Emulator) ResetCalls() error {
	return e.admin(http.MethodPost, "/admin/calls/reset", nil, nil)
}

// AccessKeyArg is the StartEmulator argument that makes the emulator accept
// one more AccessKey, e.g. a user's beside the controller's.
func AccessKeyArg(id, secret string) string { return "--access-key=" + id + ":" + secret }

// SetFaults replaces every fault (PUT /admin/faults).
func (e *Emulator) SetFaults(faults map[string]ensemulator.Fault) error {
	raw, err := json.Marshal(faults)
	if err != nil {
		return err
	}
	return e.admin(http.MethodPut, "/admin/faults", raw, nil)
}

// ClearFaults removes every fault (DELETE /admin/faults).
func (e *Emulator) ClearFaults() error { return e.admin(http.MethodDelete, "/admin/faults", nil, nil) }

func (e *Emulator) admin(method, path string, body []byte, out any) error {
	req, err := http.NewRequest(method, "http://"+e.Addr+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// LoadBalancersNamed returns the ELBs whose name has the prefix (unlike
// Inventory.LoadBalancersNamed, which wants the whole name).
func LoadBalancersNamed(inv ensemulator.Inventory, prefix string) []ensemulator.LoadBalancer {
	return where(inv.LoadBalancers, func(lb ensemulator.LoadBalancer) bool { return strings.HasPrefix(lb.Name, prefix) })
}

// EIPsNamed returns the EIPs whose name has the prefix (unlike
// Inventory.EIPsNamed, which wants the whole name).
func EIPsNamed(inv ensemulator.Inventory, prefix string) []ensemulator.EIP {
	return where(inv.EIPs, func(e ensemulator.EIP) bool { return strings.HasPrefix(e.Name, prefix) })
}

// FindLoadBalancer is inv.LoadBalancer(id): the ELB with the id, or nil.
func FindLoadBalancer(inv ensemulator.Inventory, id string) *ensemulator.LoadBalancer {
	return inv.LoadBalancer(id)
}

// FindEIP is inv.EIP(id): the EIP with the id, or nil.
func FindEIP(inv ensemulator.Inventory, id string) *ensemulator.EIP {
	return inv.EIP(id)
}

// DescribeLB is a one-line summary of an ELB for failure messages.
func DescribeLB(lb ensemulator.LoadBalancer) string {
	var ls, bs []string
	for _, l := range lb.Listeners {
		ls = append(ls, fmt.Sprintf("%s:%d->%d(%s)", l.Protocol, l.Port, l.BackendServerPort, l.Status))
	}
	for _, b := range lb.Backends {
		bs = append(bs, fmt.Sprintf("%s:%d", b.ServerID, b.Port))
	}
	return fmt.Sprintf("%s %q %s listeners=%v backends=%v", lb.ID, lb.Name, lb.Status, ls, bs)
}

// LoadBalancersCreatedBy returns the ELBs created with the AccessKey.
func LoadBalancersCreatedBy(inv ensemulator.Inventory, accessKeyID string) []ensemulator.LoadBalancer {
	return where(inv.LoadBalancers, func(lb ensemulator.LoadBalancer) bool { return lb.CreatedBy == accessKeyID })
}

// EIPsCreatedBy returns the EIPs created with the AccessKey.
func EIPsCreatedBy(inv ensemulator.Inventory, accessKeyID string) []ensemulator.EIP {
	return where(inv.EIPs, func(e ensemulator.EIP) bool { return e.CreatedBy == accessKeyID })
}

// ReleasedBy returns the releases made with the AccessKey, oldest first.
func ReleasedBy(inv ensemulator.Inventory, accessKeyID string) []ensemulator.Released {
	return where(inv.Released, func(r ensemulator.Released) bool { return r.ReleasedBy == accessKeyID })
}

// ReleasedForeign returns what the AccessKey released but did not create:
// a controller run with its own key must leave this empty, since it may
// only release what it made.
func ReleasedForeign(inv ensemulator.Inventory, accessKeyID string) []ensemulator.Released {
	return where(ReleasedBy(inv, accessKeyID), func(r ensemulator.Released) bool { return r.CreatedBy != accessKeyID })
}

// where keeps the items for which keep is true.
func where[T any](items []T, keep func(T) bool) []T {
	var out []T
	for _, x := range items {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}
