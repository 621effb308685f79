package manager

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta1"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	yurtinformers "github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions"
)

// nodePoolVersions are the NodePool versions the manager reads, preferred first.
var nodePoolVersions = []schema.GroupVersion{v1beta2.SchemeGroupVersion, v1beta1.SchemeGroupVersion}

// DetectNodePoolVersion asks discovery which NodePool version the API
// server serves and returns the preferred one ("v1beta2" or "v1beta1").
func DetectNodePoolVersion(ctx context.Context, d discovery.ServerResourcesInterface) (string, error) {
	dc := discovery.ToServerResourcesInterfaceWithContext(d)
	for _, gv := range nodePoolVersions {
		list, err := dc.ServerResourcesForGroupVersionWithContext(ctx, gv.String())
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("discovering %s: %w", gv, err)
		}
		for _, r := range list.APIResources {
			if r.Name == "nodepools" {
				return gv.Version, nil
			}
		}
	}
	return "", fmt.Errorf("the API server serves no NodePool (%s v1beta2 or v1beta1): install manifests/crds or run in an OpenYurt cluster", v1beta2.GroupName)
}

// nodePoolAPIVersion is the apiVersion of NodePool version ("v1beta1").
func nodePoolAPIVersion(version string) string {
	return schema.GroupVersion{Group: v1beta2.GroupName, Version: version}.String()
}

// newNodePoolInformer returns the factory's NodePool informer for version;
// for v1beta1 it converts every object so the store holds *v1beta2.NodePool.
func newNodePoolInformer(ctx context.Context, f yurtinformers.SharedInformerFactory, version string) (cache.SharedIndexInformer, error) {
	logger := klog.FromContext(ctx)
	switch version {
	case v1beta2.SchemeGroupVersion.Version:
		logger.Info("Reading NodePools", "version", v1beta2.SchemeGroupVersion.String())
		return f.Apps().V1beta2().NodePools().Informer(), nil
	case v1beta1.SchemeGroupVersion.Version:
		logger.Info("Reading NodePools through the older version, converted to v1beta2", "version", v1beta1.SchemeGroupVersion.String())
		inf := f.Apps().V1beta1().NodePools().Informer()
		if err := inf.SetTransform(nodePoolTransform); err != nil {
			return nil, fmt.Errorf("setting the NodePool v1beta1 transform: %w", err)
		}
		return inf, nil
	}
	return nil, fmt.Errorf("unsupported NodePool version %q", version)
}

// nodePoolTransform is the informer transform for v1beta1 NodePools; other
// objects (tombstones already hold converted objects) pass unchanged.
func nodePoolTransform(obj interface{}) (interface{}, error) {
	if np, ok := obj.(*v1beta1.NodePool); ok {
		return ConvertNodePoolV1beta1ToV1beta2(np), nil
	}
	return obj, nil
}

// ConvertNodePoolV1beta1ToV1beta2 converts a v1beta1 NodePool to v1beta2.
// v1beta1 is a subset of v1beta2, so nothing is lost; fields v1beta1 lacks
// stay zero. The input is not modified.
func ConvertNodePoolV1beta1ToV1beta2(in *v1beta1.NodePool) *v1beta2.NodePool {
	if in == nil {
		return nil
	}
	c := in.DeepCopy()
	// TypeMeta stays empty, as on objects the typed v1beta2 informer stores.
	out := &v1beta2.NodePool{ObjectMeta: c.ObjectMeta}
	out.Spec = v1beta2.NodePoolSpec{
		Type:        v1beta2.NodePoolType(c.Spec.Type),
		HostNetwork: c.Spec.HostNetwork,
		Labels:      c.Spec.Labels,
		Annotations: c.Spec.Annotations,
		Taints:      c.Spec.Taints,
	}
	out.Status = v1beta2.NodePoolStatus{
		ReadyNodeNum:   c.Status.ReadyNodeNum,
		UnreadyNodeNum: c.Status.UnreadyNodeNum,
		Nodes:          c.Status.Nodes,
	}
	return out
}
