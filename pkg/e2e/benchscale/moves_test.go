package benchscale

import (
	"net/http"
	"testing"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
)

func TestMoveLatencies(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	call := func(action, lb, servers string, recv, ans int, status int) framework.Call {
		return framework.Call{Action: action, LoadBalancerID: lb, BackendServers: servers, Received: at(recv), Answered: at(ans), Status: status}
	}
	initial := map[int][]string{0: {"a"}, 1: {"x"}}
	elbs := map[int]string{0: "lb-0", 1: "lb-1"}
	moves := []Move{
		{Pool: 0, At: at(0), Want: []string{"b"}},   // 0: add b, remove a → reflected at 80 ms
		{Pool: 1, At: at(200), Want: []string{"y"}}, // 1: skipped by the controller, which went straight to z
		{Pool: 1, At: at(300), Want: []string{"z"}}, // 2: reflected with 1 at 450 ms
		{Pool: 0, At: at(400), Want: []string{"c"}}, // 3: never reflected (only added)
		{Pool: 0, At: at(500), Want: []string{"b"}}, // 4: the ELB is {b c} after the add: not b
	}
	calls := []framework.Call{
		call("AddBackendServers", "lb-0", `[{"ServerId":"b"}]`, 10, 40, 200),
		call("DescribeLoadBalancerAttribute", "lb-0", "", 45, 50, 200),
		call("RemoveBackendServers", "lb-0", `[{"ServerId":"a","Port":"0"}]`, 50, 80, 200),
		// A throttled call changes nothing.
		call("AddBackendServers", "lb-1", `[{"ServerId":"y"}]`, 310, 320, http.StatusBadRequest),
		call("AddBackendServers", "lb-1", `[{"ServerId":"z"}]`, 330, 360, 200),
		call("RemoveBackendServers", "lb-1", `[{"ServerId":"x"}]`, 420, 450, 200),
		call("AddBackendServers", "lb-0", `[{"ServerId":"c"}]`, 410, 440, 200),
		// Another ELB's calls are not ours.
		call("RemoveBackendServers", "lb-9", `[{"ServerId":"b"}]`, 600, 610, 200),
	}
	got, ok := MoveLatencies(initial, elbs, moves, calls)
	want := []struct {
		ok                 bool
		answered, received time.Duration
	}{{true, 80 * time.Millisecond, 50 * time.Millisecond}, {true, 250 * time.Millisecond, 220 * time.Millisecond},
		{true, 150 * time.Millisecond, 120 * time.Millisecond}, {false, 0, 0}, {false, 0, 0}}
	for i, w := range want {
		if ok[i] != w.ok || got[i].Answered != w.answered || got[i].Received != w.received {
			t.Errorf("move %d: %+v reflected=%v, want answered %v received %v reflected=%v", i, got[i], ok[i], w.answered, w.received, w.ok)
		}
	}
}
