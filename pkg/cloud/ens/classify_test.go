package ens

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		code   string
		status int
		want   error
	}{
		{"InvalidResourceId.NotFound", 404, ErrNotFound},
		{"InstanceNotFound", 404, ErrNotFound},
		{"EipNotFound", 404, ErrNotFound},
		{"InvalidParameter.LoadBalancerId", 400, ErrNotFound},
		{"InvalidListener.NotFound", 400, ErrNotFound},
		{"Throttling", 400, ErrThrottled},
		{"Throttling.User", 400, ErrThrottled},
		{"Throttling.Api", 400, ErrThrottled},
		{"Rejected.Throttling", 400, ErrThrottled},
		{"Throttling.Something", 400, ErrThrottled},
		{"ServiceUnavailable", 503, ErrUnavailable},
		{"InternalError", 500, ErrUnavailable},
		{"SomethingNew", 502, ErrUnavailable},
		{"", 504, ErrUnavailable},
		{"IncorrectEipStatus", 400, ErrConflict},
		{"IncorrectStatus.LoadBalancer", 400, ErrConflict},
		{"IncorrectInstanceStatus", 400, ErrConflict},
		{"Listener.Conflict", 400, ErrConflict},
		{"ListenerAlreadyExists", 400, ErrConflict},
		{"ListenerPortConflict", 400, ErrConflict},
		{"Eip.AlreadyExists", 400, ErrConflict},
		{"", 409, ErrConflict},
		{"InvalidParameter", 400, ErrInvalidInput},
		{"InvalidParameter.Bandwidth", 400, ErrInvalidInput},
		{"MissingParameter", 400, ErrInvalidInput},
		{"MissingParameter.LoadBalancerId", 400, ErrInvalidInput},
		{"InvalidAction.NotFound", 404, ErrInvalidInput},
		{"NoPermission", 403, ErrAuth},
		{"Forbidden.RAM", 403, ErrAuth},
		{"SignatureDoesNotMatch", 400, ErrAuth},
		{"InvalidAccessKeyId.NotFound", 404, ErrAuth},
		{"InvalidAccessKeyId.Inactive", 400, ErrAuth},
		{"RegionAccessDenied", 400, ErrAuth},
		{"InvalidTimeStamp.Expired", 400, ErrTransient},
		{"SignatureNonceUsed", 400, ErrTransient},
		{"InvalidTimeStamp.Format", 400, ErrAuth},
		{"", 401, ErrAuth},
		{"", 429, ErrThrottled},
		{"", 404, ErrNotFound},
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
		if errors.Is(err, ErrAuth) != tc.auth || IsRetryable(err) != tc.retryable {
			t.Errorf("%s: ErrAuth %v, retryable %v; want %v, %v", tc.code, errors.Is(err, ErrAuth), IsRetryable(err), tc.auth, tc.retryable)
		}
	}
}

func TestClassify(t *testing.T) {
	if classify("A", nil) != nil {
		t.Error("nil error classified as an error")
	}
	body := `{"RequestId":"req-1","HostId":"h","Code":"Throttling.User","Message":"slow down"}`
	err := classify("DescribeLoadBalancers", sdkerrors.NewServerError(400, body, ""))
	want := &APIError{Action: "DescribeLoadBalancers", Code: "Throttling.User", Message: "slow down", HTTPStatus: 400, RequestID: "req-1", Kind: ErrThrottled}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || *apiErr != *want {
		t.Fatalf("got %#v, want %#v", err, want)
	}
	if !errors.Is(err, ErrThrottled) || errors.Is(err, ErrNotFound) || !IsRetryable(err) {
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
	if !errors.Is(err, ErrUnavailable) || !IsRetryable(err) || metricCode(err) != "HTTP502" {
		t.Errorf("502: %v (metric %s)", err, metricCode(err))
	}

	// An unclassified 400 is neither a known kind nor retryable.
	err = classify("X", sdkerrors.NewServerError(400, `{"Code":"Weird"}`, ""))
	if errors.Is(err, ErrInvalidInput) || IsRetryable(err) {
		t.Errorf("unclassified 400: %v", err)
	}

	// The SDK's own errors (cannot parse an answer) are not retryable.
	err = classify("X", sdkerrors.NewClientError(sdkerrors.JsonUnmarshalErrorCode, "bad json", nil))
	if !errors.As(err, &apiErr) || apiErr.Code != sdkerrors.JsonUnmarshalErrorCode || IsRetryable(err) {
		t.Errorf("client error: %#v", err)
	}
}

func TestClassifyTransport(t *testing.T) {
	secretURL := "https://ens.example/?SecurityToken=" + testToken + "&Signature=abc"
	err := classify("X", &url.Error{Op: "Get", URL: secretURL, Err: context.DeadlineExceeded})
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) || !IsRetryable(err) {
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
	if !errors.As(err, &te) || !IsRetryable(err) || metricCode(err) != "Transport" {
		t.Errorf("dial error: %#v", err)
	}
	if IsRetryable(nil) {
		t.Error("nil is retryable")
	}
	if IsRetryable(&APIError{HTTPStatus: 400}) || !IsRetryable(&APIError{HTTPStatus: 500}) {
		t.Error("IsRetryable by status wrong")
	}
	if metricCode(nil) != "OK" {
		t.Error("success code is not OK")
	}
	_ = fmt.Sprint(err)
}

func TestRedactError(t *testing.T) {
	creds := credentials{accessKeySecret: "a b/c", securityToken: testToken}
	err := redactError(&APIError{Message: "echo a b/c and a+b%2Fc and " + testToken + " and a%2Bb%252Fc"}, creds)
	if got := err.(*APIError).Message; got != "echo REDACTED and REDACTED and REDACTED and REDACTED" {
		t.Errorf("message = %q", got)
	}
	err = redactError(&APIError{Message: "mismatch. server string to sign is:GET&%2F&SecurityToken%3Dx"}, credentials{})
	if got := err.(*APIError).Message; got != "mismatch. server string to sign is: REDACTED" {
		t.Errorf("message = %q", got)
	}
	plain := errors.New("plain")
	if redactError(plain, creds) != plain || redactError(nil, creds) != nil {
		t.Error("non-API errors changed")
	}
}
