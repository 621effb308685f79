package cloud

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// readsOnly serves reads; its nil Cloud makes any mutating call that
// reached it panic.
type readsOnly struct {
	Cloud
	reads int
}

func (r *readsOnly) DescribeLoadBalancer(context.Context, string) (*LoadBalancer, error) {
	r.reads++
	return &LoadBalancer{ID: "lb-1"}, nil
}

// TestReadOnly calls every method of Cloud on a read-only one: reads pass
// through, every mutating call answers ErrReadOnly and reaches nothing.
func TestReadOnly(t *testing.T) {
	inner := &readsOnly{}
	ro := ReadOnly(inner)
	v := reflect.ValueOf(ro)
	typ := reflect.TypeOf((*Cloud)(nil)).Elem()
	mutating := 0
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		if strings.HasPrefix(m.Name, "Describe") || strings.HasPrefix(m.Name, "List") {
			continue
		}
		mutating++
		args := []reflect.Value{reflect.ValueOf(context.Background())}
		for j := 1; j < m.Type.NumIn(); j++ {
			args = append(args, reflect.Zero(m.Type.In(j)))
		}
		out := v.MethodByName(m.Name).Call(args)
		if err, _ := out[len(out)-1].Interface().(error); !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s answered %v, want ErrReadOnly", m.Name, err)
		}
	}
	if mutating != 15 {
		t.Errorf("%d mutating methods, want the 15 of Cloud: a new one needs a read-only answer", mutating)
	}
	if lb, err := ro.DescribeLoadBalancer(context.Background(), "lb-1"); err != nil || lb.ID != "lb-1" || inner.reads != 1 {
		t.Errorf("a read did not pass through: %v %v, %d reads", lb, err, inner.reads)
	}
}
