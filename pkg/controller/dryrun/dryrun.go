// Package dryrun reports what a controller would change when the manager
// runs with --dry-run: a log line, an Event and a metric for each planned
// change, instead of the change. Both controllers report through it.
package dryrun

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
)

var planned = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "edge_controller_manager_dry_run_planned_total",
	Help: "Changes a controller running with --dry-run planned and did not make, by controller and action.",
}, []string{"controller", "action"})

// RegisterMetrics adds the dry-run metric to reg.
func RegisterMetrics(reg prometheus.Registerer) { reg.MustRegister(planned) }

// Report records that controller would take action on obj (what says
// exactly what, e.g. "CreateListener TCP:80->30080 on lb-1").
func Report(ctx context.Context, recorder record.EventRecorder, obj runtime.Object, controller, action, what string) {
	planned.WithLabelValues(controller, action).Inc()
	klog.FromContext(ctx).Info("Dry run: not changing", "action", action, "change", what)
	if recorder != nil && obj != nil {
		recorder.Event(obj, corev1.EventTypeNormal, apis.EventDryRun, apis.BoundMessage("dry run, would "+what, apis.MaxMessageLength))
	}
}
