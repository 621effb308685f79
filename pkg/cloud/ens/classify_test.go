package ens

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		code   string
		status int
		want   error
	}{
		{"InvalidResourceId.NotFound", 404, cloud.ErrNotFound},
		{"InstanceNotFound", 404, cloud.ErrNotFound},
		{"EipNotFound", 404, cloud.ErrNotFound},
		{"InvalidParameter.LoadBalancerId", 400, cloud.ErrNotFound},
		{"InvalidListener.NotFound", 400, cloud.ErrNotFound},
		{"Throttling", 400, cloud.ErrThrottled},
		{"Throttling.User", 400, cloud.ErrThrottled},
		{"Throttling.Api", 400, cloud.ErrThrottled},
		{"Rejected.Throttling", 400, cloud.ErrThrottled},
		{"Throttling.Something", 400, cloud.ErrThrottled},
		{"ServiceUnavailable", 503, cloud.ErrUnavailable},
		{"InternalError", 500, cloud.ErrUnavailable},
		{"SomethingNew", 502, cloud.ErrUnavailable},
		{"", 504, cloud.ErrUnavailable},
		{"IncorrectEipStatus", 400, cloud.ErrConflict},
		{"IncorrectStatus.LoadBalancer", 400, cloud.ErrConflict},
		{"IncorrectInstanceStatus", 400, cloud.ErrConflict},
		{"Listener.Conflict", 400, cloud.ErrConflict},
		{"ListenerAlreadyExists", 400, cloud.ErrConflict},
		{"ListenerPortConflict", 400, cloud.ErrConflict},
		{"Eip.AlreadyExists", 400, cloud.ErrConflict},
		{"", 409, cloud.ErrConflict},
		{"InvalidParameter", 400, cloud.ErrInvalidInput},
		{"InvalidParameter.Bandwidth", 400, cloud.ErrInvalidInput},
		{"MissingParameter", 400, cloud.ErrInvalidInput},
		{"MissingParameter.LoadBalancerId", 400, cloud.ErrInvalidInput},
		{"InvalidAction.NotFound", 404, cloud.ErrInvalidInput},
		{"NoPermission", 403, cloud.ErrAuth},
		{"Forbidden.RAM", 403, cloud.ErrAuth},
		{"SignatureDoesNotMatch", 400, cloud.ErrAuth},
		{"InvalidAccessKeyId.NotFound", 404, cloud.ErrAuth},
		{"InvalidAccessKeyId.Inactive", 400, cloud.ErrAuth},
		{"RegionAccessDenied", 400, cloud.ErrAuth},
		{"InvalidTimeStamp.Expired", 400, cloud.ErrTransient},
		{"SignatureNonceUsed", 400, cloud.ErrTransient},
		{"InvalidTimeStamp.Format", 400, cloud.ErrAuth},
		{"", 401, cloud.ErrAuth},
		{"", 429, cloud.ErrThrottled},
		{"", 404, cloud.ErrNotFound},
		{"SomethingNew", 400, nil},
	} {
		if got := kindOf(tc.code, tc.status); got != tc.want {
			t.Errorf("kindOf(%q, %d) = %v, want %v", tc.code, tc.status, got, tc.want)
		}
	}
}

// TestAuthOrTransient: of the gateway's signature answers only the ones a
// new attempt cannot change are ErrAuth; a reused nonce and an expired
// timestamp are retryable and not ErrAuth.
func TestAuthOrTransient(t *testing.T) {
	for _, tc := range []struct {
		code      string
		status    int
		auth      bool
		retryable bool
	}{
		{"SignatureNonceUsed", 400, false, true},
		{"InvalidTimeStamp.Expired", 400, false, true},
		{"SignatureDoesNotMatch", 400, true, false},
		{"InvalidAccessKeyId.NotFound", 404, true, false},
		{"InvalidAccessKeyId.Inactive", 400, true, false},
		{"NoPermission", 403, true, false},
	} {
		body := `{"RequestId":"r","Code":"` + tc.code + `","Message":"m"}`
		err := classify("DescribeLoadBalancers", sdkerrors.NewServerError(tc.status, body, ""))
		if errors.Is(err, cloud.ErrAuth) != tc.auth || retryable(err) != tc.retryable {
			t.Errorf("%s: ErrAuth %v, retryable %v; want %v, %v", tc.code, errors.Is(err, cloud.ErrAuth), retryable(err), tc.auth, tc.retryable)
		}
	}
}

func TestClassify(t *testing.T) {
	if classify("A", nil) != nil {
		t.Error("nil error classified as an error")
	}
	body := `{"RequestId":"req-1","HostId":"h","Code":"Throttling.User","Message":"slow down"}`
	err := classify("DescribeLoadBalancers", sdkerrors.NewServerError(400, body, ""))
	want := &cloud.APIError{Action: "DescribeLoadBalancers", Code: "Throttling.User", Message: "slow down", HTTPStatus: 400, RequestID: "req-1", Kind: cloud.ErrThrottled}
	var apiErr *cloud.APIError
	if !errors.As(err, &apiErr) || *apiErr != *want {
		t.Fatalf("got %#v, want %#v", err, want)
	}
	if !errors.Is(err, cloud.ErrThrottled) || errors.Is(err, cloud.ErrNotFound) || !retryable(err) {
		t.Errorf("throttling error kinds wrong: %v", err)
	}
	if got := err.Error(); got != "ens DescribeLoadBalancers: Throttling.User (http 400, request req-1): slow down" {
		t.Errorf("Error() = %q", got)
	}
	if got := metricCode(err); got != "Throttling.User" {
		t.Errorf("metricCode = %q", got)
	}

	// A bare 502 from a proxy: no JSON, classified by status.
	err = classify("X", sdkerrors.NewServerError(502, "<html>bad gateway</html>", ""))
	if !errors.Is(err, cloud.ErrUnavailable) || !retryable(err) || metricCode(err) != "HTTP502" {
		t.Errorf("502: %v (metric %s)", err, metricCode(err))
	}

	// An unclassified 400 is neither a known kind nor retryable.
	err = classify("X", sdkerrors.NewServerError(400, `{"Code":"Weird"}`, ""))
	if errors.Is(err, cloud.ErrInvalidInput) || retryable(err) {
		t.Errorf("unclassified 400: %v", err)
	}

	// The SDK's own errors (cannot parse an answer) are not retryable.
	err = classify("X", sdkerrors.NewClientError(sdkerrors.JsonUnmarshalErrorCode, "bad json", nil))
	if !errors.As(err, &apiErr) || apiErr.Code != sdkerrors.JsonUnmarshalErrorCode || retryable(err) {
		t.Errorf("client error: %#v", err)
	}
}

func TestClassifyTransport(t *testing.T) {
	secretURL := "https://ens.example/?SecurityToken=" + testToken + "&Signature=abc"
	err := classify("X", &url.Error{Op: "Get", URL: secretURL, Err: context.DeadlineExceeded})
	var te *cloud.TransportError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) || !retryable(err) {
		t.Fatalf("timeout: %#v", err)
	}
	if msg := err.Error(); msg != "ens X: context deadline exceeded" {
		t.Errorf("transport error shows more than it should: %q", msg)
	}
	if metricCode(err) != "Timeout" {
		t.Errorf("metricCode = %s", metricCode(err))
	}
	err = classify("X", &url.Error{Op: "Get", URL: secretURL, Err: context.Canceled})
	if metricCode(err) != "Canceled" {
		t.Errorf("metricCode = %s", metricCode(err))
	}
	err = classify("X", &net.OpError{Op: "dial", Err: errors.New("refused")})
	if !errors.As(err, &te) || !retryable(err) || metricCode(err) != "Transport" {
		t.Errorf("dial error: %#v", err)
	}
	if retryable(nil) {
		t.Error("nil is retryable")
	}
	if retryable(&cloud.APIError{HTTPStatus: 400}) || !retryable(&cloud.APIError{HTTPStatus: 500}) {
		t.Error("IsRetryable by status wrong")
	}
	if metricCode(nil) != "OK" {
		t.Error("success code is not OK")
	}
	_ = fmt.Sprint(err)
}

func TestRedactError(t *testing.T) {
	creds := credentials{accessKeySecret: "a b/c", securityToken: testToken}
	err := redactError(&cloud.APIError{Message: "echo a b/c and a+b%2Fc and " + testToken + " and a%2Bb%252Fc"}, creds)
	if got := err.(*cloud.APIError).Message; got != "echo REDACTED and REDACTED and REDACTED and REDACTED" {
		t.Errorf("message = %q", got)
	}
	err = redactError(&cloud.APIError{Message: "mismatch. server string to sign is:GET&%2F&SecurityToken%3Dx"}, credentials{})
	if got := err.(*cloud.APIError).Message; got != "mismatch. server string to sign is: REDACTED" {
		t.Errorf("message = %q", got)
	}
	plain := errors.New("plain")
	if redactError(plain, creds) != plain || redactError(nil, creds) != nil {
		t.Error("non-API errors changed")
	}
}
