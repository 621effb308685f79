package ensemulator

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
)

// CallStats is the GET /admin/calls answer: authenticated calls per
// action, in total, and per AccessKeyId. Calls refused by the rate limits
// are counted in Throttled only.
type CallStats struct {
	Calls         map[string]int            `json:"calls"`
	Total         int                       `json:"total"`
	MutatingCalls int                       `json:"mutatingCalls"`
	Throttled     map[string]int            `json:"throttled"`
	ByAccessKey   map[string]AccessKeyCalls `json:"byAccessKey"`
}

// AccessKeyCalls are the calls one AccessKeyId made.
type AccessKeyCalls struct {
	Calls         map[string]int `json:"calls"`
	MutatingCalls int            `json:"mutatingCalls"`
	// Throttled are its calls the rate limits refused, by action.
	Throttled map[string]int `json:"throttled,omitempty"`
}

func cloneByKey(m map[string]AccessKeyCalls) map[string]AccessKeyCalls {
	out := make(map[string]AccessKeyCalls, len(m))
	for k, v := range m {
		out[k] = AccessKeyCalls{Calls: maps.Clone(v.Calls), MutatingCalls: v.MutatingCalls, Throttled: maps.Clone(v.Throttled)}
	}
	return out
}

// serveAdmin is the unsigned admin API. It reads the inventory and call
// counters and manages faults; it never changes the inventory.
func (e *Emulator) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/admin/inventory":
		e.adminRead(w, r, func() any { return e.Inventory() })
	case "/admin/calls":
		e.adminRead(w, r, func() any { return e.CallStats() })
	case "/admin/calls/reset":
		if r.Method != http.MethodPost {
			adminError(w, http.StatusMethodNotAllowed, "use POST")
			return
		}
		e.ResetCalls()
		adminJSON(w, http.StatusOK, e.CallStats())
	case "/admin/faults":
		e.adminFaults(w, r)
	default:
		adminError(w, http.StatusNotFound, "unknown admin path "+r.URL.Path)
	}
}

func (e *Emulator) adminRead(w http.ResponseWriter, r *http.Request, read func() any) {
	if r.Method != http.MethodGet {
		adminError(w, http.StatusMethodNotAllowed, "use GET")
		return
	}
	adminJSON(w, http.StatusOK, read())
}

// CallStats is what GET /admin/calls answers.
func (e *Emulator) CallStats() CallStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := CallStats{Calls: maps.Clone(e.calls), MutatingCalls: e.mutating, Throttled: maps.Clone(e.throttled), ByAccessKey: cloneByKey(e.byKey)}
	for _, n := range st.Calls {
		st.Total += n
	}
	return st
}

// adminFaults: GET reads, PUT replaces every fault, DELETE clears them.
func (e *Emulator) adminFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		adminJSON(w, http.StatusOK, e.Faults())
	case http.MethodDelete:
		e.ClearFaults()
		adminJSON(w, http.StatusOK, e.Faults())
	case http.MethodPut:
		raw, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		faults, err := ParseFaults(raw)
		if err == nil {
			err = e.ReplaceFaults(faults)
		}
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		adminJSON(w, http.StatusOK, e.Faults())
	default:
		adminError(w, http.StatusMethodNotAllowed, "use GET, PUT or DELETE")
	}
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func adminError(w http.ResponseWriter, status int, msg string) {
	adminJSON(w, status, map[string]string{"error": msg})
}
