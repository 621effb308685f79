package framework

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// CallProxy sits between a manager and the emulator and notes every ENS
// call with the moment it arrived and the moment its answer left. The
// emulator counts calls per action (GET /admin/calls) but keeps no
// timeline; a benchmark that splits a run into windows (one resync pass,
// the moves of a probe) or times an EndpointSlice write against the backend
// call it caused needs one. The proxy changes nothing on the way: ENS's
// signature covers the parameters, not the host, so a manager pointed at
// the proxy talks to the emulator as before.
type CallProxy struct {
	Addr string

	ln  net.Listener
	srv *http.Server

	mu    sync.Mutex
	calls []Call
}

// Call is one ENS call as the proxy saw it.
type Call struct {
	Received, Answered time.Time
	Action             string
	AccessKeyID        string
	LoadBalancerID     string
	// BackendServers is the raw BackendServers parameter (JSON) of
	// Add/Remove/SetBackendServers.
	BackendServers string
	Status         int
	// Code is the ENS error code of a non-200 answer (e.g. Throttling.User).
	Code string
}

// OK reports a successful call.
func (c Call) OK() bool { return c.Status == http.StatusOK }

// StartCallProxy listens on a free loopback port and forwards to target
// (host:port, plain HTTP).
func StartCallProxy(target string) (*CallProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &CallProxy{Addr: ln.Addr().String(), ln: ln}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	p.srv = &http.Server{Handler: p.wrap(rp), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Endpoint is the host:port to put in the manager's cloud config.
func (p *CallProxy) Endpoint() string { return p.Addr }

// Close stops the proxy.
func (p *CallProxy) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := p.srv.Shutdown(ctx)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Calls returns every call noted so far, in the order their answers left.
func (p *CallProxy) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// CallsBetween returns the calls that arrived in [from, to).
func (p *CallProxy) CallsBetween(from, to time.Time) []Call {
	var out []Call
	for _, c := range p.Calls() {
		if !c.Received.Before(from) && c.Received.Before(to) {
			out = append(out, c)
		}
	}
	return out
}

func (p *CallProxy) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received := time.Now()
		params := r.URL.Query()
		if r.Body != nil {
			raw, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(raw))
			if form, err := url.ParseQuery(string(raw)); err == nil {
				for k, vs := range form {
					params[k] = append(params[k], vs...)
				}
			}
		}
		rec := &recordingWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		c := Call{Received: received, Answered: time.Now(), Action: params.Get("Action"),
			AccessKeyID: params.Get("AccessKeyId"), LoadBalancerID: params.Get("LoadBalancerId"),
			Status: rec.status, Code: rec.code()}
		if strings.Contains(c.Action, "BackendServers") {
			c.BackendServers = params.Get("BackendServers")
		}
		p.mu.Lock()
		p.calls = append(p.calls, c)
		p.mu.Unlock()
	})
}

// recordingWriter keeps the status and, of an error answer, the start of
// the body (where ENS puts its Code).
type recordingWriter struct {
	http.ResponseWriter
	status int
	head   []byte
}

func (w *recordingWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if w.status != http.StatusOK && len(w.head) < 1024 {
		w.head = append(w.head, b[:min(len(b), 1024-len(w.head))]...)
	}
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) code() string {
	if w.status == http.StatusOK {
		return ""
	}
	var body struct{ Code string }
	_ = json.Unmarshal(w.head, &body)
	return body.Code
}

// IsRead reports an ENS read action: every one is a Describe….
func IsRead(action string) bool { return strings.HasPrefix(action, "Describe") }

// CountCalls counts calls by action; keep (nil: all) selects them.
func CountCalls(calls []Call, keep func(Call) bool) map[string]int {
	out := map[string]int{}
	for _, c := range calls {
		if keep == nil || keep(c) {
			out[c.Action]++
		}
	}
	return out
}

// SumCounts adds up a count by action.
func SumCounts(m map[string]int) int {
	n := 0
	for v := range maps.Values(m) {
		n += v
	}
	return n
}
