package elbmodel

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
)

// Address types.
const (
	AddressInternet = "internet"
	AddressIntranet = "intranet"
)

// Annotations is what a Service's annotations ask for, defaults filled.
type Annotations struct {
	ManagedByUser bool
	ForceOverride bool
	// Adopt lets an ELB and EIP named ours that we have no record of be
	// adopted (AnnotationAdoptExisting).
	Adopt       bool
	Spec        string
	PayType     string
	AddressType string
	EIP         EIPConfig
	// BackendLabels must all match a node's labels for it to be a backend.
	BackendLabels map[string]string
	Weight        int
	// Drain, when not 0, is how long a backend to remove gets no new
	// connections (weight 0) before it is removed.
	Drain    time.Duration
	Listener ListenerConfig
}

// EIPConfig is the EIP part of Config.
type EIPConfig struct {
	Bandwidth          int
	ISP                string
	InstanceChargeType string
	InternetChargeType string
}

// ListenerConfig holds the attributes every listener of the Service gets.
type ListenerConfig struct {
	Scheduler                 string
	PersistenceTimeout        int
	EstablishedTimeout        int
	HealthyThreshold          int
	UnhealthyThreshold        int
	HealthCheckInterval       int
	HealthCheckConnectTimeout int
}

var (
	specPattern         = regexp.MustCompile(`^elb\.s[0-9]+\.[a-z0-9]+$`)
	payTypes            = []string{"PostPaid", "PrePaid"}
	lbPayTypes          = []string{"PostPaid"} // CreateLoadBalancer takes PostPaid only
	addressTypes        = []string{AddressInternet, AddressIntranet}
	isps                = []string{"cmcc", "unicom", "telecom"}
	internetChargeTypes = []string{"95BandwidthByMonth", "BandwidthByDay", "PayByBandwidth", "PayByBandwidth4thMonth", "PayByTraffic"}
	schedulers          = []string{"wrr", "rr", "wlc", "sch", "qch", "iqch"}
)

// intRange is an integer annotation with its default and bounds.
type intRange struct {
	key           string
	def, min, max int
	dst           *int
}

// ParseAnnotations reads the Service annotations. The first bad value is
// returned as an *InputError naming the annotation.
func ParseAnnotations(ann map[string]string) (Annotations, error) {
	c := Annotations{}
	var err error
	if c.ManagedByUser, err = parseBool(ann, apis.AnnotationManagedByUser); err != nil {
		return c, err
	}
	if c.ForceOverride, err = parseBool(ann, apis.AnnotationForceOverrideListeners); err != nil {
		return c, err
	}
	if c.Adopt, err = parseBool(ann, apis.AnnotationAdoptExisting); err != nil {
		return c, err
	}
	if err = parseStrings(ann, &c); err != nil {
		return c, err
	}
	if c.BackendLabels, err = ParseBackendLabels(ann[apis.AnnotationBackendLabel]); err != nil {
		return c, err
	}
	if c.Drain, err = parseDrain(ann); err != nil {
		return c, err
	}
	return c, parseInts(ann, &c)
}

// parseDrain reads the connection-drain annotations: "on" or "off" (the
// default), and a timeout of 10–900 seconds (default 300) that only "on"
// may carry.
func parseDrain(ann map[string]string) (time.Duration, error) {
	var on string
	if err := oneOf(ann, apis.AnnotationConnectionDrain, "off", []string{"on", "off"}, &on); err != nil {
		return 0, err
	}
	seconds := 0
	r := intRange{apis.AnnotationConnectionDrainTimeout, 300, 10, 900, &seconds}
	if err := r.parse(ann); err != nil {
		return 0, err
	}
	if _, set := ann[apis.AnnotationConnectionDrainTimeout]; set && on != "on" {
		return 0, invalid(apis.AnnotationConnectionDrainTimeout, ann[apis.AnnotationConnectionDrainTimeout],
			"set "+apis.AnnotationConnectionDrain+": \"on\" too, or leave the timeout out")
	}
	if on != "on" {
		return 0, nil
	}
	return time.Duration(seconds) * time.Second, nil
}

// ManagedByUser is Annotations.ManagedByUser alone: whether the
// annotations ask for the user's own ELB. A malformed value, which
// ParseAnnotations refuses, is false.
func ManagedByUser(ann map[string]string) bool {
	b, _ := parseBool(ann, apis.AnnotationManagedByUser)
	return b
}

func parseStrings(ann map[string]string, c *Annotations) error {
	if err := oneOf(ann, apis.AnnotationPayType, "PostPaid", lbPayTypes, &c.PayType); err != nil {
		return err
	}
	if err := oneOf(ann, apis.AnnotationAddressType, AddressInternet, addressTypes, &c.AddressType); err != nil {
		return err
	}
	if err := oneOf(ann, apis.AnnotationEIPISP, "", isps, &c.EIP.ISP); err != nil {
		return err
	}
	if err := oneOf(ann, apis.AnnotationEIPInstanceChargeType, "PostPaid", payTypes, &c.EIP.InstanceChargeType); err != nil {
		return err
	}
	if err := oneOf(ann, apis.AnnotationEIPInternetChargeType, "95BandwidthByMonth", internetChargeTypes, &c.EIP.InternetChargeType); err != nil {
		return err
	}
	if err := oneOf(ann, apis.AnnotationScheduler, "rr", schedulers, &c.Listener.Scheduler); err != nil {
		return err
	}
	c.Spec = "elb.s2.small"
	if v, ok := ann[apis.AnnotationSpec]; ok {
		if len(v) > MaxIDLen || !specPattern.MatchString(v) {
			return invalid(apis.AnnotationSpec, v, fmt.Sprintf("want an ELB spec such as elb.s2.small (at most %d characters)", MaxIDLen))
		}
		c.Spec = v
	}
	return nil
}

func parseInts(ann map[string]string, c *Annotations) error {
	l := &c.Listener
	for _, r := range []intRange{
		{apis.AnnotationEIPBandwidth, 10, 5, 10000, &c.EIP.Bandwidth},
		{apis.AnnotationBackendWeight, 100, 0, 100, &c.Weight},
		{apis.AnnotationPersistenceTimeout, 0, 0, 3600, &l.PersistenceTimeout},
		{apis.AnnotationEstablishedTimeout, 500, 10, 900, &l.EstablishedTimeout},
		{apis.AnnotationHealthyThreshold, 3, 2, 10, &l.HealthyThreshold},
		{apis.AnnotationUnhealthyThreshold, 3, 2, 10, &l.UnhealthyThreshold},
		{apis.AnnotationHealthCheckInterval, 2, 1, 50, &l.HealthCheckInterval},
		{apis.AnnotationHealthCheckConnectTimeout, 5, 1, 300, &l.HealthCheckConnectTimeout},
	} {
		if err := r.parse(ann); err != nil {
			return err
		}
	}
	return nil
}

func (r intRange) parse(ann map[string]string) error {
	*r.dst = r.def
	v, ok := ann[r.key]
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return invalid(r.key, v, "not an integer")
	}
	if n < r.min || n > r.max {
		return invalid(r.key, v, fmt.Sprintf("out of range [%d, %d]", r.min, r.max))
	}
	*r.dst = n
	return nil
}

func oneOf(ann map[string]string, key, def string, allowed []string, dst *string) error {
	*dst = def
	v, ok := ann[key]
	if !ok {
		return nil
	}
	if !slices.Contains(allowed, v) {
		return invalid(key, v, "want one of "+strings.Join(allowed, "|"))
	}
	*dst = v
	return nil
}

func parseBool(ann map[string]string, key string) (bool, error) {
	v, ok := ann[key]
	if !ok || v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, invalid(key, v, `want "true" or "false"`)
	}
	return b, nil
}

// ParseBackendLabels parses "k=v,k2=v2" (empty: no filter).
func ParseBackendLabels(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]string{}
	for _, item := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || len(validation.IsQualifiedName(k)) > 0 || len(validation.IsValidLabelValue(v)) > 0 {
			return nil, invalid(apis.AnnotationBackendLabel, s, fmt.Sprintf("item %q is not a label k=v", item))
		}
		out[k] = v
	}
	return out, nil
}

func invalid(key, value, why string) *InputError {
	return &InputError{
		Reason:  apis.EventInvalidAnnotation,
		Field:   key,
		Message: fmt.Sprintf("invalid value %q: %s", value, why),
	}
}
