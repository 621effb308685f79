package ensemulator

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// intAttr is an integer listener parameter with its valid range.
type intAttr struct {
	name   string
	lo, hi int
	field  func(*Listener) *int
}

var listenerIntAttrs = []intAttr{
	{"PersistenceTimeout", 0, 3600, func(l *Listener) *int { return &l.PersistenceTimeout }},
	{"EstablishedTimeout", 10, 900, func(l *Listener) *int { return &l.EstablishedTimeout }},
	{"HealthyThreshold", 2, 10, func(l *Listener) *int { return &l.HealthyThreshold }},
	{"UnhealthyThreshold", 2, 10, func(l *Listener) *int { return &l.UnhealthyThreshold }},
	{"HealthCheckInterval", 1, 50, func(l *Listener) *int { return &l.HealthCheckInterval }},
	{"HealthCheckConnectTimeout", 1, 300, func(l *Listener) *int { return &l.HealthCheckConnectTimeout }},
	{"HealthCheckConnectPort", 1, 65535, func(l *Listener) *int { return &l.HealthCheckConnectPort }},
	{"HealthCheckTimeout", 1, 300, func(l *Listener) *int { return &l.HealthCheckTimeout }},
	{"RequestTimeout", 1, 180, func(l *Listener) *int { return &l.RequestTimeout }},
	{"IdleTimeout", 1, 60, func(l *Listener) *int { return &l.IdleTimeout }},
	{"CookieTimeout", 1, 86400, func(l *Listener) *int { return &l.CookieTimeout }},
	{"ForwardPort", 1, 65535, func(l *Listener) *int { return &l.ForwardPort }},
}

// listenerStrAttrs maps string parameters to listener fields.
var listenerStrAttrs = map[string]func(*Listener) *string{
	"Description":         func(l *Listener) *string { return &l.Description },
	"Scheduler":           func(l *Listener) *string { return &l.Scheduler },
	"HealthCheck":         func(l *Listener) *string { return &l.HealthCheck },
	"HealthCheckType":     func(l *Listener) *string { return &l.HealthCheckType },
	"HealthCheckURI":      func(l *Listener) *string { return &l.HealthCheckURI },
	"HealthCheckDomain":   func(l *Listener) *string { return &l.HealthCheckDomain },
	"HealthCheckHttpCode": func(l *Listener) *string { return &l.HealthCheckHTTPCode },
	"HealthCheckMethod":   func(l *Listener) *string { return &l.HealthCheckMethod },
	"HealthCheckReq":      func(l *Listener) *string { return &l.HealthCheckReq },
	"HealthCheckExp":      func(l *Listener) *string { return &l.HealthCheckExp },
	"EipTransmit":         func(l *Listener) *string { return &l.EipTransmit },
	"ListenerForward":     func(l *Listener) *string { return &l.ListenerForward },
	"StickySession":       func(l *Listener) *string { return &l.StickySession },
	"StickySessionType":   func(l *Listener) *string { return &l.StickySessionType },
	"Cookie":              func(l *Listener) *string { return &l.Cookie },
	"XForwardedFor":       func(l *Listener) *string { return &l.XForwardedFor },
	"ServerCertificateId": func(l *Listener) *string { return &l.ServerCertificateID },
}

// schedulers ENS accepts (ens-openapi.md, Listeners: "schedulers also
// include tch").
var schedulers = []string{"wrr", "rr", "wlc", "sch", "tch", "qch", "iqch"}

// maxListenerDescriptionLen is the ENS limit (ens-openapi.md, Listeners:
// "Description 1–80 chars").
const maxListenerDescriptionLen = 80

// reservedUDPPorts cannot carry a UDP listener (ens-openapi.md, Listeners:
// "UDP ports 250, 4789, 4790 reserved").
var reservedUDPPorts = []int{250, 4789, 4790}

// applyListenerParams copies the parameters present in a call onto l.
func applyListenerParams(l *Listener, p params) *apiError {
	for _, a := range listenerIntAttrs {
		if p.str(a.name) == "" {
			continue
		}
		n, aerr := p.integer(a.name, 0, a.lo, a.hi)
		if aerr != nil {
			return aerr
		}
		*a.field(l) = n
	}
	for name, field := range listenerStrAttrs {
		if v := p.str(name); v != "" {
			*field(l) = v
		}
	}
	if !slices.Contains(schedulers, l.Scheduler) {
		return invalidParam("The Scheduler %q is not one of %s.", l.Scheduler, strings.Join(schedulers, ", "))
	}
	return p.textLen("Description", 1, maxListenerDescriptionLen)
}

func newListener(proto string, port, backendPort int, now time.Time) Listener {
	l := Listener{Port: port, Protocol: proto, BackendServerPort: backendPort, Status: listenerStop,
		Scheduler: "rr", EstablishedTimeout: 500, HealthyThreshold: 3, UnhealthyThreshold: 3,
		HealthCheckInterval: 2, HealthCheckConnectTimeout: 5, HealthCheck: "on", CreateTime: now}
	switch proto {
	case "TCP":
		l.HealthCheckType = "tcp"
	case "HTTP", "HTTPS":
		l.ListenerForward, l.RequestTimeout, l.IdleTimeout, l.HealthCheckTimeout = "off", 60, 15, 5
	}
	return l
}

func listenerCreate(proto string) handlerFunc {
	return func(e *Emulator, c *call) (obj, *apiError) {
		lb, aerr := e.lb(c)
		if aerr != nil {
			return nil, aerr
		}
		port, aerr := c.p.requiredInt("ListenerPort", 1, 65535)
		if aerr != nil {
			return nil, aerr
		}
		backendPort, aerr := c.p.requiredInt("BackendServerPort", 1, 65535)
		if aerr != nil {
			return nil, aerr
		}
		if proto == "UDP" && slices.Contains(reservedUDPPorts, port) {
			return nil, invalidParamOf("ListenerPort", "The port %d is reserved and cannot carry a UDP listener.", port)
		}
		if aerr := checkPortFree(lb, port, proto); aerr != nil {
			return nil, aerr
		}
		l := newListener(proto, port, backendPort, c.now)
		if aerr := applyListenerParams(&l, c.p); aerr != nil {
			return nil, aerr
		}
		if proto == "HTTPS" && l.ServerCertificateID == "" {
			return nil, missingParam("ServerCertificateId")
		}
		lb.Listeners = append(lb.Listeners, l)
		return obj{}, nil
	}
}

// checkPortFree allows a port to carry one TCP and one UDP listener, and
// nothing else twice: HTTP and HTTPS take the port's TCP side.
func checkPortFree(lb *LoadBalancer, port int, proto string) *apiError {
	for _, l := range lb.Listeners {
		if l.Port != port {
			continue
		}
		if l.Protocol == proto {
			return newError(CodeListenerAlreadyExists, "A %s listener on port %d already exists on %s.", proto, port, lb.ID)
		}
		if !isTCPUDPPair(l.Protocol, proto) {
			return newError(CodeListenerPortConflict, "Port %d of %s is used by a %s listener.", port, lb.ID, l.Protocol)
		}
	}
	for _, r := range lb.Releasing {
		if r.Port == port && (r.Protocol == proto || !isTCPUDPPair(r.Protocol, proto)) {
			return newError(CodeListenerAlreadyExists, "Port %d of %s is still being released.", port, lb.ID)
		}
	}
	return nil
}

func isTCPUDPPair(a, b string) bool {
	return (a == "TCP" && b == "UDP") || (a == "UDP" && b == "TCP")
}

// findListener resolves a listener by port and protocol; proto may be
// empty when the port has a single listener.
func findListener(lb *LoadBalancer, port int, proto string) (int, *apiError) {
	proto = strings.ToUpper(proto)
	found := -1
	for i, l := range lb.Listeners {
		if l.Port != port || (proto != "" && l.Protocol != proto) {
			continue
		}
		if found >= 0 {
			return -1, missingParam("ListenerProtocol")
		}
		found = i
	}
	if found < 0 {
		return -1, newError(CodeResourceNotFound, "The listener %s/%d of %s does not exist.", cmp.Or(proto, "any"), port, lb.ID)
	}
	return found, nil
}

// targetListener finds the ELB and listener a listener call names.
func (e *Emulator) targetListener(c *call, proto string) (*LoadBalancer, int, *apiError) {
	lb, aerr := e.lb(c)
	if aerr != nil {
		return nil, -1, aerr
	}
	port, aerr := c.p.requiredInt("ListenerPort", 1, 65535)
	if aerr != nil {
		return nil, -1, aerr
	}
	i, aerr := findListener(lb, port, proto)
	return lb, i, aerr
}

func listenerSet(proto string) handlerFunc {
	return func(e *Emulator, c *call) (obj, *apiError) {
		lb, i, aerr := e.targetListener(c, proto)
		if aerr != nil {
			return nil, aerr
		}
		l := lb.Listeners[i]
		check := checkListenerSettled
		if e.cfg.SetRequiresStoppedListener {
			check = checkListenerStopped
		}
		if aerr := check(lb, &l); aerr != nil {
			return nil, aerr
		}
		if aerr := applyListenerParams(&l, c.p); aerr != nil {
			return nil, aerr
		}
		e.moveListener(&l, listenerConfiguring, l.Status, c.now)
		lb.Listeners[i] = l
		return obj{}, nil
	}
}

// listenerSetStatus starts or stops a listener; doing it again is a no-op.
func listenerSetStatus(transitional, status string) handlerFunc {
	return func(e *Emulator, c *call) (obj, *apiError) {
		lb, i, aerr := e.targetListener(c, c.p.str("ListenerProtocol"))
		if aerr != nil {
			return nil, aerr
		}
		l := &lb.Listeners[i]
		if aerr := checkListenerSettled(lb, l); aerr != nil {
			return nil, aerr
		}
		if l.Status != status {
			e.moveListener(l, transitional, status, c.now)
		}
		return obj{}, nil
	}
}

func (e *Emulator) deleteListener(c *call) (obj, *apiError) {
	lb, i, aerr := e.targetListener(c, c.p.str("ListenerProtocol"))
	if aerr != nil {
		return nil, aerr
	}
	// Real ENS deletes only a stopped listener, and its port stays
	// releasing for a while.
	if aerr := checkListenerStopped(lb, &lb.Listeners[i]); aerr != nil {
		return nil, aerr
	}
	e.releasePort(lb, lb.Listeners[i], c.now)
	lb.Listeners = slices.Delete(lb.Listeners, i, i+1)
	return obj{}, nil
}

func listenerDescribe(proto string) handlerFunc {
	return func(e *Emulator, c *call) (obj, *apiError) {
		if _, aerr := e.visibleLB(c); aerr != nil {
			return nil, aerr
		}
		lb, i, aerr := e.targetListener(c, proto)
		if aerr != nil {
			return nil, aerr
		}
		return listenerAttributes(&lb.Listeners[i]), nil
	}
}

func listenerAttributes(l *Listener) obj {
	body := obj{"ListenerPort": l.Port, "Status": l.Status, "BackendServerPort": l.BackendServerPort, "Bandwidth": -1}
	for _, a := range listenerIntAttrs {
		body[a.name] = *a.field(l)
	}
	for name, field := range listenerStrAttrs {
		body[name] = *field(l)
	}
	return body
}

func (e *Emulator) describeListeners(c *call) (obj, *apiError) {
	pg, aerr := c.p.page()
	if aerr != nil {
		return nil, aerr
	}
	// ens-openapi.md, Listeners: "DescribeLoadBalancerListeners needs
	// LoadBalancerId".
	lb, aerr := e.visibleLB(c)
	if aerr != nil {
		return nil, aerr
	}
	items := []obj{}
	for _, l := range sortedListeners(lb) {
		if matchField(c.p.str("ListenerPort"), itoa(l.Port)) && matchField(c.p.str("Description"), l.Description) {
			items = append(items, listenerSummary(lb.ID, &l))
		}
	}
	body := pageAnswer(pg, len(items))
	body["Listeners"] = obj{"Listener": paginate(items, pg)}
	return body, nil
}

// listenerSummary is one DescribeLoadBalancerListeners item. Its Status is
// lower case (ens-openapi.md, Listeners: "its Status is lower case
// (running, stopped)"), unlike the per-protocol Describe answers.
func listenerSummary(lbID string, l *Listener) obj {
	return obj{"LoadBalancerId": lbID, "ListenerPort": itoa(l.Port), "Protocol": strings.ToLower(l.Protocol),
		"Description": l.Description, "Status": strings.ToLower(l.Status), "ListenerForward": cmp.Or(l.ListenerForward, "off"),
		"ForwardPort": itoa(l.ForwardPort), "CreateTime": l.CreateTime.UTC().Format(timestampLayout),
		"BackendServerPort": l.BackendServerPort}
}

func sortedListeners(lb *LoadBalancer) []Listener {
	ls := slices.Clone(lb.Listeners)
	slices.SortFunc(ls, func(a, b Listener) int {
		return cmp.Or(cmp.Compare(a.Port, b.Port), strings.Compare(a.Protocol, b.Protocol))
	})
	return ls
}
