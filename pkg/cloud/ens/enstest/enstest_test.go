package enstest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens/enstest"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

func TestNewClient(t *testing.T) {
	env := emulatortest.Start(t, emulatortest.WithTLS())
	c := enstest.NewClient(t, env)
	lbs, err := c.ListLoadBalancers(context.Background(), cloud.LoadBalancerFilter{ID: "lb-hefei-existing"})
	if err != nil || len(lbs) != 1 || lbs[0].Name != "user-elb-hefei" {
		t.Errorf("ListLoadBalancers = %+v, %v", lbs, err)
	}
}

// recordingTB records a Fatalf instead of stopping the test.
type recordingTB struct {
	testing.TB
	fatal string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func TestNewClientFailsTheTest(t *testing.T) {
	t.Setenv(ens.EnvAccessKeyID, "")
	t.Setenv(ens.EnvAccessKeySecret, "")
	env := emulatortest.Start(t)
	env.AccessKeyID, env.AccessKeySecret = "", ""
	rec := &recordingTB{TB: t}
	if c := enstest.NewClient(rec, env); c != nil || rec.fatal == "" {
		t.Errorf("NewClient without credentials = %v, Fatalf %q; want nil and a failed test", c, rec.fatal)
	}
}
