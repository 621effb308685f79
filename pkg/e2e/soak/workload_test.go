//go:build soak

package soak

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// workload runs the model's ops against the cluster and the cloud, one at
// a time, and writes each with its outcome to the op log.
type workload struct {
	env   *env
	model *model
	log   io.Writer
	// pace draws the pause between ops; timing is not part of the
	// reproducible sequence.
	pace   *rand.Rand
	digest hashWriter
	// prefix is the digest of the first digestOps ops: how many ops fit in
	// the duration depends on timing, that prefix does not.
	prefix string
	ops    int
	errors int
}

const digestOps = 200

type hashWriter struct{ h [32]byte }

func (d *hashWriter) add(s string) { d.h = sha256.Sum256(append(d.h[:], s...)) }

func (d *hashWriter) String() string { return hex.EncodeToString(d.h[:8]) }

func newWorkload(e *env, seed uint64, log io.Writer) *workload {
	return &workload{env: e, model: newModel(seed), log: log, pace: rand.New(rand.NewPCG(seed, 0x9ace))}
}

// run does the bootstrap ops, then random ones until ctx ends.
func (w *workload) run(ctx context.Context, start time.Time) {
	for _, o := range w.model.bootstrap() {
		w.do(ctx, o, start)
	}
	for ctx.Err() == nil {
		w.do(ctx, w.model.nextOp(), start)
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(150+w.pace.IntN(300)) * time.Millisecond):
		}
	}
}

func (w *workload) do(ctx context.Context, o op, start time.Time) {
	w.ops++
	w.digest.add(o.String())
	if w.ops == digestOps {
		w.prefix = w.digest.String()
	}
	opCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	result, err := w.apply(opCtx, o)
	if err != nil {
		w.errors++
		result = "error: " + err.Error()
	}
	fmt.Fprintf(w.log, "#%d +%.1fs %s -> %s\n", w.ops, time.Since(start).Seconds(), o, result)
}

// apply carries out one op.
func (w *workload) apply(ctx context.Context, o op) (string, error) {
	e := w.env
	switch o.kind {
	case "service-apply":
		return e.applyService(ctx, slots[o.slot], o.spec)
	case "service-delete":
		return e.deleteService(ctx, slots[o.slot])
	case "pool-relabel":
		return e.relabelPool(ctx, o)
	case "pool-create":
		return e.createPoolOp(ctx, o)
	case "pool-delete":
		return e.deletePool(ctx, o)
	case "node-ready", "node-notready":
		return e.setNodeReady(ctx, o.node, o.kind == "node-ready")
	case "node-move":
		return e.moveNode(ctx, o)
	case "endpoints":
		return e.moveEndpoints(ctx, o)
	case "ps-duplicate":
		return e.duplicatePoolService(ctx, o)
	case "ps-labels":
		return e.editPoolServiceLabels(ctx, o)
	case "user-attach":
		return e.attachUserELBs(ctx, slots[o.slot])
	case "user-hand-listener":
		return e.handListener(ctx, o)
	case "user-squatter":
		return e.squatter(ctx, o)
	case "user-foreign-backend":
		return e.foreignBackend(ctx, o)
	case "user-protected-listener":
		return e.protectedListener(ctx, o)
	case "user-release-ours":
		return e.releaseOurs(ctx, o)
	case "user-elb-release":
		return e.userELBRelease(ctx, o)
	}
	return "", fmt.Errorf("unknown op %q", o.kind)
}
