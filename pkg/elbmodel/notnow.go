package elbmodel

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// NotNow is a step that cannot be taken yet: a cloud object is changing
// state, or was just created and is not visible yet. It is not a failure.
// It says why; when to look again is the controller's one rule for waits
// (soon after progress, else a backoff that grows while the wait lasts).
// A plan carries it, and a cloud step returns it as an error: find it in an
// error chain with AsNotNow.
type NotNow struct {
	Why string
	// After, when set, is when looking again is worth it (a drain that
	// ends then); otherwise the controller's growing backoff applies.
	After time.Duration
	// untimed: joined with a wait without After, so the backoff applies
	// too (whichever comes first).
	untimed bool
}

// Timed reports whether only After says when to look again; otherwise the
// controller's backoff applies, capped by After when that is set.
func (n *NotNow) Timed() bool { return n.After > 0 && !n.untimed }

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

// JoinWaits joins the reasons of the waits that are set, and looks again
// at the soonest After; nil when none is set.
func JoinWaits(waits ...*NotNow) *NotNow {
	var why []string
	var after time.Duration
	untimed := false
	for _, w := range waits {
		if w == nil || w.Why == "" {
			continue
		}
		why = append(why, w.Why)
		untimed = untimed || !w.Timed()
		if w.After > 0 && (after == 0 || w.After < after) {
			after = w.After
		}
	}
	if len(why) == 0 {
		return nil
	}
	return &NotNow{Why: strings.Join(why, "; "), After: after, untimed: untimed}
}

// Reason is the reason, or "" for no wait (a nil NotNow).
func (n *NotNow) Reason() string {
	if n == nil {
		return ""
	}
	return n.Why
}
