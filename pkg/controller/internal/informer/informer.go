// Package informer holds what every controller does the same way with the
// shared informers it is handed: unwrapping the object of a delete event
// and adding its indexers.
package informer

import (
	"k8s.io/client-go/tools/cache"
)

// DeletedObject is the object of a delete event. When the informer missed
// the final state (a relist after a broken watch) the event carries a
// cache.DeletedFinalStateUnknown tombstone, and the object is its last known
// state; anything else is the object itself.
func DeletedObject(obj any) any {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return t.Obj
	}
	return obj
}

// AddIndexers adds the indexers the informer does not have yet. The
// informers are shared, so a second controller instance (tests, a restart
// inside the process) finds its own indexers there already, and adding them
// again would fail. Index names carry the controller's name, so an index of
// that name is this one.
func AddIndexers(inf cache.SharedIndexInformer, indexers cache.Indexers) error {
	have := inf.GetIndexer().GetIndexers()
	missing := cache.Indexers{}
	for name, fn := range indexers {
		if _, ok := have[name]; !ok {
			missing[name] = fn
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return inf.AddIndexers(missing)
}
