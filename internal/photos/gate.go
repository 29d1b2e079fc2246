package photos

import (
	"context"
	"errors"
	"runtime"
	"time"

	"golang.org/x/sync/semaphore"
)

// The gate bounds what photo intake holds at once, for the whole process:
// the uploads' bytes in memory (BodyBudget), and the decodes — at most one
// per CPU at a time, their estimated memory together at most DecodeBudget.
// A photo that cannot get in within GateWait is refused with ErrBusy, so a
// flood of uploads waits briefly and is then shed instead of queueing
// without bound. With the defaults, photos hold at most about 100 MB.
const (
	BodyBudget   = 4 * MaxBytes
	DecodeBudget = 64 << 20 // one photo at MaxDecode, or two phone photos (12 MP JPEG: about 30 MB each)
	GateWait     = 5 * time.Second
)

// ErrBusy means the photo could not get its turn within GateWait.
var ErrBusy = errors.New("too many photos are being taken in at once; try again in a few seconds")

type photoGate struct {
	bodies, pixels *semaphore.Weighted
	slots          chan struct{}
	wait           time.Duration
}

var gate = newGate(runtime.GOMAXPROCS(0), GateWait)

func newGate(decodes int, wait time.Duration) *photoGate {
	return &photoGate{bodies: semaphore.NewWeighted(BodyBudget), pixels: semaphore.NewWeighted(DecodeBudget),
		slots: make(chan struct{}, max(1, decodes)), wait: wait}
}

// hold takes n of sem within the gate's wait.
func (g *photoGate) hold(ctx context.Context, sem *semaphore.Weighted, n int64) (func(), error) {
	if sem.TryAcquire(n) {
		return func() { sem.Release(n) }, nil
	}
	wctx, cancel := context.WithTimeout(ctx, g.wait)
	defer cancel()
	if err := sem.Acquire(wctx, n); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, ErrBusy
	}
	return func() { sem.Release(n) }, nil
}

// decode runs f with a decode slot and cost bytes of the decode budget.
func (g *photoGate) decode(ctx context.Context, cost int64, f func() ([]byte, []byte, int, int, error)) ([]byte, []byte, int, int, error) {
	release, err := g.hold(ctx, g.pixels, min(cost, DecodeBudget))
	if err != nil {
		return nil, nil, 0, 0, err
	}
	defer release()
	select {
	case g.slots <- struct{}{}:
	default:
		t := time.NewTimer(g.wait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			return nil, nil, 0, 0, ErrBusy
		case <-ctx.Done():
			return nil, nil, 0, 0, ctx.Err()
		}
	}
	defer func() { <-g.slots }()
	// A large decode's buffers are garbage once f returns, but the heap
	// goal was set while they were live: without a collection here the
	// heap may grow to twice that before the next one. Measured by the
	// abuse suite (TestAbuseSuite, 16 phone photos of 12 MP at once on the
	// demo): peak resident memory 257 MB without, 157 MB with, in the same
	// time. A collection costs milliseconds; a decode, hundreds.
	defer func() {
		if cost >= 16<<20 {
			runtime.GC()
		}
	}()
	return f()
}
