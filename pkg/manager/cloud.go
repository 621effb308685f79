package manager

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
)

// newCloud builds the ENS client from --cloud-config (when set; otherwise
// credentials come from the ALIBABA_CLOUD_* environment variables) and the
// cloud flags: a token bucket per action (--cloud-api-limits over the
// documented limits) and the optional overall cap (--cloud-qps). The client
// registers its metrics in reg.
func newCloud(o *Options, reg prometheus.Registerer) (cloud.Cloud, error) {
	var cfg ens.ClientConfig
	if o.CloudConfig != "" {
		var err error
		if cfg, err = ens.LoadConfigFile(o.CloudConfig); err != nil {
			return nil, fmt.Errorf("--cloud-config: %w", err)
		}
	}
	cfg.APILimits, cfg.QPS, cfg.Burst, cfg.Timeout = o.CloudAPILimits, o.CloudQPS, o.CloudBurst, o.CloudTimeout
	c, err := ens.NewClient(cfg, ens.WithMetricsRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("building the ENS client: %w", err)
	}
	return c, nil
}
