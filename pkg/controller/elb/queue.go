package elb

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/util/workqueue"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/internal/priorityqueue"
)

// The queue orders PoolServices by what waits on them, and a sync spends
// ENS's budget at the same priority (cloud.WithPriority), so work an event
// caused on a serving ELB never waits behind bulk work, and work under way
// is finished before new work starts:
//
//	urgent      an event on a PoolService that serves (Ready): an endpoint moved, a port edited
//	progress    the next look at work under way: a wait, a retry (the queue's default)
//	normal      an event on a PoolService not serving yet: a cold start
//	background  the periodic resync (drift repair)
func newQueue() *priorityqueue.Queue {
	return priorityqueue.New("elb", cloud.NumPriorities, priorityqueue.Level(cloud.PriorityProgress),
		workqueue.DefaultTypedControllerRateLimiter[string]())
}

// levelled is the part of priorityqueue.Queue beyond a workqueue (tests
// may wrap the queue in a plain one: then every key has the default).
type levelled interface {
	AddAt(key string, l priorityqueue.Level)
	Taken(key string) priorityqueue.Level
}

func (c *Controller) enqueueAt(key string, p cloud.Priority) {
	if q, ok := c.queue.(levelled); ok {
		q.AddAt(key, priorityqueue.Level(p))
		return
	}
	c.queue.Add(key)
}

// takenAt is the priority key's sync runs at.
func (c *Controller) takenAt(key string) cloud.Priority {
	if q, ok := c.queue.(levelled); ok {
		return cloud.Priority(q.Taken(key))
	}
	return cloud.PriorityProgress
}

// eventPriority is the priority of a sync an event on ps causes.
func eventPriority(ps *v1alpha1.PoolService) cloud.Priority {
	if meta.IsStatusConditionTrue(ps.Status.Conditions, apis.ConditionReady) {
		return cloud.PriorityUrgent
	}
	return cloud.PriorityNormal
}
