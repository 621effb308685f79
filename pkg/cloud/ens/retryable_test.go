package ens

import (
	"errors"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// retryable is the classification the tests check errors against: whether
// a failed call may succeed when tried again later (throttling, 5xx,
// transient request failures, timeouts and transport errors). The
// controller needs no such predicate: the workqueue retries every error.
func retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, cloud.ErrThrottled) || errors.Is(err, cloud.ErrUnavailable) || errors.Is(err, cloud.ErrTransient) {
		return true
	}
	var apiErr *cloud.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatus >= 500
	}
	return true // transport errors and timeouts
}

// Retryable exports retryable to the package's external tests.
var Retryable = retryable
