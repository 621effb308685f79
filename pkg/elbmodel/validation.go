package elbmodel

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
)

// ENS documents no length or alphabet for its ids (regions, networks,
// vSwitches, ELBs, instances), but every id it issues is short ASCII:
// "cn-hefei-cmcc-2", "n-5uf…", "vsw-5uf…", "lb-5uf…", "i-5uf…" (about 30
// characters). A user-written value that is longer than MaxIDLen or holds
// other characters cannot be one, so it is refused before it is sent (SPEC:
// every string sent to ENS is bounded). The same bound holds a spec name.
const MaxIDLen = 64

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// idProblem says why s cannot be an ENS id (starting with prefix, when
// given), or "" when it can.
func idProblem(s, prefix string) string {
	switch {
	case len(s) > MaxIDLen:
		return fmt.Sprintf("%d characters; an ENS id has at most %d", len(s), MaxIDLen)
	case !idPattern.MatchString(s):
		return "not an ENS id (letters, digits, '.', '_' and '-' only)"
	case prefix != "" && !strings.HasPrefix(s, prefix):
		return "not an ENS id of this kind (those start with " + prefix + ")"
	}
	return ""
}

// checkPoolNetwork refuses a pool annotation that cannot be an ENS id.
// Only what is used is checked: the region always, the network and the
// vSwitches when the ELB is managed (a user ELB brings its own).
func checkPoolNetwork(pool string, ann map[string]string, managed bool) error {
	keys := []string{apis.AnnotationPoolRegionID}
	if managed {
		keys = append(keys, apis.AnnotationPoolNetworkID, apis.AnnotationPoolVSwitchIDs)
	}
	for _, key := range keys {
		items := []string{ann[key]}
		if key == apis.AnnotationPoolVSwitchIDs {
			items = strings.Split(ann[key], ",")
		}
		for _, item := range items {
			item = strings.TrimSpace(item)
			if item == "" {
				continue // missing ones are PoolNetwork's to report
			}
			if why := idProblem(item, ""); why != "" {
				return &InputError{Reason: apis.EventInvalidAnnotation, Field: key,
					Message: fmt.Sprintf("NodePool %s: invalid value %q: %s", pool, item, why)}
			}
		}
	}
	return nil
}

// checkLoadBalancerID refuses a user ELB id that cannot be an ENS ELB id.
// The PoolService then no longer reconciles the ELB it named before, so it
// must stop advertising it (Unusable). No id yet is not this check's: the
// controller waits for one.
func checkLoadBalancerID(id string) error {
	if id == "" {
		return nil
	}
	if why := idProblem(id, "lb-"); why != "" {
		e := invalid(apis.AnnotationLoadBalancerID, id, why)
		e.Unusable = true
		return e
	}
	return nil
}

// ValidInstanceID reports whether id, taken from a node (label,
// providerID or name; see InstanceID), can be an ENS instance id.
func ValidInstanceID(id string) bool { return idProblem(id, "") == "" }

// DropInvalidInstances removes from needs every instance id that cannot
// be an ENS instance id, so that it is never sent to ENS, and returns them
// as skipped: the node is left out with a Warning, like a node whose
// instance is elsewhere, and the rest of the pool is still served.
func DropInvalidInstances(needs map[string]int) []Skipped {
	var out []Skipped
	for _, id := range slices.Sorted(maps.Keys(needs)) {
		if why := idProblem(id, ""); why != "" {
			delete(needs, id)
			out = append(out, Skipped{InstanceID: id, Why: "the instance id is " + why})
		}
	}
	return out
}
