package ensemulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"time"

	"sigs.k8s.io/yaml"
)

// Throttling answers of the rate limits, HTTP 400 (StatusForCode), not 429
// or 503: ens-openapi.md ("States and limits") lists the throttling codes
// with the not-found ones before "other 400s", and only ServiceUnavailable
// as 503; Alibaba Cloud's RPC gateway answers flow control with 400, and
// pkg/cloud/ens classifies the answer by its code anyway.
// Throttling.Api is used for the account's limit so that a test tells it
// apart from the per-AccessKey one and from an injected fault (Throttling).
const (
	CodeThrottlingUser = "Throttling.User"
	CodeThrottlingAPI  = "Throttling.Api"
)

// RateLimit is the limit of one action in calls per second: for every
// AccessKey of the account together, and for one AccessKey (a RAM user).
// 0 leaves that level unlimited.
type RateLimit struct {
	Account float64 `json:"account,omitempty"`
	User    float64 `json:"user,omitempty"`
}

// Documented limits (ens-openapi.md, "Documented rate limits", per account
// / per user). The doc gives DescribeLoadBalancers only its account figure;
// its per-user one is assumed to be that of the other ELB actions.
var (
	limitELB     = RateLimit{Account: 100, User: 10}
	limitCreate  = RateLimit{Account: 100, User: 5}
	limitEIP     = RateLimit{Account: 5000, User: 50}
	limitRelease = RateLimit{Account: 10000, User: 50}
	limitDescIns = RateLimit{Account: 800, User: 100}
)

// DefaultRateLimits is real ENS's documented table by action. AllActions
// is the limit of the actions the doc does not list (the EIP actions other
// than CreateEipInstance, DescribeNetworks, DescribeEnsRegions): an
// assumption, the most common documented pair (100 per account, 10 per
// AccessKey).
func DefaultRateLimits() map[string]RateLimit {
	limits := map[string]RateLimit{
		AllActions:           limitELB,
		"CreateLoadBalancer": limitCreate,
		"CreateEipInstance":  limitEIP,
		"ReleaseInstance":    limitRelease,
		"DescribeInstances":  limitDescIns,
	}
	for _, action := range []string{
		"DescribeLoadBalancers", "DescribeLoadBalancerAttribute", "SetLoadBalancerStatus",
		"DescribeLoadBalancerListeners", "StartLoadBalancerListener", "StopLoadBalancerListener", "DeleteLoadBalancerListener",
		"AddBackendServers", "RemoveBackendServers", "SetBackendServers",
	} {
		limits[action] = limitELB
	}
	for _, proto := range []string{"TCP", "UDP", "HTTP", "HTTPS"} {
		limits["CreateLoadBalancer"+proto+"Listener"] = limitELB
		limits["SetLoadBalancer"+proto+"ListenerAttribute"] = limitELB
		limits["DescribeLoadBalancer"+proto+"ListenerAttribute"] = limitELB
	}
	return limits
}

// ParseRateLimits reads a limits document (YAML or JSON: a map from action
// name or "*" to {account, user}) over base: an entry changes only the
// fields it gives, so {CreateLoadBalancer: {user: 20}} keeps the account
// limit of base, and an action base does not list starts from base's "*".
func ParseRateLimits(raw []byte, base map[string]RateLimit) (map[string]RateLimit, error) {
	asJSON, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, err
	}
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(asJSON, &entries); err != nil {
		return nil, err
	}
	out := maps.Clone(base)
	if out == nil {
		out = map[string]RateLimit{}
	}
	for action, entry := range entries {
		// A new action starts from base's default, not the file's.
		l, ok := base[action]
		if !ok {
			l = base[AllActions]
		}
		if err := strictUnmarshal(entry, &l); err != nil {
			return nil, fmt.Errorf("rate limit of %s: %w", action, err)
		}
		out[action] = l
	}
	return out, validateRateLimits(out, 1)
}

// LoadRateLimitsFile reads a limits file over base (see ParseRateLimits).
func LoadRateLimitsFile(path string, base map[string]RateLimit) (map[string]RateLimit, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	limits, err := ParseRateLimits(raw, base)
	if err != nil {
		return nil, fmt.Errorf("parse rate limits %s: %w", path, err)
	}
	return limits, nil
}

func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// validateRateLimits refuses unknown actions (a typo would silently leave
// the action unlimited) and negative numbers.
func validateRateLimits(limits map[string]RateLimit, scale float64) error {
	if scale < 0 {
		return fmt.Errorf("rate limit scale %v is negative", scale)
	}
	for action, l := range limits {
		if _, known := actions[action]; !known && action != AllActions {
			return fmt.Errorf("rate limit of unknown action %q", action)
		}
		if l.Account < 0 || l.User < 0 {
			return fmt.Errorf("rate limit of %s: %+v is negative", action, l)
		}
	}
	return nil
}

// rateLimiter enforces the limits with token buckets over the emulator's
// clock: one per action for the account, one per action and AccessKey.
// A bucket holds one second's worth of calls (at least one), starts full
// and refills continuously. Guarded by Emulator.mu.
type rateLimiter struct {
	limits  map[string]RateLimit // scaled
	account map[string]*bucket
	user    map[keyAction]*bucket
}

type keyAction struct{ accessKey, action string }

// newRateLimiter returns nil (no limits) for a nil table.
func newRateLimiter(limits map[string]RateLimit, scale float64) (*rateLimiter, error) {
	if limits == nil {
		return nil, nil
	}
	if err := validateRateLimits(limits, scale); err != nil {
		return nil, err
	}
	if scale == 0 {
		scale = 1
	}
	scaled := make(map[string]RateLimit, len(limits))
	for action, l := range limits {
		scaled[action] = RateLimit{Account: l.Account * scale, User: l.User * scale}
	}
	return &rateLimiter{limits: scaled, account: map[string]*bucket{}, user: map[keyAction]*bucket{}}, nil
}

func (l *rateLimiter) limitOf(action string) RateLimit {
	if lim, ok := l.limits[action]; ok {
		return lim
	}
	return l.limits[AllActions]
}

// admit takes a token from the call's AccessKey bucket and the account's,
// or from neither and answers the throttling error of the first one that
// is empty: a refused call spends no budget (an assumption; the doc does
// not say).
func (l *rateLimiter) admit(action, accessKey string, now time.Time) *apiError {
	lim := l.limitOf(action)
	user := bucketFor(l.user, keyAction{accessKey, action}, lim.User, now)
	account := bucketFor(l.account, action, lim.Account, now)
	if user != nil && !user.has(now) {
		return newError(CodeThrottlingUser, "Request was denied due to user flow control: %s is limited to %g calls per second per AccessKey.", action, lim.User)
	}
	if account != nil && !account.has(now) {
		return newError(CodeThrottlingAPI, "Request was denied due to api flow control: %s is limited to %g calls per second per account.", action, lim.Account)
	}
	user.take()
	account.take()
	return nil
}

func bucketFor[K comparable](m map[K]*bucket, key K, rate float64, now time.Time) *bucket {
	if rate <= 0 {
		return nil
	}
	b, ok := m[key]
	if !ok {
		b = newBucket(rate, now)
		m[key] = b
	}
	return b
}

// bucket is a token bucket; nil is unlimited.
type bucket struct {
	rate, capacity, tokens float64
	last                   time.Time
}

func newBucket(rate float64, now time.Time) *bucket {
	capacity := max(1, rate)
	return &bucket{rate: rate, capacity: capacity, tokens: capacity, last: now}
}

func (b *bucket) has(now time.Time) bool {
	if now.After(b.last) {
		b.tokens = min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	return b.tokens >= 1
}

func (b *bucket) take() {
	if b != nil {
		b.tokens--
	}
}

// throttle refuses a call over its rate limits and counts it; a refused
// call is not counted in Calls and changes nothing.
func (e *Emulator) throttle(c *call) *apiError {
	if e.limiter == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	aerr := e.limiter.admit(c.action, c.accessKey, e.cfg.Now())
	if aerr == nil {
		return nil
	}
	e.throttled[c.action]++
	byKey := e.byKey[c.accessKey]
	if byKey.Calls == nil {
		byKey.Calls = map[string]int{}
	}
	if byKey.Throttled == nil {
		byKey.Throttled = map[string]int{}
	}
	byKey.Throttled[c.action]++
	e.byKey[c.accessKey] = byKey
	return aerr
}

// roundTrip waits half the configured round trip, or until the request is
// abandoned (false).
func (e *Emulator) roundTrip(r *http.Request) bool {
	if e.cfg.RoundTrip <= 0 {
		return true
	}
	t := time.NewTimer(e.cfg.RoundTrip / 2)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
