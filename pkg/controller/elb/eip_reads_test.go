package elb

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// gatedEIPs answers ListEIPs by id from a fixed set; each call waits for
// the gate and records the ids it was asked for.
type gatedEIPs struct {
	cloud.Cloud
	gate  chan struct{}
	mu    sync.Mutex
	calls [][]string
}

func (g *gatedEIPs) ListEIPs(_ context.Context, f cloud.EIPFilter) ([]cloud.EIP, error) {
	g.mu.Lock()
	g.calls = append(g.calls, slices.Clone(f.AllocationIDs))
	g.mu.Unlock()
	<-g.gate
	var out []cloud.EIP
	for _, id := range f.AllocationIDs {
		if id != "eip-gone" {
			out = append(out, cloud.EIP{AllocationID: id, Status: cloud.EIPInUse})
		}
	}
	return out, nil
}

func (g *gatedEIPs) callCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.calls)
}

// TestEIPReadsCoalesce: while one by-id read is under way, the reads asked
// for meanwhile wait and go together in one next call; each caller gets
// exactly its own EIPs, and one ENS does not show is simply absent.
func TestEIPReadsCoalesce(t *testing.T) {
	g := &gatedEIPs{gate: make(chan struct{})}
	r := newEIPReads()
	ctx := context.Background()
	type result struct {
		ids []string
		got []string
	}
	results := make(chan result, 8)
	read := func(ids ...string) {
		go func() {
			eips, err := r.byID(ctx, g, ids)
			if err != nil {
				t.Error(err)
			}
			var got []string
			for _, e := range eips {
				got = append(got, e.AllocationID)
			}
			results <- result{ids, got}
		}()
	}
	read("eip-first")
	for g.callCount() != 1 {
		time.Sleep(time.Millisecond)
	}
	for i := range 5 {
		read(fmt.Sprintf("eip-%d", i))
	}
	read("eip-gone", "eip-0")
	time.Sleep(50 * time.Millisecond) // all joined the next batch
	close(g.gate)
	for range 7 {
		res := <-results
		want := slices.DeleteFunc(slices.Clone(res.ids), func(id string) bool { return id == "eip-gone" })
		if !slices.Equal(res.got, want) {
			t.Errorf("read %v got %v, want %v", res.ids, res.got, want)
		}
	}
	if len(g.calls) != 2 {
		t.Fatalf("ENS calls = %d (%v), want 2: the first, then one for everything asked meanwhile", len(g.calls), g.calls)
	}
	if want := []string{"eip-0", "eip-1", "eip-2", "eip-3", "eip-4", "eip-gone"}; !slices.Equal(g.calls[1], want) {
		t.Errorf("second call asked for %v, want %v", g.calls[1], want)
	}
}
