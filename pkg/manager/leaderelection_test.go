package manager

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func testLeaderOptions() LeaderElectionOptions {
	return LeaderElectionOptions{
		Enabled:       true,
		LeaseDuration: 5 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 50 * time.Millisecond,
		ResourceNamespace: "edge-controller-manager", ResourceName: "edge-controller-manager",
	}
}

// candidate is one manager replica taking part in the election.
type candidate struct {
	id      string
	cancel  context.CancelFunc
	started chan struct{} // closed when fn starts (this replica leads)
	holder  chan string   // lease holder seen by fn after its ctx ended
	done    chan error    // run's result
}

func startCandidate(t *testing.T, client kubernetes.Interface, id string) *candidate {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &candidate{id: id, cancel: cancel, started: make(chan struct{}), holder: make(chan string, 1), done: make(chan error, 1)}
	le := &leaderElected{opts: testLeaderOptions(), client: client, identity: id}
	go func() {
		c.done <- le.run(ctx, func(runCtx context.Context) {
			close(c.started)
			<-runCtx.Done()
			c.holder <- leaseHolder(t, client)
		})
	}()
	t.Cleanup(cancel)
	return c
}

func leaseHolder(t *testing.T, client kubernetes.Interface) string {
	lease, err := client.CoordinationV1().Leases("edge-controller-manager").Get(context.Background(), "edge-controller-manager", metav1.GetOptions{})
	if err != nil {
		t.Errorf("reading the lease: %v", err)
		return ""
	}
	if lease.Spec.HolderIdentity == nil {
		return ""
	}
	return *lease.Spec.HolderIdentity
}

func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting until %s", what)
	}
}

func waitResult[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

func TestLeaderElectionOneLeaderAndFailover(t *testing.T) {
	client := kubefake.NewClientset()
	a := startCandidate(t, client, "replica-a")
	waitClosed(t, a.started, "replica-a leads")
	b := startCandidate(t, client, "replica-b")

	// b keeps retrying while a renews; it must not lead meanwhile.
	select {
	case <-b.started:
		t.Fatal("replica-b leads while replica-a holds the lease")
	case <-time.After(10 * testLeaderOptions().RetryPeriod):
	}
	if h := leaseHolder(t, client); h != "replica-a" {
		t.Fatalf("lease holder %q, want replica-a", h)
	}

	// Cancelling a (SIGTERM) stops its work first, then releases the lease.
	cancelled := time.Now()
	a.cancel()
	if h := waitResult(t, a.holder, "replica-a's work to stop"); h != "replica-a" {
		t.Errorf("lease holder while replica-a's work stops = %q; the lease was released too early", h)
	}
	if err := waitResult(t, a.done, "replica-a to return"); err != nil {
		t.Errorf("replica-a returned %v after cancel, want nil", err)
	}
	waitClosed(t, b.started, "replica-b takes over")
	// Released leases are taken at once, not after the lease duration.
	took := time.Since(cancelled)
	t.Logf("replica-b took over %s after replica-a was cancelled", took)
	if took >= testLeaderOptions().LeaseDuration {
		t.Errorf("take-over took %s, not shorter than the lease duration: the lease was not released", took)
	}
	if h := leaseHolder(t, client); h != "replica-b" {
		t.Errorf("lease holder %q, want replica-b", h)
	}

	b.cancel()
	waitResult(t, b.holder, "replica-b's work to stop")
	if err := waitResult(t, b.done, "replica-b to return"); err != nil {
		t.Errorf("replica-b returned %v", err)
	}
	if h := leaseHolder(t, client); h != "" {
		t.Errorf("lease holder after both stopped = %q, want released", h)
	}
}

func TestLeaderElectionCancelledBeforeLeading(t *testing.T) {
	client := kubefake.NewClientset()
	a := startCandidate(t, client, "replica-a")
	waitClosed(t, a.started, "replica-a leads")
	b := startCandidate(t, client, "replica-b")
	b.cancel()
	if err := waitResult(t, b.done, "replica-b to return"); err != nil {
		t.Errorf("replica-b returned %v", err)
	}
	select {
	case <-b.started:
		t.Error("replica-b ran its work")
	default:
	}
	if h := leaseHolder(t, client); h != "replica-a" {
		t.Errorf("lease holder %q, want replica-a still", h)
	}
}

func TestLeaderElectionLost(t *testing.T) {
	client := kubefake.NewClientset()
	var failRenew atomic.Bool
	client.PrependReactor("update", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
		if failRenew.Load() {
			return true, nil, errors.New("etcd unavailable")
		}
		return false, nil, nil
	})
	a := startCandidate(t, client, "replica-a")
	waitClosed(t, a.started, "replica-a leads")
	failRenew.Store(true)
	waitResult(t, a.holder, "replica-a's work to stop after failing to renew")
	if err := waitResult(t, a.done, "replica-a to return"); !errors.Is(err, errLeadershipLost) {
		t.Errorf("run returned %v, want errLeadershipLost", err)
	}
}
