package ens

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/google/go-cmp/cmp"
)

// cannedServer answers each Action with a fixed status and body; it checks
// nothing. It covers answers the emulator never gives (malformed ones).
func cannedServer(t *testing.T, answers map[string]string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := answers[r.URL.Query().Get("Action")]
		if !ok {
			http.Error(w, `{"Code":"InvalidAction.NotFound"}`, http.StatusNotFound)
			return
		}
		status := http.StatusOK
		if strings.HasPrefix(body, "!") { // "!502 body": a non-2xx answer
			status = 502
			body = body[5:]
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(ClientConfig{AccessKeyID: "ak", AccessKeySecret: testSecret, Endpoint: strings.TrimPrefix(srv.URL, "http://"),
		Scheme: "HTTP", QPS: 1000, Burst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMalformedAnswers(t *testing.T) {
	ctx := context.Background()
	c := cannedServer(t, map[string]string{
		"DescribeLoadBalancerAttribute": `{"RequestId":"r"}`,
		"DescribeLoadBalancerListeners": `{"TotalCount":1,"Listeners":{"Listener":[{"ListenerPort":"eighty","Protocol":"tcp"}]}}`,
		"DescribeNetworks":              `{"TotalCount":0,"Networks":{"Network":[]}}`,
		"DescribeEnsEipAddresses":       `not json`,
		"SetLoadBalancerStatus":         "!502 <html>bad gateway</html>",
		// The SDK asserts Code is a string and panics otherwise.
		"ReleaseInstance": "!502 {\"Code\":500,\"Message\":\"numeric\"}",
	})
	if _, err := c.DescribeLoadBalancer(ctx, "lb-1"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("empty DescribeLoadBalancerAttribute: %v, want not found", err)
	}
	var apiErr *cloud.APIError
	if _, err := c.ListListeners(ctx, "lb-1"); !errors.As(err, &apiErr) || apiErr.Code != "InvalidResponse" {
		t.Errorf("non-numeric listener port: %v", err)
	}
	if _, err := c.DescribeNetwork(ctx, "n-1"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("no network in answer: %v, want not found", err)
	}
	if _, err := c.ListEIPs(ctx, cloud.EIPFilter{}); !errors.As(err, &apiErr) || apiErr.Code != "SDK.JsonUnmarshalError" || retryable(err) {
		t.Errorf("unparsable answer: %v", err)
	}
	if err := c.SetLoadBalancerStatus(ctx, "lb-1", cloud.LoadBalancerActive); !errors.Is(err, cloud.ErrUnavailable) || !retryable(err) {
		t.Errorf("HTML 502: %v, want unavailable", err)
	}
	if err := c.ReleaseLoadBalancer(ctx, "lb-1"); !errors.As(err, &apiErr) || apiErr.Code != "SDK.Panic" {
		t.Errorf("numeric Code: %v, want a recovered SDK panic", err)
	}
}

func TestInstanceAddressFallbacks(t *testing.T) {
	c := cannedServer(t, map[string]string{"DescribeInstances": `{"TotalCount":2,"Instances":{"Instance":[
		{"InstanceId":"i-1","Status":"Running","PrivateIpAddresses":{"PrivateIpAddress":[{"Ip":"10.0.0.1"}]}},
		{"InstanceId":"i-2","Status":"Stopped"}]}}`})
	got, err := c.ListInstances(context.Background(), cloud.InstanceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []cloud.Instance{{ID: "i-1", Status: "Running", PrivateIP: "10.0.0.1"}, {ID: "i-2", Status: "Stopped"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNewClientErrors(t *testing.T) {
	t.Setenv(EnvAccessKeyID, "")
	t.Setenv(EnvAccessKeySecret, "")
	if _, err := NewClient(ClientConfig{}); err == nil {
		t.Error("no credentials accepted")
	}
	_, err := NewClient(ClientConfig{AccessKeyID: "ak", AccessKeySecret: testSecret, Region: "bad region!"})
	if err == nil || strings.Contains(err.Error(), testSecret) {
		t.Errorf("bad region: %v", err)
	}
}

func TestCallHonoursContext(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c, err := NewClient(ClientConfig{AccessKeyID: "ak", AccessKeySecret: "sk", Endpoint: strings.TrimPrefix(srv.URL, "http://"),
		Scheme: "HTTP", Timeout: time.Hour, QPS: 1000, Burst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{})
	var te *cloud.TransportError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) || !retryable(err) {
		t.Errorf("got %v, want a retryable transport error for the caller's deadline", err)
	}
}

func TestCallReportsSDKClientErrors(t *testing.T) {
	c := cannedServer(t, map[string]string{})
	c.cfg.Region = "not a region!" // NewClient rejects this; force it to reach call
	err := c.SetLoadBalancerStatus(context.Background(), "lb-1", cloud.LoadBalancerActive)
	var te *cloud.TransportError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "regionId") {
		t.Errorf("got %v, want the SDK's region error", err)
	}
}
