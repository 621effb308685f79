package elb

import (
	"errors"
	"fmt"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
)

// What a cloud answer means for a sync.

// waitOnConflict turns an invalid-state answer (the object is still
// changing state) into an elbmodel.NotNow; other errors pass through. The reason
// names the ENS code, not the request id, so a wait that lasts writes the
// same status every round.
func waitOnConflict(err error, format string, args ...any) error {
	if !errors.Is(err, cloud.ErrConflict) {
		return err
	}
	code := "changing state"
	var apiErr *cloud.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.Code
	}
	return &elbmodel.NotNow{Why: fmt.Sprintf(format, args...) + " is changing state (" + code + ")"}
}

// ignoreNotFound: a step whose object is gone already is done.
func ignoreNotFound(err error) error {
	if errors.Is(err, cloud.ErrNotFound) {
		return nil
	}
	return err
}
