//go:build benchscale

package benchscale

import (
	"bufio"
	"encoding/json"
	"os"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
)

// auditLine is what the writes count needs of an audit.k8s.io/v1 Event.
type auditLine struct {
	Stage                    string                    `json:"stage"`
	Verb                     string                    `json:"verb"`
	ObjectRef                *framework.AuditObjectRef `json:"objectRef,omitempty"`
	RequestReceivedTimestamp time.Time                 `json:"requestReceivedTimestamp"`
}

// apiWrites counts the manager's API writes (create, update, patch,
// delete) received in [from, to), by "verb resource[/subresource]". The
// audit log holds only the manager's ServiceAccount's requests, written
// in blocking mode, so an answered request is in it.
func (e *env) apiWrites(from, to time.Time) map[string]int {
	e.t.Helper()
	out := map[string]int{}
	f, err := os.Open(e.audit.Path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var l auditLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			e.t.Fatalf("audit log: %v", err)
		}
		if l.Stage != "ResponseComplete" || l.RequestReceivedTimestamp.Before(from) || !l.RequestReceivedTimestamp.Before(to) {
			continue
		}
		switch l.Verb {
		case "create", "update", "patch", "delete", "deletecollection":
		default:
			continue
		}
		what := l.Verb
		if l.ObjectRef != nil {
			what += " " + l.ObjectRef.Resource
			if l.ObjectRef.Subresource != "" {
				what += "/" + l.ObjectRef.Subresource
			}
		}
		out[what]++
	}
	if err := sc.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}
