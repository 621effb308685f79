package priorityqueue

import (
	"slices"
	"testing"
	"time"

	"k8s.io/client-go/util/workqueue"
)

func newQueue() *Queue {
	return New("", 4, 1, workqueue.NewTypedItemExponentialFailureRateLimiter[string](time.Millisecond, time.Second))
}

// drain takes every waiting key, in order, with the level it was taken at.
func drain(t *testing.T, q *Queue) (keys []string, levels []Level) {
	t.Helper()
	for q.Len() > 0 {
		k, shutdown := q.Get()
		if shutdown {
			t.Fatal("shut down")
		}
		keys = append(keys, k)
		levels = append(levels, q.Taken(k))
		q.Done(k)
	}
	return keys, levels
}

func TestOrder(t *testing.T) {
	tests := []struct {
		name       string
		add        func(q *Queue)
		wantKeys   []string
		wantLevels []Level
	}{
		{
			name: "most urgent first, in turn within a level",
			add: func(q *Queue) {
				q.AddAt("bg-1", 3)
				q.AddAt("new-1", 2)
				q.AddAt("urgent-1", 0)
				q.AddAt("bg-2", 3)
				q.AddAt("urgent-2", 0)
				q.Add("default-1")
			},
			wantKeys:   []string{"urgent-1", "urgent-2", "default-1", "new-1", "bg-1", "bg-2"},
			wantLevels: []Level{0, 0, 1, 2, 3, 3},
		},
		{
			name: "a waiting key asked for more urgently moves up, never down",
			add: func(q *Queue) {
				q.AddAt("a", 3)
				q.AddAt("b", 3)
				q.AddAt("b", 0)
				q.AddAt("c", 2)
				q.AddAt("c", 3)
			},
			wantKeys:   []string{"b", "c", "a"},
			wantLevels: []Level{0, 2, 3},
		},
		{
			name: "levels outside the range are clamped",
			add: func(q *Queue) {
				q.AddAt("late", 99)
				q.AddAt("early", -5)
			},
			wantKeys:   []string{"early", "late"},
			wantLevels: []Level{0, 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newQueue()
			defer q.ShutDown()
			tt.add(q)
			keys, levels := drain(t, q)
			if !slices.Equal(keys, tt.wantKeys) || !slices.Equal(levels, tt.wantLevels) {
				t.Errorf("taken %v at %v, want %v at %v", keys, levels, tt.wantKeys, tt.wantLevels)
			}
		})
	}
}

// TestAddWhileSyncing: a key added while it is being synced waits until
// Done, at the level asked for meanwhile; a delayed add takes the default.
func TestAddWhileSyncing(t *testing.T) {
	q := newQueue()
	defer q.ShutDown()
	q.AddAt("k", 3)
	k, _ := q.Get()
	if l := q.Taken(k); l != 3 {
		t.Fatalf("taken at %d", l)
	}
	q.AddAt("k", 0)
	if q.Len() != 0 {
		t.Fatalf("a key being synced is queued again before Done: len %d", q.Len())
	}
	q.AddAt("other", 2)
	q.Done(k)
	keys, levels := drain(t, q)
	if !slices.Equal(keys, []string{"k", "other"}) || !slices.Equal(levels, []Level{0, 2}) {
		t.Errorf("after Done: %v at %v", keys, levels)
	}

	q.AddAfter("later", 10*time.Millisecond)
	got, _ := q.Get()
	if got != "later" || q.Taken(got) != 1 {
		t.Errorf("delayed add: %q at the default level 1 expected", got)
	}
	q.Done(got)
	if q.Len() != 0 {
		t.Errorf("Len after draining = %d", q.Len())
	}
}
