// Command ens-emulator serves an in-memory Alibaba Cloud ENS over HTTP(S)
// for the controller's tests, the demo and benchmarks.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		klog.ErrorS(err, "ens-emulator failed")
		klog.Flush()
		os.Exit(1)
	}
	klog.Flush()
}

// options are the command-line flags.
type options struct {
	listen, inventoryFile, faultsFile string
	rateLimits, rateLimitsFile        string
	tls                               bool
	cfg                               ensemulator.Config
	flagFaults                        map[string]ensemulator.Fault
}

// --rate-limits values.
const (
	rateLimitsDocumented = "documented"
	rateLimitsOff        = "off"
)

func parseFlags(args []string) (*options, error) {
	o := &options{flagFaults: map[string]ensemulator.Fault{}}
	fs := flag.NewFlagSet("ens-emulator", flag.ContinueOnError)
	klog.InitFlags(fs)
	fs.StringVar(&o.listen, "listen-address", "127.0.0.1:18443", "host:port to serve the ENS API and /admin/ on")
	fs.StringVar(&o.cfg.AccessKeyID, "access-key-id", ensemulator.DefaultAccessKeyID, "the accepted access key id")
	fs.StringVar(&o.cfg.AccessKeySecret, "access-key-secret", ensemulator.DefaultAccessKeySecret, "the accepted access key secret")
	fs.Func("access-key", "ID:SECRET, a further accepted AccessKey, e.g. a second RAM user's (repeatable)", func(s string) error {
		cred, err := parseAccessKey(s)
		o.cfg.Credentials = append(o.cfg.Credentials, cred)
		return err
	})
	fs.StringVar(&o.inventoryFile, "inventory-file", "", "YAML or JSON inventory to start from (default: the built-in inventory)")
	fs.StringVar(&o.cfg.StateFile, "state-file", "", "persist the inventory here; loaded at start when present")
	fs.BoolVar(&o.tls, "tls", false, "serve HTTPS with a self-signed certificate")
	// Real ENS's timing and rules by default: what passes here passes there.
	fs.DurationVar(&o.cfg.ActiveDelay, "active-delay", ensemulator.RealisticActiveDelay,
		"how long a new ELB reads as Creating before Active (0: at once)")
	fs.DurationVar(&o.cfg.ListenerTransitionDelay, "listener-transition-delay", ensemulator.RealisticListenerTransitionDelay,
		"how long a listener reads Starting/Stopping/Configuring after Start/Stop/Set (0: at once)")
	fs.DurationVar(&o.cfg.EIPTransitionDelay, "eip-transition-delay", ensemulator.RealisticEIPTransitionDelay,
		"how long an EIP reads Associating/Unassociating after those calls (0: at once)")
	fs.DurationVar(&o.cfg.ListenerReleaseDelay, "listener-release-delay", ensemulator.RealisticListenerReleaseDelay,
		"how long a deleted listener's port refuses a new listener with ListenerAlreadyExists (0: freed at once)")
	fs.BoolVar(&o.cfg.SetRequiresStoppedListener, "set-requires-stopped-listener", true,
		"refuse Set...ListenerAttribute on a running listener with IncorrectListenerStatus (documented for HTTP)")
	fs.DurationVar(&o.cfg.ClientTokenWindow, "client-token-window", ensemulator.DefaultClientTokenWindow,
		"how long a ClientToken of CreateLoadBalancer/CreateEipInstance is remembered, also after its resource was released")
	// Real ENS's documented rate limits by default, like the timing above.
	fs.StringVar(&o.rateLimits, "rate-limits", rateLimitsDocumented,
		"per-action rate limits per account and per AccessKey: documented (real ENS's table, answering Throttling.User / Throttling.Api) or off")
	fs.Float64Var(&o.cfg.RateLimitScale, "rate-limit-scale", 1, "multiply every rate limit by this (e.g. 0.1 for a quick run, 10 for a large benchmark)")
	fs.StringVar(&o.rateLimitsFile, "rate-limits-file", "",
		"YAML or JSON map of action (or \"*\") to {account, user} calls per second, over the --rate-limits table")
	fs.DurationVar(&o.cfg.RoundTrip, "round-trip", 0, "latency added to every ENS call, like the network to real ENS")
	fs.Uint64Var(&o.cfg.Seed, "seed", 1, "seed of generated ids, addresses and random faults")
	fs.StringVar(&o.faultsFile, "faults-file", "", "YAML or JSON map of action to fault")
	fs.Func("fault", "ACTION=CODE:RATE[,latency=D][,visibility=D][,failnext=N][,status=S][,applied] (repeatable)",
		func(s string) error {
			action, f, err := ensemulator.ParseFaultFlag(s)
			o.flagFaults[action] = f
			return err
		})
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	return o, o.load()
}

// parseAccessKey parses an --access-key value ID:SECRET. The secret may
// contain colons; the id may not.
func parseAccessKey(s string) (ensemulator.Credential, error) {
	id, secret, ok := strings.Cut(s, ":")
	if !ok || id == "" || secret == "" {
		return ensemulator.Credential{}, fmt.Errorf("access key %q: want ID:SECRET", id)
	}
	return ensemulator.Credential{AccessKeyID: id, AccessKeySecret: secret}, nil
}

// load reads the inventory, rate limits and faults files; --fault flags
// win over the file.
func (o *options) load() error {
	if err := o.loadRateLimits(); err != nil {
		return err
	}
	if o.inventoryFile != "" {
		inv, err := ensemulator.LoadInventoryFile(o.inventoryFile)
		if err != nil {
			return err
		}
		o.cfg.Inventory = &inv
	}
	o.cfg.Faults = map[string]ensemulator.Fault{}
	if o.faultsFile != "" {
		faults, err := ensemulator.LoadFaultsFile(o.faultsFile)
		if err != nil {
			return err
		}
		o.cfg.Faults = faults
	}
	for action, f := range o.flagFaults {
		o.cfg.Faults[action] = f
	}
	return nil
}

// loadRateLimits builds Config.RateLimits from --rate-limits and
// --rate-limits-file; nil (none) when both leave no limit.
func (o *options) loadRateLimits() error {
	if o.cfg.RateLimitScale <= 0 {
		return fmt.Errorf("--rate-limit-scale %v must be positive", o.cfg.RateLimitScale)
	}
	var base map[string]ensemulator.RateLimit
	switch o.rateLimits {
	case rateLimitsDocumented:
		base = ensemulator.DefaultRateLimits()
	case rateLimitsOff:
	default:
		return fmt.Errorf("--rate-limits %q: want %s or %s", o.rateLimits, rateLimitsDocumented, rateLimitsOff)
	}
	if o.rateLimitsFile != "" {
		var err error
		if base, err = ensemulator.LoadRateLimitsFile(o.rateLimitsFile, base); err != nil {
			return err
		}
	}
	if len(base) > 0 {
		o.cfg.RateLimits = base
	}
	return nil
}

// run serves until ctx ends, then shuts down gracefully and saves state.
func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	logger := klog.FromContext(ctx)
	o.cfg.Logger = logger
	emu, err := ensemulator.New(o.cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: emu.Handler(), ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if o.tls {
		cert, err := ensemulator.SelfSignedCertificate(hostOf(o.listen))
		if err != nil {
			return err
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln, scheme = tls.NewListener(ln, srv.TLSConfig), "https"
	}
	fmt.Fprintf(out, "ens-emulator listening on %s://%s\n", scheme, ln.Addr())
	logger.Info("Serving ENS emulator", "address", ln.Addr().String(), "scheme", scheme, "stateFile", o.cfg.StateFile,
		"rateLimits", o.cfg.RateLimits != nil, "rateLimitScale", o.cfg.RateLimitScale, "roundTrip", o.cfg.RoundTrip)
	return serve(ctx, srv, ln, emu)
}

func serve(ctx context.Context, srv *http.Server, ln net.Listener, emu *ensemulator.Emulator) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return errors.Join(err, emu.SaveState())
}

func hostOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	return host
}
