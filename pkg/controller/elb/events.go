package elb

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
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
	c.recorder.Event(o.ps, typ, reason, apis.BoundMessage(msg, apis.MaxMessageLength))
	if o.svc != nil {
		c.recorder.Event(o.svc, typ, reason, apis.BoundMessage("pool "+o.served.Pool+": "+msg, apis.MaxMessageLength))
	}
}
