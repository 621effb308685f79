package framework

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// TestCallProxy: every call reaches the target unchanged and is noted with
// its action, ELB, backends parameter, status and error code, in the order
// the answers left; CallsBetween selects by arrival.
func TestCallProxy(t *testing.T) {
	var got []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got = append(got, r.Method+" "+r.Form.Get("Action")+" "+r.Form.Get("LoadBalancerId"))
		if r.Form.Get("Action") == "CreateLoadBalancer" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"Code":"Throttling.User","Message":"slow down"}`))
			return
		}
		_, _ = w.Write([]byte(`{"RequestId":"r"}`))
	}))
	defer target.Close()
	p, err := StartCallProxy(strings.TrimPrefix(target.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	start := time.Now()
	get := "http://" + p.Endpoint() + "/?Action=DescribeLoadBalancerAttribute&LoadBalancerId=lb-1&AccessKeyId=ak"
	if resp, err := http.Get(get); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET through the proxy: %v %v", resp, err)
	}
	form := url.Values{"Action": {"AddBackendServers"}, "LoadBalancerId": {"lb-2"}, "BackendServers": {`[{"ServerId":"i-1"}]`}}
	if resp, err := http.PostForm("http://"+p.Endpoint()+"/", form); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST through the proxy: %v %v", resp, err)
	}
	mid := time.Now()
	if resp, err := http.PostForm("http://"+p.Endpoint()+"/", url.Values{"Action": {"CreateLoadBalancer"}}); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("POST through the proxy: %v %v", resp, err)
	}

	wantTarget := []string{"GET DescribeLoadBalancerAttribute lb-1", "POST AddBackendServers lb-2", "POST CreateLoadBalancer "}
	if strings.Join(got, "|") != strings.Join(wantTarget, "|") {
		t.Errorf("target saw %q, want %q", got, wantTarget)
	}
	calls := p.Calls()
	if len(calls) != 3 {
		t.Fatalf("%d calls noted, want 3: %+v", len(calls), calls)
	}
	want := []Call{
		{Action: "DescribeLoadBalancerAttribute", AccessKeyID: "ak", LoadBalancerID: "lb-1", Status: 200},
		{Action: "AddBackendServers", LoadBalancerID: "lb-2", BackendServers: `[{"ServerId":"i-1"}]`, Status: 200},
		{Action: "CreateLoadBalancer", Status: 400, Code: "Throttling.User"},
	}
	for i, c := range calls {
		if c.Received.Before(start) || c.Answered.Before(c.Received) {
			t.Errorf("call %d: received %v, answered %v (test began %v)", i, c.Received, c.Answered, start)
		}
		c.Received, c.Answered = time.Time{}, time.Time{}
		if c != want[i] {
			t.Errorf("call %d = %+v, want %+v", i, c, want[i])
		}
	}
	if n := len(p.CallsBetween(start, mid)); n != 2 {
		t.Errorf("CallsBetween(start, mid) has %d calls, want 2", n)
	}
	if reads := CountCalls(calls, func(c Call) bool { return IsRead(c.Action) }); SumCounts(reads) != 1 || reads["DescribeLoadBalancerAttribute"] != 1 {
		t.Errorf("reads = %v, want one DescribeLoadBalancerAttribute", reads)
	}
}

func TestRSSBytes(t *testing.T) {
	rss, err := RSSBytes(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// A Go test binary is resident with more than a MiB and less than 10 GiB.
	if rss < 1<<20 || rss > 10<<30 {
		t.Errorf("RSSBytes(self) = %d, want a plausible size", rss)
	}
	if _, err := RSSBytes(1 << 30); err == nil {
		t.Error("RSSBytes of a pid that cannot exist gave no error")
	}
}
