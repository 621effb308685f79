package elbmodel

// UserRemovable is which instances a sync may take off a user-managed ELB
// once no sharer needs them (Desired.Removable): the instances of this
// cluster's nodes and those our ownership record says we added (a deleted
// node's instance is still ours to take off), less kept, the instances a
// sharer whose needs cannot be read right now may still use. An instance
// in neither set (another cluster's, one a person added) is never touched.
func UserRemovable(clusterNodes map[string]bool, added, kept []string) map[string]bool {
	out := make(map[string]bool, len(clusterNodes)+len(added))
	for id, ok := range clusterNodes {
		if ok {
			out[id] = true
		}
	}
	for _, id := range added {
		out[id] = true
	}
	for _, id := range kept {
		delete(out, id)
	}
	return out
}
