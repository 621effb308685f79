// Package apitest holds the checks every API group's client tests share:
// the generated typed clients and informers of each type are driven through
// one scenario so that they are held to the same expectations.
package apitest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

// Client is the part of a generated typed client the scenario uses; T is
// the pointer type (*v1beta2.NodePool).
type Client[T metav1.Object] interface {
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	UpdateStatus(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// Informers is the generated shared informer factory.
type Informers interface {
	StartWithContext(ctx context.Context)
	WaitForCacheSyncWithContext(ctx context.Context) cache.SyncResult
}

// ClientScenario describes one type's round trip through its client and
// informer. The fake clientset is seeded with the object named Existing;
// the type's informer must be registered on Informers (its lister asked
// for) before Run.
type ClientScenario[T metav1.Object] struct {
	Client    Client[T]
	Informers Informers
	Existing  string
	// Create is created while the informer runs.
	Create T
	// List lists through the client; it must return exactly WantListed.
	List       func(ctx context.Context) ([]string, error)
	WantListed []string
	// SetStatus fills the status of the created object; Status picks the
	// status out for comparison and StatusOK checks what it must hold.
	SetStatus func(T)
	Status    func(T) any
	StatusOK  func(T) bool
	// ListerSawStatus reports whether the lister holds the new status;
	// ListerCount counts what the lister matches, which must be WantLister.
	ListerSawStatus func() bool
	ListerCount     func() (int, error)
	WantLister      int
}

// Run watches, starts the informers, creates, lists, updates the status,
// waits for the lister and deletes Existing, checking each step.
func (s ClientScenario[T]) Run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := s.Client.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	// A watch from no resource version starts with the existing objects.
	expectEvent(t, w, watch.Added, s.Existing)
	s.Informers.StartWithContext(ctx)
	if err := s.Informers.WaitForCacheSyncWithContext(ctx).AsError(); err != nil {
		t.Fatal(err)
	}

	created, err := s.Client.Create(ctx, s.Create, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expectEvent(t, w, watch.Added, created.GetName())
	names, err := s.List(ctx)
	slices.Sort(names)
	if err != nil || !slices.Equal(names, s.WantListed) {
		t.Fatalf("list = %v, %v; want %v", names, err, s.WantListed)
	}

	s.updateStatus(ctx, t, w, created)

	err = wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return s.ListerSawStatus(), nil
	})
	if err != nil {
		t.Fatalf("lister never saw the status: %v", err)
	}
	if n, err := s.ListerCount(); err != nil || n != s.WantLister {
		t.Errorf("lister matches %d objects (%v), want %d", n, err, s.WantLister)
	}

	if err := s.Client.Delete(ctx, s.Existing, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, w, watch.Deleted, s.Existing)
}

// updateStatus writes the status of created and checks the watch event and
// what Get then returns.
func (s ClientScenario[T]) updateStatus(ctx context.Context, t *testing.T, w watch.Interface, created T) {
	t.Helper()
	s.SetStatus(created)
	updated, err := s.Client.UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := <-w.ResultChan(); ev.Type != watch.Modified {
		t.Errorf("watch got %v after status update, want MODIFIED", ev.Type)
	}
	got, err := s.Client.Get(ctx, created.GetName(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.Status(updated), s.Status(got)); diff != "" || !s.StatusOK(got) {
		t.Errorf("status after UpdateStatus (-want +got):\n%s", diff)
	}
}

func expectEvent(t *testing.T, w watch.Interface, typ watch.EventType, name string) {
	t.Helper()
	ev := <-w.ResultChan()
	if obj, ok := ev.Object.(metav1.Object); ev.Type != typ || !ok || obj.GetName() != name {
		t.Errorf("watch got %v %v, want %v %s", ev.Type, ev.Object, typ, name)
	}
}

// CheckJSON marshals obj, checks that its spec and status carry every named
// key and that it unmarshals into back unchanged. It returns the spec as
// marshalled, for checks of values.
func CheckJSON[T any](t *testing.T, obj, back T, specKeys, statusKeys []string) map[string]json.RawMessage {
	t.Helper()
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Spec   map[string]json.RawMessage `json:"spec"`
		Status map[string]json.RawMessage `json:"status"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range specKeys {
		if _, ok := raw.Spec[k]; !ok {
			t.Errorf("spec has no %q: %s", k, data)
		}
	}
	for _, k := range statusKeys {
		if _, ok := raw.Status[k]; !ok {
			t.Errorf("status has no %q: %s", k, data)
		}
	}
	if err := json.Unmarshal(data, back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(obj, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	return raw.Spec
}

// Names returns the names of a list's items.
func Names[T any, PT interface {
	*T
	metav1.Object
}](items []T) []string {
	names := make([]string, 0, len(items))
	for i := range items {
		names = append(names, PT(&items[i]).GetName())
	}
	return names
}
