//go:build scale

package scale

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// callLog sits in front of the emulator's handler and notes every RPC
// call: when its answer left, its action, the ELB it names and the HTTP
// status. The emulator's own counters (Calls, Throttled) stay the truth
// for counts; the log adds what they do not keep: which ELBs a phase read,
// and a hook the endpoint probe waits on.
type callLog struct {
	mu     sync.Mutex
	events []callEvent
	hook   func(callEvent)
}

type callEvent struct {
	At     time.Time
	Action string
	LBID   string
	Status int
}

func (l *callLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/admin/") {
			h.ServeHTTP(w, r)
			return
		}
		params, _ := url.ParseQuery(r.URL.RawQuery)
		if r.Body != nil {
			raw, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(raw))
			if form, err := url.ParseQuery(string(raw)); err == nil {
				for k, vs := range form {
					params[k] = append(params[k], vs...)
				}
			}
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		ev := callEvent{At: time.Now(), Action: params.Get("Action"), LBID: params.Get("LoadBalancerId"), Status: sw.status}
		l.mu.Lock()
		l.events = append(l.events, ev)
		hook := l.hook
		l.mu.Unlock()
		if hook != nil {
			hook(ev)
		}
	})
}

func (l *callLog) setHook(hook func(callEvent)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hook = hook
}

// readELBs are the distinct ELBs that successful read calls named between
// from and to.
func (l *callLog) readELBs(from, to time.Time) map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]bool{}
	for _, ev := range l.events {
		if ev.LBID != "" && isRead(ev.Action) && ev.Status == http.StatusOK && !ev.At.Before(from) && ev.At.Before(to) {
			out[ev.LBID] = true
		}
	}
	return out
}

// isRead: every ENS read action is a Describe….
func isRead(action string) bool { return strings.HasPrefix(action, "Describe") }

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
