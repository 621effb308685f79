package manager

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"k8s.io/client-go/util/workqueue"

	"github.com/edge-lb/edge-controller-manager/pkg/controller/dryrun"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/elb"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/worker"
)

// queueMetrics is the process-wide workqueue metrics provider: client-go
// accepts one provider per process (workqueue.SetProvider), so every
// manager registers these same collectors in its own registry.
var queueMetrics = newWorkqueueMetrics()

// workqueueMetrics implements workqueue.MetricsProvider with Prometheus
// vectors labelled by queue name.
type workqueueMetrics struct {
	depth, unfinished, longest  *prometheus.GaugeVec
	adds, retries               *prometheus.CounterVec
	queueDuration, workDuration *prometheus.HistogramVec
}

func newWorkqueueMetrics() *workqueueMetrics {
	labels := []string{"name"}
	buckets := prometheus.ExponentialBuckets(10e-9, 10, 12)
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Subsystem: "workqueue", Name: name, Help: help}, labels)
	}
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Subsystem: "workqueue", Name: name, Help: help}, labels)
	}
	histogram := func(name, help string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Subsystem: "workqueue", Name: name, Help: help, Buckets: buckets}, labels)
	}
	return &workqueueMetrics{
		depth:         gauge("depth", "Current depth of the workqueue."),
		unfinished:    gauge("unfinished_work_seconds", "Seconds of work in progress not yet observed by work_duration."),
		longest:       gauge("longest_running_processor_seconds", "Seconds the longest running processor has been running."),
		adds:          counter("adds_total", "Adds handled by the workqueue."),
		retries:       counter("retries_total", "Retries handled by the workqueue."),
		queueDuration: histogram("queue_duration_seconds", "Seconds an item stays in the workqueue before being requested."),
		workDuration:  histogram("work_duration_seconds", "Seconds processing an item from the workqueue takes."),
	}
}

func (m *workqueueMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.depth, m.unfinished, m.longest, m.adds, m.retries, m.queueDuration, m.workDuration}
}

func (m *workqueueMetrics) NewDepthMetric(name string) workqueue.GaugeMetric {
	return m.depth.WithLabelValues(name)
}

func (m *workqueueMetrics) NewAddsMetric(name string) workqueue.CounterMetric {
	return m.adds.WithLabelValues(name)
}

func (m *workqueueMetrics) NewLatencyMetric(name string) workqueue.HistogramMetric {
	return m.queueDuration.WithLabelValues(name)
}

func (m *workqueueMetrics) NewWorkDurationMetric(name string) workqueue.HistogramMetric {
	return m.workDuration.WithLabelValues(name)
}

func (m *workqueueMetrics) NewUnfinishedWorkSecondsMetric(name string) workqueue.SettableGaugeMetric {
	return m.unfinished.WithLabelValues(name)
}

func (m *workqueueMetrics) NewLongestRunningProcessorSecondsMetric(name string) workqueue.SettableGaugeMetric {
	return m.longest.WithLabelValues(name)
}

func (m *workqueueMetrics) NewRetriesMetric(name string) workqueue.CounterMetric {
	return m.retries.WithLabelValues(name)
}

// managerMetrics are the manager's own metrics.
type managerMetrics struct {
	leader *prometheus.GaugeVec
}

// newRegistry returns the registry /metrics serves: Go and process
// collectors, the workqueue and controller sync metrics and the manager's own.
func newRegistry() (*prometheus.Registry, *managerMetrics) {
	workqueue.SetProvider(queueMetrics)
	reg := prometheus.NewRegistry()
	mm := &managerMetrics{leader: prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "edge_controller_manager_leader",
		Help: "1 while this replica holds the leader lease (or runs without leader election), else 0.",
	}, []string{"lease"})}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), mm.leader)
	reg.MustRegister(queueMetrics.collectors()...)
	worker.RegisterMetrics(reg)
	elb.RegisterMetrics(reg)
	dryrun.RegisterMetrics(reg)
	return reg, mm
}
