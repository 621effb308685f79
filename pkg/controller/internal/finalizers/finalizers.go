// Package finalizers adds and removes one finalizer on an API object, the
// same way for every controller: a JSON merge patch that replaces the
// finalizer list and carries the object's resourceVersion as a
// precondition. A cache that is behind therefore cannot drop a finalizer
// someone else added meanwhile: the API server answers 409 Conflict, the
// error goes back to the caller, and its workqueue retries on a fresher
// object.
package finalizers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Patcher is the Patch method every typed client has (for example
// kubernetes.Interface.CoreV1().Services(ns)).
type Patcher[T any] interface {
	Patch(ctx context.Context, name string, pt types.PatchType, data []byte,
		opts metav1.PatchOptions, subresources ...string) (T, error)
}

// Has reports whether obj carries the finalizer.
func Has(obj metav1.Object, finalizer string) bool {
	return slices.Contains(obj.GetFinalizers(), finalizer)
}

// Add makes sure obj carries the finalizer. It returns the object the API
// server answered with, or obj itself when the finalizer was there already
// (no call is made).
func Add[T metav1.Object](ctx context.Context, client Patcher[T], obj T, finalizer string) (T, error) {
	if Has(obj, finalizer) {
		return obj, nil
	}
	want := append(slices.Clone(obj.GetFinalizers()), finalizer)
	return patch(ctx, client, obj, want, "adding finalizer "+finalizer+" to")
}

// Remove makes sure obj no longer carries the finalizer, keeping all
// others in their order. It returns the object the API server answered
// with, or obj itself when the finalizer was not there (no call is made).
func Remove[T metav1.Object](ctx context.Context, client Patcher[T], obj T, finalizer string) (T, error) {
	if !Has(obj, finalizer) {
		return obj, nil
	}
	// Never nil: [] replaces the list, null would be read as "delete the
	// field", which ends the same but says less.
	want := slices.DeleteFunc(slices.Clone(obj.GetFinalizers()), func(f string) bool { return f == finalizer })
	if want == nil {
		want = []string{}
	}
	return patch(ctx, client, obj, want, "removing finalizer "+finalizer+" from")
}

func patch[T metav1.Object](ctx context.Context, client Patcher[T], obj T, finalizers []string, doing string) (T, error) {
	data, err := Patch(obj, finalizers)
	if err != nil {
		var zero T
		return zero, err
	}
	res, err := client.Patch(ctx, obj.GetName(), types.MergePatchType, data, metav1.PatchOptions{})
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s %s/%s: %w", doing, obj.GetNamespace(), obj.GetName(), err)
	}
	return res, nil
}

// Patch is the merge patch that sets obj's finalizers to exactly these,
// on the condition that obj is still at its resourceVersion. An object
// without one (never the case for an object read from the API or a cache)
// is patched unconditionally.
func Patch(obj metav1.Object, finalizers []string) ([]byte, error) {
	meta := map[string]any{"finalizers": finalizers}
	if rv := obj.GetResourceVersion(); rv != "" {
		meta["resourceVersion"] = rv
	}
	return json.Marshal(map[string]any{"metadata": meta})
}
