package ens

// PageSize is the page size of every paged ENS call (the ENS maximum).
const PageSize = 100

// MaxInstanceIDsPerCall is the ENS limit of ids in one DescribeInstances.
const MaxInstanceIDsPerCall = 100

// listAll reads every page (numbered from 1) until total items were read or
// a page is empty (or, when ENS reports no total, short). Items seen twice
// (the list shifted between pages) are kept once, by key.
func listAll[T any](key func(T) string, fetch func(page int) (items []T, total int, err error)) ([]T, error) {
	var all []T
	seen := map[string]bool{}
	read := 0
	for page := 1; ; page++ {
		items, total, err := fetch(page)
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			if k := key(item); !seen[k] {
				seen[k] = true
				all = append(all, item)
			}
		}
		read += len(items)
		if len(items) == 0 || (total > 0 && read >= total) || (total <= 0 && len(items) < PageSize) {
			return all, nil
		}
	}
}

// chunks splits s into slices of at most n.
func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}
