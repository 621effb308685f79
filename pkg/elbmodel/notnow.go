package elbmodel

import (
	"errors"
	"fmt"
	"strings"
)

// NotNow is a step that cannot be taken yet: a cloud object is changing
// state, or was just created and is not visible yet. It is not a failure.
// It says why; when to look again is the controller's one rule for waits
// (soon after progress, else a backoff that grows while the wait lasts).
// A plan carries it, and a cloud step returns it as an error: find it in an
// error chain with AsNotNow.
type NotNow struct {
	Why string
}

func (n *NotNow) Error() string { return n.Why }

// Waitf is a NotNow with a formatted reason.
func Waitf(format string, args ...any) *NotNow {
	return &NotNow{Why: fmt.Sprintf(format, args...)}
}

// AsNotNow returns the NotNow in err's chain, or nil.
func AsNotNow(err error) *NotNow {
	var n *NotNow
	if errors.As(err, &n) {
		return n
	}
	return nil
}

// JoinWaits joins the reasons of the waits that are set; nil when none is.
func JoinWaits(waits ...*NotNow) *NotNow {
	var why []string
	for _, w := range waits {
		if w != nil && w.Why != "" {
			why = append(why, w.Why)
		}
	}
	if len(why) == 0 {
		return nil
	}
	return &NotNow{Why: strings.Join(why, "; ")}
}

// Reason is the reason, or "" for no wait (a nil NotNow).
func (n *NotNow) Reason() string {
	if n == nil {
		return ""
	}
	return n.Why
}
