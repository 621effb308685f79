package manager

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// The Go heap grows to twice what is live before it is collected (GOGC
// 100): at 20,000 PoolServices the informers hold about 150 MiB, so the
// process would reach twice that and be killed by a container limit of
// 256 MiB long before it needs that memory. A soft limit below the
// container's lets the collector work harder instead. It leaves room for
// what the Go runtime does not count but the container's memory holds:
// the binary's resident code and read-only data (45 MiB measured at
// 20,000 PoolServices, the full bench at 89792ec), hence 0.8 by default.
// GOMEMLIMIT, when set, wins (the Go runtime has applied it already).

// cgroupMemoryFiles are where a container's memory limit is read: cgroup
// v2, then v1.
var cgroupMemoryFiles = []string{"sys/fs/cgroup/memory.max", "sys/fs/cgroup/memory/memory.limit_in_bytes"}

// noLimit: cgroup v1 answers a number near 2^63 for no limit.
const noLimit = 1 << 60

// memoryLimit is the soft limit to set under root ("/" in production):
// ratio of the container's memory limit; 0 when GOMEMLIMIT is set, ratio
// is 0, or there is no limit.
func memoryLimit(root string, ratio float64, getenv func(string) string) (limit int64, from string) {
	if getenv("GOMEMLIMIT") != "" || ratio <= 0 {
		return 0, ""
	}
	for _, f := range cgroupMemoryFiles {
		raw, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
		if err != nil || n <= 0 || n >= noLimit { // "max": no limit
			return 0, ""
		}
		return int64(float64(n) * ratio), "/" + f
	}
	return 0, ""
}

// applyMemoryLimit sets the soft memory limit memoryLimit finds, if any.
func applyMemoryLimit(ratio float64) (limit int64, from string) {
	limit, from = memoryLimit("/", ratio, os.Getenv)
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	return limit, from
}
