package ensemulator_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ens"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

func TestWrongCredentials(t *testing.T) {
	env := emulatortest.Start(t)
	_, err := newClientWithKeys(t, env, "someone-else", env.AccessKeySecret).DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest())
	wantCode(t, err, "InvalidAccessKeyId.NotFound", 404)
	_, err = newClientWithKeys(t, env, env.AccessKeyID, "wrong-secret").DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest())
	wantCode(t, err, "SignatureDoesNotMatch", 400)
	if n := env.Emulator.Calls()["DescribeLoadBalancers"]; n != 0 {
		t.Fatalf("unauthenticated calls were counted: %d", n)
	}
}

// TestSeveralAccessKeys: each request is verified with the secret of its
// own AccessKeyId, so one account can have several users.
func TestSeveralAccessKeys(t *testing.T) {
	env := emulatortest.Start(t, emulatortest.WithCredentials(
		ensemulator.Credential{AccessKeyID: "ak-controller", AccessKeySecret: "secret-controller"},
		ensemulator.Credential{AccessKeyID: "ak-user", AccessKeySecret: "secret-user"}))
	for _, cred := range env.Credentials {
		c := newClientWithKeys(t, env, cred.AccessKeyID, cred.AccessKeySecret)
		must[*ens.DescribeLoadBalancersResponse](t)(c.DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest()))
	}
	// Another user's secret does not sign for this id.
	_, err := newClientWithKeys(t, env, "ak-controller", "secret-user").DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest())
	wantCode(t, err, "SignatureDoesNotMatch", 400)
	_, err = newClientWithKeys(t, env, "ak-nobody", "secret-user").DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest())
	wantCode(t, err, "InvalidAccessKeyId.NotFound", 404)
	if n := env.Emulator.Calls()["DescribeLoadBalancers"]; n != 3 {
		t.Fatalf("DescribeLoadBalancers calls = %d, want the 3 authenticated ones", n)
	}
}

func TestCredentialsConfigErrors(t *testing.T) {
	for name, creds := range map[string][]ensemulator.Credential{
		"empty id":             {{AccessKeySecret: "s"}},
		"empty secret":         {{AccessKeyID: "ak"}},
		"two secrets, one id":  {{AccessKeyID: "ak", AccessKeySecret: "s1"}, {AccessKeyID: "ak", AccessKeySecret: "s2"}},
		"clash with the first": {{AccessKeyID: ensemulator.DefaultAccessKeyID, AccessKeySecret: "other"}},
	} {
		if _, err := ensemulator.New(ensemulator.Config{Credentials: creds}); err == nil {
			t.Errorf("%s: New accepted %+v", name, creds)
		}
	}
	same := []ensemulator.Credential{{AccessKeyID: ensemulator.DefaultAccessKeyID, AccessKeySecret: ensemulator.DefaultAccessKeySecret}}
	if _, err := ensemulator.New(ensemulator.Config{Credentials: same}); err != nil {
		t.Errorf("the first credential repeated: %v", err)
	}
}

func TestStaleTimestampRejected(t *testing.T) {
	clock := newFakeClock()
	env := emulatortest.Start(t, emulatortest.WithClock(clock.Now))
	c := newClient(t, env)
	clock.Advance(16 * time.Minute)
	_, err := c.DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest())
	wantCode(t, err, "InvalidTimeStamp.Expired", 400)
	clock.Advance(-32 * time.Minute) // the request is now from the future
	_, err = c.DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest())
	wantCode(t, err, "InvalidTimeStamp.Expired", 400)
	clock.Advance(16*time.Minute + 5*time.Minute)
	must[*ens.DescribeLoadBalancersResponse](t)(c.DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest()))
}

func TestReplayedNonceRejected(t *testing.T) {
	emu, err := ensemulator.New(ensemulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	env, rec := startRecording(t, emu)
	c := newClient(t, env)
	createHefeiLB(t, c, "once") // a POST
	sent := rec.last(t)
	status, body := replay(t, env.URL, sent)
	if status != 400 || !strings.Contains(body, `"Code":"SignatureNonceUsed"`) {
		t.Fatalf("replay answered %d %s", status, body)
	}
	if n := len(emu.Inventory().LoadBalancers); n != 3 {
		t.Fatalf("ELBs = %d after a replayed create, want 3", n)
	}
	must[*ens.DescribeLoadBalancersResponse](t)(c.DescribeLoadBalancers(ens.CreateDescribeLoadBalancersRequest())) // a GET
	sent = rec.last(t)
	if sent.method != http.MethodGet {
		t.Fatalf("DescribeLoadBalancers went out as %s", sent.method)
	}
	if status, body := replay(t, env.URL, sent); status != 400 || !strings.Contains(body, "SignatureNonceUsed") {
		t.Fatalf("GET replay answered %d %s", status, body)
	}
}

// signedRequest builds a request by hand, signed like the SDK does, with
// the parameters in the query (GET) or the form body (POST).
func signedRequest(t *testing.T, env *emulatortest.Env, method string, extra map[string]string) *http.Request {
	t.Helper()
	v := url.Values{
		"Version": {ensemulator.APIVersion}, "Format": {"JSON"}, "AccessKeyId": {env.AccessKeyID},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureVersion": {"1.0"}, "SignatureType": {""},
		"SignatureNonce": {time.Now().Format(time.RFC3339Nano) + t.Name()}, "Timestamp": {time.Now().UTC().Format("2006-01-02T15:04:05Z")},
	}
	for k, val := range extra {
		v.Set(k, val)
	}
	v.Set("Signature", ensemulator.Sign(method, v, env.AccessKeySecret))
	if method == http.MethodGet {
		req, _ := http.NewRequest(method, env.URL+"/?"+v.Encode(), nil)
		return req
	}
	req, _ := http.NewRequest(method, env.URL+"/", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func doJSON(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return resp.StatusCode, body
}

func TestHandBuiltRequests(t *testing.T) {
	env := emulatortest.Start(t)
	tests := []struct {
		name   string
		method string
		params map[string]string
		status int
		code   string
	}{
		{"POST with form body", http.MethodPost, map[string]string{"Action": "DescribeNetworks"}, 200, ""},
		{"GET with query", http.MethodGet, map[string]string{"Action": "DescribeNetworks"}, 200, ""},
		{"unknown action", http.MethodGet, map[string]string{"Action": "DescribeDragons"}, 404, "InvalidAction.NotFound"},
		{"no action", http.MethodGet, map[string]string{}, 400, "MissingParameter"},
		{"wrong version", http.MethodGet, map[string]string{"Action": "DescribeNetworks", "Version": "2014-05-26"}, 400, "InvalidVersion"},
		{"bad timestamp", http.MethodGet, map[string]string{"Action": "DescribeNetworks", "Timestamp": "yesterday"}, 400, "InvalidTimeStamp.Format"},
		{"other signature method", http.MethodGet, map[string]string{"Action": "DescribeNetworks", "SignatureMethod": "HMAC-SHA256"}, 400, "InvalidSignatureMethod"},
		{"no nonce", http.MethodGet, map[string]string{"Action": "DescribeNetworks", "SignatureNonce": ""}, 400, "MissingParameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := doJSON(t, signedRequest(t, env, tc.method, tc.params))
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if tc.code == "" {
				if _, ok := body["Networks"]; !ok {
					t.Fatalf("no Networks in %v", body)
				}
				return
			}
			if body["Code"] != tc.code || body["RequestId"] == "" || body["HostId"] == "" || body["Message"] == "" {
				t.Fatalf("error body %v, want code %s", body, tc.code)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodPut, env.URL+"/?Action=DescribeNetworks", nil)
	if status, body := doJSON(t, req); status != 400 || body["Code"] != "InvalidParameter" {
		t.Fatalf("PUT answered %d %v", status, body)
	}
}

func TestHTTPS(t *testing.T) {
	env := emulatortest.Start(t, emulatortest.WithTLS())
	if env.Scheme != "HTTPS" || !strings.HasPrefix(env.URL, "https://") {
		t.Fatalf("env = %+v", env)
	}
	c := newClient(t, env)
	resp := must[*ens.DescribeNetworksResponse](t)(c.DescribeNetworks(ens.CreateDescribeNetworksRequest()))
	if resp.TotalCount != 2 {
		t.Fatalf("networks over HTTPS = %d", resp.TotalCount)
	}
}
