package ensemulator

import (
	"maps"
	"net/http"
	"slices"
	"time"
)

// call is one authenticated RPC call being handled.
type call struct {
	action string
	p      params
	// accessKey is the AccessKeyId the call was signed with.
	accessKey string
	now       time.Time
	// visibility is the fault delay before a created resource shows.
	visibility time.Duration
}

// handlerFunc handles one action with mu held.
type handlerFunc func(e *Emulator, c *call) (obj, *apiError)

type actionSpec struct {
	handle   handlerFunc
	mutating bool
}

// actions is every ENS action the emulator implements.
var actions = map[string]actionSpec{
	"CreateLoadBalancer":                         {(*Emulator).createLoadBalancer, true},
	"DescribeLoadBalancers":                      {(*Emulator).describeLoadBalancers, false},
	"DescribeLoadBalancerAttribute":              {(*Emulator).describeLoadBalancerAttribute, false},
	"SetLoadBalancerStatus":                      {(*Emulator).setLoadBalancerStatus, true},
	"ReleaseInstance":                            {(*Emulator).releaseInstance, true},
	"CreateLoadBalancerTCPListener":              {listenerCreate("TCP"), true},
	"CreateLoadBalancerUDPListener":              {listenerCreate("UDP"), true},
	"CreateLoadBalancerHTTPListener":             {listenerCreate("HTTP"), true},
	"CreateLoadBalancerHTTPSListener":            {listenerCreate("HTTPS"), true},
	"SetLoadBalancerTCPListenerAttribute":        {listenerSet("TCP"), true},
	"SetLoadBalancerUDPListenerAttribute":        {listenerSet("UDP"), true},
	"SetLoadBalancerHTTPListenerAttribute":       {listenerSet("HTTP"), true},
	"SetLoadBalancerHTTPSListenerAttribute":      {listenerSet("HTTPS"), true},
	"DescribeLoadBalancerTCPListenerAttribute":   {listenerDescribe("TCP"), false},
	"DescribeLoadBalancerUDPListenerAttribute":   {listenerDescribe("UDP"), false},
	"DescribeLoadBalancerHTTPListenerAttribute":  {listenerDescribe("HTTP"), false},
	"DescribeLoadBalancerHTTPSListenerAttribute": {listenerDescribe("HTTPS"), false},
	"DescribeLoadBalancerListeners":              {(*Emulator).describeListeners, false},
	"StartLoadBalancerListener":                  {listenerSetStatus(listenerStarting, listenerRun), true},
	"StopLoadBalancerListener":                   {listenerSetStatus(listenerStopping, listenerStop), true},
	"DeleteLoadBalancerListener":                 {(*Emulator).deleteListener, true},
	"AddBackendServers":                          {(*Emulator).addBackendServers, true},
	"RemoveBackendServers":                       {(*Emulator).removeBackendServers, true},
	"SetBackendServers":                          {(*Emulator).setBackendServers, true},
	"CreateEipInstance":                          {(*Emulator).createEip, true},
	"AssociateEnsEipAddress":                     {(*Emulator).associateEip, true},
	"UnAssociateEnsEipAddress":                   {(*Emulator).unassociateEip, true},
	"ModifyEnsEipAddressAttribute":               {(*Emulator).modifyEip, true},
	"DescribeEnsEipAddresses":                    {(*Emulator).describeEips, false},
	"DescribeInstances":                          {(*Emulator).describeInstances, false},
	"DescribeNetworks":                           {(*Emulator).describeNetworks, false},
	"DescribeEnsRegions":                         {(*Emulator).describeRegions, false},
}

// Actions lists the names of the implemented ENS actions, sorted.
func Actions() []string {
	return slices.Sorted(maps.Keys(actions))
}

// serveRPC runs one call: decode, authenticate, count, inject faults,
// handle, answer.
func (e *Emulator) serveRPC(w http.ResponseWriter, r *http.Request) {
	// Half the round trip on the way in, half on the way out (answer).
	if !e.roundTrip(r) {
		return
	}
	reqID := e.requestID()
	req, aerr := decodeRequest(r)
	if aerr == nil {
		aerr = e.authenticate(req)
	}
	var spec actionSpec
	if aerr == nil {
		spec, aerr = lookupAction(req.params)
	}
	if aerr != nil {
		e.answer(w, r, reqID, "", nil, aerr)
		return
	}
	c := &call{action: req.params.str("Action"), p: req.params, accessKey: req.params.str("AccessKeyId")}
	if aerr := e.throttle(c); aerr != nil {
		e.answer(w, r, reqID, c.action, nil, aerr)
		return
	}
	if d := e.countCall(c, spec.mutating); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	body, aerr := e.execute(c, spec)
	e.answer(w, r, reqID, c.action, body, aerr)
}

func (e *Emulator) answer(w http.ResponseWriter, r *http.Request, reqID, action string, body obj, aerr *apiError) {
	if !e.roundTrip(r) {
		return
	}
	if aerr != nil {
		e.logger.V(2).Info("ENS call failed", "action", action, "code", aerr.Code, "status", aerr.Status, "message", aerr.Message, "requestID", reqID)
		writeError(w, reqID, aerr)
		return
	}
	e.logger.V(4).Info("ENS call", "action", action, "requestID", reqID)
	body["RequestId"] = reqID
	writeJSON(w, http.StatusOK, body)
}

func lookupAction(p params) (actionSpec, *apiError) {
	name, aerr := p.required("Action")
	if aerr != nil {
		return actionSpec{}, aerr
	}
	if v := p.str("Version"); v != APIVersion {
		return actionSpec{}, newError(CodeInvalidVersion, "Specified parameter Version %q is not valid.", v)
	}
	spec, ok := actions[name]
	if !ok {
		return actionSpec{}, newError(CodeInvalidAction, "Specified api %q is not found, please check your url and method.", name)
	}
	return spec, nil
}

// countCall counts an authenticated call and returns the latency to add.
func (e *Emulator) countCall(c *call, mutating bool) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls[c.action]++
	byKey := e.byKey[c.accessKey]
	if byKey.Calls == nil {
		byKey.Calls = map[string]int{}
	}
	byKey.Calls[c.action]++
	if mutating {
		e.mutating++
		byKey.MutatingCalls++
	}
	e.byKey[c.accessKey] = byKey
	f, _, _ := e.faultFor(c.action)
	c.visibility = f.Visibility
	return f.Latency
}

// execute runs the handler under the lock unless a fault answers first.
func (e *Emulator) execute(c *call, spec actionSpec) (obj, *apiError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	injected, applied := e.injectedError(c.action)
	if injected != nil && !applied {
		return nil, injected
	}
	c.now = e.cfg.Now()
	e.store.settle(c.now)
	body, aerr := spec.handle(e, c)
	if aerr == nil && spec.mutating {
		e.persist()
	}
	if injected != nil {
		return nil, injected
	}
	return body, aerr
}
