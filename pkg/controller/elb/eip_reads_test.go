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
	r := newEIPReads(time.Millisecond)
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

// regionEIPs answers ListEIPs by region or by name from a region of n
// EIPs named eip-name-<i>, each call waiting for the gate.
type regionEIPs struct {
	cloud.Cloud
	n     int
	gate  chan struct{}
	mu    sync.Mutex
	calls []cloud.EIPFilter
}

func (g *regionEIPs) ListEIPs(_ context.Context, f cloud.EIPFilter) ([]cloud.EIP, error) {
	g.mu.Lock()
	g.calls = append(g.calls, f)
	g.mu.Unlock()
	<-g.gate
	var out []cloud.EIP
	for i := range g.n {
		e := cloud.EIP{AllocationID: fmt.Sprintf("eip-%04d", i), Name: fmt.Sprintf("eip-name-%d", i), RegionID: "r1"}
		if f.RegionID == "r1" && (f.Name == "" || f.Name == e.Name) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (g *regionEIPs) snapshot() []cloud.EIPFilter {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.calls)
}

// TestEIPNamedReadsCoalesce: the by-name reads asked for while one is
// under way go together: as one read of the whole region while that costs
// no more pages than there are names, else a read per name. Each caller
// gets exactly the EIPs of its name.
func TestEIPNamedReadsCoalesce(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		eips       int // in the region: 100 a page
		asks       int // joining the second batch
		wantRegion bool
	}{
		{"names outnumber the pages: one region read", 150, 3, true},
		{"pages outnumber the names: a read per name", 350, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &regionEIPs{n: tc.eips, gate: make(chan struct{})}
			r := newEIPReads(time.Millisecond)
			r.pages["r1"] = (tc.eips + 99) / 100 // as learnt from an earlier whole read
			type result struct {
				name string
				got  []cloud.EIP
				err  error
			}
			results := make(chan result, tc.asks+1)
			read := func(name string) {
				go func() {
					got, err := r.named(ctx, g, name, "r1")
					results <- result{name, got, err}
				}()
			}
			read("eip-name-0")
			for len(g.snapshot()) == 0 {
				time.Sleep(time.Millisecond)
			}
			for i := range tc.asks {
				read(fmt.Sprintf("eip-name-%d", i+1))
			}
			time.Sleep(50 * time.Millisecond) // all joined the next batch
			close(g.gate)
			for range tc.asks + 1 {
				res := <-results
				if res.err != nil || len(res.got) != 1 || res.got[0].Name != res.name {
					t.Errorf("read of %s: %v, %v; want its one EIP", res.name, res.got, res.err)
				}
			}
			calls := g.snapshot()[1:] // after the first batch's
			region := 0
			for _, f := range calls {
				if f.Name == "" {
					region++
				}
			}
			switch {
			case tc.wantRegion && (len(calls) != 1 || region != 1):
				t.Errorf("calls %v: want one region read", calls)
			case !tc.wantRegion && (len(calls) != tc.asks || region != 0):
				t.Errorf("calls %v: want %d reads by name", calls, tc.asks)
			}
		})
	}
}

// stampedEIPs records when each ListEIPs call came.
type stampedEIPs struct {
	cloud.Cloud
	mu sync.Mutex
	at []time.Time
}

func (s *stampedEIPs) ListEIPs(context.Context, cloud.EIPFilter) ([]cloud.EIP, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, time.Now())
	return nil, nil
}

// TestEIPReadsByIDAreSpaced: by-id calls start at least the spacing apart,
// however soon the next is asked for; by-name reads are not held by them.
func TestEIPReadsByIDAreSpaced(t *testing.T) {
	s := &stampedEIPs{}
	r := newEIPReads(100 * time.Millisecond)
	ctx := context.Background()
	for range 3 {
		if _, err := r.byID(ctx, s, []string{"eip-1"}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	if _, err := r.named(ctx, s, "n", "r1"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("a by-name read waited %s behind the by-id spacing", d)
	}
	for i := 1; i < 3; i++ {
		if gap := s.at[i].Sub(s.at[i-1]); gap < 100*time.Millisecond {
			t.Errorf("by-id calls %d and %d %s apart, want at least 100ms", i-1, i, gap)
		}
	}
}
