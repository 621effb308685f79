package elb

import (
	corev1 "k8s.io/api/core/v1"
)

// warn records a Warning event on the PoolService and on its Service.
func (c *Controller) warn(o objects, reason, msg string) {
	c.event(o, corev1.EventTypeWarning, reason, msg)
}

// normal records a Normal event on the PoolService and on its Service.
func (c *Controller) normal(o objects, reason, msg string) {
	c.event(o, corev1.EventTypeNormal, reason, msg)
}

func (c *Controller) event(o objects, typ, reason, msg string) {
	if c.recorder == nil {
		return
	}
	c.recorder.Event(o.ps, typ, reason, msg)
	if o.svc != nil {
		c.recorder.Eventf(o.svc, typ, reason, "pool %s: %s", poolName(o.ps), msg)
	}
}
