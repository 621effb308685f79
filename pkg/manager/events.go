package manager

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
)

// boundedRecorder is the one place every controller's Event message is
// bounded: at most apis.MaxMessageLength bytes of valid UTF-8, cut with a
// trailing marker (apis.BoundMessage). Messages quote errors, ENS answers
// and users' annotations, which have no length of their own.
type boundedRecorder struct {
	next record.EventRecorderLogger
}

var _ record.EventRecorderLogger = boundedRecorder{}

func newBoundedRecorder(next record.EventRecorderLogger) boundedRecorder {
	return boundedRecorder{next: next}
}

func bound(message string) string { return apis.BoundMessage(message, apis.MaxMessageLength) }

func (r boundedRecorder) Event(object runtime.Object, eventtype, reason, message string) {
	r.next.Event(object, eventtype, reason, bound(message))
}

// Eventf formats first, so the bound applies to the message as written.
func (r boundedRecorder) Eventf(object runtime.Object, eventtype, reason, messageFmt string, args ...interface{}) {
	r.next.Event(object, eventtype, reason, bound(fmt.Sprintf(messageFmt, args...)))
}

func (r boundedRecorder) AnnotatedEventf(object runtime.Object, annotations map[string]string, eventtype, reason, messageFmt string, args ...interface{}) {
	// "%s" keeps a "%" in the bounded message from being read as a verb.
	r.next.AnnotatedEventf(object, annotations, eventtype, reason, "%s", bound(fmt.Sprintf(messageFmt, args...)))
}

func (r boundedRecorder) WithLogger(logger klog.Logger) record.EventRecorderLogger {
	return boundedRecorder{next: r.next.WithLogger(logger)}
}
