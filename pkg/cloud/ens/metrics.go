package ens

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the client's Prometheus collectors. Each client has its own
// unless they are registered on the same registry, where they share one.
type metrics struct {
	calls     *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	throttles *prometheus.CounterVec
	wait      *prometheus.HistogramVec
	qps       *prometheus.GaugeVec
}

func newMetrics() *metrics {
	return &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ens_api_calls_total",
			Help: "ENS OpenAPI calls by action and result code (OK on success).",
		}, []string{"action", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ens_api_call_duration_seconds",
			Help:    "Duration of ENS OpenAPI calls, excluding client-side rate limiting.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 13),
		}, []string{"action"}),
		throttles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ens_api_throttles_total",
			Help: "ENS OpenAPI calls answered with a throttling code, by action; each slows that action's client-side rate down.",
		}, []string{"action"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ens_api_rate_limit_wait_seconds",
			Help:    "Time ENS OpenAPI calls waited for their action's client-side rate limit.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, []string{"action"}),
		qps: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ens_api_rate_limit_qps",
			Help: "Current client-side rate of each ENS OpenAPI action: its limit, less while backing off from throttling.",
		}, []string{"action"}),
	}
}

// register adds the collectors to reg; collectors already registered there
// (by another client) are used instead.
func (m *metrics) register(reg prometheus.Registerer) error {
	calls, err := registerOrReuse(reg, m.calls)
	if err != nil {
		return err
	}
	duration, err := registerOrReuse(reg, m.duration)
	if err != nil {
		return err
	}
	throttles, err := registerOrReuse(reg, m.throttles)
	if err != nil {
		return err
	}
	wait, err := registerOrReuse(reg, m.wait)
	if err != nil {
		return err
	}
	qps, err := registerOrReuse(reg, m.qps)
	if err != nil {
		return err
	}
	m.calls, m.duration, m.throttles, m.wait, m.qps = calls, duration, throttles, wait, qps
	return nil
}

func registerOrReuse[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

func (m *metrics) observe(action, code string, d time.Duration) {
	m.calls.WithLabelValues(action, code).Inc()
	m.duration.WithLabelValues(action).Observe(d.Seconds())
}

func (m *metrics) waited(action string, d time.Duration) {
	m.wait.WithLabelValues(action).Observe(d.Seconds())
}

func (m *metrics) rate(action string, qps float64) { m.qps.WithLabelValues(action).Set(qps) }

func (m *metrics) throttle(action string, qps float64) {
	m.throttles.WithLabelValues(action).Inc()
	m.rate(action, qps)
}
