package benchscale

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Profile is one benchmark run's shape. The full profile is issue 9's;
// small keeps every phase and field at counts that fit CI.
type Profile struct {
	Name string
	// Services over Pools of NodesPerPool kwok nodes: Services × Pools
	// PoolServices, each a TCP and a UDP port. One of the Services is the
	// Local-policy probe of the moves.
	Services, Pools, NodesPerPool int
	// RTT is the emulator's injected round trip (--round-trip).
	RTT time.Duration
	// ResyncRate is the manager's --elb-resync-rate (its default, passed
	// explicitly so the pass arithmetic here cannot drift from it).
	ResyncRate float64
	// MoveRate moves per second for MoveDuration (phase 3).
	MoveRate     float64
	MoveDuration time.Duration
	// RestartPoolServices and RestartEndpoints are phase 4's size; the
	// Services grow to RestartPoolServices / Pools.
	RestartPoolServices, RestartEndpoints int
	// LimitScale multiplies the emulator's limits (--rate-limit-scale) and
	// the manager's client budgets (--cloud-api-limits) in phase 4 only.
	LimitScale float64
	// SteadyFor is how long the RSS is sampled after the adopt.
	SteadyFor time.Duration
	// ELBWorkers is --elb-workers of the measured managers (0: the
	// manager's default). Verbosity is their -v.
	ELBWorkers, Verbosity int
	// Out is the JSON path.
	Out string
}

// Profile names.
const (
	ProfileFull  = "full"
	ProfileSmall = "small"
)

// DeploymentMemoryLimit is the manager container's limits.memory in
// manifests/deploy/deployment.yaml (TestDeploymentMemoryLimit keeps them
// equal).
const DeploymentMemoryLimit = 256 << 20

// ProbeHealthCheckNodePort is the probe's (Local policy) health-check node
// port: the top of the default node-port range 30000-32767.
const ProbeHealthCheckNodePort = 32767

// maxServices: two node ports each in 30000-32766, below the probe's
// health-check port.
const maxServices = (ProbeHealthCheckNodePort - 30000) / 2

func defaultProfile(name string) (Profile, error) {
	p := Profile{Name: name, NodesPerPool: 5, RTT: 30 * time.Millisecond, ResyncRate: 5, MoveRate: 5, LimitScale: 10,
		Out: "_output/bench/scale.json"}
	switch name {
	case ProfileFull, "":
		p.Name = ProfileFull
		p.Services, p.Pools = 50, 20
		p.MoveDuration = 60 * time.Second
		p.RestartPoolServices, p.RestartEndpoints = 20000, 50000
		p.SteadyFor = time.Minute
	case ProfileSmall:
		p.Services, p.Pools = 5, 4
		p.MoveDuration = 10 * time.Second
		p.RestartPoolServices, p.RestartEndpoints = 500, 1250
		p.SteadyFor = 5 * time.Second
	default:
		return p, fmt.Errorf("BENCH_SCALE_PROFILE %q: want %s or %s", name, ProfileFull, ProfileSmall)
	}
	return p, nil
}

// ProfileFromEnv is BENCH_SCALE_PROFILE's profile with the BENCH_SCALE_*
// overrides applied (getenv is os.Getenv).
func ProfileFromEnv(getenv func(string) string) (Profile, error) {
	p, err := defaultProfile(getenv("BENCH_SCALE_PROFILE"))
	if err != nil {
		return p, err
	}
	for _, o := range []struct {
		name string
		set  func(string) error
	}{
		{"BENCH_SCALE_SERVICES", intVar(&p.Services)},
		{"BENCH_SCALE_POOLS", intVar(&p.Pools)},
		{"BENCH_SCALE_NODES", intVar(&p.NodesPerPool)},
		{"BENCH_SCALE_RTT", durationVar(&p.RTT)},
		{"BENCH_SCALE_MOVE_RATE", floatVar(&p.MoveRate)},
		{"BENCH_SCALE_MOVE_DURATION", durationVar(&p.MoveDuration)},
		{"BENCH_SCALE_RESTART_POOLSERVICES", intVar(&p.RestartPoolServices)},
		{"BENCH_SCALE_RESTART_ENDPOINTS", intVar(&p.RestartEndpoints)},
		{"BENCH_SCALE_LIMIT_SCALE", floatVar(&p.LimitScale)},
		{"BENCH_SCALE_STEADY", durationVar(&p.SteadyFor)},
		{"BENCH_SCALE_ELB_WORKERS", intVar(&p.ELBWorkers)},
		{"BENCH_SCALE_V", intVar(&p.Verbosity)},
		{"BENCH_SCALE_OUT", func(s string) error { p.Out = s; return nil }},
	} {
		if v := getenv(o.name); v != "" {
			if err := o.set(v); err != nil {
				return p, fmt.Errorf("%s=%q: %w", o.name, v, err)
			}
		}
	}
	return p, p.validate()
}

func (p Profile) validate() error {
	switch {
	case p.Services < 2 || p.Pools < 1 || p.NodesPerPool < 2:
		return fmt.Errorf("%d Services, %d pools, %d nodes per pool: want at least 2, 1 and 2 (the probe moves between nodes)",
			p.Services, p.Pools, p.NodesPerPool)
	case p.RestartServices() > maxServices:
		return fmt.Errorf("%d PoolServices over %d pools need %d Services; at most %d fit the node-port range with two ports each",
			p.RestartPoolServices, p.Pools, p.RestartServices(), maxServices)
	case p.RestartServices() < p.Services:
		return fmt.Errorf("the restart's %d PoolServices are fewer than the converge's %d", p.RestartPoolServices, p.PoolServices())
	case p.RestartEndpoints < p.RestartServices():
		return fmt.Errorf("%d endpoints for %d Services: want at least one each", p.RestartEndpoints, p.RestartServices())
	case !(p.RTT >= 0) || !(p.ResyncRate > 0) || !(p.MoveRate > 0) || p.MoveDuration <= 0 || !(p.LimitScale > 0):
		return fmt.Errorf("RTT %v, resync rate %v, move rate %v, move duration %v, limit scale %v: want them positive",
			p.RTT, p.ResyncRate, p.MoveRate, p.MoveDuration, p.LimitScale)
	}
	return nil
}

// PoolServices of the converge (phases 1-3).
func (p Profile) PoolServices() int { return p.Services * p.Pools }

// RestartServices is how many Services phase 4 has (its PoolServices
// rounded up to whole Services).
func (p Profile) RestartServices() int { return ceilDiv(p.RestartPoolServices, p.Pools) }

// Nodes of the cluster.
func (p Profile) Nodes() int { return p.Pools * p.NodesPerPool }

// ResyncPeriod is the manager's --resync-period in phases 1-3: what the
// resync rate needs for every PoolService, so the passes run back to back
// (one key every 1/ResyncRate) and a pass is N keys; at least
// minResyncPeriod, so that every PoolService exists before the second pass
// lists them (the windows count passes of N keys from there).
func (p Profile) ResyncPeriod() time.Duration {
	return max(minResyncPeriod, time.Duration(math.Ceil(float64(p.PoolServices())/p.ResyncRate*float64(time.Second))))
}

const minResyncPeriod = 8 * time.Second

// ResyncGap is the time between two keys of a pass (the controller's
// resyncGap with this period).
func (p Profile) ResyncGap() time.Duration {
	return max(p.ResyncPeriod()/time.Duration(p.PoolServices()), time.Duration(float64(time.Second)/p.ResyncRate))
}

// Moves is how many endpoint moves phase 3 makes.
func (p Profile) Moves() int { return int(math.Round(p.MoveRate * p.MoveDuration.Seconds())) }

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func intVar(p *int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		*p = n
		return err
	}
}

func floatVar(p *float64) func(string) error {
	return func(s string) error {
		f, err := strconv.ParseFloat(s, 64)
		*p = f
		return err
	}
}

func durationVar(p *time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		*p = d
		return err
	}
}
