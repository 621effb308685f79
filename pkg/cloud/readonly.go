package cloud

import (
	"context"
	"errors"
)

// ErrReadOnly is what a read-only Cloud answers every mutating call with.
var ErrReadOnly = errors.New("read-only cloud (--dry-run): no change is made")

// ReadOnly wraps c so that every read passes through and every mutating
// call fails with ErrReadOnly, reaching nothing. The manager's --dry-run
// hands the controllers this: they plan and report without mutating, and
// should one still try, the call goes nowhere.
func ReadOnly(c Cloud) Cloud { return readOnly{c} }

type readOnly struct{ Cloud }

func (readOnly) CreateLoadBalancer(context.Context, CreateLoadBalancerRequest) (string, error) {
	return "", ErrReadOnly
}
func (readOnly) ReleaseLoadBalancer(context.Context, string) error           { return ErrReadOnly }
func (readOnly) CreateListener(context.Context, string, Listener) error      { return ErrReadOnly }
func (readOnly) UpdateListener(context.Context, string, Listener) error      { return ErrReadOnly }
func (readOnly) StartListener(context.Context, string, int, string) error    { return ErrReadOnly }
func (readOnly) StopListener(context.Context, string, int, string) error     { return ErrReadOnly }
func (readOnly) DeleteListener(context.Context, string, int, string) error   { return ErrReadOnly }
func (readOnly) AddBackends(context.Context, string, []Backend) error        { return ErrReadOnly }
func (readOnly) RemoveBackends(context.Context, string, []Backend) error     { return ErrReadOnly }
func (readOnly) SetBackendWeights(context.Context, string, []Backend) error  { return ErrReadOnly }
func (readOnly) CreateEIP(context.Context, CreateEIPRequest) (string, error) { return "", ErrReadOnly }
func (readOnly) AssociateEIP(context.Context, string, string) error          { return ErrReadOnly }
func (readOnly) UnassociateEIP(context.Context, string) error                { return ErrReadOnly }
func (readOnly) ModifyEIPBandwidth(context.Context, string, int) error       { return ErrReadOnly }
func (readOnly) ReleaseEIP(context.Context, string) error                    { return ErrReadOnly }
