package scale

import (
	"math"
	"slices"
	"time"
)

// Latencies summarise a phase's endpoint-move samples.
type Latencies struct {
	N             int
	P50, P99, Max time.Duration
}

// Summarize takes the nearest-rank percentiles of samples.
func Summarize(samples []time.Duration) Latencies {
	if len(samples) == 0 {
		return Latencies{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Latencies{N: len(s), P50: rank(0.50), P99: rank(0.99), Max: s[len(s)-1]}
}
