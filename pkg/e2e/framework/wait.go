package framework

import (
	"context"
	"fmt"
	"time"
)

// WaitFor polls cond every interval until it reports true, ctx ends or
// timeout passes; the error carries cond's last description of the state.
func WaitFor(ctx context.Context, timeout, interval time.Duration, cond func() (bool, string)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		ok, state := cond()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not true after %s; last state: %s", timeout, state)
		case <-tick.C:
		}
	}
}
