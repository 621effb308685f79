package ownership

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
)

// LabelRecord marks the ConfigMaps that are ownership records: "true" on a
// Record (what we created under a cloud name), "backends" on a Backends
// (what we added to a user ELB). List, and so the orphan sweep, reads only
// the first kind.
const LabelRecord = "edge-lb.io/ownership-record"

// Values of LabelRecord.
const (
	recordValue   = "true"
	backendsValue = "backends"
)

// Keys of a record ConfigMap's data.
const (
	keyName   = "name"
	keyRecord = "record.json"
)

// Store keeps the records as ConfigMaps in one namespace. Decisions to
// create or release read the API server (Get, List), never the cache alone:
// a new leader's cache may lag the last write of the old one.
type Store struct {
	client    kubernetes.Interface
	namespace string
	informer  cache.SharedIndexInformer
	lister    corelisters.ConfigMapLister
	readOnly  bool
}

// ErrReadOnly is Update's answer on a read-only Store.
var ErrReadOnly = errors.New("read-only ownership records (--dry-run): not written")

// SetReadOnly makes Update refuse every write (--dry-run): records are
// read, never changed.
func (s *Store) SetReadOnly() { s.readOnly = true }

// StripManagedFields is an informer transform that drops what no
// controller here reads (the server-side-apply bookkeeping), often the
// larger part of a small object: at thousands of records and PoolServices
// it is most of the manager's memory.
func StripManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}

// NewStore watches the record ConfigMaps of namespace. Run starts the watch.
func NewStore(client kubernetes.Interface, namespace string) *Store {
	f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = LabelRecord + " in (" + recordValue + "," + backendsValue + ")"
		}), informers.WithTransform(StripManagedFields))
	inf := f.Core().V1().ConfigMaps()
	return &Store{client: client, namespace: namespace, informer: inf.Informer(), lister: inf.Lister()}
}

// Run watches until ctx is done.
func (s *Store) Run(ctx context.Context) { s.informer.RunWithContext(ctx) }

// HasSynced reports whether the cache has listed once.
func (s *Store) HasSynced() bool { return s.informer.HasSynced() }

// Namespace is where the records live.
func (s *Store) Namespace() string { return s.namespace }

// ObjectName is the ConfigMap name of the record of a cloud name: a hash,
// since cloud names hold slashes and may be longer than an object name.
func ObjectName(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "ecm-owned-" + hex.EncodeToString(sum[:])[:32]
}

// Cached returns the record the cache holds (empty when none). It is good
// enough to tell "something is recorded"; act on Get.
func (s *Store) Cached(name string) Record {
	cm, err := s.lister.ConfigMaps(s.namespace).Get(ObjectName(name))
	if err != nil {
		return Record{Name: name}
	}
	r, err := decode(cm)
	if err != nil || r.Name != name {
		return Record{Name: name}
	}
	return r
}

// Get reads the record from the API server (empty when none).
func (s *Store) Get(ctx context.Context, name string) (Record, error) {
	r, _, err := s.get(ctx, name)
	return r, err
}

func (s *Store) get(ctx context.Context, name string) (Record, *corev1.ConfigMap, error) {
	cm, err := s.client.CoreV1().ConfigMaps(s.namespace).Get(ctx, ObjectName(name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Record{Name: name}, nil, nil
	}
	if err != nil {
		return Record{}, nil, fmt.Errorf("read ownership record of %s: %w", name, err)
	}
	r, err := decode(cm)
	if err != nil {
		return Record{}, nil, err
	}
	if r.Name != name { // a hash collision would be a bug worth stopping for
		return Record{}, nil, fmt.Errorf("ownership record %s/%s holds %q, not %q", s.namespace, cm.Name, r.Name, name)
	}
	return r, cm, nil
}

// Update applies change to the current record and writes it back: created
// when new, deleted when it becomes empty. Conflicts are retried.
func (s *Store) Update(ctx context.Context, name string, change func(*Record)) (Record, error) {
	if s.readOnly {
		return Record{}, ErrReadOnly
	}
	var out Record
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		r, cm, err := s.get(ctx, name)
		if err != nil {
			return err
		}
		change(&r)
		out = r
		return s.write(ctx, r, cm)
	})
	if err != nil {
		return Record{}, fmt.Errorf("write ownership record of %s: %w", name, err)
	}
	return out, nil
}

func (s *Store) write(ctx context.Context, r Record, cm *corev1.ConfigMap) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.writeData(ctx, cm, ObjectName(r.Name), recordValue, map[string]string{keyName: r.Name, keyRecord: string(raw)}, r.Empty())
}

// writeData writes one record ConfigMap (cm nil: none yet): created, updated,
// or deleted when the record is empty.
func (s *Store) writeData(ctx context.Context, cm *corev1.ConfigMap, objName, kind string, data map[string]string, empty bool) error {
	cms := s.client.CoreV1().ConfigMaps(s.namespace)
	switch {
	case cm == nil && empty:
		return nil
	case empty:
		uid, rv := cm.UID, cm.ResourceVersion
		err := cms.Delete(ctx, cm.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &rv}})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	if cm == nil {
		_, err := cms.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: objName, Namespace: s.namespace, Labels: map[string]string{LabelRecord: kind}},
			Data:       data,
		}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) { // another writer was first: read again
			return apierrors.NewConflict(corev1.Resource("configmaps"), objName, err)
		}
		return err
	}
	upd := cm.DeepCopy()
	upd.Data = data
	_, err := cms.Update(ctx, upd, metav1.UpdateOptions{})
	return err
}

// List reads every record from the API server.
func (s *Store) List(ctx context.Context) ([]Record, error) {
	list, err := s.client.CoreV1().ConfigMaps(s.namespace).List(ctx, metav1.ListOptions{
		LabelSelector: labels.SelectorFromSet(labels.Set{LabelRecord: recordValue}).String()})
	if err != nil {
		return nil, fmt.Errorf("list ownership records: %w", err)
	}
	out := make([]Record, 0, len(list.Items))
	for i := range list.Items {
		if r, err := decode(&list.Items[i]); err == nil {
			out = append(out, r)
		}
	}
	return out, nil
}

func decode(cm *corev1.ConfigMap) (Record, error) {
	var r Record
	if err := json.Unmarshal([]byte(cm.Data[keyRecord]), &r); err != nil {
		return Record{}, fmt.Errorf("ownership record %s/%s: %w", cm.Namespace, cm.Name, err)
	}
	return r, nil
}
