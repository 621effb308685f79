package elb

import (
	"testing"
	"time"
)

func TestCreationsEstimate(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	c := newCreations(2 * time.Second)
	if d := c.created("ps/lb-1", "lb-1", t0); d != 2*time.Second {
		t.Fatalf("first estimate %s, want the floor", d)
	}
	if again := c.seen("lb-1", false, t0.Add(2*time.Second)); again != 500*time.Millisecond { // still Creating at 2 s
		t.Errorf("look again in %s, want 0.5s (at the new estimate)", again)
	}
	if c.estimate != 2500*time.Millisecond {
		t.Errorf("after a miss at 2 s: %s, want 2.5s", c.estimate)
	}
	if again := c.seen("lb-1", false, t0.Add(6*time.Second)); again != 0 { // a second miss teaches nothing more
		t.Errorf("second miss: look again in %s, want 0 (the usual backoff)", again)
	}
	c.seen("lb-1", true, t0.Add(8*time.Second)) // nor its late Active
	if c.estimate != 2500*time.Millisecond {
		t.Errorf("after the same ELB's later looks: %s", c.estimate)
	}
	for i := range 3 { // on time: 5% shorter each
		id := string(rune('a' + i))
		c.created("ps/"+id, id, t0)
		c.seen(id, true, t0.Add(c.estimate))
	}
	if want := 2500 * time.Millisecond * 19 / 20 * 19 / 20 * 19 / 20; c.estimate != want {
		t.Errorf("after three on-time looks: %s, want %s", c.estimate, want)
	}
	for i := range 20 {
		id := string(rune('A' + i))
		c.created("ps/"+id, id, t0)
		c.seen(id, true, t0.Add(time.Second))
	}
	if c.estimate != 2*time.Second {
		t.Errorf("never below the floor: %s", c.estimate)
	}
	c.created("ps/slow", "slow", t0)
	c.seen("slow", false, t0.Add(10*time.Minute))
	if c.estimate != maxCreateEstimate {
		t.Errorf("capped: %s", c.estimate)
	}
	if again := c.seen("unknown", false, t0); again != 0 { // an ELB not created by this process: ignored
		t.Errorf("unknown ELB: %s", again)
	}
	c.created("ps/old", "old", t0)
	c.created("ps/new", "new", t0.Add(forgetCreation+time.Second))
	if _, ok := c.pending["old"]; ok {
		t.Error("a create never seen Active is forgotten after forgetCreation")
	}
}

// TestCreationsDue: until its first look is due, a PoolService's new ELB
// holds its syncs back; a look before then learns nothing; once looked at
// (or for another PoolService) nothing is held.
func TestCreationsDue(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	c := newCreations(2 * time.Second)
	c.created("ns/a", "lb-a", t0)
	if d := c.due("ns/a", t0.Add(500*time.Millisecond)); d != 1500*time.Millisecond {
		t.Errorf("due in %s, want 1.5s", d)
	}
	if d := c.due("ns/b", t0); d != 0 {
		t.Errorf("another PoolService is held %s", d)
	}
	if again := c.seen("lb-a", false, t0.Add(time.Second)); again != time.Second || c.estimate != 2*time.Second {
		t.Errorf("an early look: again %s (want 1s), estimate %s (want unchanged 2s)", again, c.estimate)
	}
	if d := c.due("ns/a", t0.Add(2*time.Second)); d != 0 {
		t.Errorf("at the estimate: held %s", d)
	}
	c.seen("lb-a", false, t0.Add(2*time.Second)) // the first look: a miss
	if d := c.due("ns/a", t0.Add(2100*time.Millisecond)); d != 0 {
		t.Errorf("after a miss the usual looks go on, not held: %s", d)
	}
	c.seen("lb-a", true, t0.Add(3*time.Second))
	if _, ok := c.byKey["ns/a"]; ok || len(c.pending) != 0 {
		t.Errorf("an Active ELB is forgotten: byKey %v, pending %v", c.byKey, c.pending)
	}
	var none *creations
	if none.due("ns/a", t0) != 0 {
		t.Error("a nil creations holds nothing")
	}
}

// TestNewControllerWiresCreationsAndEIPReads: both are nil-safe (a nil one
// quietly does nothing), so only this shows NewController made them.
func TestNewControllerWiresCreationsAndEIPReads(t *testing.T) {
	h := newHarness(t)
	if h.c.creations == nil || h.c.eipReads == nil {
		t.Fatalf("creations %v, eipReads %v: NewController must make both", h.c.creations, h.c.eipReads)
	}
}
