package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/notify"
)

const caseCols = `id, number, version, channel, category_id, urgency, state, description, address, lon, lat,
	unit_grid, grid, community, street, reporter_account_id, reporter_name, reporter_phone, verified, duplicate_of,
	suspended_from, suspended_at, close_type, reworks, reopens, satisfied, reported_at, registered_at,
	dispatched_at, closed_at, updated_at, deadline, answered_at, callback_due, rating, review, review_due, reporter_email, reporter_updates`

const taskCols = `id, case_id, unit_id, lead, state, dispatched_at, signed_at, done_at, deadline, handler_id,
	extensions, request, request_note, requested_at, requested_due, contact_due, contacted_at, contact_method`

// caseN and taskN are the number of caseCols and taskCols.
var caseN, taskN = len(strings.Split(caseCols, ",")), len(strings.Split(taskCols, ","))

const eventCols = `id, case_id, seq, action, from_state, to_state, task_id, actor_id, actor_role, actor_unit_id, at, reason, data`

type scanner interface{ Scan(...any) error }

// scanCase reads caseCols, then any extra columns into extra.
func scanCase(r scanner, c *caseflow.Case, extra ...any) error {
	var reporter, dup sql.NullInt64
	var suspAt, regAt, dispAt, closedAt, deadline, answeredAt, callbackDue, reviewDue sql.NullInt64
	var reportedAt, updatedAt int64
	var satisfied sql.NullBool
	c.Satisfied = nil
	err := r.Scan(append([]any{&c.ID, &c.Number, &c.Version, &c.Channel, &c.CategoryID, &c.Urgency, &c.State, &c.Description,
		&c.Address, &c.Point.Lon, &c.Point.Lat, &c.Place.UnitGrid, &c.Place.Grid, &c.Place.Community, &c.Place.Street,
		&reporter, &c.Reporter.Name, &c.Reporter.Phone, &c.Verified, &dup, &c.SuspendedFrom, &suspAt, &c.CloseType,
		&c.Reworks, &c.Reopens, &satisfied, &reportedAt, &regAt, &dispAt, &closedAt, &updatedAt, &deadline,
		&answeredAt, &callbackDue, &c.Rating, &c.Review, &reviewDue, &c.Reporter.Email, &c.Reporter.Updates}, extra...)...)
	if err != nil {
		return err
	}
	c.Reporter.AccountID, c.DuplicateOf = reporter.Int64, dup.Int64
	c.SuspendedAt, c.RegisteredAt, c.DispatchedAt = fromMS(suspAt), fromMS(regAt), fromMS(dispAt)
	c.ClosedAt, c.Deadline = fromMS(closedAt), fromMS(deadline)
	c.AnsweredAt, c.CallbackDue, c.ReviewDue = fromMS(answeredAt), fromMS(callbackDue), fromMS(reviewDue)
	c.ReportedAt, c.UpdatedAt = time.UnixMilli(reportedAt).UTC(), time.UnixMilli(updatedAt).UTC()
	if satisfied.Valid {
		v := satisfied.Bool
		c.Satisfied = &v
	}
	return nil
}

func caseArgs(c *caseflow.Case) []any {
	var sat any
	if c.Satisfied != nil {
		sat = *c.Satisfied
	}
	return []any{c.Number, c.Version, c.Channel, c.CategoryID, c.Urgency, c.State, c.Description, c.Address,
		c.Point.Lon, c.Point.Lat, c.Place.UnitGrid, c.Place.Grid, c.Place.Community, c.Place.Street,
		nullID(c.Reporter.AccountID), c.Reporter.Name, c.Reporter.Phone, c.Verified, nullID(c.DuplicateOf),
		c.SuspendedFrom, ms(c.SuspendedAt), c.CloseType, c.Reworks, c.Reopens, sat, c.ReportedAt.UnixMilli(),
		ms(c.RegisteredAt), ms(c.DispatchedAt), ms(c.ClosedAt), c.UpdatedAt.UnixMilli(), ms(c.Deadline),
		ms(c.AnsweredAt), ms(c.CallbackDue), c.Rating, c.Review, ms(c.ReviewDue), c.Reporter.Email, c.Reporter.Updates}
}

func scanTask(r scanner, t *caseflow.Task, caseID *int64) error {
	var signed, done, deadline, reqAt, reqDue, contactDue, contactedAt sql.NullInt64
	var handler sql.NullInt64
	var disp int64
	err := r.Scan(&t.ID, caseID, &t.UnitID, &t.Lead, &t.State, &disp, &signed, &done, &deadline, &handler,
		&t.Extensions, &t.Request, &t.RequestNote, &reqAt, &reqDue, &contactDue, &contactedAt, &t.ContactMethod)
	if err != nil {
		return err
	}
	t.DispatchedAt = time.UnixMilli(disp).UTC()
	t.SignedAt, t.DoneAt, t.Deadline = fromMS(signed), fromMS(done), fromMS(deadline)
	t.RequestedAt, t.RequestedDue, t.HandlerID = fromMS(reqAt), fromMS(reqDue), handler.Int64
	t.ContactDue, t.ContactedAt = fromMS(contactDue), fromMS(contactedAt)
	return nil
}

// taskArgs are a task's taskCols (without its id), then its case's state:
// each task row carries the state of its case (case_state), kept in step
// by every write of the case, so that a unit's cases in one state are an
// index range of its tasks (tasks_unit_case_state) instead of every task
// the unit ever had.
func taskArgs(caseID int64, caseState caseflow.State, t *caseflow.Task) []any {
	return []any{caseID, t.UnitID, t.Lead, t.State, t.DispatchedAt.UnixMilli(), ms(t.SignedAt), ms(t.DoneAt),
		ms(t.Deadline), nullID(t.HandlerID), t.Extensions, t.Request, t.RequestNote, ms(t.RequestedAt), ms(t.RequestedDue),
		ms(t.ContactDue), ms(t.ContactedAt), t.ContactMethod, caseState}
}

func eventArgs(e *caseflow.Event) ([]any, error) {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return nil, err
	}
	return []any{e.CaseID, e.Seq, e.Action, e.FromState, e.ToState, nullID(e.TaskID), nullID(e.Actor.AccountID),
		e.Actor.Role, nullID(e.Actor.UnitID), e.At.UnixMilli(), e.Reason, string(data)}, nil
}

func placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}

var (
	selectCaseSQL           = `SELECT ` + caseCols + ` FROM cases WHERE id = $1`
	selectTasksSQL          = `SELECT ` + taskCols + ` FROM tasks WHERE case_id = $1 ORDER BY id`
	selectEventsSQL         = `SELECT ` + eventCols + ` FROM events WHERE case_id = $1 ORDER BY seq`
	selectCaseIDByNumberSQL = `SELECT id FROM cases WHERE number = $1`
	nextNumberSQL           = `INSERT INTO case_numbers (day, last) VALUES ($1, 1)
		ON CONFLICT (day) DO UPDATE SET last = case_numbers.last + 1 RETURNING last`
	categoryExistsSQL = `SELECT count(*) FROM categories WHERE id = $1`
	unitKindSQL       = `SELECT kind FROM units WHERE id = $1`
	mergeTargetSQL    = `SELECT state, reported_at FROM cases WHERE id = $1`
	insertCaseSQL     = `INSERT INTO cases (` + strings.ReplaceAll(caseCols, "id, number", "number") + `) VALUES (` + placeholders(1, caseN-1) + `) RETURNING id`
	insertTaskSQL     = `INSERT INTO tasks (` + strings.TrimPrefix(taskCols, "id, ") + `, case_state) VALUES (` + placeholders(1, taskN) + `) RETURNING id`
	insertEventSQL    = `INSERT INTO events (` + strings.TrimPrefix(eventCols, "id, ") + `) VALUES (` + placeholders(1, 12) + `)`
	updateTaskSQL     = `UPDATE tasks SET case_id = $1, unit_id = $2, lead = $3, state = $4, dispatched_at = $5, signed_at = $6,
		done_at = $7, deadline = $8, handler_id = $9, extensions = $10, request = $11, request_note = $12,
		requested_at = $13, requested_due = $14, contact_due = $15, contacted_at = $16, contact_method = $17, case_state = $18 WHERE id = $19`
	updateCaseSQL = func() string {
		cols := strings.Split(strings.ReplaceAll(strings.ReplaceAll(caseCols, "\n", ""), "\t", ""), ",")
		var set []string
		for i, c := range cols[1:] { // skip id
			set = append(set, fmt.Sprintf("%s = $%d", strings.TrimSpace(c), i+1))
		}
		return `UPDATE cases SET ` + strings.Join(set, ", ") + fmt.Sprintf(` WHERE id = $%d AND version = $%d`, caseN, caseN+1)
	}()
)

// NextNumber reserves the next case number of a day: YYYYMMDD and a
// five-digit sequence (more digits after 99,999 a day).
func nextNumber(ctx context.Context, tx *wtx, at time.Time, loc *time.Location) (string, error) {
	day := at.In(loc).Format("20060102")
	var n int64
	err := tx.QueryRowContext(ctx, nextNumberSQL, day).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("store: case number: %w", err)
	}
	return fmt.Sprintf("%s%05d", day, n), nil
}

// CreateCase stores a new case and its report event, with its register
// deadline watched and the centre told. c.Number is assigned here when
// empty (numbered by the day in Asia/Shanghai); c.ID is set.
func (s *Store) CreateCase(ctx context.Context, c *caseflow.Case, ev *caseflow.Event, clock caseflow.Clock) error {
	forget, err := s.preNumber(ctx, c)
	if err != nil {
		return err
	}
	if err := s.tx(ctx, func(tx *wtx) error { return s.createCaseTx(ctx, tx, c, ev, clock) }); err != nil {
		forget()
		return err
	}
	s.observed(string(caseflow.ActReport))
	return nil
}

// preNumber numbers a new case before its transaction, on PostgreSQL.
// The day's number row is one row every report of the day updates, and it
// stays locked until the transaction that updates it commits. SQLite has
// one writer anyway, and numbers each day without gaps inside the case's
// transaction (createCaseTx); PostgreSQL takes numbers from a block
// reserved by a statement of its own (numberBlocks), so concurrent reports
// do not queue on the row. It runs before the transaction begins: inside
// it, reserving a block would wait for a second connection of the pool.
// forget, called when the case was not written, takes back a number given
// here or in the transaction (never one the caller gave).
func (s *Store) preNumber(ctx context.Context, c *caseflow.Case) (forget func(), err error) {
	if c.Number != "" {
		return func() {}, nil
	}
	forget = func() { c.Number = "" }
	if s.dialect == Postgres {
		c.Number, err = s.numbers.next(ctx, s.w, c.ReportedAt)
	}
	return forget, err
}

func (s *Store) createCaseTx(ctx context.Context, tx *wtx, c *caseflow.Case, ev *caseflow.Event, clock caseflow.Clock) error {
	var exists int
	if err := tx.QueryRowContext(ctx, categoryExistsSQL, c.CategoryID).Scan(&exists); err != nil {
		return err
	}
	if exists == 0 {
		return &caseflow.Error{Code: caseflow.CodeInvalid, Action: caseflow.ActReport, Field: "category", Msg: "unknown category " + c.CategoryID}
	}
	if c.Number == "" { // SQLite: see preNumber
		n, err := nextNumber(ctx, tx, c.ReportedAt, calendar.Shanghai)
		if err != nil {
			return err
		}
		c.Number = n
	}
	if err := tx.QueryRowContext(ctx, insertCaseSQL, caseArgs(c)...).Scan(&c.ID); err != nil {
		return fmt.Errorf("store: insert case: %w", err)
	}
	ev.CaseID = c.ID
	args, err := eventArgs(ev)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, insertEventSQL, args...); err != nil {
		return fmt.Errorf("store: insert event: %w", err)
	}
	agg := map[aggKey]int64{}
	contribute(agg, c, nil, 1)
	if err := applyAggCase(ctx, tx, agg); err != nil {
		return err
	}
	return s.afterEvent(ctx, tx, c, ev, clock)
}

// numberBlocks hands out PostgreSQL's case numbers from blocks of
// numberBlock per day, each reserved by a statement of its own (committed
// at once, whatever becomes of the case): the day's row is locked for that
// statement only, once per numberBlock cases, instead of from a report's
// number to its commit. The price: numbers left in a block when the
// process stops, or when a report is refused after taking one, are never
// used (at most numberBlock - 1 a day an instance, plus the refusals), and
// with several instances the numbers of one minute interleave.
type numberBlocks struct {
	mu      sync.Mutex
	day     string
	at, end int64 // the next to hand out; the block's last
}

const numberBlock = 16

var reserveNumbersSQL = `INSERT INTO case_numbers (day, last) VALUES ($1, $2)
	ON CONFLICT (day) DO UPDATE SET last = case_numbers.last + $2 RETURNING last`

func (b *numberBlocks) next(ctx context.Context, db *sql.DB, at time.Time) (string, error) {
	day := at.In(calendar.Shanghai).Format("20060102")
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.day != day || b.at > b.end {
		var last int64
		if err := db.QueryRowContext(ctx, reserveNumbersSQL, day, numberBlock).Scan(&last); err != nil {
			return "", fmt.Errorf("store: case numbers: %w", err)
		}
		b.day, b.at, b.end = day, last-numberBlock+1, last
	}
	n := b.at
	b.at++
	return fmt.Sprintf("%s%05d", day, n), nil
}

// Transition loads a case, applies cmd with the clock, and writes the new
// state and its event in one transaction. A refusal writes nothing. Two
// transitions against the same version: exactly one wins, the other gets
// caseflow.ErrStale.
func (s *Store) Transition(ctx context.Context, caseID int64, cmd caseflow.Command, clock caseflow.Clock) (*caseflow.Case, caseflow.Event, error) {
	var c caseflow.Case
	var ev caseflow.Event
	err := s.tx(ctx, func(tx *wtx) error {
		if err := s.loadCase(ctx, tx, caseID, true, &c); err != nil {
			return err
		}
		if err := s.rebase(ctx, tx, &c, &cmd); err != nil {
			return err
		}
		var err error
		ev, err = s.transitionTx(ctx, tx, &c, cmd, clock)
		return err
	})
	if err != nil {
		return nil, caseflow.Event{}, err
	}
	s.observed(string(ev.Action))
	return &c, ev, nil
}

// TransitionOnce is Transition with an idempotency key: the first command
// with a key makes its transition, one with the same key again changes
// nothing and returns the case as it is (applied false).
func (s *Store) TransitionOnce(ctx context.Context, caseID int64, cmd caseflow.Command, clock caseflow.Clock, accountID int64, key string) (*caseflow.Case, bool, error) {
	seen := func() (bool, error) {
		var id int64
		err := rdb{s}.QueryRowContext(ctx, `SELECT case_id FROM idempotency_keys WHERE account_id = $1 AND key = $2`, accountID, key).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	current := func() (*caseflow.Case, bool, error) {
		c, err := s.Case(ctx, caseID)
		return c, false, err
	}
	if ok, err := seen(); err != nil {
		return nil, false, err
	} else if ok {
		return current()
	}
	var c caseflow.Case
	var ev caseflow.Event
	err := s.tx(ctx, func(tx *wtx) error {
		if err := s.loadCase(ctx, tx, caseID, true, &c); err != nil {
			return err
		}
		if err := s.rebase(ctx, tx, &c, &cmd); err != nil {
			return err
		}
		var err error
		if ev, err = s.transitionTx(ctx, tx, &c, cmd, clock); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys (key, account_id, case_id, created_at) VALUES ($1, $2, $3, $4)`,
			key, accountID, caseID, ev.At.UnixMilli())
		return err
	})
	if err != nil {
		// A concurrent command with the same key won: nothing more to do.
		if ok, serr := seen(); serr == nil && ok {
			return current()
		}
		return nil, false, err
	}
	s.observed(string(ev.Action))
	return &c, true, nil
}

// rebase lets a command prepared on an older version through when only
// overlays (reminders, supervision orders, replies) happened since: the
// watcher's 催办 must not make a handler's report back stale.
func (s *Store) rebase(ctx context.Context, tx *wtx, c *caseflow.Case, cmd *caseflow.Command) error {
	if cmd.ExpectedVersion <= 0 || cmd.ExpectedVersion >= c.Version {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT action FROM events WHERE case_id = $1 AND seq > $2`, c.ID, cmd.ExpectedVersion)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a caseflow.Action
		if err := rows.Scan(&a); err != nil {
			return err
		}
		if !a.Overlay() {
			return nil // caseflow refuses it as stale
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	cmd.ExpectedVersion = c.Version
	return nil
}

// transitionTx applies cmd to c, loaded for update in tx, and writes the
// case, its tasks, the event, the watches, the inbox and the outbox.
func (s *Store) transitionTx(ctx context.Context, tx *wtx, c *caseflow.Case, cmd caseflow.Command, clock caseflow.Clock) (caseflow.Event, error) {
	if err := s.checkCommand(ctx, tx, c, cmd); err != nil {
		return caseflow.Event{}, err
	}
	oldVersion := c.Version
	before := cloneCase(c)
	callbacks, err := loadCallbacks(ctx, tx, c)
	if err != nil {
		return caseflow.Event{}, err
	}
	ev, err := caseflow.Apply(c, cmd, clock)
	if err != nil {
		return ev, err
	}
	res, err := tx.ExecContext(ctx, updateCaseSQL, append(caseArgs(c), c.ID, oldVersion)...)
	if err != nil {
		return ev, fmt.Errorf("store: update case %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ev, &caseflow.Error{Code: caseflow.CodeStale, Action: cmd.Action, State: c.State, Field: "version", Msg: "the case changed meanwhile; reload it"}
	}
	for i := range c.Tasks {
		t := &c.Tasks[i]
		if t.ID == 0 {
			if err := tx.QueryRowContext(ctx, insertTaskSQL, taskArgs(c.ID, c.State, t)...).Scan(&t.ID); err != nil {
				return ev, fmt.Errorf("store: insert task: %w", err)
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, updateTaskSQL, append(taskArgs(c.ID, c.State, t), t.ID)...); err != nil {
			return ev, fmt.Errorf("store: update task %d: %w", t.ID, err)
		}
	}
	if ev.TaskID == 0 && ev.Data.UnitID != 0 {
		for _, t := range c.Tasks {
			if t.UnitID == ev.Data.UnitID && t.State.Active() {
				ev.TaskID = t.ID
			}
		}
	}
	args, err := eventArgs(&ev)
	if err != nil {
		return ev, err
	}
	if _, err := tx.ExecContext(ctx, insertEventSQL, args...); err != nil {
		return ev, fmt.Errorf("store: insert event: %w", err)
	}
	// The evaluation aggregates: the case's share before and after.
	agg := map[aggKey]int64{}
	contribute(agg, before, callbacks, -1)
	callbacks = ratings(callbacks, &ev)
	contribute(agg, c, callbacks, 1)
	contributeEvent(agg, c, &ev)
	if err := applyAggCase(ctx, tx, agg); err != nil {
		return ev, err
	}
	return ev, s.afterEvent(ctx, tx, c, &ev, clock)
}

// afterEvent keeps the watches in step and tells people and subscribers.
func (s *Store) afterEvent(ctx context.Context, tx *wtx, c *caseflow.Case, ev *caseflow.Event, clock caseflow.Clock) error {
	if err := photoRefs(ctx, tx, c.ID, ev.Data.Photos); err != nil {
		return err
	}
	if a, ok := clock.(Alerting); ok {
		if err := syncWatches(ctx, tx, c, ev, a); err != nil {
			return err
		}
	}
	if err := s.writeNotices(ctx, tx, c, notify.ForEvent(c, ev), ev.At); err != nil {
		return err
	}
	return s.outboxEvent(ctx, tx, c, ev)
}

// checkCommand validates what only the database knows: that units and
// merge targets exist.
func (s *Store) checkCommand(ctx context.Context, tx *wtx, c *caseflow.Case, cmd caseflow.Command) error {
	switch cmd.Action {
	case caseflow.ActMerge:
		if cmd.DuplicateOf == 0 || cmd.DuplicateOf == c.ID {
			return nil // caseflow explains
		}
		var state string
		var reported int64
		err := tx.QueryRowContext(ctx, mergeTargetSQL, cmd.DuplicateOf).Scan(&state, &reported)
		if errors.Is(err, sql.ErrNoRows) {
			return &caseflow.Error{Code: caseflow.CodeInvalid, Action: cmd.Action, State: c.State, Field: "duplicate_of", Msg: fmt.Sprintf("case %d does not exist", cmd.DuplicateOf)}
		}
		if err != nil {
			return err
		}
		if caseflow.State(state) == caseflow.Voided {
			return &caseflow.Error{Code: caseflow.CodeInvalid, Action: cmd.Action, State: c.State, Field: "duplicate_of", Msg: "cannot merge into a voided or merged case"}
		}
	case caseflow.ActDispatch, caseflow.ActArbitrate:
		for _, a := range cmd.Assignments {
			var kind string
			err := tx.QueryRowContext(ctx, unitKindSQL, a.UnitID).Scan(&kind)
			if errors.Is(err, sql.ErrNoRows) {
				return &caseflow.Error{Code: caseflow.CodeInvalid, Action: cmd.Action, State: c.State, Field: "assignments", Msg: fmt.Sprintf("unit %d does not exist", a.UnitID)}
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) loadCase(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, id int64, forUpdate bool, c *caseflow.Case) error {
	query := selectCaseSQL
	if forUpdate {
		query += s.forUpdate()
	}
	if err := scanCase(q.QueryRowContext(ctx, query, id), c); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: case %d: %w", id, ErrNotFound)
		}
		return fmt.Errorf("store: load case %d: %w", id, err)
	}
	rows, err := q.QueryContext(ctx, selectTasksSQL, id)
	if err != nil {
		return fmt.Errorf("store: load tasks of case %d: %w", id, err)
	}
	defer rows.Close()
	c.Tasks = c.Tasks[:0]
	for rows.Next() {
		var t caseflow.Task
		var cid int64
		if err := scanTask(rows, &t, &cid); err != nil {
			return err
		}
		c.Tasks = append(c.Tasks, t)
	}
	return rows.Err()
}

// Case reads one case with its tasks.
func (s *Store) Case(ctx context.Context, id int64) (*caseflow.Case, error) {
	var c caseflow.Case
	if err := s.loadCase(ctx, rdb{s}, id, false, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// CaseByNumber reads one case by its number.
func (s *Store) CaseByNumber(ctx context.Context, number string) (*caseflow.Case, error) {
	var id int64
	err := rdb{s}.QueryRowContext(ctx, selectCaseIDByNumberSQL, number).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: case %s: %w", number, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return s.Case(ctx, id)
}

// Events is a case's timeline, oldest first.
func (s *Store) Events(ctx context.Context, caseID int64) ([]caseflow.Event, error) {
	rows, err := rdb{s}.QueryContext(ctx, selectEventsSQL, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: events of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []caseflow.Event
	for rows.Next() {
		var e caseflow.Event
		var task, actor, unit sql.NullInt64
		var at int64
		var data string
		if err := rows.Scan(&e.ID, &e.CaseID, &e.Seq, &e.Action, &e.FromState, &e.ToState, &task, &actor,
			&e.Actor.Role, &unit, &at, &e.Reason, &data); err != nil {
			return nil, err
		}
		e.TaskID, e.Actor.AccountID, e.Actor.UnitID = task.Int64, actor.Int64, unit.Int64
		e.At = time.UnixMilli(at).UTC()
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			return nil, fmt.Errorf("store: event %d data: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// CaseFilter selects cases for a list. Zero fields do not filter.
type CaseFilter struct {
	State      caseflow.State
	Street     string
	Community  string
	Grid       string
	Category   string           // a category id, or a major class prefix like "M06"
	Grids      []string         // any of these grids (a grid worker's patch)
	Text       string           // in the description or address (substring: works for Chinese without word breaking)
	Number     string           // a case number, or its first digits (the day: 20261120)
	Channel    caseflow.Channel // how the cases came in (12345, patrol, the public site…)
	Phone      string           // the reporter's phone (a caller's earlier orders)
	UnitID     int64            // cases with an active task of this unit
	Reporter   int64            // cases reported by this account (a grid worker's own reports)
	Overdue    bool             // open cases past their deadline at Now
	Requested  bool             // a department's return, extension or suspension request waits for a decision
	Disputed   bool             // a return the centre disputed waits for the arbitration (派单争议)
	Supervised bool             // a supervision order (督办) waits for its answer
	CallBack   bool             // a hotline order answered, its callback (回访) due: not yet reached or refused
	Review     bool             // a dissatisfied rating waits for its review (复核)
	Now        time.Time
	From, To   time.Time // reported in [From, To)
	Before     int64     // cursor: cases with id < Before
	Limit      int
	Recount    bool // Ledger counts the cases even when the aggregates could answer
	// ByReport orders newest report first (a ledger's order, served by the
	// report-time indexes) instead of newest case first; Before is then
	// ignored.
	ByReport bool
}

// order is the filter's ORDER BY.
func (f CaseFilter) order() string {
	if f.ByReport {
		return ` ORDER BY reported_at DESC, id DESC`
	}
	return ` ORDER BY id DESC`
}

// where is the filter as SQL; the cursor (Before) is included.
func (f CaseFilter) where() (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.State != "" {
		// A known state is written into the SQL: states are few and very
		// unevenly common (nearly every case is closed), and PostgreSQL's
		// generic plan for "state = $1" — chosen after a prepared statement's
		// fifth run — walks the primary key back through millions of closed
		// cases to find 100 waiting to be registered (seconds at 10M).
		if f.State.Valid() {
			where = append(where, "state = '"+string(f.State)+"'")
			if f.State.Open() && (f.Street != "" || f.Grids != nil) {
				// Implied, but written out so that the open cases' indexes by
				// street and grid (cases_open_street, cases_open_grid) serve:
				// a street holds every case of its years.
				where = append(where, "state NOT IN ('closed', 'voided')")
			}
		} else {
			add("state = $%d", f.State)
		}
	}
	if f.Street != "" {
		add("street = $%d", f.Street)
	}
	if f.Channel != "" {
		// Literal for a known channel, as for a state: channels are few and
		// unevenly common, and a generic plan would not know which.
		if slices.Contains(caseflow.Channels, f.Channel) {
			where = append(where, "channel = '"+string(f.Channel)+"'")
		} else {
			add("channel = $%d", f.Channel)
		}
	}
	if f.Community != "" {
		add("community = $%d", f.Community)
	}
	if f.Grid != "" {
		add("grid = $%d", f.Grid)
	}
	if f.Category != "" {
		if len(f.Category) < 6 {
			add("category_id LIKE $%d", f.Category+"%")
		} else {
			add("category_id = $%d", f.Category)
		}
	}
	if f.Grids != nil {
		if len(f.Grids) == 0 {
			where = append(where, "1 = 0")
		}
		var ph []string
		for _, g := range f.Grids {
			args = append(args, g)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		if len(ph) > 0 {
			where = append(where, "grid IN ("+strings.Join(ph, ", ")+")")
		}
	}
	if f.UnitID != 0 {
		// With the case's state known, the unit's tasks of cases in it are
		// one range of tasks_unit_case_state (at millions of cases a unit
		// has hundreds of thousands of tasks, nearly all of closed cases).
		// The waiting lists of their own small indexes (requests, 督办,
		// callbacks) are read first, each case then asked for the unit's
		// task by its case (the unary + keeps SQLite, without statistics,
		// from reading the unit's every task for each case instead).
		switch {
		case f.State.Valid():
			add("id IN (SELECT case_id FROM tasks WHERE unit_id = $%d AND state <> 'returned' AND case_state = '"+string(f.State)+"')", f.UnitID)
		case f.Overdue:
			add("id IN (SELECT case_id FROM tasks WHERE unit_id = $%d AND state <> 'returned' AND case_state IN ("+openUnsuspended+"))", f.UnitID)
		case f.Requested || f.Disputed || f.Supervised || f.CallBack:
			add("EXISTS (SELECT 1 FROM tasks ut WHERE ut.case_id = cases.id AND +ut.unit_id = $%d AND ut.state <> 'returned')", f.UnitID)
		default:
			add("id IN (SELECT case_id FROM tasks WHERE unit_id = $%d AND state <> 'returned')", f.UnitID)
		}
	}
	if f.Phone != "" {
		add("reporter_phone = $%d", f.Phone)
	}
	if f.Number != "" {
		if len(f.Number) == 13 {
			add("number = $%d", f.Number)
		} else { // the numbers starting so: a range the unique index serves
			add("number >= $%d", f.Number)
			add("number < $%d", f.Number[:len(f.Number)-1]+string(f.Number[len(f.Number)-1]+1))
		}
	}
	if f.Text != "" {
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Text)
		args = append(args, "%"+esc+"%")
		n := len(args)
		where = append(where, fmt.Sprintf(`(description LIKE $%d ESCAPE '\' OR address LIKE $%d ESCAPE '\')`, n, n))
	}
	if f.Reporter != 0 {
		add("reporter_account_id = $%d", f.Reporter)
	}
	if f.Requested {
		where = append(where, "id IN (SELECT case_id FROM tasks WHERE request <> '' AND request <> 'dispute' AND state <> 'returned')")
	}
	if f.Disputed {
		where = append(where, "id IN (SELECT case_id FROM tasks WHERE request <> '' AND request = 'dispute' AND state <> 'returned')")
	}
	if f.CallBack {
		where = append(where, "callback_due IS NOT NULL")
	}
	if f.Review {
		where = append(where, "review <> ''")
	}
	if f.Supervised {
		where = append(where, "id IN (SELECT case_id FROM watches WHERE watch_key LIKE 'sup:%')")
	}
	if f.Overdue {
		// The open states by name, so that the (state, deadline) index serves.
		add("state IN ("+openUnsuspended+") AND deadline < $%d", f.Now.UnixMilli())
		if f.Street != "" || f.Grids != nil {
			where = append(where, "state NOT IN ('closed', 'voided')") // as above
		}
	}
	if !f.From.IsZero() {
		add("reported_at >= $%d", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add("reported_at < $%d", f.To.UnixMilli())
	}
	if f.Before != 0 {
		add("id < $%d", f.Before)
	}
	if len(where) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(where, " AND "), args
}

// LedgerCounts are a ledger's totals: they count exactly the rows the same
// filter lists.
type LedgerCounts struct {
	Total      int64 `json:"total"`
	Open       int64 `json:"open"`
	Closed     int64 `json:"closed"`
	Overdue    int64 `json:"overdue"` // open, not suspended, past the deadline at Now
	Reworked   int64 `json:"reworked"`
	Suspended  int64 `json:"suspended"`
	Voided     int64 `json:"voided"` // voided, merged duplicates included
	Duplicates int64 `json:"duplicates"`
}

// Ledger counts the cases of a filter (its cursor is ignored).
func (s *Store) Ledger(ctx context.Context, f CaseFilter) (LedgerCounts, error) {
	f.Before = 0
	if c, ok, err := s.ledgerFromAggregates(ctx, f); ok || err != nil {
		return c, err
	}
	where, args := f.where()
	args = append(args, f.Now.UnixMilli())
	n := len(args)
	var c LedgerCounts
	err := rdb{s}.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*),
		COALESCE(sum(CASE WHEN state NOT IN ('closed', 'voided') THEN 1 ELSE 0 END), 0),
		COALESCE(sum(CASE WHEN state = 'closed' THEN 1 ELSE 0 END), 0),
		COALESCE(sum(CASE WHEN state NOT IN ('closed', 'voided', 'suspended') AND deadline < $%d THEN 1 ELSE 0 END), 0),
		COALESCE(sum(CASE WHEN reworks > 0 OR reopens > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(sum(CASE WHEN state = 'suspended' THEN 1 ELSE 0 END), 0),
		COALESCE(sum(CASE WHEN state = 'voided' THEN 1 ELSE 0 END), 0),
		COALESCE(sum(CASE WHEN duplicate_of IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM cases`+where, n), args...).Scan(&c.Total, &c.Open, &c.Closed, &c.Overdue, &c.Reworked, &c.Suspended, &c.Voided, &c.Duplicates)
	if err != nil {
		return c, fmt.Errorf("store: ledger: %w", err)
	}
	return c, nil
}

// CountMatching counts the cases of a filter (its cursor is ignored).
func (s *Store) CountMatching(ctx context.Context, f CaseFilter) (int64, error) {
	f.Before = 0
	where, args := f.where()
	var n int64
	if err := (rdb{s}).QueryRowContext(ctx, `SELECT count(*) FROM cases`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count cases: %w", err)
	}
	return n, nil
}

// Cases lists cases newest first. The cursor is the last id of the page.
func (s *Store) Cases(ctx context.Context, f CaseFilter) ([]caseflow.Case, error) {
	where, args := f.where()
	switch { // a page is 50 unless asked otherwise, 1,000 at the most
	case f.Limit <= 0:
		f.Limit = 50
	case f.Limit > 1000:
		f.Limit = 1000
	}
	// The page's ids first, from an index alone where the filter allows;
	// then its rows. (Sorting whole rows made a district's month of
	// 830,000 cases take seconds at 10,000,000.)
	if f.ByReport {
		f.Before = 0
		where, args = f.where()
	}
	return s.queryCases(ctx, `SELECT `+caseCols+` FROM cases WHERE id IN (SELECT id FROM cases`+where+
		f.order()+fmt.Sprintf(` LIMIT %d)`, f.Limit)+f.order(), args...)
}

// EachLedgerRow streams every case of a filter, in its order, in one
// query (one snapshot), with its active lead task's unit and handler (0
// when none), for exports. The filter's Limit is ignored.
func (s *Store) EachLedgerRow(ctx context.Context, f CaseFilter, fn func(c *caseflow.Case, leadUnit, handler int64) error) error {
	where, args := f.where()
	const lead = `FROM tasks t WHERE t.case_id = cases.id AND t.lead AND t.state <> 'returned' ORDER BY t.id DESC LIMIT 1`
	rows, err := s.r.QueryContext(ctx, `SELECT `+caseCols+`, (SELECT t.unit_id `+lead+`), (SELECT t.handler_id `+lead+`)
		FROM cases`+where+f.order(), args...)
	if err != nil {
		return fmt.Errorf("store: ledger rows: %w", err)
	}
	defer rows.Close()
	var c caseflow.Case
	var unit, handler sql.NullInt64
	for rows.Next() {
		if err := scanCase(rows, &c, &unit, &handler); err != nil {
			return err
		}
		if err := fn(&c, unit.Int64, handler.Int64); err != nil {
			return err
		}
	}
	return rows.Err()
}

// queryCases runs a query of caseCols and attaches the cases' tasks.
func (s *Store) queryCases(ctx context.Context, query string, args ...any) ([]caseflow.Case, error) {
	rows, err := rdb{s}.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list cases: %w", err)
	}
	defer rows.Close()
	var out []caseflow.Case
	for rows.Next() {
		var c caseflow.Case
		if err := scanCase(rows, &c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.attachTasks(ctx, out)
}

// attachTasks loads the tasks of a page of cases in one query.
func (s *Store) attachTasks(ctx context.Context, cs []caseflow.Case) error {
	if len(cs) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(cs))
	args := make([]any, len(cs))
	for i, c := range cs {
		idx[c.ID] = i
		args[i] = c.ID
	}
	rows, err := rdb{s}.QueryContext(ctx, `SELECT `+taskCols+` FROM tasks WHERE case_id IN (`+placeholders(1, len(cs))+`) ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("store: tasks of a page: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t caseflow.Task
		var cid int64
		if err := scanTask(rows, &t, &cid); err != nil {
			return err
		}
		c := &cs[idx[cid]]
		c.Tasks = append(c.Tasks, t)
	}
	return rows.Err()
}

// CountCases counts cases by state.
func (s *Store) CountCases(ctx context.Context) (map[caseflow.State]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT state, count(*) FROM cases GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[caseflow.State]int64{}
	for rows.Next() {
		var st caseflow.State
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// NumbersTaken returns which of numbers are already case numbers.
func (s *Store) NumbersTaken(ctx context.Context, numbers []string) (map[string]bool, error) {
	taken := map[string]bool{}
	for start := 0; start < len(numbers); start += 500 {
		chunk := numbers[start:min(start+500, len(numbers))]
		args := make([]any, len(chunk))
		for i, n := range chunk {
			args[i] = n
		}
		rows, err := s.r.QueryContext(ctx, `SELECT number FROM cases WHERE number IN (`+placeholders(1, len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return nil, err
			}
			taken[n] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return taken, nil
}
