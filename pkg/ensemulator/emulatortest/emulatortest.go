// Package emulatortest starts an ENS emulator on loopback for tests.
package emulatortest

import (
	"crypto/tls"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// Env is a running emulator. Build a cloud client from Endpoint, Scheme
// and the credentials.
type Env struct {
	Emulator *ensemulator.Emulator
	Server   *httptest.Server
	// URL is the server's base URL, e.g. http://127.0.0.1:34567.
	URL string
	// Endpoint is host:port, what the SDK's client.Domain takes.
	Endpoint string
	// Scheme is HTTP, or HTTPS with WithTLS (self-signed: skip verification).
	Scheme string
	// AccessKeyID and AccessKeySecret are the first accepted credential.
	AccessKeyID     string
	AccessKeySecret string
	// Credentials are every accepted credential, the first one included.
	Credentials []ensemulator.Credential
}

type settings struct {
	cfg ensemulator.Config
	tls bool
}

// Option changes the emulator an Env starts.
type Option func(*settings)

// WithInventory seeds the emulator with inv instead of the default inventory.
func WithInventory(inv ensemulator.Inventory) Option {
	return func(s *settings) { s.cfg.Inventory = &inv }
}

// WithActiveDelay sets how long new ELBs read as Creating.
func WithActiveDelay(d time.Duration) Option {
	return func(s *settings) { s.cfg.ActiveDelay = d }
}

// WithSeed sets the seed of ids and random faults.
func WithSeed(seed uint64) Option {
	return func(s *settings) { s.cfg.Seed = seed }
}

// WithFault sets an initial fault for an action (or ensemulator.AllActions).
func WithFault(action string, f ensemulator.Fault) Option {
	return func(s *settings) {
		if s.cfg.Faults == nil {
			s.cfg.Faults = map[string]ensemulator.Fault{}
		}
		s.cfg.Faults[action] = f
	}
}

// WithStateFile persists the inventory to path.
func WithStateFile(path string) Option {
	return func(s *settings) { s.cfg.StateFile = path }
}

// WithClock sets the emulator's clock.
func WithClock(now func() time.Time) Option {
	return func(s *settings) { s.cfg.Now = now }
}

// WithConfig edits the configuration directly.
func WithConfig(edit func(*ensemulator.Config)) Option {
	return func(s *settings) { edit(&s.cfg) }
}

// WithCredentials accepts these AccessKeys in addition to the first one.
func WithCredentials(creds ...ensemulator.Credential) Option {
	return func(s *settings) { s.cfg.Credentials = append(s.cfg.Credentials, creds...) }
}

// WithRealisticTiming gives the emulator real ENS's transition delays,
// times scale, and its stricter listener rules (ensemulator.Realistic).
func WithRealisticTiming(scale float64) Option {
	return func(s *settings) { ensemulator.Realistic(&s.cfg, scale) }
}

// WithTLS serves HTTPS with a self-signed certificate.
func WithTLS() Option {
	return func(s *settings) { s.tls = true }
}

// Start starts an emulator with the default inventory and credentials
// (changed by opts) and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Env {
	t.Helper()
	var s settings
	for _, o := range opts {
		o(&s)
	}
	emu, err := ensemulator.New(s.cfg)
	if err != nil {
		t.Fatalf("emulatortest: %v", err)
	}
	srv := httptest.NewUnstartedServer(emu.Handler())
	scheme := "HTTP"
	if s.tls {
		cert, err := ensemulator.SelfSignedCertificate()
		if err != nil {
			t.Fatalf("emulatortest: %v", err)
		}
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.StartTLS()
		scheme = "HTTPS"
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	first := ensemulator.Credential{AccessKeyID: cfgOr(s.cfg.AccessKeyID, ensemulator.DefaultAccessKeyID),
		AccessKeySecret: cfgOr(s.cfg.AccessKeySecret, ensemulator.DefaultAccessKeySecret)}
	return &Env{
		Emulator: emu, Server: srv, URL: srv.URL, Scheme: scheme,
		Endpoint:        strings.TrimPrefix(strings.TrimPrefix(srv.URL, "http://"), "https://"),
		AccessKeyID:     first.AccessKeyID,
		AccessKeySecret: first.AccessKeySecret,
		Credentials:     append([]ensemulator.Credential{first}, s.cfg.Credentials...),
	}
}

func cfgOr(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
