package elb

import (
	"errors"
	"fmt"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
)

// notNow is a step that cannot be taken yet: a cloud object is changing
// state, or was just created and is not visible yet. It is not a failure;
// the PoolService is looked at again with a growing delay. Check it with
// errors.As.
type notNow struct {
	why string
}

func (n *notNow) Error() string { return n.why }

// asNotNow returns the notNow in err's chain, or nil.
func asNotNow(err error) *notNow {
	var n *notNow
	if errors.As(err, &n) {
		return n
	}
	return nil
}

// waitOnConflict turns an invalid-state answer (the object is still
// changing state) into a notNow; other errors pass through. The reason
// names the ENS code, not the request id, so a wait that lasts writes the
// same status every round.
func waitOnConflict(err error, format string, args ...any) error {
	if !errors.Is(err, ens.ErrConflict) {
		return err
	}
	code := "changing state"
	var apiErr *ens.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.Code
	}
	return &notNow{why: fmt.Sprintf(format, args...) + " is changing state (" + code + ")"}
}
