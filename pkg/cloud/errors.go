package cloud

import (
	"errors"
	"fmt"
	"strings"
)

// Error kinds. Callers test with errors.Is; an *APIError Is the kind its
// code maps to. Nothing above this package matches error strings.
var (
	ErrNotFound     = errors.New("not found")
	ErrThrottled    = errors.New("throttled")
	ErrConflict     = errors.New("conflict or invalid state")
	ErrInvalidInput = errors.New("invalid input")
	ErrAuth         = errors.New("not authorized")
	ErrUnavailable  = errors.New("service unavailable")
	// ErrTransient is a request refused for something a new attempt
	// changes: a signature nonce seen before or a timestamp outside the
	// accepted window (every attempt signs with a new nonce and the current
	// time). It is retryable, not an authorization failure.
	ErrTransient = errors.New("transient request failure")
)

// APIError is a failed ENS call. It never carries credentials.
type APIError struct {
	Action     string
	Code       string
	Message    string
	HTTPStatus int
	RequestID  string
	// Kind is one of the Err* values above, or nil when unclassified.
	Kind error
}

func (e *APIError) Error() string {
	return fmt.Sprintf("ens %s: %s (http %d, request %s): %s", e.Action, e.Code, e.HTTPStatus, e.RequestID, e.Message)
}

// Is reports whether the error is of the given kind.
func (e *APIError) Is(target error) bool { return e.Kind != nil && e.Kind == target }

// TransportError is a call that got no answer from ENS: connection
// failures, timeouts, cancellation. It never carries the request URL, which
// holds the signature and any security token.
type TransportError struct {
	Action string
	Err    error
}

func (e *TransportError) Error() string { return fmt.Sprintf("ens %s: %v", e.Action, e.Err) }

// Unwrap lets errors.Is see context.DeadlineExceeded and friends.
func (e *TransportError) Unwrap() error { return e.Err }

// IsIncorrectStatus reports whether ENS refused a call because of the
// object's state (IncorrectListenerStatus, IncorrectInstanceStatus,
// IncorrectEipStatus, …): the change may succeed once the object is in
// another state, e.g. a listener set only while stopped.
func IsIncorrectStatus(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && strings.HasPrefix(apiErr.Code, "Incorrect") && strings.HasSuffix(apiErr.Code, "Status")
}
