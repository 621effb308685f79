package ensemulator

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"time"
)

// DefaultClientTokenWindow is how long ENS remembers a ClientToken
// (ens-openapi.md, "ClientToken: ... valid 10 minutes").
const DefaultClientTokenWindow = 10 * time.Minute

// maxClientTokenLen is the ENS limit ("ClientToken: ≤ 64 ASCII chars").
const maxClientTokenLen = 64

// CodeIdempotentParameterMismatch answers a ClientToken reused with other
// parameters.
const CodeIdempotentParameterMismatch = "IdempotentParameterMismatch"

// ClientToken is one remembered ClientToken of CreateLoadBalancer or
// CreateEipInstance. It is kept in the state file, so that a restarted
// emulator answers a repeat as before.
type ClientToken struct {
	Action string `json:"action"`
	Token  string `json:"token"`
	// ID is the id the first call created; a repeat answers it even when
	// the resource was released since.
	ID string `json:"id"`
	// Params fingerprints the first call's parameters.
	Params    string    `json:"params"`
	CreatedAt time.Time `json:"createdAt"`
}

type tokenKey struct{ action, token string }

// signingParams are the common parameters of every call: they change
// from one attempt to the next and are no part of what was asked for.
var signingParams = []string{"Action", "Version", "Format", "AccessKeyId", "RegionId", "SignatureMethod",
	"SignatureVersion", "SignatureType", "SignatureNonce", "Timestamp", "Signature", "SecurityToken", "ClientToken"}

// paramsFingerprint identifies what a call asks for: its parameters but
// the common ones, empty ones left out (the SDK leaves unset fields out).
func paramsFingerprint(p params) string {
	kept := url.Values{}
	for k, vs := range p.v {
		if !slices.Contains(signingParams, k) && slices.ContainsFunc(vs, func(v string) bool { return v != "" }) {
			kept[k] = vs
		}
	}
	sum := sha256.Sum256([]byte(kept.Encode()))
	return hex.EncodeToString(sum[:16])
}

// clientTokenRepeat checks a create call's ClientToken. It returns the id
// to answer when the call repeats a remembered one, "" when the call must
// create. Callers hold mu.
func (e *Emulator) clientTokenRepeat(c *call) (string, *apiError) {
	token := c.p.str("ClientToken")
	if token == "" {
		return "", nil
	}
	if len(token) > maxClientTokenLen || strings.ContainsFunc(token, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return "", invalidParamOf("ClientToken", "The ClientToken must be at most %d printable ASCII characters.", maxClientTokenLen)
	}
	e.forgetExpiredTokens(c.now)
	t := e.store.tokens[tokenKey{c.action, token}]
	if t == nil {
		return "", nil
	}
	// Real Alibaba Cloud APIs either return the first result regardless of
	// the parameters or refuse the mismatch; the emulator refuses, the
	// stricter of the two, so that a controller reusing a token for a
	// different resource fails loudly instead of silently adopting it.
	if t.Params != paramsFingerprint(c.p) {
		return "", newError(CodeIdempotentParameterMismatch,
			"The ClientToken %q was used by an earlier %s with other parameters.", token, c.action)
	}
	return t.ID, nil
}

// rememberToken keeps a successful create's ClientToken. Callers hold mu.
func (e *Emulator) rememberToken(c *call, id string) {
	if token := c.p.str("ClientToken"); token != "" {
		e.store.tokens[tokenKey{c.action, token}] = &ClientToken{Action: c.action, Token: token, ID: id,
			Params: paramsFingerprint(c.p), CreatedAt: c.now}
	}
}

// forgetExpiredTokens drops the tokens older than the window: a repeat of
// one creates anew. Callers hold mu.
func (e *Emulator) forgetExpiredTokens(now time.Time) {
	for k, t := range e.store.tokens {
		if !now.Before(t.CreatedAt.Add(e.cfg.ClientTokenWindow)) {
			delete(e.store.tokens, k)
		}
	}
}

func sortedTokens(m map[tokenKey]*ClientToken) []ClientToken {
	out := make([]ClientToken, 0, len(m))
	for _, t := range m {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b ClientToken) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.Action, b.Action), strings.Compare(a.Token, b.Token))
	})
	return out
}
