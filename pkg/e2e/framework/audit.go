package framework

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ServiceAccountUser is the user name a ServiceAccount's requests carry.
func ServiceAccountUser(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// AuditLog is the kube-apiserver audit log of a cluster started with its
// Env: every request of the given users, at Metadata level (who, verb,
// resource, response code; no bodies), nobody else's.
type AuditLog struct {
	Path   string
	Policy string
}

// NewAuditLog writes the audit policy into dir. Pass Env to StartCluster.
func NewAuditLog(dir string, users ...string) (*AuditLog, error) {
	if len(users) == 0 {
		return nil, fmt.Errorf("an audit log needs at least one user")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	quoted, err := json.Marshal(users) // a JSON list is a YAML flow sequence
	if err != nil {
		return nil, err
	}
	policy := fmt.Sprintf(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    users: %s
  - level: None
`, quoted)
	a := &AuditLog{Path: filepath.Join(dir, "audit.log"), Policy: filepath.Join(dir, "audit-policy.yaml")}
	if err := os.WriteFile(a.Policy, []byte(policy), 0o644); err != nil {
		return nil, err
	}
	return a, nil
}

// Env is what hack/local-cluster/up.sh needs to write this log.
func (a *AuditLog) Env() []string {
	return []string{"LOCAL_CLUSTER_AUDIT_LOG=" + a.Path, "LOCAL_CLUSTER_AUDIT_POLICY=" + a.Policy}
}

// AuditEvent is the part of an audit.k8s.io/v1 Event the tests read.
type AuditEvent struct {
	Stage          string           `json:"stage"`
	RequestURI     string           `json:"requestURI"`
	Verb           string           `json:"verb"`
	User           AuditUser        `json:"user"`
	ObjectRef      *AuditObjectRef  `json:"objectRef,omitempty"`
	ResponseStatus *AuditStatusCode `json:"responseStatus,omitempty"`
	// Annotations hold the authorizer's decision ("authorization.k8s.io/
	// decision": allow or forbid) and reason.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Audit annotations of the authorization decision.
const (
	AuditDecision      = "authorization.k8s.io/decision"
	AuditDecisionAllow = "allow"
	AuditReason        = "authorization.k8s.io/reason"
)

// Forbidden reports a refused request: the authorizer said forbid, or the
// answer was 403 without an authorizer's allow. (Admission refuses some
// allowed requests with 403 too, e.g. a create in a terminating namespace;
// those are not RBAC's doing.)
func (e AuditEvent) Forbidden() bool {
	decision := e.Annotations[AuditDecision]
	return (decision != "" && decision != AuditDecisionAllow) || (e.Code() == 403 && decision != AuditDecisionAllow)
}

type AuditUser struct {
	Username string `json:"username"`
}

type AuditObjectRef struct {
	Resource    string `json:"resource"`
	Subresource string `json:"subresource"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	APIGroup    string `json:"apiGroup"`
}

type AuditStatusCode struct {
	Code    int32  `json:"code"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// Code is the response code, 0 when the event has none (yet).
func (e AuditEvent) Code() int32 {
	if e.ResponseStatus == nil {
		return 0
	}
	return e.ResponseStatus.Code
}

// Resource is "resource" or "resource/subresource", "" for a non-resource
// request (discovery).
func (e AuditEvent) Resource() string {
	if e.ObjectRef == nil {
		return ""
	}
	if e.ObjectRef.Subresource != "" {
		return e.ObjectRef.Resource + "/" + e.ObjectRef.Subresource
	}
	return e.ObjectRef.Resource
}

// String is one line for test output.
func (e AuditEvent) String() string {
	ns := ""
	if e.ObjectRef != nil && e.ObjectRef.Namespace != "" {
		ns = " in " + e.ObjectRef.Namespace
	}
	return fmt.Sprintf("%s %s %s%s → %d (%s; %s)", e.User.Username, e.Verb, e.RequestURI, ns, e.Code(), e.Stage,
		e.Annotations[AuditReason])
}

// Events reads every event written so far. The log is written in blocking
// mode, so a request that was answered is in it.
func (a *AuditLog) Events() ([]AuditEvent, error) {
	f, err := os.Open(a.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []AuditEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		raw := strings.TrimSpace(sc.Text())
		if raw == "" {
			continue
		}
		var e AuditEvent
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", a.Path, line, err)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}
