package manager

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMemoryLimit: the soft limit is the ratio of the cgroup's limit (v2,
// else v1); none without a limit, with GOMEMLIMIT set, or with ratio 0.
func TestMemoryLimit(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "GOMEMLIMIT" {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name      string
		files     map[string]string
		ratio     float64
		gomem     string
		wantLimit int64
	}{
		{"cgroup v2", map[string]string{"sys/fs/cgroup/memory.max": "268435456\n"}, 0.9, "", 241591910},
		{"cgroup v1", map[string]string{"sys/fs/cgroup/memory/memory.limit_in_bytes": "268435456\n"}, 0.5, "", 134217728},
		{"v2 without a limit", map[string]string{"sys/fs/cgroup/memory.max": "max\n"}, 0.9, "", 0},
		{"v1 without a limit", map[string]string{"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 0.9, "", 0},
		{"no cgroup files", nil, 0.9, "", 0},
		{"GOMEMLIMIT wins", map[string]string{"sys/fs/cgroup/memory.max": "268435456\n"}, 0.9, "200MiB", 0},
		{"ratio 0 sets none", map[string]string{"sys/fs/cgroup/memory.max": "268435456\n"}, 0, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for f, body := range tc.files {
				path := filepath.Join(root, f)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			limit, from := memoryLimit(root, tc.ratio, env(tc.gomem))
			if limit != tc.wantLimit || (limit > 0) != (from != "") {
				t.Errorf("memoryLimit = %d from %q, want %d", limit, from, tc.wantLimit)
			}
		})
	}
}
