package informer

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

func TestDeletedObject(t *testing.T) {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "svc"}}
	for _, tt := range []struct {
		name string
		in   any
		want any
	}{
		{"the object itself", svc, svc},
		{"a tombstone", cache.DeletedFinalStateUnknown{Key: "default/svc", Obj: svc}, svc},
		{"a tombstone without an object", cache.DeletedFinalStateUnknown{Key: "default/svc"}, nil},
		{"nil", nil, nil},
	} {
		if got := DeletedObject(tt.in); got != tt.want {
			t.Errorf("%s: got %#v, want %#v", tt.name, got, tt.want)
		}
	}
}

func byName(obj any) ([]string, error) {
	return []string{obj.(metav1.Object).GetName()}, nil
}

func TestAddIndexers(t *testing.T) {
	inf := cache.NewSharedIndexInformer(&cache.ListWatch{}, &corev1.Service{}, 0, cache.Indexers{})
	for _, tt := range []struct {
		name     string
		indexers cache.Indexers
		want     []string
	}{
		{"first", cache.Indexers{"a/one": byName, "a/two": byName}, []string{"a/one", "a/two"}},
		{"again: a second instance sharing the informer", cache.Indexers{"a/one": byName, "a/two": byName},
			[]string{"a/one", "a/two"}},
		{"some new", cache.Indexers{"a/two": byName, "b/one": byName}, []string{"a/one", "a/two", "b/one"}},
	} {
		if err := AddIndexers(inf, tt.indexers); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for name := range inf.GetIndexer().GetIndexers() {
			got = append(got, name)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: indexers %v, want %v", tt.name, got, tt.want)
		}
	}
	// The indexers index: a stored object is found under its name.
	if err := inf.GetIndexer().Add(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "svc"}}); err != nil {
		t.Fatal(err)
	}
	if objs, err := inf.GetIndexer().ByIndex("b/one", "svc"); err != nil || len(objs) != 1 {
		t.Errorf("ByIndex(b/one, svc) = %d objects, %v; want 1", len(objs), err)
	}
}
