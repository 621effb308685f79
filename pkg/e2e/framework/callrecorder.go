package framework

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"
)

// CallRecorder sits between a manager and the emulator, like CallProxy, and
// keeps every mutating ENS call with its parameters: which ELB, listener,
// EIP and backends it named, with which AccessKey, and what it was
// answered. The emulator's counters say how many calls an AccessKey made,
// and its inventory what the calls left behind; neither says what one call
// tried to change. An oracle that judges "the controller never touched a
// user's EIP" needs that, also for a call that failed or whose effect a
// later call undid.
//
// When the target is down (the emulator being restarted) the recorder
// closes the client's connection without an answer, as a refused
// connection would look to the client, rather than inventing an HTTP
// error the emulator would never send.
type CallRecorder struct {
	Addr string

	ln  net.Listener
	srv *http.Server

	mu    sync.Mutex
	calls []RecordedCall
	reads int
	log   *os.File
	enc   *json.Encoder
}

// RecordedCall is one mutating ENS call as the recorder saw it.
type RecordedCall struct {
	At          time.Time `json:"at"`
	Action      string    `json:"action"`
	AccessKeyID string    `json:"accessKeyId"`
	// Params are the call's parameters without the signature fields
	// (Signature*, Timestamp, AccessKeyId, Format, Version).
	Params map[string]string `json:"params"`
	// Status is the HTTP status answered, 0 when there was no answer (the
	// target was down).
	Status int `json:"status"`
	// Code is the ENS error code of an error answer.
	Code string `json:"code,omitempty"`
}

// OK reports a successful call.
func (c RecordedCall) OK() bool { return c.Status == http.StatusOK }

// signingParams are left out of RecordedCall.Params: they differ on every
// call and say nothing about what it changes.
var signingParams = map[string]bool{"Signature": true, "SignatureMethod": true, "SignatureVersion": true,
	"SignatureNonce": true, "SignatureType": true, "Timestamp": true, "AccessKeyId": true, "Format": true, "Version": true}

// StartCallRecorder listens on a free loopback port and forwards to target
// (host:port, plain HTTP). With logPath set, every recorded call is also
// appended there as one JSON line.
func StartCallRecorder(target, logPath string) (*CallRecorder, error) {
	r := &CallRecorder{}
	if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		r.log, r.enc = f, json.NewEncoder(f)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Join(err, r.closeLog())
	}
	r.Addr, r.ln = ln.Addr().String(), ln
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}
	rp.ErrorHandler = dropConnection
	r.srv = &http.Server{Handler: r.wrap(rp), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// Endpoint is the host:port to put in the manager's cloud config.
func (r *CallRecorder) Endpoint() string { return r.Addr }

// Close stops the recorder and closes its log.
func (r *CallRecorder) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := r.srv.Shutdown(ctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, r.closeLog())
}

func (r *CallRecorder) closeLog() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.log == nil {
		return nil
	}
	err := r.log.Close()
	r.log, r.enc = nil, nil
	return err
}

// Calls returns every mutating call recorded so far, in the order their
// answers left.
func (r *CallRecorder) Calls() []RecordedCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// Reads is how many read (Describe…) calls went through, unrecorded.
func (r *CallRecorder) Reads() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reads
}

func (r *CallRecorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		params := req.URL.Query()
		if req.Body != nil {
			raw, _ := io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(raw))
			if form, err := url.ParseQuery(string(raw)); err == nil {
				for k, vs := range form {
					params[k] = append(params[k], vs...)
				}
			}
		}
		rec := &answerWriter{ResponseWriter: w}
		next.ServeHTTP(rec, req)
		action := params.Get("Action")
		if IsRead(action) {
			r.mu.Lock()
			r.reads++
			r.mu.Unlock()
			return
		}
		c := RecordedCall{At: time.Now(), Action: action, AccessKeyID: params.Get("AccessKeyId"),
			Params: map[string]string{}, Status: rec.status, Code: rec.code()}
		for k := range params {
			if !signingParams[k] && k != "Action" {
				c.Params[k] = params.Get(k)
			}
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.calls = append(r.calls, c)
		if r.enc != nil {
			_ = r.enc.Encode(c)
		}
	})
}

// dropConnection answers a failed forward by closing the client's
// connection.
func dropConnection(w http.ResponseWriter, _ *http.Request, _ error) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	w.WriteHeader(http.StatusBadGateway)
}

// answerWriter keeps the status (0 until one is written) and, of an error
// answer, the start of the body (where ENS puts its Code). It passes
// Hijack through, so dropConnection can close the connection.
type answerWriter struct {
	http.ResponseWriter
	status int
	head   []byte
}

func (w *answerWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *answerWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.status != http.StatusOK && len(w.head) < 1024 {
		w.head = append(w.head, b[:min(len(b), 1024-len(w.head))]...)
	}
	return w.ResponseWriter.Write(b)
}

func (w *answerWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the response writer cannot be hijacked")
	}
	return hj.Hijack()
}

func (w *answerWriter) code() string {
	if w.status == http.StatusOK || w.status == 0 {
		return ""
	}
	var body struct{ Code string }
	_ = json.Unmarshal(w.head, &body)
	return body.Code
}

// ReadRecordedCalls reads a CallRecorder's log (one JSON call a line).
func ReadRecordedCalls(path string) ([]RecordedCall, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []RecordedCall
	dec := json.NewDecoder(f)
	for {
		var c RecordedCall
		if err := dec.Decode(&c); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return out, err
		}
		out = append(out, c)
	}
}
