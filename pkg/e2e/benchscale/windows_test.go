package benchscale

import (
	"testing"
	"time"
)

func TestPassWindows(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	// Polled every 50 ms; the counter went 0 → 1 between 0 and 50 ms, 1 → 2
	// between 250 and 300, and jumped 2 → 4 between 450 and 500.
	samples := []CounterSample{{at(0), 0}, {at(50), 1}, {at(250), 1}, {at(300), 2}, {at(450), 2}, {at(500), 4}}
	for _, tc := range []struct {
		v    int
		want time.Time
		ok   bool
	}{{1, at(25), true}, {2, at(275), true}, {3, at(475), true}, {4, at(475), true}, {5, time.Time{}, false}, {0, time.Time{}, false}} {
		if got, ok := Reached(samples, tc.v); ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("Reached(%d) = %v %v, want %v %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
	if got, ok := PassBoundary(samples, 1); !ok || !got.Equal(at(150)) {
		t.Errorf("PassBoundary(1) = %v %v, want midway between 25 and 275 ms", got, ok)
	}
	if _, ok := PassBoundary(samples, 4); ok {
		t.Error("PassBoundary(4): the enqueue after it has not happened, want false")
	}
	for _, tc := range []struct{ base, n, now, want int }{
		{0, 10, 0, 0},   // no pass begun yet: the first starts after 0
		{0, 10, 3, 10},  // in pass 1: the next whole one starts after 10
		{0, 10, 10, 10}, // pass 1 just ended
		{0, 10, 11, 20},
		{4, 10, 25, 34},
	} {
		if got := NextPassEnd(tc.base, tc.n, tc.now); got != tc.want {
			t.Errorf("NextPassEnd(%d, %d, %d) = %d, want %d", tc.base, tc.n, tc.now, got, tc.want)
		}
	}
}
