package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/notify"
)

// Deadlines are watched from the database, not from timers in memory: each
// running deadline is a row of watches with the stage the watcher reached
// and the instant it must look again. The row is kept in step with the case
// in the transaction that changes the case, so a restart loses nothing, and
// a stage is advanced by a compare-and-set on (stage, deadline), so with
// several instances each warning and escalation happens exactly once.

// Alerting says when the watcher acts on a deadline. deadline.Policy
// implements it.
type Alerting interface {
	WarnAt(start, due time.Time) time.Time
	EscalateAt(due time.Time) time.Time
}

// Watch stages.
const (
	StageWaiting = 0 // nothing done yet; next: the warning (预警)
	StageWarned  = 1 // next: the deadline, an overdue reminder (催办)
	StageOverdue = 2 // next: escalation, a supervision order (督办)
	StageDone    = 3 // nothing left to do
)

// Watch is one running deadline.
type Watch struct {
	CaseID   int64
	Key      string        // "case", "task:ID", "contact:ID", "arbitrate:ID", "callback", "review" or "sup:SEQ"
	Step     caseflow.Step // register, dispatch, handle, check, close or reply
	UnitID   int64         // the responsible unit; 0 for the centre or a grid worker
	Start    time.Time
	Deadline time.Time
	Stage    int
	NextAt   time.Time // zero when done
}

// TaskID is the task a "task:ID", "contact:ID" or "arbitrate:ID" watch follows.
func (w *Watch) TaskID() int64 {
	for _, p := range []string{"task:", "contact:", "arbitrate:"} {
		if rest, ok := strings.CutPrefix(w.Key, p); ok {
			id, _ := strconv.ParseInt(rest, 10, 64)
			return id
		}
	}
	return 0
}

// Supervision reports whether the watch follows a supervision order's reply.
func (w *Watch) Supervision() bool { return strings.HasPrefix(w.Key, "sup:") }

// schedule sets NextAt for the watch's stage. A supervision reply has no
// warning and no escalation of its own: it is watched from its deadline.
// An arbitration is the leaders' own step: told when late, never escalated.
func (w *Watch) schedule(a Alerting) {
	w.NextAt = time.Time{}
	switch {
	case w.Supervision() && w.Stage < StageOverdue:
		w.Stage = max(w.Stage, StageWarned)
		w.NextAt = w.Deadline
	case w.Supervision(), w.Step == caseflow.StepArbitrate && w.Stage >= StageOverdue:
	case w.Stage == StageWaiting:
		w.NextAt = a.WarnAt(w.Start, w.Deadline)
	case w.Stage == StageWarned:
		w.NextAt = w.Deadline
	case w.Stage == StageOverdue:
		w.NextAt = a.EscalateAt(w.Deadline)
	}
}

// catchUp marks the stages that fell before now as done without acting, for
// bulk-loaded histories whose reminders are already in their events.
func (w *Watch) catchUp(a Alerting, now time.Time) {
	w.schedule(a)
	for !w.NextAt.IsZero() && !w.NextAt.After(now) && w.Stage < StageDone {
		w.Stage++
		w.schedule(a)
	}
}

// caseStep is the case-level step a state has a deadline for.
var caseStep = map[caseflow.State]caseflow.Step{
	caseflow.Reported:     caseflow.StepRegister,
	caseflow.Registered:   caseflow.StepDispatch,
	caseflow.PendingCheck: caseflow.StepCheck,
	caseflow.PendingClose: caseflow.StepClose,
}

// wantedWatches are the deadlines a case has running now (supervision
// orders aside: they come from events).
func wantedWatches(c *caseflow.Case) []Watch {
	var ws []Watch
	if st, ok := caseStep[c.State]; ok && !c.Deadline.IsZero() {
		ws = append(ws, Watch{CaseID: c.ID, Key: "case", Step: st, Start: c.UpdatedAt, Deadline: c.Deadline})
	}
	if c.State == caseflow.Dispatched || c.State == caseflow.InProgress {
		for _, t := range c.Tasks {
			if (t.State == caseflow.TaskDispatched || t.State == caseflow.TaskSigned) && !t.Deadline.IsZero() {
				st := caseflow.StepHandle
				if c.Reworks > 0 || c.Reopens > 0 {
					st = caseflow.StepRework
				}
				ws = append(ws, Watch{CaseID: c.ID, Key: "task:" + strconv.FormatInt(t.ID, 10), Step: st, UnitID: t.UnitID,
					Start: c.UpdatedAt, Deadline: t.Deadline})
			}
			// A hotline order's lead contacts the requester first (首次联系),
			// on its own limit from the dispatch.
			if t.State.Active() && t.State != caseflow.TaskDone && !t.ContactDue.IsZero() && t.ContactedAt.IsZero() {
				ws = append(ws, Watch{CaseID: c.ID, Key: "contact:" + strconv.FormatInt(t.ID, 10), Step: caseflow.StepContact,
					UnitID: t.UnitID, Start: t.DispatchedAt, Deadline: t.ContactDue})
			}
			// A disputed return waits for the leaders' arbitration, on its
			// own limit from the dispute; it is theirs, not the unit's.
			if t.State.Active() && t.Request == caseflow.RequestDispute && !t.RequestedDue.IsZero() {
				ws = append(ws, Watch{CaseID: c.ID, Key: "arbitrate:" + strconv.FormatInt(t.ID, 10), Step: caseflow.StepArbitrate,
					Start: c.UpdatedAt, Deadline: t.RequestedDue})
			}
		}
	}
	// An answered order's callback (回访), and the review of its 不满意,
	// are the centre's.
	if c.State == caseflow.Closed && !c.CallbackDue.IsZero() {
		ws = append(ws, Watch{CaseID: c.ID, Key: "callback", Step: caseflow.StepCallback, Start: c.ClosedAt, Deadline: c.CallbackDue})
	}
	if c.State == caseflow.Closed && c.Review == caseflow.ReviewPending && !c.ReviewDue.IsZero() {
		ws = append(ws, Watch{CaseID: c.ID, Key: "review", Step: caseflow.StepReview, Start: c.UpdatedAt, Deadline: c.ReviewDue})
	}
	return ws
}

const watchCols = `case_id, watch_key, step, unit_id, start_at, deadline, stage, next_at`

var (
	selectCaseWatchesSQL = `SELECT ` + watchCols + ` FROM watches WHERE case_id = $1`
	upsertWatchSQL       = `INSERT INTO watches (` + watchCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (case_id, watch_key) DO UPDATE SET step = excluded.step, unit_id = excluded.unit_id,
		start_at = excluded.start_at, deadline = excluded.deadline, stage = excluded.stage, next_at = excluded.next_at`
	deleteWatchSQL  = `DELETE FROM watches WHERE case_id = $1 AND watch_key = $2`
	advanceWatchSQL = `UPDATE watches SET stage = $1, next_at = $2
		WHERE case_id = $3 AND watch_key = $4 AND stage = $5 AND deadline = $6`
)

func scanWatch(r scanner, w *Watch) error {
	var unit, next sql.NullInt64
	var start, due int64
	if err := r.Scan(&w.CaseID, &w.Key, &w.Step, &unit, &start, &due, &w.Stage, &next); err != nil {
		return err
	}
	w.UnitID, w.NextAt = unit.Int64, fromMS(next)
	w.Start, w.Deadline = time.UnixMilli(start).UTC(), time.UnixMilli(due).UTC()
	return nil
}

func watchArgs(w *Watch) []any {
	return []any{w.CaseID, w.Key, w.Step, nullID(w.UnitID), w.Start.UnixMilli(), w.Deadline.UnixMilli(), w.Stage, ms(w.NextAt)}
}

// syncWatches brings a case's watches in step with the case after ev: new
// or moved deadlines start over, finished ones go, and a supervision order
// is watched until its department answers.
func syncWatches(ctx context.Context, tx *wtx, c *caseflow.Case, ev *caseflow.Event, a Alerting) error {
	existing, err := queryWatches(ctx, tx, selectCaseWatchesSQL, c.ID)
	if err != nil {
		return err
	}
	have := map[string]Watch{}
	for _, w := range existing {
		have[w.Key] = w
	}
	want := wantedWatches(c)
	if ev.Action == caseflow.ActSupervise && ev.Data.Deadline != nil {
		want = append(want, Watch{CaseID: c.ID, Key: "sup:" + strconv.Itoa(ev.Seq), Step: caseflow.StepReply,
			UnitID: ev.Data.UnitID, Start: ev.At, Deadline: *ev.Data.Deadline})
	}
	keep := map[string]bool{}
	for _, w := range want {
		keep[w.Key] = true
		if h, ok := have[w.Key]; ok && h.Deadline.Equal(w.Deadline) {
			continue
		}
		w.schedule(a)
		if _, err := tx.ExecContext(ctx, upsertWatchSQL, watchArgs(&w)...); err != nil {
			return fmt.Errorf("store: watch %s: %w", w.Key, err)
		}
	}
	for k, h := range have {
		if keep[k] || (h.Supervision() && c.State.Open() && !answers(ev, h.UnitID)) {
			continue
		}
		if _, err := tx.ExecContext(ctx, deleteWatchSQL, c.ID, k); err != nil {
			return fmt.Errorf("store: watch %s: %w", k, err)
		}
	}
	return nil
}

// answers reports whether ev answers a supervision order to unit: its
// reply, its report back, or the work leaving its hands.
func answers(ev *caseflow.Event, unit int64) bool {
	switch ev.Action {
	case caseflow.ActReply, caseflow.ActReportBack, caseflow.ActApproveReturn:
		return ev.Data.UnitID == unit
	case caseflow.ActDispatch, caseflow.ActVoid, caseflow.ActMerge:
		return unit == 0 // an order to the centre is answered by dispatching
	}
	return false
}

// DueWatches returns up to limit watches whose next look is at or before
// now, earliest first. They are only read here: Advance claims each one.
func (s *Store) DueWatches(ctx context.Context, now time.Time, limit int) ([]Watch, error) {
	return queryWatches(ctx, s.r, `SELECT `+watchCols+` FROM watches
		WHERE next_at IS NOT NULL AND next_at <= $1 ORDER BY next_at LIMIT $2`, now.UnixMilli(), limit)
}

// CaseWatches lists a case's running deadlines.
func (s *Store) CaseWatches(ctx context.Context, caseID int64) ([]Watch, error) {
	return queryWatches(ctx, s.r, selectCaseWatchesSQL+` ORDER BY watch_key`, caseID)
}

func queryWatches(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]Watch, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: watches: %w", err)
	}
	return scanAll(rows, scanWatch)
}

// ErrClaimed means another instance advanced the watch first (or the
// deadline moved meanwhile); ErrBusy that the case is locked by a writer
// right now and the watch should be tried again on the next sweep.
var (
	ErrClaimed = errors.New("store: watch already advanced")
	ErrBusy    = errors.New("store: case busy")
)

// Advance does what the watch's next stage asks, at now, in one
// transaction: a warning (inbox and outbox), an overdue reminder (催办, a
// system event on the case), a supervision order (督办) or, for an order's
// reply, an overdue notice to the leaders. The watch moves to its next stage
// by compare-and-set; when another instance did it first, nothing is
// written and ErrClaimed is returned.
func (s *Store) Advance(ctx context.Context, w Watch, now time.Time, clock caseflow.Clock) (Watch, error) {
	if w.Stage >= StageDone {
		return w, nil
	}
	a, ok := clock.(Alerting)
	if !ok {
		return w, errors.New("store: the clock must implement Alerting to advance watches")
	}
	now = caseflow.Instant(now)
	next := w
	next.Stage++
	if next.Stage == StageWarned && !now.Before(w.Deadline) {
		next.Stage = StageOverdue // caught up after the deadline: no stale warning
	}
	next.schedule(a)
	err := s.tx(ctx, func(tx *wtx) error {
		// Claim the case first (the order every writer locks in), skipping
		// it when a person is acting on it right now; then the stage test
		// makes a second sweeper's attempt a no-op.
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM cases WHERE id = $1`+s.skipLocked(), w.CaseID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrBusy
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, advanceWatchSQL, next.Stage, ms(next.NextAt), w.CaseID, w.Key, w.Stage, w.Deadline.UnixMilli())
		if err != nil {
			return fmt.Errorf("store: advance watch: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrClaimed
		}
		return s.watchEffect(ctx, tx, w, next.Stage, now, clock)
	})
	if err != nil {
		return w, err
	}
	switch {
	case w.Supervision():
		s.observed("supervision_overdue")
	case next.Stage == StageWarned:
		s.observed("warning")
	case next.Stage == StageOverdue:
		s.observed(string(caseflow.ActRemind))
	default:
		s.observed(string(caseflow.ActSupervise))
	}
	return next, nil
}

// watchEffect writes what reaching stage means for w.
func (s *Store) watchEffect(ctx context.Context, tx *wtx, w Watch, stage int, now time.Time, clock caseflow.Clock) error {
	var c caseflow.Case
	if err := s.loadCase(ctx, tx, w.CaseID, true, &c); err != nil {
		return err
	}
	d := notify.Deadline{Step: w.Step, UnitID: w.UnitID, Due: w.Deadline, Supervision: w.Supervision()}
	late := &caseflow.Late{Step: w.Step, Due: w.Deadline}
	switch {
	case w.Supervision():
		if err := s.writeNotices(ctx, tx, &c, notify.ForStage(&c, d, notify.Overdue), now); err != nil {
			return err
		}
		return s.outboxNotice(ctx, tx, &c, "supervision.overdue", w, now)
	case stage == StageWarned:
		if err := s.writeNotices(ctx, tx, &c, notify.ForStage(&c, d, notify.Warned), now); err != nil {
			return err
		}
		return s.outboxNotice(ctx, tx, &c, "deadline.warning", w, now)
	case w.Step == caseflow.StepCallback || w.Step == caseflow.StepReview || w.Step == caseflow.StepArbitrate:
		// A closed order takes no reminder, and an arbitration is the
		// leaders' own step: the rules tell the centre (and for an
		// arbitration the leaders) it is late, and the leaders when it stays late.
		st := notify.Overdue
		if stage > StageOverdue {
			st = notify.Escalated
		}
		return s.writeNotices(ctx, tx, &c, notify.ForStage(&c, d, st), now)
	case stage == StageOverdue:
		cmd := caseflow.Command{Action: caseflow.ActRemind, Actor: caseflow.Actor{Role: caseflow.System}, At: now,
			TaskID: w.TaskID(), Late: late}
		cmd.ExpectedVersion = c.Version
		_, err := s.transitionTx(ctx, tx, &c, cmd, clock)
		return err
	default: // escalated
		cmd := caseflow.Command{Action: caseflow.ActSupervise, Actor: caseflow.Actor{Role: caseflow.System}, At: now,
			TaskID: w.TaskID(), Late: late}
		cmd.ExpectedVersion = c.Version
		_, err := s.transitionTx(ctx, tx, &c, cmd, clock)
		return err
	}
}

// skipLocked makes a claim skip rows another instance holds.
func (s *Store) skipLocked() string {
	if s.dialect == Postgres {
		return ` FOR UPDATE SKIP LOCKED`
	}
	return ``
}
