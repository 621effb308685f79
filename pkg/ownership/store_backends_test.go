package ownership

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	k8sfake "k8s.io/client-go/kubernetes/fake"
)

// TestBackendsLifecycle: the instances added to a user ELB are recorded in
// a ConfigMap of their own (cached, never listed as a Record, so the orphan
// sweep never sees it); a repeated add writes nothing; forgetting the last
// one deletes the ConfigMap.
func TestBackendsLifecycle(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := k8sfake.NewSimpleClientset()
	s := NewStore(client, "ecm")
	go s.Run(ctx)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(ids ...string) func(*Backends) bool {
		return func(b *Backends) bool { return b.Add(now, ids...) }
	}

	if b, err := s.GetBackends(ctx, "lb-1"); err != nil || !b.Empty() || b.LoadBalancerID != "lb-1" {
		t.Fatalf("GetBackends of nothing = %+v, %v", b, err)
	}
	if _, err := s.UpdateBackends(ctx, "lb-1", add("i-a", "i-b")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, name, func(r *Record) { r.Add(LoadBalancer, Entry{Token: "t", ID: "lb-9", Since: now}) }); err != nil {
		t.Fatal(err)
	}
	b, err := s.GetBackends(ctx, "lb-1")
	if err != nil || !slices.Equal(b.IDs(), []string{"i-a", "i-b"}) || !b.Has("i-a") || b.Has("i-x") {
		t.Fatalf("after adding i-a, i-b: %+v, %v", b, err)
	}
	if other, _ := s.GetBackends(ctx, "lb-2"); !other.Empty() {
		t.Errorf("another ELB's record = %+v, want empty", other)
	}
	cm, err := client.CoreV1().ConfigMaps("ecm").Get(ctx, BackendsObjectName("lb-1"), metav1.GetOptions{})
	if err != nil || cm.Labels[LabelRecord] != backendsValue || cm.Data[keyLoadBalancer] != "lb-1" {
		t.Fatalf("ConfigMap = %+v, %v", cm, err)
	}
	if err := wait.PollUntilContextTimeout(ctx, time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		return s.CachedBackends("lb-1").Has("i-b") && s.Cached(name).Owns(LoadBalancer, "lb-9"), nil
	}); err != nil {
		t.Fatal("cache never showed both records")
	}
	if list, err := s.List(ctx); err != nil || len(list) != 1 || list[0].Name != name {
		t.Fatalf("List = %+v, %v; want only the Record, not the Backends", list, err)
	}

	// A change that changes nothing writes nothing.
	before := len(client.Actions())
	if b, err := s.UpdateBackends(ctx, "lb-1", func(b *Backends) bool { return b.Forget("i-x") }); err != nil || len(b.Added) != 2 {
		t.Fatalf("forgetting an unrecorded instance = %+v, %v", b, err)
	}
	for _, a := range client.Actions()[before:] {
		if a.GetVerb() != "get" {
			t.Errorf("a change of nothing sent %s", a.GetVerb())
		}
	}

	if _, err := s.UpdateBackends(ctx, "lb-1", func(b *Backends) bool { return b.Forget("i-a") }); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.GetBackends(ctx, "lb-1"); !slices.Equal(b.IDs(), []string{"i-b"}) {
		t.Errorf("after forgetting i-a: %v", b.IDs())
	}
	if _, err := s.UpdateBackends(ctx, "lb-1", func(b *Backends) bool { return b.Forget("i-b") }); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().ConfigMaps("ecm").Get(ctx, BackendsObjectName("lb-1"), metav1.GetOptions{}); err == nil {
		t.Error("an empty backend record left its ConfigMap")
	}
}

func TestBackendsAddForget(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var b Backends
	if !b.Add(now, "i-a", "i-a", "") || len(b.Added) != 1 || b.Added[0] != (Added{ServerID: "i-a", Sent: now}) {
		t.Fatalf("Add of i-a twice and an empty id: %+v", b)
	}
	if b.Add(now, "i-a") {
		t.Errorf("the same Add again reported a change: %+v", b)
	}
	later := now.Add(time.Hour)
	if !b.Add(later, "i-a") || len(b.Added) != 1 || !b.Added[0].Sent.Equal(later) {
		t.Errorf("a later Add did not move Sent: %+v", b)
	}
	if b.Forget("i-x") {
		t.Error("Forget of an unrecorded instance reported a change")
	}
	if !b.Forget("i-a") || !b.Empty() {
		t.Errorf("after Forget(i-a): %+v", b)
	}
}

// TestReadOnlyStoreRecordsNoBackends: --dry-run records no backends.
func TestReadOnlyStoreRecordsNoBackends(t *testing.T) {
	client := k8sfake.NewSimpleClientset()
	s := NewStore(client, "ecm")
	s.SetReadOnly()
	_, err := s.UpdateBackends(context.Background(), "lb-1", func(b *Backends) bool { return b.Add(time.Now(), "i-a") })
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("UpdateBackends on a read-only store = %v, want ErrReadOnly", err)
	}
	if n := len(client.Actions()); n != 0 {
		t.Errorf("read-only store sent %d requests: %v", n, client.Actions())
	}
}
