package ensemulator

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// MaxBackendsPerCall is the ENS limit of backends in one call.
const MaxBackendsPerCall = 20

const defaultWeight = 100

// loose is a JSON value the SDK may send as a string or a number.
type loose string

func (l *loose) UnmarshalJSON(raw []byte) error {
	raw = bytes.TrimSpace(raw)
	if bytes.Equal(raw, []byte("null")) {
		*l = ""
		return nil
	}
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		*l = loose(s)
		return err
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return err
	}
	*l = loose(n.String())
	return nil
}

// backendArg is one element of the BackendServers JSON parameter.
type backendArg struct {
	ServerID loose `json:"ServerId"`
	IP       loose `json:"Ip"`
	Port     loose `json:"Port"`
	Weight   loose `json:"Weight"`
	Type     loose `json:"Type"`
}

// backendArgs decodes and checks the BackendServers parameter.
func backendArgs(p params) ([]backendArg, *apiError) {
	var args []backendArg
	ok, aerr := p.jsonParam("BackendServers", &args)
	if aerr != nil {
		return nil, aerr
	}
	if !ok || len(args) == 0 {
		return nil, missingParam("BackendServers")
	}
	if len(args) > MaxBackendsPerCall {
		return nil, invalidParam("At most %d BackendServers are allowed in one call, got %d.", MaxBackendsPerCall, len(args))
	}
	for _, a := range args {
		if a.ServerID == "" {
			return nil, missingParam("BackendServers.ServerId")
		}
		if a.Type != "" && !strings.EqualFold(string(a.Type), backendTypeENS) {
			return nil, invalidParam("The backend Type %q is not supported; use %q.", a.Type, backendTypeENS)
		}
	}
	return args, nil
}

func parseWeight(s loose) (int, *apiError) {
	if s == "" {
		return defaultWeight, nil
	}
	w, err := strconv.Atoi(string(s))
	if err != nil || w < 0 || w > 100 {
		return 0, invalidParam("The backend Weight %q must be an integer from 0 to 100.", s)
	}
	return w, nil
}

// parsePort reads a backend Port. ENS keeps one entry per instance and
// routes by each listener's BackendServerPort, so Port is optional: absent
// or "0" is port 0 (ens-openapi.md, Backends: "Port optional
// (DescribeLoadBalancerAttribute samples show Port "0" as a string)"). The
// per-port form (1–65535) is accepted too.
func parsePort(s loose) (int, *apiError) {
	if s == "" {
		return 0, nil
	}
	p, err := strconv.Atoi(string(s))
	if err != nil || p < 0 || p > 65535 {
		return 0, invalidParam("The backend Port %q must be an integer from 0 to 65535.", s)
	}
	return p, nil
}

// backendFor checks an Add argument against the ELB and its instance.
func (e *Emulator) backendFor(lb *LoadBalancer, a backendArg) (Backend, *apiError) {
	id := string(a.ServerID)
	in := e.store.instances[id]
	if in == nil {
		return Backend{}, instanceNotFound(id)
	}
	if in.Status != instRunning {
		return Backend{}, newError(CodeIncorrectInstanceStatus, "The instance %s is %s, not Running.", id, in.Status)
	}
	if in.RegionID != lb.RegionID || in.NetworkID != lb.NetworkID {
		return Backend{}, invalidParam("The instance %s is in %s/%s, the load balancer %s in %s/%s.",
			id, in.RegionID, in.NetworkID, lb.ID, lb.RegionID, lb.NetworkID)
	}
	if a.IP != "" && string(a.IP) != in.PrivateIP {
		return Backend{}, invalidParam("The Ip %s is not the address of instance %s.", a.IP, id)
	}
	port, aerr := parsePort(a.Port)
	if aerr != nil {
		return Backend{}, aerr
	}
	w, aerr := parseWeight(a.Weight)
	return Backend{ServerID: id, Type: backendTypeENS, IP: in.PrivateIP, Port: port, Weight: w}, aerr
}

func (e *Emulator) addBackendServers(c *call) (obj, *apiError) {
	lb, args, aerr := e.backendCall(c)
	if aerr != nil {
		return nil, aerr
	}
	adds := make([]Backend, 0, len(args))
	for _, a := range args {
		b, aerr := e.backendFor(lb, a)
		if aerr != nil {
			return nil, aerr
		}
		adds = append(adds, b)
	}
	for _, b := range adds {
		// Adding a backend that is there already just sets its weight.
		i := slices.IndexFunc(lb.Backends, func(o Backend) bool { return o.ServerID == b.ServerID && o.Port == b.Port })
		if i >= 0 {
			lb.Backends[i] = b
		} else {
			lb.Backends = append(lb.Backends, b)
		}
	}
	return backendsAnswer(lb), nil
}

// removeBackendServers removes backends by server and port (every port
// of the server when Port is absent; "0" is the port-0 entry). Removing an
// absent backend is not an error.
func (e *Emulator) removeBackendServers(c *call) (obj, *apiError) {
	lb, args, aerr := e.backendCall(c)
	if aerr != nil {
		return nil, aerr
	}
	ports := make([]int, len(args))
	for i, a := range args {
		if ports[i], aerr = parsePort(a.Port); aerr != nil {
			return nil, aerr
		}
	}
	lb.Backends = slices.DeleteFunc(lb.Backends, func(b Backend) bool {
		for i, a := range args {
			if string(a.ServerID) == b.ServerID && (a.Port == "" || ports[i] == b.Port) {
				return true
			}
		}
		return false
	})
	return backendsAnswer(lb), nil
}

// setBackendServers sets the weight of backends already on the ELB, on
// every port of the server. Unlike Add, Weight is required
// (ens-openapi.md, Backends: "SetBackendServers Weight required").
func (e *Emulator) setBackendServers(c *call) (obj, *apiError) {
	lb, args, aerr := e.backendCall(c)
	if aerr != nil {
		return nil, aerr
	}
	weights := map[string]int{}
	for _, a := range args {
		if a.Weight == "" {
			return nil, missingParam("BackendServers.Weight")
		}
		if _, aerr := parsePort(a.Port); aerr != nil {
			return nil, aerr
		}
		w, aerr := parseWeight(a.Weight)
		if aerr != nil {
			return nil, aerr
		}
		id := string(a.ServerID)
		if !slices.ContainsFunc(lb.Backends, func(b Backend) bool { return b.ServerID == id }) {
			return nil, invalidParam("The instance %s is not a backend of %s.", id, lb.ID)
		}
		weights[id] = w
	}
	for i, b := range lb.Backends {
		if w, ok := weights[b.ServerID]; ok {
			lb.Backends[i].Weight = w
		}
	}
	return backendsAnswer(lb), nil
}

func (e *Emulator) backendCall(c *call) (*LoadBalancer, []backendArg, *apiError) {
	lb, aerr := e.lb(c)
	if aerr != nil {
		return nil, nil, aerr
	}
	args, aerr := backendArgs(c.p)
	return lb, args, aerr
}

func backendsAnswer(lb *LoadBalancer) obj {
	list := []obj{}
	for _, b := range lb.Backends {
		list = append(list, obj{"ServerId": b.ServerID, "Ip": b.IP, "Port": b.Port, "Weight": b.Weight, "Type": b.Type})
	}
	return obj{"BackendServers": obj{"BackendServer": list}}
}
