package elbmodel

import (
	"errors"
	"fmt"
)

// InputError is a problem with the user's objects (annotations, ports, pool
// network, ELB id, sharing, listener conflicts). The controller reports it
// as a Warning event and a False condition, changes nothing in the cloud, and
// does not retry until the objects change.
type InputError struct {
	// Reason is the event and condition reason (apis.Event*).
	Reason string
	// Field names what is at fault: an annotation key or a field path.
	Field string
	// Message says what is wrong with it.
	Message string
	// Unusable says the PoolService's user-managed ELB cannot serve it
	// (gone, elsewhere, someone else's): it must stop advertising it.
	Unusable bool
}

func (e *InputError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }

// AsInputError returns the InputError in err's chain, or nil.
func AsInputError(err error) *InputError {
	var ie *InputError
	if errors.As(err, &ie) {
		return ie
	}
	return nil
}
