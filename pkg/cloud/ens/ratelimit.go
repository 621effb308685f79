package ens

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Limit is the client-side budget of one ENS action: sustained calls per
// second and the calls that may go at once above it.
type Limit struct {
	QPS   float64
	Burst int
}

func (l Limit) String() string {
	return strconv.FormatFloat(l.QPS, 'g', -1, 64) + ":" + strconv.Itoa(l.Burst)
}

// AllActions is the Config.APILimits key of every action without an entry
// of its own there: it replaces the documented limits of all of them.
const AllActions = "*"

// ENS limits every action separately, per account and per AccessKey
// (ens-openapi.md, "Documented rate limits", per account / per user). The
// client signs with one AccessKey, so its budget is the per-user figure;
// the account's (10 to 200 times higher) binds only when other AccessKeys
// share it, and its Throttling answers then slow the action down.
//
// The burst is half a second's worth (burstFor), not the whole second ENS
// allows: the client's bucket and ENS's never start at the same instant
// and requests reach ENS with varying delay, so a client spending exactly
// ENS's budget is refused whenever one request arrives a little earlier
// than the one before it (measured against the emulator: a throttle within
// the first seconds, then halved rates). The unspent half stays in ENS's
// bucket as slack for that jitter; the sustained rate is the whole limit.
var (
	limitELB     = documented(10) // "most ELB and listener actions", Add/Remove/SetBackendServers
	limitCreate  = documented(5)  // CreateLoadBalancer
	limitEIP     = documented(50) // CreateEipInstance
	limitRelease = documented(50) // ReleaseInstance
	limitDescIns = documented(100)
)

func documented(perUser float64) Limit { return Limit{QPS: perUser, Burst: burstFor(perUser)} }

// DocumentedLimits are the budgets of every action the client calls, by
// action name. The doc gives DescribeLoadBalancers only its account figure
// and lists no limit for the EIP actions other than CreateEipInstance or
// for DescribeNetworks; those are assumed to have the most common
// per-user limit, 10 per second. The emulator keeps its own copy of the
// table (pkg/ensemulator DefaultRateLimits): neither imports the other.
func DocumentedLimits() map[string]Limit {
	limits := map[string]Limit{
		"CreateLoadBalancer": limitCreate,
		"CreateEipInstance":  limitEIP,
		"ReleaseInstance":    limitRelease,
		"DescribeInstances":  limitDescIns,
	}
	for _, action := range []string{
		"DescribeLoadBalancers", "DescribeLoadBalancerAttribute", "SetLoadBalancerStatus",
		"DescribeLoadBalancerListeners", "StartLoadBalancerListener", "StopLoadBalancerListener", "DeleteLoadBalancerListener",
		"AddBackendServers", "RemoveBackendServers", "SetBackendServers",
		// Not documented: assumed.
		"AssociateEnsEipAddress", "UnAssociateEnsEipAddress", "ModifyEnsEipAddressAttribute", "DescribeEnsEipAddresses",
		"DescribeNetworks",
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

// defaultLimit is the budget of an action missing from the table (one the
// client does not call today): the assumed one above.
var defaultLimit = limitELB

// effectiveLimits is the documented table with overrides applied: an
// action's own entry wins, then AllActions.
func effectiveLimits(overrides map[string]Limit) (table map[string]Limit, fallback Limit) {
	table, fallback = DocumentedLimits(), defaultLimit
	if all, ok := overrides[AllActions]; ok {
		for action := range table {
			table[action] = all
		}
		fallback = all
	}
	for action, l := range overrides {
		if action != AllActions {
			table[action] = l
		}
	}
	return table, fallback
}

// validateAPILimits refuses unknown actions (a typo would leave the action
// at its default unnoticed) and budgets that admit nothing.
func validateAPILimits(limits map[string]Limit) error {
	known := DocumentedLimits()
	for action, l := range limits {
		if _, ok := known[action]; !ok && action != AllActions {
			return fmt.Errorf("API limit of unknown action %q (known: %s)", action, strings.Join(slices.Sorted(maps.Keys(known)), ", "))
		}
		if !(l.QPS > 0) || math.IsInf(l.QPS, 0) || l.Burst < 1 {
			return fmt.Errorf("API limit %s=%s: qps must be positive and burst at least 1", action, l)
		}
	}
	return nil
}

// ParseAPILimits parses --cloud-api-limits values: each a comma list of
// ACTION=QPS[:BURST] (ACTION may be "*", every action without its own
// entry); BURST defaults to half of QPS rounded up. A later entry for an
// action wins.
func ParseAPILimits(values []string) (map[string]Limit, error) {
	out := map[string]Limit{}
	for _, v := range values {
		for entry := range strings.SplitSeq(v, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			action, l, err := parseAPILimit(entry)
			if err != nil {
				return nil, err
			}
			out[action] = l
		}
	}
	return out, validateAPILimits(out)
}

func parseAPILimit(entry string) (string, Limit, error) {
	action, spec, ok := strings.Cut(entry, "=")
	if !ok || action == "" || spec == "" {
		return "", Limit{}, fmt.Errorf("API limit %q: want ACTION=QPS[:BURST]", entry)
	}
	qpsText, burstText, hasBurst := strings.Cut(spec, ":")
	qps, err := strconv.ParseFloat(qpsText, 64)
	if err != nil {
		return "", Limit{}, fmt.Errorf("API limit %q: qps: %w", entry, err)
	}
	l := Limit{QPS: qps, Burst: burstFor(qps)}
	if hasBurst {
		if l.Burst, err = strconv.Atoi(burstText); err != nil {
			return "", Limit{}, fmt.Errorf("API limit %q: burst: %w", entry, err)
		}
	}
	return action, l, nil
}

// burstFor is the default burst of a rate: half a second's worth (see
// the documented limits), at least 1.
func burstFor(qps float64) int {
	if !(qps > 0) {
		return 1
	}
	if qps >= math.MaxInt32 {
		return math.MaxInt32
	}
	return max(1, int(math.Ceil(qps/2)))
}

// FormatAPILimits is the flag form of limits, sorted by action.
func FormatAPILimits(limits map[string]Limit) string {
	parts := make([]string, 0, len(limits))
	for _, action := range slices.Sorted(maps.Keys(limits)) {
		parts = append(parts, action+"="+limits[action].String())
	}
	return strings.Join(parts, ",")
}
