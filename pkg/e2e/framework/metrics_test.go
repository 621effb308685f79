package framework

import "testing"

func TestSumSamples(t *testing.T) {
	body := `# HELP edge_controller_manager_dry_run_planned_total Changes planned.
# TYPE edge_controller_manager_dry_run_planned_total counter
edge_controller_manager_dry_run_planned_total{action="CreateListener",controller="elb"} 2
edge_controller_manager_dry_run_planned_total{action="CreatePoolService",controller="poolservice-set"} 3
edge_controller_manager_dry_run_planned_total{action="AddFinalizer",controller="poolservice-set"} 1
edge_controller_manager_leader 1
odd_metric{why="a \"quoted\", spaced\\ value"} 4.5
`
	for _, tc := range []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
	}{
		{"one series", "edge_controller_manager_dry_run_planned_total", map[string]string{"controller": "elb", "action": "CreateListener"}, 2},
		{"summed over a label", "edge_controller_manager_dry_run_planned_total", map[string]string{"controller": "poolservice-set"}, 4},
		{"every series", "edge_controller_manager_dry_run_planned_total", nil, 6},
		{"no labels", "edge_controller_manager_leader", nil, 1},
		{"escaped value", "odd_metric", map[string]string{"why": `a "quoted", spaced\ value`}, 4.5},
		{"no such series", "edge_controller_manager_dry_run_planned_total", map[string]string{"controller": "elb", "action": "CreateEIP"}, 0},
		{"no such name", "edge_controller_manager_dry_run", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SumSamples(body, tc.metric, tc.labels)
			if err != nil || got != tc.want {
				t.Errorf("SumSamples(%s, %v) = %v, %v; want %v", tc.metric, tc.labels, got, err, tc.want)
			}
		})
	}
	if _, err := SumSamples(`bad{x="1} 2`, "bad", nil); err == nil {
		t.Error("an unterminated label value parsed")
	}
}
