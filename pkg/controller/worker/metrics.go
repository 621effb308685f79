package worker

import "github.com/prometheus/client_golang/prometheus"

// Values of the "result" label of edge_controller_manager_syncs_total.
const (
	ResultSuccess = "success"
	ResultError   = "error"
	ResultRequeue = "requeue"
)

// The collectors are process-wide (every Loop records into them) but not
// registered anywhere: the manager adds them to its own registry with
// RegisterMetrics.
var (
	syncDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "edge_controller_manager_sync_duration_seconds",
		Help: "Seconds one sync of a queue key takes, by controller.",
		// 5ms to ~80s: a sync may wait on several ENS calls.
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 15),
	}, []string{"controller"})
	syncsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "edge_controller_manager_syncs_total",
		Help: "Syncs of queue keys, by controller and result (success, error, requeue).",
	}, []string{"controller", "result"})
)

// RegisterMetrics adds the sync metrics to reg. Like MustRegister it panics
// if reg already holds them; a collector may sit in several registries.
func RegisterMetrics(reg prometheus.Registerer) {
	reg.MustRegister(syncDuration, syncsTotal)
}

// initMetrics creates a controller's series at zero so that rates are
// defined before its first sync.
func initMetrics(controller string) {
	syncDuration.WithLabelValues(controller)
	for _, r := range []string{ResultSuccess, ResultError, ResultRequeue} {
		syncsTotal.WithLabelValues(controller, r)
	}
}
