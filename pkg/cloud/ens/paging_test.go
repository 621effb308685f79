package ens

import (
	"errors"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakePages serves n items "0".."n-1" in pages of size, reporting total.
func fakePages(n, size, total int, calls *int) func(page int) ([]string, int, error) {
	return func(page int) ([]string, int, error) {
		*calls++
		var out []string
		for i := (page - 1) * size; i < min(page*size, n); i++ {
			out = append(out, strconv.Itoa(i))
		}
		return out, total, nil
	}
}

func TestListAll(t *testing.T) {
	id := func(s string) string { return s }
	for _, tc := range []struct {
		name             string
		n, size, total   int
		wantN, wantCalls int
	}{
		{"empty", 0, 100, 0, 0, 1},
		{"one", 1, 100, 1, 1, 1},
		{"full page", 100, 100, 100, 100, 1},
		{"full page without total", 100, 100, 0, 100, 2},
		{"101", 101, 100, 101, 101, 2},
		{"250", 250, 100, 250, 250, 3},
		{"server pages smaller than asked", 120, 50, 120, 120, 3},
		{"total larger than the list", 30, 100, 500, 30, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			got, err := listAll(id, fakePages(tc.n, tc.size, tc.total, &calls))
			if err != nil || len(got) != tc.wantN || calls != tc.wantCalls {
				t.Errorf("got %d items in %d calls (err %v), want %d in %d", len(got), calls, err, tc.wantN, tc.wantCalls)
			}
		})
	}
}

func TestListAllDedupesShiftedPages(t *testing.T) {
	pages := [][]string{make([]string, 100), {"99", "100"}}
	for i := range pages[0] {
		pages[0][i] = strconv.Itoa(i)
	}
	got, err := listAll(func(s string) string { return s }, func(page int) ([]string, int, error) {
		return pages[page-1], 101, nil
	})
	if err != nil || len(got) != 101 || got[100] != "100" {
		t.Errorf("got %d items (err %v), want 101 distinct", len(got), err)
	}
}

func TestListAllError(t *testing.T) {
	boom := errors.New("boom")
	got, err := listAll(func(s string) string { return s }, func(int) ([]string, int, error) { return nil, 0, boom })
	if !errors.Is(err, boom) || got != nil {
		t.Errorf("got %v, %v", got, err)
	}
}

func TestChunks(t *testing.T) {
	if got := chunks([]int(nil), 20); got != nil {
		t.Errorf("chunks(nil) = %v", got)
	}
	s := make([]int, 41)
	got := chunks(s, 20)
	if diff := cmp.Diff([]int{20, 20, 1}, []int{len(got[0]), len(got[1]), len(got[2])}); diff != "" || len(got) != 3 {
		t.Errorf("chunk sizes (-want +got): %s", diff)
	}
}

func TestFilterMatches(t *testing.T) {
	got := filterSlice([]string{"a", "b", "a"}, func(s string) bool { return matches("a", s) })
	if diff := cmp.Diff([]string{"a", "a"}, got); diff != "" {
		t.Errorf("(-want +got): %s", diff)
	}
	if !matches("", "x") {
		t.Error("empty filter does not match")
	}
}
