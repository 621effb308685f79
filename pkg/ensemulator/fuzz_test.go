package ensemulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func fuzzRequest(method, query, body, contentType string) *http.Request {
	return &http.Request{
		Method: method, URL: &url.URL{Path: "/", RawQuery: query},
		Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(strings.NewReader(body)),
	}
}

// checkAnswer insists on a 200 or an ENS error body with a string Code.
func checkAnswer(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code == http.StatusOK {
		return
	}
	var body struct{ Code, Message, RequestId string }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Code == "" || body.RequestId == "" {
		t.Fatalf("status %d with body %q (%v)", w.Code, w.Body.String(), err)
	}
}

// FuzzDecodeRequest feeds malformed requests to the decoder and the
// whole handler: no panic, and every failure is a proper ENS error.
func FuzzDecodeRequest(f *testing.F) {
	f.Add("GET", "Action=DescribeNetworks&Version=2017-11-10", "", "")
	f.Add("POST", "a=%zz&b", "BackendServers=%5B%7B", "application/x-www-form-urlencoded")
	f.Add("POST", ";;;&&==", "x=1&x=2", "")
	f.Add("PATCH", "", "", "text/plain")
	emu, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	h := emu.Handler()
	f.Fuzz(func(t *testing.T, method, query, body, contentType string) {
		req, aerr := decodeRequest(fuzzRequest(method, query, body, contentType))
		if (req == nil) == (aerr == nil) {
			t.Fatalf("decodeRequest returned %v and %v", req, aerr)
		}
		if aerr != nil && (aerr.Code == "" || aerr.Status < 400) {
			t.Fatalf("bad error %+v", aerr)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, fuzzRequest(method, query, body, contentType))
		checkAnswer(t, w)
	})
}

// FuzzSignedCall signs arbitrary parameters correctly so that they reach
// the action handlers: no panic, and answers are 200 or ENS errors.
func FuzzSignedCall(f *testing.F) {
	for _, seed := range []string{
		"Action=AddBackendServers&LoadBalancerId=lb-hefei-existing&BackendServers=%5B%7B%22ServerId%22%3A1%7D%5D",
		"Action=AddBackendServers&LoadBalancerId=lb-hefei-existing&BackendServers=null",
		"Action=DescribeInstances&InstanceIds=%5B1%2C2%5D&PageSize=-1",
		"Action=CreateLoadBalancerTCPListener&LoadBalancerId=lb-hefei-existing&ListenerPort=99999999999999999999",
		"Action=DescribeLoadBalancers&PageNumber=9223372036854775807&PageSize=100",
		"Action=CreateLoadBalancer&LoadBalancerName=x&EnsRegionId=cn-hefei-cmcc-2&NetworkId=n-hefei&VSwitchId=vsw-hefei-1&LoadBalancerSpec=elb.s1.small",
		"Action=StartLoadBalancerListener&LoadBalancerId=lb-hefei-existing&ListenerPort=80&ListenerProtocol=%00",
		"Action=ReleaseInstance&InstanceId=eip-hefei-existing",
		"Action=DescribeNetworks&NetworkIds.1=n-hefei&NetworkIds.3=x",
	} {
		f.Add(seed)
	}
	emu, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	h := emu.Handler()
	seq := 0
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		seq++
		v.Set("Version", APIVersion)
		v.Set("AccessKeyId", DefaultAccessKeyID)
		v.Set("SignatureMethod", "HMAC-SHA1")
		v.Set("SignatureNonce", fmt.Sprint("fuzz-", seq, "-", time.Now().UnixNano()))
		v.Set("Timestamp", time.Now().UTC().Format(timestampLayout))
		v.Set("Signature", Sign(http.MethodGet, v, DefaultAccessKeySecret))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, fuzzRequest(http.MethodGet, v.Encode(), "", ""))
		checkAnswer(t, w)
	})
}
