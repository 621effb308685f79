package ownership

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// Keys of a Backends ConfigMap's data.
const (
	keyLoadBalancer = "loadBalancerId"
	keyBackends     = "backends.json"
)

// BackendsObjectName is the ConfigMap name of the Backends of a user ELB.
func BackendsObjectName(lbID string) string {
	sum := sha256.Sum256([]byte(lbID))
	return "ecm-backends-" + hex.EncodeToString(sum[:])[:32]
}

// CachedBackends returns what the cache holds for the ELB (empty when
// none). A lagging cache misses an instance just recorded, so a decision
// made on it removes less, never more; a removal still checks GetBackends.
func (s *Store) CachedBackends(lbID string) Backends {
	cm, err := s.lister.ConfigMaps(s.namespace).Get(BackendsObjectName(lbID))
	if err != nil {
		return Backends{LoadBalancerID: lbID}
	}
	b, err := decodeBackends(cm)
	if err != nil || b.LoadBalancerID != lbID {
		return Backends{LoadBalancerID: lbID}
	}
	return b
}

// GetBackends reads the ELB's Backends from the API server (empty when none).
func (s *Store) GetBackends(ctx context.Context, lbID string) (Backends, error) {
	b, _, err := s.getBackends(ctx, lbID)
	return b, err
}

func (s *Store) getBackends(ctx context.Context, lbID string) (Backends, *corev1.ConfigMap, error) {
	cm, err := s.client.CoreV1().ConfigMaps(s.namespace).Get(ctx, BackendsObjectName(lbID), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Backends{LoadBalancerID: lbID}, nil, nil
	}
	if err != nil {
		return Backends{}, nil, fmt.Errorf("read backend record of ELB %s: %w", lbID, err)
	}
	b, err := decodeBackends(cm)
	if err != nil {
		return Backends{}, nil, err
	}
	if b.LoadBalancerID != lbID {
		return Backends{}, nil, fmt.Errorf("backend record %s/%s holds ELB %q, not %q", s.namespace, cm.Name, b.LoadBalancerID, lbID)
	}
	return b, cm, nil
}

// UpdateBackends applies change to the ELB's current Backends and writes
// them back when change reports a change (a repeated add writes nothing):
// created when new, deleted when empty. Conflicts are retried.
func (s *Store) UpdateBackends(ctx context.Context, lbID string, change func(*Backends) bool) (Backends, error) {
	if s.readOnly {
		return Backends{}, ErrReadOnly
	}
	var out Backends
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		b, cm, err := s.getBackends(ctx, lbID)
		if err != nil {
			return err
		}
		changed := change(&b)
		out = b
		if !changed {
			return nil
		}
		raw, err := json.Marshal(b)
		if err != nil {
			return err
		}
		return s.writeData(ctx, cm, BackendsObjectName(lbID), backendsValue,
			map[string]string{keyLoadBalancer: lbID, keyBackends: string(raw)}, b.Empty())
	})
	if err != nil {
		return Backends{}, fmt.Errorf("write backend record of ELB %s: %w", lbID, err)
	}
	return out, nil
}

func decodeBackends(cm *corev1.ConfigMap) (Backends, error) {
	var b Backends
	if err := json.Unmarshal([]byte(cm.Data[keyBackends]), &b); err != nil {
		return Backends{}, fmt.Errorf("backend record %s/%s: %w", cm.Namespace, cm.Name, err)
	}
	return b, nil
}
