// Package ensemulator is an in-memory Alibaba Cloud ENS (Edge Node Service)
// speaking the real RPC protocol over HTTP, so the unmodified SDK can talk
// to it: signed requests, ENS error answers, paging, and the rules of ELBs,
// listeners, backends and EIPs. Faults (errors, latency, delayed
// visibility) can be injected per action. See SPEC.md §4.
package ensemulator

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/klog/v2"
)

// Config configures an Emulator. The zero value is usable.
type Config struct {
	// AccessKeyID and AccessKeySecret are the first accepted credential;
	// defaults DefaultAccessKeyID and DefaultAccessKeySecret.
	AccessKeyID     string
	AccessKeySecret string
	// Credentials are further accepted AccessKeys (e.g. the controller's
	// and a user's). Each request is verified with the secret of its own
	// AccessKeyId.
	Credentials []Credential
	// Inventory seeds the account; nil means DefaultInventory().
	Inventory *Inventory
	// StateFile, when set, is loaded at start if it exists (it wins over
	// Inventory) and rewritten atomically after every mutation.
	StateFile string
	// ActiveDelay is how long a new ELB reads as Creating before Active.
	ActiveDelay time.Duration
	// ListenerTransitionDelay is how long a listener reads Starting after
	// StartLoadBalancerListener, Stopping after Stop, and Configuring after
	// a Set…ListenerAttribute call, as on real ENS; 0 settles at once.
	ListenerTransitionDelay time.Duration
	// EIPTransitionDelay is how long an EIP reads Associating or
	// Unassociating after those calls; 0 settles at once.
	EIPTransitionDelay time.Duration
	// ListenerReleaseDelay is how long a deleted listener's port stays
	// releasing: creating the listener again answers ListenerAlreadyExists
	// meanwhile, as on real ENS; 0 frees it at once.
	ListenerReleaseDelay time.Duration
	// SetRequiresStoppedListener refuses Set…ListenerAttribute on a
	// running listener (IncorrectListenerStatus). Real ENS documents this
	// for HTTP listeners only, so it is a switch, applied to every
	// protocol when on; controller tests run both ways.
	SetRequiresStoppedListener bool
	// ClientTokenWindow is how long a ClientToken of CreateLoadBalancer or
	// CreateEipInstance is remembered, also after its resource was
	// released; default DefaultClientTokenWindow.
	ClientTokenWindow time.Duration
	// Seed makes ids, addresses and random faults reproducible.
	Seed uint64
	// Faults are the initial faults by action name (or AllActions).
	Faults map[string]Fault
	// RateLimits are the calls per second each action allows per account
	// and per AccessKey, by action name and AllActions for the rest;
	// DefaultRateLimits() is real ENS's documented table. A call over a
	// limit answers Throttling.User or Throttling.Api and changes nothing.
	// nil enforces none (the zero Config of unit tests); cmd/ens-emulator
	// enforces the documented table by default.
	RateLimits map[string]RateLimit
	// RateLimitScale multiplies every rate limit (0 means 1): below 1 a
	// quick test meets the limits with fewer calls, above 1 a large
	// benchmark runs faster.
	RateLimitScale float64
	// RoundTrip is added to every RPC call, half before it is handled and
	// half after, like the network between a client and real ENS.
	RoundTrip time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger logs requests at V(4) and errors; zero means klog.Background().
	Logger klog.Logger
}

// Emulator is an in-memory ENS. It is safe for concurrent use.
type Emulator struct {
	cfg     Config
	logger  klog.Logger
	reqSeq  atomic.Uint64
	secrets map[string]string // AccessKeyId → secret; read-only after New

	mu        sync.Mutex
	store     *store
	rng       *rand.Rand
	faults    map[string]Fault
	limiter   *rateLimiter // nil: no rate limits
	calls     map[string]int
	throttled map[string]int
	mutating  int
	byKey     map[string]AccessKeyCalls
	nonces    map[string]time.Time
	lastPurge time.Time
	saveError error
}

// New builds an emulator from its configuration.
func New(cfg Config) (*Emulator, error) {
	cfg.AccessKeyID = cmp.Or(cfg.AccessKeyID, DefaultAccessKeyID)
	cfg.AccessKeySecret = cmp.Or(cfg.AccessKeySecret, DefaultAccessKeySecret)
	secrets, err := secretsByID(cfg.credentials())
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClientTokenWindow <= 0 {
		cfg.ClientTokenWindow = DefaultClientTokenWindow
	}
	logger := cfg.Logger
	if logger.GetSink() == nil {
		logger = klog.Background()
	}
	for action, f := range cfg.Faults {
		if err := f.validate(); err != nil {
			return nil, fmt.Errorf("fault for %s: %w", action, err)
		}
	}
	limiter, err := newRateLimiter(cfg.RateLimits, cfg.RateLimitScale)
	if err != nil {
		return nil, err
	}
	st, err := initialStore(cfg)
	if err != nil {
		return nil, err
	}
	e := &Emulator{
		cfg: cfg, logger: logger.WithName("ens-emulator"), store: st, secrets: secrets,
		rng:    rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		faults: map[string]Fault{}, limiter: limiter, calls: map[string]int{}, throttled: map[string]int{}, byKey: map[string]AccessKeyCalls{}, nonces: map[string]time.Time{},
	}
	maps.Copy(e.faults, cfg.Faults)
	if err := e.fillAddresses(); err != nil {
		return nil, err
	}
	return e, nil
}

func initialStore(cfg Config) (*store, error) {
	inv := DefaultInventory()
	if cfg.Inventory != nil {
		inv = *cfg.Inventory
	}
	if cfg.StateFile != "" {
		saved, err := loadState(cfg.StateFile)
		if err != nil {
			return nil, fmt.Errorf("load state: %w", err)
		}
		if saved != nil {
			inv = *saved
		}
	}
	return newStore(inv)
}

// fillAddresses gives seeded ELBs and EIPs without an address one, in id
// order so that the seed decides them.
func (e *Emulator) fillAddresses() error {
	for _, lb := range sortedByID(e.store.lbs) {
		if lb.Address == "" {
			addr, aerr := e.store.allocateAddress(lb.NetworkID, lb.VSwitchID)
			if aerr != nil {
				return fmt.Errorf("inventory: load balancer %s: %s", lb.ID, aerr.Message)
			}
			lb.Address = addr
		}
	}
	for _, eip := range sortedByID(e.store.eips) {
		if eip.Address == "" {
			eip.Address = e.newPublicAddress()
		}
	}
	return nil
}

// Handler serves the ENS RPC API at "/" and the admin API under "/admin/".
func (e *Emulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/admin/", e.serveAdmin)
	mux.HandleFunc("/", e.serveRPC)
	return mux
}

// Inventory is a deep copy of the current inventory, with ELB statuses as
// callers read them now.
func (e *Emulator) Inventory() Inventory {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	e.store.settle(now)
	e.forgetExpiredTokens(now)
	inv := e.store.snapshot()
	for i := range inv.LoadBalancers {
		inv.LoadBalancers[i].Status = effectiveLBStatus(&inv.LoadBalancers[i], now)
	}
	return inv
}

// Calls is the number of authenticated calls per action, not counting
// calls refused by the rate limits (Throttled).
func (e *Emulator) Calls() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.calls)
}

// MutatingCalls is the number of authenticated calls to mutating actions.
func (e *Emulator) MutatingCalls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mutating
}

// CallsByAccessKey is the call counters of each AccessKeyId that made
// authenticated calls.
func (e *Emulator) CallsByAccessKey() map[string]AccessKeyCalls {
	e.mu.Lock()
	defer e.mu.Unlock()
	return cloneByKey(e.byKey)
}

// Throttled is the number of calls per action the rate limits refused.
func (e *Emulator) Throttled() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.throttled)
}

// ResetCalls sets every call counter back to zero.
func (e *Emulator) ResetCalls() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls, e.mutating, e.byKey = map[string]int{}, 0, map[string]AccessKeyCalls{}
	e.throttled = map[string]int{}
}

// SetFault sets the fault of one action (or AllActions); a zero Fault
// removes it.
func (e *Emulator) SetFault(action string, f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if f == (Fault{}) {
		delete(e.faults, action)
		return
	}
	e.faults[action] = f
}

// Faults is a copy of the current faults.
func (e *Emulator) Faults() map[string]Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.faults)
}

// ReplaceFaults replaces every fault.
func (e *Emulator) ReplaceFaults(faults map[string]Fault) error {
	for action, f := range faults {
		if err := f.validate(); err != nil {
			return fmt.Errorf("fault for %s: %w", action, err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = maps.Clone(faults)
	if e.faults == nil {
		e.faults = map[string]Fault{}
	}
	return nil
}

// ClearFaults removes every fault.
func (e *Emulator) ClearFaults() { _ = e.ReplaceFaults(nil) }

// SaveState writes the state file now (a no-op without one). It also
// reports the last failed write after a mutation.
func (e *Emulator) SaveState() error {
	if e.cfg.StateFile == "" {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.saveError = saveState(e.cfg.StateFile, e.store.snapshot())
	return e.saveError
}

// persist rewrites the state file after a mutation. Callers hold mu.
func (e *Emulator) persist() {
	if e.cfg.StateFile == "" {
		return
	}
	if err := saveState(e.cfg.StateFile, e.store.snapshot()); err != nil {
		e.logger.Error(err, "Writing state file failed", "path", e.cfg.StateFile)
		e.saveError = err
	}
}

// newID is a real-looking id: prefix and 25 lowercase alphanumerics drawn
// from the seeded generator. Callers hold mu.
func (e *Emulator) newID(prefix string, taken func(string) bool) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	for {
		b := make([]byte, 25)
		for i := range b {
			b[i] = alphabet[e.rng.IntN(len(alphabet))]
		}
		if id := prefix + string(b); !taken(id) {
			return id
		}
	}
}

// requestID is an id in the format of Alibaba Cloud request ids.
func (e *Emulator) requestID() string {
	n := e.reqSeq.Add(1)
	return fmt.Sprintf("%08X-%04X-4%03X-8%03X-%012X", uint32(n*2654435761), uint16(n>>32), n&0xfff, (n>>12)&0xfff, n)
}
