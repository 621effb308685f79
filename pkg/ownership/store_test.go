package ownership

import (
	"context"
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	k8sfake "k8s.io/client-go/kubernetes/fake"
)

const name = "k8s/cube-svc/default/np-hefei/c-test"

func TestStoreRecordLifecycle(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := k8sfake.NewSimpleClientset()
	s := NewStore(client, "ecm")
	go s.Run(ctx)

	r, err := s.Get(ctx, name)
	if err != nil || !r.Empty() || r.Name != name {
		t.Fatalf("Get of no record = %+v, %v; want empty", r, err)
	}
	// Intent first, then the answer.
	if _, err := s.Update(ctx, name, func(r *Record) {
		r.Add(LoadBalancer, Entry{Token: "t1", Since: time.Now(), Request: []byte(`{"Name":"n"}`)})
	}); err != nil {
		t.Fatal(err)
	}
	r, _ = s.Get(ctx, name)
	if e, ok := r.PendingEntry(LoadBalancer); !ok || e.Token != "t1" {
		t.Fatalf("pending entry = %+v, %v", e, ok)
	}
	if _, err := s.Update(ctx, name, func(r *Record) { r.SetID(LoadBalancer, "t1", "lb-1") }); err != nil {
		t.Fatal(err)
	}
	r, _ = s.Get(ctx, name)
	if !r.Owns(LoadBalancer, "lb-1") || r.Owns(EIP, "lb-1") || r.Owns(LoadBalancer, "lb-2") {
		t.Fatalf("record %+v: want exactly lb-1 owned as an ELB", r)
	}
	if _, ok := r.PendingEntry(LoadBalancer); ok {
		t.Fatal("entry still pending after its id was recorded")
	}
	if e := r.Entries(LoadBalancer); len(e) != 1 || e[0].Request != nil {
		t.Fatalf("entries %+v: want the one, its request dropped once its id is known", e)
	}
	cm, err := client.CoreV1().ConfigMaps("ecm").Get(ctx, ObjectName(name), metav1.GetOptions{})
	if err != nil || cm.Labels[LabelRecord] != "true" || cm.Data[keyName] != name {
		t.Fatalf("ConfigMap = %+v, %v", cm, err)
	}
	if err := wait.PollUntilContextTimeout(ctx, time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		return s.Cached(name).Owns(LoadBalancer, "lb-1"), nil
	}); err != nil {
		t.Fatal("cache never showed the record")
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != name {
		t.Fatalf("List = %+v, %v", list, err)
	}
	// Releasing the last resource deletes the record.
	if _, err := s.Update(ctx, name, func(r *Record) { r.Forget(LoadBalancer, "lb-1", "") }); err != nil {
		t.Fatal(err)
	}
	if list, _ := client.CoreV1().ConfigMaps("ecm").List(ctx, metav1.ListOptions{}); len(list.Items) != 0 {
		t.Fatalf("empty record left %d ConfigMaps", len(list.Items))
	}
}

func TestObjectNameIsStableAndDistinct(t *testing.T) {
	a, b := ObjectName(name), ObjectName(name+"x")
	if a != ObjectName(name) || a == b || len(a) > 63 {
		t.Fatalf("ObjectName %q / %q", a, b)
	}
}

func TestRecordForget(t *testing.T) {
	r := Record{Name: name}
	r.Add(EIP, Entry{Token: "a", ID: "eip-1"})
	r.Add(EIP, Entry{Token: "b"})
	r.Forget(EIP, "", "b")
	if got := r.IDs(EIP); len(got) != 1 || got[0] != "eip-1" || len(r.EIPs) != 1 {
		t.Fatalf("after forgetting the pending token: %+v", r)
	}
	r.MarkReleasing(EIP, "eip-1")
	if !r.EIPs[0].Releasing {
		t.Fatalf("MarkReleasing did not mark: %+v", r)
	}
	r.Forget(EIP, "eip-1", "")
	if !r.Empty() {
		t.Fatalf("after forgetting eip-1: %+v", r)
	}
}

// TestReadOnlyStoreWritesNothing: a read-only Store (--dry-run) reads the
// records and refuses every write, leaving the API server untouched.
func TestReadOnlyStoreWritesNothing(t *testing.T) {
	ctx := context.Background()
	client := k8sfake.NewSimpleClientset()
	s := NewStore(client, "ecm")
	if _, err := s.Update(ctx, name, func(r *Record) { r.Add(EIP, Entry{Token: "t1", ID: "eip-1", Since: time.Now()}) }); err != nil {
		t.Fatal(err)
	}
	before := len(client.Actions())
	s.SetReadOnly()
	if _, err := s.Update(ctx, name, func(r *Record) { r.Forget(EIP, "eip-1", "") }); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Update on a read-only store = %v, want ErrReadOnly", err)
	}
	if r, err := s.Get(ctx, name); err != nil || !r.Owns(EIP, "eip-1") {
		t.Errorf("record after a refused write = %+v, %v; want eip-1 kept", r, err)
	}
	for _, a := range client.Actions()[before:] {
		if a.GetVerb() != "get" && a.GetVerb() != "list" {
			t.Errorf("read-only store sent %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
}
