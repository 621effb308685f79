package framework

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Replicas is a set of manager replicas sharing one ManagerConfig, for a
// test that kills and replaces them (the soak). It is safe for concurrent
// use; every replica ever started is kept for its log.
type Replicas struct {
	Cfg ManagerConfig

	mu      sync.Mutex
	all     []*Manager
	started int // names replicas uniquely, failed starts included

	ensureMu sync.Mutex // one Ensure at a time, so two never both start one
}

// Start starts one more replica, named edge-controller-manager-<n>, and
// waits until it is ready.
func (r *Replicas) Start(ctx context.Context) (*Manager, error) {
	r.mu.Lock()
	r.started++
	name := fmt.Sprintf("edge-controller-manager-%d", r.started)
	r.mu.Unlock()
	m, err := StartManager(ctx, r.Cfg, name)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, m)
	return m, nil
}

// All is every replica started so far, dead ones included.
func (r *Replicas) All() []*Manager {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Manager(nil), r.all...)
}

// Alive is the replicas still running.
func (r *Replicas) Alive() []*Manager {
	var out []*Manager
	for _, m := range r.All() {
		if m.Alive() {
			out = append(out, m)
		}
	}
	return out
}

// Leader is the one running replica that reports leading, or nil (none,
// or more than one).
func (r *Replicas) Leader() *Manager {
	var leaders []*Manager
	for _, m := range r.Alive() {
		if ok, err := m.IsLeader(); err == nil && ok {
			leaders = append(leaders, m)
		}
	}
	if len(leaders) != 1 {
		return nil
	}
	return leaders[0]
}

// WaitLeader waits until exactly one running replica reports leading.
func (r *Replicas) WaitLeader(ctx context.Context, timeout time.Duration) (*Manager, error) {
	var leader *Manager
	err := WaitFor(ctx, timeout, 200*time.Millisecond, func() (bool, string) {
		leader = r.Leader()
		var states []string
		for _, m := range r.Alive() {
			ok, err := m.IsLeader()
			states = append(states, fmt.Sprintf("%s=leader:%v(err %v)", m.Name, ok, err))
		}
		return leader != nil, strings.Join(states, " ")
	})
	return leader, err
}

// Ensure starts replicas until n are running.
func (r *Replicas) Ensure(ctx context.Context, n int) error {
	r.ensureMu.Lock()
	defer r.ensureMu.Unlock()
	for len(r.Alive()) < n {
		if _, err := r.Start(ctx); err != nil {
			return err
		}
	}
	return nil
}

// StopAll stops every running replica.
func (r *Replicas) StopAll(timeout time.Duration) {
	for _, m := range r.Alive() {
		_ = m.Stop(timeout)
	}
}
