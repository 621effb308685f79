package manager

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
)

// captureRecorder records the messages it is given, formatted.
type captureRecorder struct {
	mu       sync.Mutex
	messages []string
}

func (c *captureRecorder) add(m string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.messages = append(c.messages, m)
}

func (c *captureRecorder) Event(_ runtime.Object, _, _, message string) { c.add(message) }
func (c *captureRecorder) Eventf(_ runtime.Object, _, _, format string, args ...interface{}) {
	c.add(fmt.Sprintf(format, args...))
}
func (c *captureRecorder) AnnotatedEventf(_ runtime.Object, _ map[string]string, _, _, format string, args ...interface{}) {
	c.add(fmt.Sprintf(format, args...))
}
func (c *captureRecorder) WithLogger(klog.Logger) record.EventRecorderLogger { return c }

func TestBoundedRecorder(t *testing.T) {
	long := strings.Repeat("中", 500) // 1500 bytes; the cut falls inside a rune
	cutLong := strings.Repeat("中", (apis.MaxMessageLength-3)/3) + apis.TruncationMarker
	for _, tc := range []struct {
		name string
		send func(r record.EventRecorder)
		want string
	}{
		{"short Event unchanged", func(r record.EventRecorder) { r.Event(nil, "Normal", "R", "ok 100%") }, "ok 100%"},
		{"long Event", func(r record.EventRecorder) { r.Event(nil, "Warning", "R", long) }, cutLong},
		{"Eventf bounds the formatted message", func(r record.EventRecorder) { r.Eventf(nil, "Warning", "R", "%s%s", long[:750], long[750:]) }, cutLong},
		{"AnnotatedEventf keeps a % in the message", func(r record.EventRecorder) {
			r.AnnotatedEventf(nil, nil, "Warning", "R", "%s", "50% done")
		}, "50% done"},
		{"AnnotatedEventf long", func(r record.EventRecorder) { r.AnnotatedEventf(nil, nil, "Warning", "R", "%s", long) }, cutLong},
		{"WithLogger stays bounded", func(r record.EventRecorder) {
			r.(record.EventRecorderLogger).WithLogger(klog.Background()).Event(nil, "Warning", "R", long)
		}, cutLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &captureRecorder{}
			tc.send(newBoundedRecorder(c))
			if len(c.messages) != 1 || c.messages[0] != tc.want {
				t.Errorf("recorded %q, want %q", c.messages, tc.want)
			}
		})
	}
}

// TestEventMessagesBoundedThroughManager runs the real poolservice-set
// controller: its Warning quotes a Service's selector, which may be long,
// and what reaches the API is at most 1024 bytes of UTF-8 with the marker.
func TestEventMessagesBoundedThroughManager(t *testing.T) {
	selector := "k8s-svc=" + strings.Repeat("é", 1500) // not a label value: the error quotes it
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "cube-svc", UID: "uid-svc",
			Annotations: map[string]string{apis.AnnotationNodePoolSelector: selector}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: ptr.To(apis.LoadBalancerClassELB)},
	}
	kube, yurt := fakeClients("v1beta2")
	if err := kube.Tracker().Add(svc); err != nil {
		t.Fatal(err)
	}
	o := testOptions(t, apis.ControllerPoolServiceSet)
	o.LeaderElection.Enabled = false
	m, err := New(o, kube, yurt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		if err := waitResult(t, done, "Run to return"); err != nil {
			t.Errorf("Run returned %v", err)
		}
	}()
	ev := waitEvent(t, kube, apis.EventInvalidNodePoolSelector)
	if len(ev.Message) > apis.MaxMessageLength || !utf8.ValidString(ev.Message) ||
		!strings.HasSuffix(ev.Message, apis.TruncationMarker) || !strings.Contains(ev.Message, apis.AnnotationNodePoolSelector) {
		t.Errorf("event message of %d bytes (valid UTF-8 %v): %.80q…", len(ev.Message), utf8.ValidString(ev.Message), ev.Message)
	}
}

func waitEvent(t *testing.T, kube *kubefake.Clientset, reason string) corev1.Event {
	t.Helper()
	var found corev1.Event
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		evs, err := kube.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if e.Reason == reason {
				found = e
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no %s event: %v", reason, err)
	}
	return found
}
