package finalizers

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	kubefake "k8s.io/client-go/kubernetes/fake"
)

const ours = "example.com/ours"

// recording passes patches to the fake API server and keeps what it sent;
// a non-nil err is answered instead.
type recording struct {
	next    Patcher[*corev1.Service]
	err     error
	patches []sent
}

type sent struct {
	name string
	pt   types.PatchType
	body map[string]any
}

func (r *recording) Patch(ctx context.Context, name string, pt types.PatchType, data []byte,
	opts metav1.PatchOptions, sub ...string) (*corev1.Service, error) {
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		return nil, err
	}
	r.patches = append(r.patches, sent{name, pt, body})
	if r.err != nil {
		return nil, r.err
	}
	return r.next.Patch(ctx, name, pt, data, opts, sub...)
}

func service(rv string, finalizers ...string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "svc",
		ResourceVersion: rv, Finalizers: finalizers, Labels: map[string]string{"keep": "me"}}}
}

// setup stores svc in a fake API server and returns a recording client of it.
func setup(t *testing.T, svc *corev1.Service) (*recording, *kubefake.Clientset) {
	t.Helper()
	kube := kubefake.NewClientset(svc.DeepCopy())
	return &recording{next: kube.CoreV1().Services("default")}, kube
}

func stored(t *testing.T, kube *kubefake.Clientset) *corev1.Service {
	t.Helper()
	svc, err := kube.CoreV1().Services("default").Get(context.Background(), "svc", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestHas(t *testing.T) {
	for _, tt := range []struct {
		name string
		obj  *corev1.Service
		want bool
	}{
		{"none", service("1"), false},
		{"only others", service("1", "a", "b"), false},
		{"ours among others", service("1", "a", ours), true},
		{"a prefix of ours is not ours", service("1", ours+"-x"), false},
	} {
		if got := Has(tt.obj, ours); got != tt.want {
			t.Errorf("%s: Has = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPatch(t *testing.T) {
	for _, tt := range []struct {
		name       string
		rv         string
		finalizers []string
		want       string
	}{
		{"resourceVersion is the precondition", "42", []string{"a", ours},
			`{"metadata":{"finalizers":["a","` + ours + `"],"resourceVersion":"42"}}`},
		{"an empty list replaces the list", "7", []string{},
			`{"metadata":{"finalizers":[],"resourceVersion":"7"}}`},
		{"no resourceVersion, no precondition", "", []string{ours},
			`{"metadata":{"finalizers":["` + ours + `"]}}`},
	} {
		got, err := Patch(service(tt.rv), tt.finalizers)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if string(got) != tt.want {
			t.Errorf("%s: patch %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestAddAndRemove(t *testing.T) {
	type op func(context.Context, Patcher[*corev1.Service], *corev1.Service, string) (*corev1.Service, error)
	add, remove := op(Add[*corev1.Service]), op(Remove[*corev1.Service])
	for _, tt := range []struct {
		name      string
		op        op
		obj       *corev1.Service
		wantPatch []any // finalizers the patch sends; nil: no call
		want      []string
	}{
		{"add to none", add, service("5"), []any{ours}, []string{ours}},
		{"add keeps others first", add, service("5", "a", "b"), []any{"a", "b", ours}, []string{"a", "b", ours}},
		{"add is idempotent", add, service("5", "a", ours), nil, []string{"a", ours}},
		{"remove keeps others in order", remove, service("5", "a", ours, "b"), []any{"a", "b"}, []string{"a", "b"}},
		{"remove the only one", remove, service("5", ours), []any{}, nil},
		{"remove when absent", remove, service("5", "a"), nil, []string{"a"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			client, kube := setup(t, tt.obj)
			obj := tt.obj.DeepCopy()
			res, err := tt.op(context.Background(), client, obj, ours)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.wantPatch == nil && len(client.patches) != 0:
				t.Fatalf("sent %v, want no call", client.patches)
			case tt.wantPatch == nil:
				if res != obj {
					t.Error("without a call the object itself is returned")
				}
			case len(client.patches) != 1:
				t.Fatalf("sent %d patches, want 1", len(client.patches))
			default:
				p := client.patches[0]
				meta := p.body["metadata"].(map[string]any)
				if p.pt != types.MergePatchType || p.name != "svc" || len(p.body) != 1 || len(meta) != 2 {
					t.Errorf("patch %s %s %v: want a merge patch of svc naming only finalizers and resourceVersion", p.pt, p.name, p.body)
				}
				if meta["resourceVersion"] != obj.ResourceVersion {
					t.Errorf("patch resourceVersion %v, want %q", meta["resourceVersion"], obj.ResourceVersion)
				}
				if got, _ := meta["finalizers"].([]any); !slices.Equal(got, tt.wantPatch) {
					t.Errorf("patch finalizers %v, want %v", meta["finalizers"], tt.wantPatch)
				}
			}
			after := stored(t, kube)
			if !slices.Equal(after.Finalizers, tt.want) || !slices.Equal(res.Finalizers, tt.want) {
				t.Errorf("finalizers stored %v, returned %v, want %v", after.Finalizers, res.Finalizers, tt.want)
			}
			if after.Labels["keep"] != "me" {
				t.Errorf("labels %v: the patch touched more than the finalizers", after.Labels)
			}
		})
	}
}

// A stale object (another writer changed it since it was read) gets a 409
// from the API server; it reaches the caller as a conflict, for its
// workqueue to retry.
func TestConflictIsAnError(t *testing.T) {
	conflict := apierrors.NewConflict(schema.GroupResource{Resource: "services"}, "svc", errors.New("object was modified"))
	for _, tt := range []struct {
		name string
		op   func(context.Context, Patcher[*corev1.Service], *corev1.Service, string) (*corev1.Service, error)
		obj  *corev1.Service
	}{
		{"add", Add[*corev1.Service], service("3")},
		{"remove", Remove[*corev1.Service], service("3", "a", ours)},
	} {
		client, kube := setup(t, tt.obj)
		client.err = conflict
		res, err := tt.op(context.Background(), client, tt.obj, ours)
		if !apierrors.IsConflict(err) {
			t.Errorf("%s: error %v, want a conflict", tt.name, err)
		}
		if res != nil {
			t.Errorf("%s: returned %v with the error", tt.name, res)
		}
		if got := stored(t, kube).Finalizers; !slices.Equal(got, tt.obj.Finalizers) {
			t.Errorf("%s: finalizers %v after the conflict, want %v", tt.name, got, tt.obj.Finalizers)
		}
	}
}
