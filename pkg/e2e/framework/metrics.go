package framework

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Metric sums the samples of the series named name whose labels include
// every pair in labels (nil: every series of the name) on the manager's
// /metrics. A series that was never created sums to 0.
func (m *Manager) Metric(name string, labels map[string]string) (float64, error) {
	body, err := m.get(m.MetricsAddr, "/metrics")
	if err != nil {
		return 0, err
	}
	return SumSamples(body, name, labels)
}

// SumSamples is Metric on a body in the Prometheus text format (counters
// and gauges: "name{k="v",...} value", comments ignored).
func SumSamples(body, name string, labels map[string]string) (float64, error) {
	var sum float64
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		series, value, ok := cutLast(line)
		if !ok {
			return 0, fmt.Errorf("metrics line %q: no value", line)
		}
		n, rest, _ := strings.Cut(series, "{")
		if n != name {
			continue
		}
		got, err := parseLabels(strings.TrimSuffix(rest, "}"))
		if err != nil {
			return 0, fmt.Errorf("metrics line %q: %w", line, err)
		}
		if !includes(got, labels) {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return 0, fmt.Errorf("metrics line %q: %w", line, err)
		}
		sum += v
	}
	return sum, sc.Err()
}

// cutLast splits a sample line at its last space: label values may hold
// spaces, the value does not (client_golang writes no timestamps).
func cutLast(line string) (series, value string, ok bool) {
	i := strings.LastIndexByte(line, ' ')
	if i < 0 {
		return "", "", false
	}
	return strings.TrimSpace(line[:i]), line[i+1:], true
}

// parseLabels reads `k="v",k2="v2"` with the format's escapes (\\, \", \n).
func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for s != "" {
		key, rest, ok := strings.Cut(s, "=")
		if !ok || !strings.HasPrefix(rest, `"`) {
			return nil, fmt.Errorf("bad labels %q", s)
		}
		var val strings.Builder
		i := 1
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
				if rest[i] == 'n' {
					val.WriteByte('\n')
					continue
				}
			}
			val.WriteByte(rest[i])
		}
		if i >= len(rest) {
			return nil, fmt.Errorf("unterminated label value in %q", s)
		}
		out[strings.TrimSpace(key)] = val.String()
		s = strings.TrimPrefix(rest[i+1:], ",")
	}
	return out, nil
}

func includes(got, want map[string]string) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// identityRe finds the lease holder identity the manager logs at start.
var identityRe = regexp.MustCompile(`"Starting".* identity="([^"]+)"`)

// Identity is the leader-election identity of the manager's last start,
// read from its log ("Starting" ... identity="host_uuid").
func (m *Manager) Identity() (string, error) {
	raw, err := os.ReadFile(m.LogPath)
	if err != nil {
		return "", err
	}
	found := identityRe.FindAllStringSubmatch(string(raw), -1)
	if len(found) == 0 {
		return "", fmt.Errorf("no identity in %s", m.LogPath)
	}
	return found[len(found)-1][1], nil
}
