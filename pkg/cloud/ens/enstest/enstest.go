// Package enstest builds ENS clients that talk to an emulator started with
// emulatortest, for other packages' tests.
package enstest

import (
	"testing"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// Config is the client configuration for env: its endpoint, scheme and
// credentials, TLS verification off (the emulator's certificate is
// self-signed), high rate limits for every action instead of the
// documented ones and a short timeout, so tests neither wait on the
// limiters nor hang. A test of the limits sets APILimits itself.
func Config(env *emulatortest.Env) ens.ClientConfig {
	return ens.ClientConfig{
		AccessKeyID:        env.AccessKeyID,
		AccessKeySecret:    env.AccessKeySecret,
		Endpoint:           env.Endpoint,
		Scheme:             env.Scheme,
		InsecureSkipVerify: true,
		APILimits:          map[string]ens.Limit{ens.AllActions: {QPS: 10000, Burst: 10000}},
		QPS:                10000,
		Burst:              10000,
		Timeout:            10 * time.Second,
	}
}

// NewClient returns a client for env; the test fails if it cannot be built.
func NewClient(t testing.TB, env *emulatortest.Env, opts ...ens.Option) *ens.Client {
	t.Helper()
	c, err := ens.NewClient(Config(env), opts...)
	if err != nil {
		t.Fatalf("enstest: %v", err)
	}
	return c
}
