package elb

import "github.com/prometheus/client_golang/prometheus"

// The resync's collectors; the manager registers them (RegisterMetrics).
var (
	resyncEnqueued = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "edge_controller_manager_elb_resync_enqueued_total",
		Help: "PoolServices the periodic ELB resync has enqueued.",
	})
	resyncStretch = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "edge_controller_manager_elb_resync_stretched_seconds",
		Help: "How long the last ELB resync pass takes (planned, when --elb-resync-rate cannot fit it in the resync period) or took (when other work held the ENS budget past the period); 0 when it fits.",
	})
)

// RegisterMetrics adds the ELB controller's metrics to reg.
func RegisterMetrics(reg prometheus.Registerer) {
	reg.MustRegister(resyncEnqueued, resyncStretch)
}
