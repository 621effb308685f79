package elb

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
)

// warn records a Warning event on the PoolService and on its Service.
func (c *Controller) warn(v poolServiceView, reason, msg string) {
	c.event(v, corev1.EventTypeWarning, reason, msg)
}

// normal records a Normal event on the PoolService and on its Service.
func (c *Controller) normal(v poolServiceView, reason, msg string) {
	c.event(v, corev1.EventTypeNormal, reason, msg)
}

func (c *Controller) event(v poolServiceView, typ, reason, msg string) {
	if c.recorder == nil {
		return
	}
	c.recorder.Event(v.ps, typ, reason, apis.BoundMessage(msg, apis.MaxMessageLength))
	if v.svc != nil {
		c.recorder.Event(v.svc, typ, reason, apis.BoundMessage("pool "+v.served.Pool+": "+msg, apis.MaxMessageLength))
	}
}
