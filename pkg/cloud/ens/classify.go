package ens

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// Error codes by kind. Matching is exact; prefixes and suffixes are below.
var codeKinds = map[string]error{
	"InvalidResourceId.NotFound":      cloud.ErrNotFound,
	"InstanceNotFound":                cloud.ErrNotFound,
	"EipNotFound":                     cloud.ErrNotFound,
	"InvalidParameter.LoadBalancerId": cloud.ErrNotFound,
	"LoadBalancerNotFound":            cloud.ErrNotFound,
	"ListenerNotFound":                cloud.ErrNotFound,
	"NetworkNotFound":                 cloud.ErrNotFound,

	"Throttling":          cloud.ErrThrottled,
	"Throttling.User":     cloud.ErrThrottled,
	"Throttling.Api":      cloud.ErrThrottled,
	"Rejected.Throttling": cloud.ErrThrottled,

	"ServiceUnavailable": cloud.ErrUnavailable,
	"InternalError":      cloud.ErrUnavailable,

	"InvalidAction.NotFound": cloud.ErrInvalidInput,
	"InvalidVersion":         cloud.ErrInvalidInput,

	"IncorrectEipStatus":          cloud.ErrConflict,
	"ListenerAlreadyExists":       cloud.ErrConflict,
	"ListenerPortConflict":        cloud.ErrConflict,
	"PortOccupied":                cloud.ErrConflict,
	"OperationConflict":           cloud.ErrConflict,
	"IdempotentParameterMismatch": cloud.ErrConflict,

	"NoPermission":            cloud.ErrAuth,
	"SignatureDoesNotMatch":   cloud.ErrAuth,
	"IncompleteSignature":     cloud.ErrAuth,
	"RegionAccessDenied":      cloud.ErrAuth,
	"InvalidTimeStamp.Format": cloud.ErrAuth,
	"InvalidSignatureMethod":  cloud.ErrAuth,

	// A reused nonce (a retry the gateway saw twice) or a timestamp out of
	// the window (a request delayed in a queue, a clock step) say nothing
	// about the credentials: the next attempt has a new nonce and time.
	// With a clock that stays wrong it keeps failing, but with backoff and
	// not as ErrAuth, which would send operators after the wrong cause.
	"SignatureNonceUsed":       cloud.ErrTransient,
	"InvalidTimeStamp.Expired": cloud.ErrTransient,
}

// Code shapes by kind, tried in order after the exact codes: auth first so
// that InvalidAccessKeyId.* is not taken for invalid input.
var codePatterns = []struct {
	prefix, suffix string
	kind           error
}{
	{prefix: "InvalidAccessKeyId", kind: cloud.ErrAuth},
	{prefix: "InvalidSecurityToken", kind: cloud.ErrAuth},
	{prefix: "Forbidden", kind: cloud.ErrAuth},
	{suffix: ".NotFound", kind: cloud.ErrNotFound},
	{prefix: "Throttling", kind: cloud.ErrThrottled},
	{prefix: "Incorrect", kind: cloud.ErrConflict}, // IncorrectStatus.*, Incorrect*Status
	{suffix: ".Conflict", kind: cloud.ErrConflict},
	{suffix: "AlreadyExists", kind: cloud.ErrConflict},
	{prefix: "InvalidParameter", kind: cloud.ErrInvalidInput},
	{prefix: "MissingParameter", kind: cloud.ErrInvalidInput},
	{prefix: "InvalidParam", kind: cloud.ErrInvalidInput},
}

// kindOf maps an ENS error code and HTTP status to an error kind.
func kindOf(code string, status int) error {
	if kind, ok := codeKinds[code]; ok {
		return kind
	}
	for _, p := range codePatterns {
		if p.prefix != "" && strings.HasPrefix(code, p.prefix) ||
			p.suffix != "" && strings.HasSuffix(code, p.suffix) {
			return p.kind
		}
	}
	switch {
	case status >= http.StatusInternalServerError:
		return cloud.ErrUnavailable
	case status == http.StatusTooManyRequests:
		return cloud.ErrThrottled
	case status == http.StatusNotFound:
		return cloud.ErrNotFound
	case status == http.StatusConflict:
		return cloud.ErrConflict
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return cloud.ErrAuth
	}
	return nil
}

// classify turns what the SDK returned into an *APIError or a
// *TransportError; nil stays nil.
func classify(action string, err error) error {
	if err == nil {
		return nil
	}
	var serverErr *sdkerrors.ServerError
	if errors.As(err, &serverErr) {
		return &cloud.APIError{
			Action:     action,
			Code:       serverErr.ErrorCode(),
			Message:    serverErr.Message(),
			HTTPStatus: serverErr.HttpStatus(),
			RequestID:  serverErr.RequestId(),
			Kind:       kindOf(serverErr.ErrorCode(), serverErr.HttpStatus()),
		}
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		// Drop the URL: its query holds the signature and security token.
		return &cloud.TransportError{Action: action, Err: urlErr.Err}
	}
	var clientErr *sdkerrors.ClientError
	if errors.As(err, &clientErr) {
		// The SDK could not build the request or parse the answer.
		return &cloud.APIError{Action: action, Code: clientErr.ErrorCode(), Message: clientErr.Message()}
	}
	return &cloud.TransportError{Action: action, Err: err}
}

// metricCode is the code label of a finished call.
func metricCode(err error) string {
	var apiErr *cloud.APIError
	switch {
	case err == nil:
		return "OK"
	case errors.As(err, &apiErr) && apiErr.Code != "":
		return apiErr.Code
	case errors.As(err, &apiErr):
		return "HTTP" + strconv.Itoa(apiErr.HTTPStatus)
	case errors.Is(err, context.DeadlineExceeded):
		return "Timeout"
	case errors.Is(err, context.Canceled):
		return "Canceled"
	default:
		return "Transport"
	}
}

// stringToSignMarker starts the part of a SignatureDoesNotMatch message
// that echoes the signed request, security token included.
const stringToSignMarker = "string to sign is:"

// redactError removes credentials from an ENS error message: the echoed
// string to sign, and the secret or token in any encoding.
func redactError(err error, creds credentials) error {
	var apiErr *cloud.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	msg := apiErr.Message
	if i := strings.Index(msg, stringToSignMarker); i >= 0 {
		msg = msg[:i+len(stringToSignMarker)] + " " + redacted
	}
	for _, secret := range []string{creds.accessKeySecret, creds.securityToken} {
		if secret == "" {
			continue
		}
		once := url.QueryEscape(secret)
		for _, form := range []string{secret, once, url.QueryEscape(once)} {
			msg = strings.ReplaceAll(msg, form, redacted)
		}
	}
	apiErr.Message = msg
	return err
}
