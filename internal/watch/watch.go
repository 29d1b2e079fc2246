// Package watch runs the background work of `xiuhua serve`: the deadline
// watcher (预警, 催办, 督办) and webhook delivery. Both keep their state in
// the database, so a restart catches up on what came due while it was
// down, and several instances on one PostgreSQL do each piece of work once.
package watch

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

// LeaseName is the lease row the watcher holds while it sweeps.
const LeaseName = "watcher"

// Watcher advances due deadlines.
type Watcher struct {
	Store *store.Store
	Clock caseflow.Clock // deadline.Policy: it must implement store.Alerting
	Now   func() time.Time
	// Holder names this instance in the lease row.
	Holder string
	// Lease is how long a sweep's lease lasts (renewed every batch);
	// zero means no lease: every instance sweeps, and the compare-and-set
	// on each watch still makes every step happen once.
	Lease time.Duration
	Batch int // watches per query (default 200)
	Log   *slog.Logger
	// OnSweep, when set, is told what each sweep of Run did (metrics).
	OnSweep func(res Result, held bool)
}

// Result counts what a sweep did.
type Result struct {
	Warnings     int // 预警
	Reminders    int // 催办 on overdue work
	Supervisions int // 督办 orders issued
	ReplyOverdue int // 督办 orders not answered in time
	Skipped      int // advanced by another instance, or the case was busy
	Failed       int // refused or failed; logged and tried again next sweep
}

// Total is the number of steps taken.
func (r Result) Total() int { return r.Warnings + r.Reminders + r.Supervisions + r.ReplyOverdue }

func (w *Watcher) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Watcher) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

// Sweep does everything due at now, including stages that came due while
// nothing ran. It returns false in held when another instance holds the
// lease.
func (w *Watcher) Sweep(ctx context.Context) (res Result, held bool, err error) {
	batch := w.Batch
	if batch <= 0 {
		batch = 200
	}
	for {
		now := w.now()
		if w.Lease > 0 {
			ok, err := w.Store.AcquireLease(ctx, LeaseName, w.Holder, now, w.Lease)
			if err != nil || !ok {
				return res, false, err
			}
		}
		due, err := w.Store.DueWatches(ctx, now, batch)
		if err != nil {
			return res, true, err
		}
		progress := 0
		for _, d := range due {
			if err := ctx.Err(); err != nil {
				return res, true, err
			}
			next, err := w.Store.Advance(ctx, d, now, w.Clock)
			switch {
			case errors.Is(err, store.ErrClaimed), errors.Is(err, store.ErrBusy):
				res.Skipped++
				continue
			case ctx.Err() != nil:
				return res, true, ctx.Err()
			case err != nil:
				res.Failed++
				w.log().Error("deadline watcher: cannot advance", "case", d.CaseID, "watch", d.Key, "stage", d.Stage, "err", err)
				continue
			}
			progress++
			switch {
			case d.Supervision():
				res.ReplyOverdue++
			case next.Stage == store.StageWarned:
				res.Warnings++
			case next.Stage == store.StageOverdue:
				res.Reminders++
			default:
				res.Supervisions++
			}
		}
		// A full batch, or stages that fell due one after another (catch
		// up), may leave more; stop when a batch changed nothing.
		if progress == 0 {
			return res, true, nil
		}
	}
}

// Run sweeps every interval until ctx ends, then gives the lease up.
func (w *Watcher) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		res, held, err := w.Sweep(ctx)
		if w.OnSweep != nil {
			w.OnSweep(res, held)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			w.log().Error("deadline watcher", "err", err)
		case res.Total() > 0:
			w.log().Info("deadline watcher", "warnings", res.Warnings, "reminders", res.Reminders,
				"supervisions", res.Supervisions, "reply_overdue", res.ReplyOverdue, "skipped", res.Skipped)
		case !held:
			w.log().Debug("deadline watcher: another instance holds the lease")
		}
		select {
		case <-ctx.Done():
			if w.Lease > 0 {
				rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_ = w.Store.ReleaseLease(rctx, LeaseName, w.Holder)
				cancel()
			}
			return
		case <-t.C:
		}
	}
}
