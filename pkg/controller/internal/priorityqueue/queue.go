// Package priorityqueue is client-go's rate-limited workqueue with levels:
// Get hands out the most urgent key first, keys of one level in turn. The
// queue's own rules stay (a key is queued once and synced by one worker at
// a time); only the order of waiting keys changes. A key added at several
// levels before it is taken waits at the most urgent of them.
package priorityqueue

import (
	"sync"

	"k8s.io/client-go/util/workqueue"
)

// Level orders keys: 0 is the most urgent.
type Level int

// Queue is a rate-limited workqueue with levels. Add, AddAfter and
// AddRateLimited queue a key at the queue's default level unless AddAt
// asked for another since the key was last taken.
type Queue struct {
	workqueue.TypedRateLimitingInterface[string]
	store *store
}

// New returns a queue of levels levels (0 … levels-1) whose keys go at
// level def unless AddAt says otherwise; name names its metrics.
func New(name string, levels int, def Level, limiter workqueue.TypedRateLimiter[string]) *Queue {
	s := &store{def: def, lines: make([][]entry, levels), at: map[string]slot{}, want: map[string]Level{}, taken: map[string]Level{}}
	base := workqueue.NewTypedWithConfig(workqueue.TypedQueueConfig[string]{Name: name, Queue: s})
	delaying := workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[string]{Name: name, Queue: base})
	rl := workqueue.NewTypedRateLimitingQueueWithConfig(limiter, workqueue.TypedRateLimitingQueueConfig[string]{Name: name, DelayingQueue: delaying})
	return &Queue{TypedRateLimitingInterface: rl, store: s}
}

// AddAt queues key at level l (or keeps it at a more urgent one).
func (q *Queue) AddAt(key string, l Level) {
	q.store.ask(key, l)
	q.Add(key)
}

// Taken is the level key was queued at when Get last handed it out; it
// forgets it, so call it once per Get (the sync of the key does).
func (q *Queue) Taken(key string) Level {
	return q.store.takenAt(key)
}

// store is the workqueue's storage (workqueue.Queue): one FIFO line per
// level. Push, Touch, Len and Pop run under the workqueue's lock; ask and
// the readers come from outside it, hence mu.
type store struct {
	mu    sync.Mutex
	def   Level
	lines [][]entry
	at    map[string]slot  // where each waiting key is
	want  map[string]Level // levels asked for keys not taken since
	taken map[string]Level // the level each key was last taken at
	seq   uint64
}

// entry is a key's place in a line; a key moved to a more urgent line
// leaves a stale entry behind (its seq no longer matches), skipped by Pop.
type entry struct {
	key string
	seq uint64
}

type slot struct {
	level Level
	seq   uint64
}

func (s *store) ask(key string, l Level) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.want[key]; !ok || l < cur {
		s.want[key] = s.clamp(l)
	}
}

func (s *store) clamp(l Level) Level {
	return min(max(l, 0), Level(len(s.lines)-1))
}

// levelFor is the level key is to wait at. Callers hold mu.
func (s *store) levelFor(key string) Level {
	if l, ok := s.want[key]; ok {
		return l
	}
	return s.clamp(s.def)
}

func (s *store) place(key string, l Level) {
	s.seq++
	s.lines[l] = append(s.lines[l], entry{key: key, seq: s.seq})
	s.at[key] = slot{level: l, seq: s.seq}
}

// Push queues a key that is not waiting.
func (s *store) Push(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.place(key, s.levelFor(key))
}

// Touch is called for a key added again while it waits: it moves up when
// a more urgent level was asked for.
func (s *store) Touch(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.at[key]; ok {
		if l := s.levelFor(key); l < cur.level {
			s.place(key, l)
		}
	}
}

func (s *store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.at)
}

// Pop takes the first key of the most urgent line (the workqueue calls it
// only when Len > 0).
func (s *store) Pop() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for l := range s.lines {
		for len(s.lines[l]) > 0 {
			e := s.lines[l][0]
			s.lines[l][0] = entry{}
			s.lines[l] = s.lines[l][1:]
			if cur, ok := s.at[e.key]; ok && cur.seq == e.seq {
				delete(s.at, e.key)
				delete(s.want, e.key)
				s.taken[e.key] = Level(l)
				return e.key
			}
		}
	}
	return ""
}

func (s *store) takenAt(key string) Level {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.taken[key]; ok {
		delete(s.taken, key)
		return l
	}
	return s.clamp(s.def)
}
