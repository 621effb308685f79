package ensemulator_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

const (
	hefei   = "cn-hefei-cmcc-2"
	chengdu = "cn-chengdu-telecom-4"
)

// newClient is the real SDK client pointed at an emulator.
func newClient(t testing.TB, env *emulatortest.Env) *ens.Client {
	t.Helper()
	return newClientWithKeys(t, env, env.AccessKeyID, env.AccessKeySecret)
}

func newClientWithKeys(t testing.TB, env *emulatortest.Env, ak, secret string) *ens.Client {
	t.Helper()
	c, err := ens.NewClientWithOptions("cn-hangzhou", sdk.NewConfig().WithScheme(env.Scheme),
		credentials.NewAccessKeyCredential(ak, secret))
	if err != nil {
		t.Fatalf("NewClientWithOptions: %v", err)
	}
	c.Domain = env.Endpoint
	c.SetHTTPSInsecure(true)
	return c
}

// wantCode checks that err is an ENS error answer with code and status.
func wantCode(t testing.TB, err error, code string, status int) {
	t.Helper()
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("want ServerError %s, got %T %v", code, err, err)
	}
	if se.ErrorCode() != code || se.HttpStatus() != status {
		t.Fatalf("want %s/%d, got %s/%d: %s", code, status, se.ErrorCode(), se.HttpStatus(), se.Message())
	}
	if se.RequestId() == "" {
		t.Fatalf("error answer has no RequestId")
	}
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// lbRequest is a valid hefei CreateLoadBalancer request (every required
// parameter set).
func lbRequest(name, token string) *ens.CreateLoadBalancerRequest {
	req := ens.CreateCreateLoadBalancerRequest()
	req.LoadBalancerName, req.EnsRegionId, req.NetworkId, req.VSwitchId = name, hefei, "n-hefei", "vsw-hefei-1"
	req.LoadBalancerSpec, req.PayType, req.ClientToken = "elb.s1.small", "PostPaid", token
	return req
}

// eipRequest is a valid hefei CreateEipInstance request.
func eipRequest(name, token string) *ens.CreateEipInstanceRequest {
	req := ens.CreateCreateEipInstanceRequest()
	req.EnsRegionId, req.Name, req.Bandwidth, req.ClientToken = hefei, name, requests.NewInteger(10), token
	req.InstanceChargeType, req.InternetChargeType = "PostPaid", "95BandwidthByMonth"
	return req
}

func createLB(t testing.TB, c *ens.Client, name, region, network, vsw string) string {
	t.Helper()
	req := ens.CreateCreateLoadBalancerRequest()
	req.LoadBalancerName, req.EnsRegionId, req.NetworkId, req.VSwitchId = name, region, network, vsw
	req.LoadBalancerSpec, req.PayType = "elb.s2.small", "PostPaid"
	resp := must[*ens.CreateLoadBalancerResponse](t)(c.CreateLoadBalancer(req))
	return resp.LoadBalancerId
}

func createHefeiLB(t testing.TB, c *ens.Client, name string) string {
	return createLB(t, c, name, hefei, "n-hefei", "vsw-hefei-1")
}

func describeLB(t testing.TB, c *ens.Client, id string) *ens.DescribeLoadBalancerAttributeResponse {
	t.Helper()
	req := ens.CreateDescribeLoadBalancerAttributeRequest()
	req.LoadBalancerId = id
	return must[*ens.DescribeLoadBalancerAttributeResponse](t)(c.DescribeLoadBalancerAttribute(req))
}

func createEIP(t testing.TB, c *ens.Client, region, name string) string {
	t.Helper()
	req := eipRequest(name, "")
	req.EnsRegionId = region
	return must[*ens.CreateEipInstanceResponse](t)(c.CreateEipInstance(req)).AllocationId
}

// findLB is inv.LoadBalancer(id); lifecycle_test.go still calls it.
func findLB(inv ensemulator.Inventory, id string) *ensemulator.LoadBalancer {
	return inv.LoadBalancer(id)
}

// fakeClock is a settable clock that starts at the real time, so the
// SDK's timestamps stay fresh until the test moves it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// recorder serves an emulator and keeps every raw request it saw, so a
// test can replay exactly what the SDK sent.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, url, contentType, body string
}

func startRecording(t testing.TB, emu *ensemulator.Emulator) (*emulatortest.Env, *recorder) {
	t.Helper()
	rec := &recorder{}
	h := emu.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, recorded{r.Method, r.URL.String(), r.Header.Get("Content-Type"), string(body)})
		rec.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	env := &emulatortest.Env{Emulator: emu, Server: srv, URL: srv.URL, Scheme: "HTTP",
		Endpoint: strings.TrimPrefix(srv.URL, "http://"), AccessKeyID: ensemulator.DefaultAccessKeyID,
		AccessKeySecret: ensemulator.DefaultAccessKeySecret}
	return env, rec
}

func (r *recorder) last(t testing.TB) recorded {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("no request recorded")
	}
	return r.reqs[len(r.reqs)-1]
}

// replay sends a recorded request again and returns status and body.
func replay(t testing.TB, base string, rr recorded) (int, string) {
	t.Helper()
	req, err := http.NewRequest(rr.method, base+rr.url, strings.NewReader(rr.body))
	if err != nil {
		t.Fatal(err)
	}
	if rr.contentType != "" {
		req.Header.Set("Content-Type", rr.contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func lbName(i int) string { return fmt.Sprintf("lb-%03d", i) }
