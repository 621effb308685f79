package ensemulator

import (
	"fmt"
	"net/http"
	"strings"
)

// Error codes the emulator answers with. They are the codes real ENS (and
// the Alibaba Cloud API gateway in front of it) uses for the same cases.
const (
	CodeInvalidParameter        = "InvalidParameter"
	CodeMissingParameter        = "MissingParameter"
	CodeInvalidAction           = "InvalidAction.NotFound"
	CodeInvalidVersion          = "InvalidVersion"
	CodeInvalidAccessKeyID      = "InvalidAccessKeyId.NotFound"
	CodeSignatureDoesNotMatch   = "SignatureDoesNotMatch"
	CodeSignatureNonceUsed      = "SignatureNonceUsed"
	CodeTimestampExpired        = "InvalidTimeStamp.Expired"
	CodeTimestampFormat         = "InvalidTimeStamp.Format"
	CodeUnsupportedSignature    = "InvalidSignatureMethod"
	CodeResourceNotFound        = "InvalidResourceId.NotFound"
	CodeLoadBalancerNotFound    = "LoadBalancerNotFound"
	CodeInstanceNotFound        = "InstanceNotFound"
	CodeEipNotFound             = "EipNotFound"
	CodeIncorrectEipStatus      = "IncorrectEipStatus"
	CodeIncorrectInstanceStatus = "IncorrectInstanceStatus"
	CodeListenerAlreadyExists   = "ListenerAlreadyExists"
	CodeListenerPortConflict    = "ListenerPortConflict"
	CodeThrottling              = "Throttling"
	CodeServiceUnavailable      = "ServiceUnavailable"
	CodeInternalError           = "InternalError"
)

// apiError is an ENS error answer: an HTTP status and a string Code.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message) }

func newError(code, format string, args ...any) *apiError {
	return &apiError{Status: StatusForCode(code), Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalidParam(format string, args ...any) *apiError {
	return newError(CodeInvalidParameter, format, args...)
}

// invalidParamOf is the InvalidParameter.<Name> answer ENS gives for a
// parameter out of its range or set.
func invalidParamOf(name, format string, args ...any) *apiError {
	return newError(CodeInvalidParameter+"."+name, format, args...)
}

func missingParam(name string) *apiError {
	return newError(CodeMissingParameter,
		"The input parameter %q that is mandatory for processing this request is not supplied.", name)
}

// Not-found answers per resource kind, HTTP 400 as on real ENS
// (ens-openapi.md, "Not found: HTTP 400 with LoadBalancerNotFound,
// InstanceNotFound, EipNotFound (not 404)").
func lbNotFound(id string) *apiError {
	return newError(CodeLoadBalancerNotFound, "The specified load balancer %q does not exist.", id)
}

func instanceNotFound(id string) *apiError {
	return newError(CodeInstanceNotFound, "The specified instance %q does not exist.", id)
}

func eipNotFound(id string) *apiError {
	return newError(CodeEipNotFound, "The specified EIP %q does not exist.", id)
}

// notFoundByID is the not-found answer for an id of unknown kind
// (ReleaseInstance takes every kind): by its prefix.
func notFoundByID(id string) *apiError {
	switch {
	case strings.HasPrefix(id, "lb-"):
		return lbNotFound(id)
	case strings.HasPrefix(id, "eip-"):
		return eipNotFound(id)
	}
	return instanceNotFound(id)
}

// StatusForCode is the HTTP status ENS answers a code with: 404 for the
// gateway's not-found codes (unknown action, access key, resource id),
// 503/500 for service faults, 400 for everything else (ENS's own
// not-found codes and throttling included, as Alibaba Cloud does).
func StatusForCode(code string) int {
	switch {
	case code == CodeServiceUnavailable:
		return http.StatusServiceUnavailable
	case code == CodeInternalError || strings.HasPrefix(code, "InternalError."):
		return http.StatusInternalServerError
	case code == CodeInvalidAction, code == CodeInvalidAccessKeyID, code == CodeResourceNotFound:
		return http.StatusNotFound
	case code == "Forbidden" || strings.HasPrefix(code, "Forbidden.") || code == "NoPermission":
		return http.StatusForbidden
	default:
		return http.StatusBadRequest
	}
}
