package ens

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

// Error codes by kind. Matching is exact; prefixes and suffixes are below.
var codeKinds = map[string]error{
	"InvalidResourceId.NotFound":      ErrNotFound,
	"InstanceNotFound":                ErrNotFound,
	"EipNotFound":                     ErrNotFound,
	"InvalidParameter.LoadBalancerId": ErrNotFound,
	"LoadBalancerNotFound":            ErrNotFound,
	"ListenerNotFound":                ErrNotFound,
	"NetworkNotFound":                 ErrNotFound,

	"Throttling":          ErrThrottled,
	"Throttling.User":     ErrThrottled,
	"Throttling.Api":      ErrThrottled,
	"Rejected.Throttling": ErrThrottled,

	"ServiceUnavailable": ErrUnavailable,
	"InternalError":      ErrUnavailable,

	"InvalidAction.NotFound": ErrInvalidInput,
	"InvalidVersion":         ErrInvalidInput,

	"IncorrectEipStatus":          ErrConflict,
	"ListenerAlreadyExists":       ErrConflict,
	"ListenerPortConflict":        ErrConflict,
	"PortOccupied":                ErrConflict,
	"OperationConflict":           ErrConflict,
	"IdempotentParameterMismatch": ErrConflict,

	"NoPermission":            ErrAuth,
	"SignatureDoesNotMatch":   ErrAuth,
	"IncompleteSignature":     ErrAuth,
	"RegionAccessDenied":      ErrAuth,
	"InvalidTimeStamp.Format": ErrAuth,
	"InvalidSignatureMethod":  ErrAuth,

	// A reused nonce (a retry the gateway saw twice) or a timestamp out of
	// the window (a request delayed in a queue, a clock step) say nothing
	// about the credentials: the next attempt has a new nonce and time.
	// With a clock that stays wrong it keeps failing, but with backoff and
	// not as ErrAuth, which would send operators after the wrong cause.
	"SignatureNonceUsed":       ErrTransient,
	"InvalidTimeStamp.Expired": ErrTransient,
}

// Code shapes by kind, tried in order after the exact codes: auth first so
// that InvalidAccessKeyId.* is not taken for invalid input.
var codePatterns = []struct {
	prefix, suffix string
	kind           error
}{
	{prefix: "InvalidAccessKeyId", kind: ErrAuth},
	{prefix: "InvalidSecurityToken", kind: ErrAuth},
	{prefix: "Forbidden", kind: ErrAuth},
	{suffix: ".NotFound", kind: ErrNotFound},
	{prefix: "Throttling", kind: ErrThrottled},
	{prefix: "Incorrect", kind: ErrConflict}, // IncorrectStatus.*, Incorrect*Status
	{suffix: ".Conflict", kind: ErrConflict},
	{suffix: "AlreadyExists", kind: ErrConflict},
	{prefix: "InvalidParameter", kind: ErrInvalidInput},
	{prefix: "MissingParameter", kind: ErrInvalidInput},
	{prefix: "InvalidParam", kind: ErrInvalidInput},
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
		return ErrUnavailable
	case status == http.StatusTooManyRequests:
		return ErrThrottled
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusConflict:
		return ErrConflict
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return ErrAuth
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
		return &APIError{
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
		return &TransportError{Action: action, Err: urlErr.Err}
	}
	var clientErr *sdkerrors.ClientError
	if errors.As(err, &clientErr) {
		// The SDK could not build the request or parse the answer.
		return &APIError{Action: action, Code: clientErr.ErrorCode(), Message: clientErr.Message()}
	}
	return &TransportError{Action: action, Err: err}
}

// metricCode is the code label of a finished call.
func metricCode(err error) string {
	var apiErr *APIError
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
	var apiErr *APIError
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
