package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/ledger"
)

// EvalQuery asks for an evaluation's counts.
type EvalQuery struct {
	Group    ledger.Group
	From, To time.Time // the period, [From, To)
	AsOf     time.Time // the moment looked at: To for a past period, now for the current one
	// Cutoff is when closes, reports back and dispatches stop counting: To
	// for a past period, Forever for the current one (everything recorded
	// so far counts). Zero means AsOf.
	Cutoff time.Time
	// Recount counts from the cases even when the maintained aggregates
	// could answer (for checks and benchmarks).
	Recount bool
}

// Forever is the cutoff that counts everything recorded.
var Forever = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// fastCut says whether the maintained aggregates answer q, and with which
// cut: a department, street or community evaluation over whole days in
// Asia/Shanghai, current (no cutoff) or a past calendar week, month,
// quarter or year cut at its end.
func (q EvalQuery) fastCut() (int, bool) {
	if q.Recount || q.Group == ledger.ByWorker || !dayAligned(q.From) || !dayAligned(q.To) {
		return 0, false
	}
	if q.cutoff().Equal(Forever) {
		return cutNone, true
	}
	if !q.cutoff().Equal(q.To) {
		return 0, false
	}
	return periodCut(DayOf(q.From), DayOf(q.To))
}

// Fast reports whether the maintained aggregates answer q (once built).
func (q EvalQuery) Fast() bool {
	_, ok := q.fastCut()
	return ok
}

func (q EvalQuery) cutoff() time.Time {
	if q.Cutoff.IsZero() {
		return q.AsOf
	}
	return q.Cutoff
}

// openUnsuspended lists the open states a deadline runs in.
var openUnsuspended = func() string {
	var s []string
	for _, st := range caseflow.States {
		if st.Open() && st != caseflow.Suspended {
			s = append(s, "'"+string(st)+"'")
		}
	}
	return strings.Join(s, ", ")
}()

// groupSQL is how cases are attributed to a group: the key expression and
// the join it needs. A department is judged on the cases it leads.
func groupSQL(g ledger.Group) (key, join string, err error) {
	switch g {
	case ledger.ByStreet:
		return "c.street", "", nil
	case ledger.ByCommunity:
		return "c.community", "", nil
	case ledger.ByDepartment:
		return "CAST(t.unit_id AS TEXT)", "JOIN tasks t ON t.case_id = c.id AND t.lead AND t.state <> 'returned'", nil
	}
	return "", "", fmt.Errorf("evaluation: unknown group %q (department, street, community or worker)", g)
}

// EvaluationCounts computes every count of ledger.Counts per member of the
// group; the keys are unit ids (departments), division codes or account
// ids (workers), as text. clock gives the deadlines for the grid workers'
// on-time verifications and checks.
func (s *Store) EvaluationCounts(ctx context.Context, q EvalQuery, clock caseflow.Clock) (map[string]map[string]int64, error) {
	out := map[string]map[string]int64{}
	add := func(key, count string, n int64) {
		m, ok := out[key]
		if !ok {
			m = map[string]int64{}
			out[key] = m
		}
		m[count] += n
	}
	from, to, asOf, cut := q.From.UnixMilli(), q.To.UnixMilli(), q.AsOf.UnixMilli(), q.cutoff().UnixMilli()
	scan := func(query string, counts []string, args ...any) error {
		rows, err := s.r.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("store: evaluation: %w", err)
		}
		defer rows.Close()
		vals := make([]sql.NullInt64, len(counts))
		ptrs := make([]any, len(counts)+1)
		var key sql.NullString
		ptrs[0] = &key
		for i := range vals {
			ptrs[i+1] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			for i, c := range counts {
				add(key.String, c, vals[i].Int64)
			}
		}
		return rows.Err()
	}
	if q.Group == ledger.ByWorker {
		return out, s.workerCounts(ctx, q, clock, add, scan)
	}
	key, join, err := groupSQL(q.Group)
	if err != nil {
		return nil, err
	}
	// Overdue open cases are few and change by the minute: always counted
	// from the cases, through the (state, deadline) index.
	// (Materialized, so that no planner reads the period's every case by
	// the registered_at index instead.)
	if err := scan(`WITH o AS MATERIALIZED (SELECT id, street, community, registered_at FROM cases
			WHERE state IN (`+openUnsuspended+`) AND deadline < $3)
		SELECT `+key+`, count(*) FROM o c `+join+` WHERE c.registered_at >= $1 AND c.registered_at < $2
		GROUP BY `+key, []string{"overdue_open"}, from, to, asOf); err != nil {
		return nil, err
	}
	if cut, ok := q.fastCut(); ok && s.aggregatesBuilt(ctx) {
		return out, s.aggregateCounts(ctx, q.Group, DayOf(q.From), DayOf(q.To), cut, add)
	}
	const due = `c.state NOT IN ('voided', 'suspended')`
	if err := scan(`SELECT `+key+`, count(*),
		sum(CASE WHEN `+due+` THEN 1 ELSE 0 END),
		sum(CASE WHEN `+due+` AND c.closed_at IS NOT NULL AND c.closed_at < $3 THEN 1 ELSE 0 END),
		sum(CASE WHEN `+due+` AND c.closed_at IS NOT NULL AND c.closed_at < $4 AND c.close_type = 'normal' THEN 1 ELSE 0 END),
		sum(CASE WHEN `+due+` AND (c.reworks > 0 OR c.reopens > 0) THEN 1 ELSE 0 END)
		FROM cases c `+join+` WHERE c.registered_at >= $1 AND c.registered_at < $2 GROUP BY `+key,
		[]string{"registered", "due", "closed", "closed_on_time", "reworked"}, from, to, cut, cut); err != nil {
		return nil, err
	}
	// Tasks: a department's own (lead or assisting); an area's all.
	tkey := "c." + string(q.Group)
	if q.Group == ledger.ByDepartment {
		tkey = "CAST(t.unit_id AS TEXT)"
	}
	if err := scan(`SELECT `+tkey+`, count(*),
		sum(CASE WHEN t.done_at IS NOT NULL AND t.done_at < $3 THEN 1 ELSE 0 END),
		sum(CASE WHEN t.done_at IS NOT NULL AND t.done_at < $4 AND t.deadline IS NOT NULL AND t.done_at <= t.deadline THEN 1 ELSE 0 END)
		FROM tasks t JOIN cases c ON c.id = t.case_id
		WHERE t.dispatched_at >= $1 AND t.dispatched_at < $2 AND t.state <> 'returned' AND c.state NOT IN ('voided', 'suspended')
		GROUP BY `+tkey, []string{"tasks", "handled", "handled_on_time"}, from, to, cut, cut); err != nil {
		return nil, err
	}
	// Approvals of returns, extensions and suspensions, by the task's unit
	// or the case's area.
	for action, count := range map[caseflow.Action]string{caseflow.ActApproveReturn: "returned",
		caseflow.ActApproveExtension: "extended", caseflow.ActApproveSuspension: "suspended"} {
		if err := scan(`SELECT `+tkey+`, count(*) FROM events e JOIN cases c ON c.id = e.case_id
			LEFT JOIN tasks t ON t.id = e.task_id
			WHERE e.action = $1 AND e.at >= $2 AND e.at < $3 GROUP BY `+tkey, []string{count}, action, from, to); err != nil {
			return nil, err
		}
	}
	// Returns refused, disputed and arbitrated, by the unit that asked to
	// return or the case's area; an arbitration's outcome is in its data.
	if err := s.disputeCounts(ctx, tkey, from, to, add); err != nil {
		return nil, err
	}
	// Hotline: the orders, the lead's first contacts by the day their
	// limit falls (a department's own), and the callbacks' answers.
	if err := scan(`SELECT `+key+`, count(*)
		FROM cases c `+join+` WHERE c.channel = 'hotline' AND c.duplicate_of IS NULL AND c.reported_at >= $1 AND c.reported_at < $2
		GROUP BY `+key, []string{"hotline"}, from, to); err != nil {
		return nil, err
	}
	if err := scan(`SELECT `+tkey+`, count(*), sum(CASE WHEN t.contacted_at IS NOT NULL AND t.contacted_at <= t.contact_due THEN 1 ELSE 0 END)
		FROM tasks t JOIN cases c ON c.id = t.case_id
		WHERE t.lead AND t.state <> 'returned' AND c.state <> 'voided' AND t.contact_due >= $1 AND t.contact_due < $2
		GROUP BY `+tkey, []string{"contact_due", "contacted_on_time"}, from, to); err != nil {
		return nil, err
	}
	// Every callback and review of the orders called back in the period,
	// in order: a review may take out a callback of this period later.
	rows, err := s.r.QueryContext(ctx, `SELECT `+key+`, e.case_id, e.action, e.at, e.data FROM events e JOIN cases c ON c.id = e.case_id `+join+`
		WHERE e.action IN ('callback', 'review') AND c.channel = 'hotline' AND c.duplicate_of IS NULL
		AND e.case_id IN (SELECT case_id FROM events WHERE action = 'callback' AND at >= $1 AND at < $2)
		ORDER BY e.case_id, e.seq`, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: evaluation callbacks: %w", err)
	}
	defer rows.Close()
	type order struct {
		key string
		id  int64
	}
	var keys []order
	byOrder := map[order][]callback{}
	for rows.Next() {
		var o order
		var data string
		var at int64
		ev := caseflow.Event{}
		if err := rows.Scan(&o.key, &o.id, &ev.Action, &at, &data); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
			return nil, err
		}
		ev.At = time.UnixMilli(at)
		if _, ok := byOrder[o]; !ok {
			keys = append(keys, o)
		}
		byOrder[o] = ratings(byOrder[o], &ev)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, o := range keys {
		for _, cb := range byOrder[o] {
			if !cb.rated || cb.at.UnixMilli() < from || cb.at.UnixMilli() >= to {
				continue
			}
			if cb.unjustified {
				add(o.key, "unjustified", 1)
				continue
			}
			add(o.key, "callbacks", 1)
			for count, yes := range map[string]bool{"solved": cb.solved, "satisfied": cb.satisfied, "fully_satisfied": cb.full} {
				if yes {
					add(o.key, count, 1)
				}
			}
		}
	}
	return out, nil
}

// workerCounts counts grid workers' reports, verifications and checks;
// on time means before the step's deadline by the time-limit policy.
func (s *Store) workerCounts(ctx context.Context, q EvalQuery, clock caseflow.Clock, add func(string, string, int64),
	scan func(string, []string, ...any) error) error {
	from, to := q.From.UnixMilli(), q.To.UnixMilli()
	if err := scan(`SELECT CAST(c.reporter_account_id AS TEXT), count(*),
		sum(CASE WHEN c.state <> 'voided' OR c.duplicate_of IS NOT NULL THEN 1 ELSE 0 END)
		FROM cases c JOIN accounts a ON a.id = c.reporter_account_id
		WHERE a.role = 'grid_worker' AND c.reported_at >= $1 AND c.reported_at < $2 GROUP BY c.reporter_account_id`,
		[]string{"reports", "valid_reports"}, from, to); err != nil {
		return err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT e.actor_id, e.action, e.at, c.category_id, c.urgency, c.reported_at,
		(SELECT max(p.at) FROM events p WHERE p.case_id = e.case_id AND p.seq < e.seq AND p.to_state = 'pending_check'
			AND p.from_state <> 'pending_check')
		FROM events e JOIN cases c ON c.id = e.case_id
		WHERE e.actor_role = 'grid_worker' AND e.action IN ('verify', 'check_pass', 'check_fail') AND e.at >= $1 AND e.at < $2`, from, to)
	if err != nil {
		return fmt.Errorf("store: evaluation checks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var actor sql.NullInt64
		var action caseflow.Action
		var at, reported int64
		var cat string
		var urg caseflow.Urgency
		var started sql.NullInt64
		if err := rows.Scan(&actor, &action, &at, &cat, &urg, &reported, &started); err != nil {
			return err
		}
		k := strconv.FormatInt(actor.Int64, 10)
		when := time.UnixMilli(at)
		if action == caseflow.ActVerify {
			add(k, "verifications", 1)
			if due := clock.Due(caseflow.StepRegister, cat, urg, time.UnixMilli(reported)); due.IsZero() || !when.After(due) {
				add(k, "verified_on_time", 1)
			}
			continue
		}
		add(k, "checks", 1)
		if !started.Valid {
			continue
		}
		if due := clock.Due(caseflow.StepCheck, cat, urg, time.UnixMilli(started.Int64)); due.IsZero() || !when.After(due) {
			add(k, "checked_on_time", 1)
		}
	}
	return rows.Err()
}

// Published is a frozen evaluation.
type Published struct {
	ID          int64          `json:"id"`
	Group       ledger.Group   `json:"group"`
	From, To    time.Time      `json:"-"`
	AsOf        time.Time      `json:"as_of"`
	Weights     ledger.Weights `json:"weights"`
	Rows        []ledger.Row   `json:"rows"`
	PublishedAt time.Time      `json:"published_at"`
	PublishedBy string         `json:"published_by,omitempty"`
	Extra       map[string]any `json:"-"`
}

// ErrPublished means the period is already published: figures once
// published are not replaced.
var ErrPublished = fmt.Errorf("%w: this period is already published", ErrConflict)

// Publish freezes an evaluation: its counts, names and weights.
func (s *Store) Publish(ctx context.Context, p *Published) error {
	rows, err := json.Marshal(p.Rows)
	if err != nil {
		return err
	}
	w, err := json.Marshal(p.Weights)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *wtx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM evaluations WHERE grp = $1 AND period_from = $2 AND period_to = $3`,
			p.Group, p.From.UnixMilli(), p.To.UnixMilli()).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrPublished
		}
		return tx.QueryRowContext(ctx, `INSERT INTO evaluations (grp, period_from, period_to, as_of, weights, rows, published_at, published_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, p.Group, p.From.UnixMilli(), p.To.UnixMilli(), p.AsOf.UnixMilli(),
			string(w), string(rows), p.PublishedAt.UnixMilli(), p.PublishedBy).Scan(&p.ID)
	})
}

// PublishedEvaluation reads a frozen evaluation; ErrNotFound when the period
// is not published.
func (s *Store) PublishedEvaluation(ctx context.Context, g ledger.Group, from, to time.Time) (*Published, error) {
	p := &Published{Group: g, From: from, To: to}
	var asOf, at int64
	var w, rows string
	err := s.r.QueryRowContext(ctx, `SELECT id, as_of, weights, rows, published_at, published_by FROM evaluations
		WHERE grp = $1 AND period_from = $2 AND period_to = $3`, g, from.UnixMilli(), to.UnixMilli()).
		Scan(&p.ID, &asOf, &w, &rows, &at, &p.PublishedBy)
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("evaluation %s %s–%s: %w", g, from.Format(time.DateOnly), to.Format(time.DateOnly), ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	p.AsOf, p.PublishedAt = time.UnixMilli(asOf).UTC(), time.UnixMilli(at).UTC()
	if err := json.Unmarshal([]byte(w), &p.Weights); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(rows), &p.Rows); err != nil {
		return nil, err
	}
	return p, nil
}

// Zeroing (问题归零) is a unit's open problems day by day and how long it
// has gone without a new one.
type Zeroing struct {
	Days         []ZeroingDay `json:"days"`
	OpenNow      int          `json:"open_now"`
	LastNew      time.Time    `json:"last_new,omitzero"`
	DaysSinceNew int          `json:"days_since_new"` // -1: never had a case
}

// ZeroingDay is the open count at the end of a day.
type ZeroingDay struct {
	Day  string `json:"day"` // YYYY-MM-DD, Asia/Shanghai
	Open int    `json:"open"`
}

// Zeroing counts the open (not closed, not voided) cases of a filter's
// street, community, grid or unit at the end of each of the days days up
// to now, in loc.
func (s *Store) Zeroing(ctx context.Context, f CaseFilter, days int, now time.Time, loc *time.Location) (Zeroing, error) {
	y, m, d := now.In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	start := today.AddDate(0, 0, -(days - 1))
	f.Before, f.From, f.To, f.State, f.Overdue = 0, time.Time{}, time.Time{}, "", false
	where, args := f.where()
	args = append(args, start.UnixMilli())
	// The cases open now, and those closed since the period's start: each
	// part picks its cases by its own index (the open cases' partial index,
	// (state, closed_at)) before the filter is applied, in that order (a
	// CROSS JOIN keeps SQLite, which has no statistics, from reading a
	// street's every case through its street index instead).
	cond := strings.Replace(where, " WHERE ", " AND ", 1)
	q := fmt.Sprintf(`SELECT reported_at, closed_at FROM (SELECT id AS pick FROM cases WHERE state NOT IN ('closed', 'voided')) o
		CROSS JOIN cases WHERE cases.id = o.pick%s
		UNION ALL SELECT reported_at, closed_at FROM (SELECT id AS pick FROM cases WHERE state = 'closed' AND closed_at >= $%d) o
		CROSS JOIN cases WHERE cases.id = o.pick%s`, cond, len(args), cond)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return Zeroing{}, fmt.Errorf("store: zeroing: %w", err)
	}
	defer rows.Close()
	// Each case is open from its report to its close: +1 and −1 on a
	// timeline, summed at each day's end.
	ends := make([]time.Time, days)
	for i := range ends {
		ends[i] = start.AddDate(0, 0, i+1)
	}
	open := make([]int, days)
	z := Zeroing{DaysSinceNew: -1}
	for rows.Next() {
		var rep int64
		var closed sql.NullInt64
		if err := rows.Scan(&rep, &closed); err != nil {
			return z, err
		}
		r := time.UnixMilli(rep)
		for i, e := range ends {
			if r.Before(e) && (!closed.Valid || !time.UnixMilli(closed.Int64).Before(e)) {
				open[i]++
			}
		}
		if !closed.Valid && !r.After(now) {
			z.OpenNow++
		}
	}
	if err := rows.Err(); err != nil {
		return z, err
	}
	for i := range open {
		z.Days = append(z.Days, ZeroingDay{Day: start.AddDate(0, 0, i).Format(time.DateOnly), Open: open[i]})
	}
	var last sql.NullInt64
	where, args = f.where()
	if err := s.r.QueryRowContext(ctx, `SELECT max(reported_at) FROM cases`+where, args...).Scan(&last); err != nil {
		return z, err
	}
	if last.Valid {
		z.LastNew = time.UnixMilli(last.Int64).In(loc)
		ly, lm, ld := z.LastNew.Date()
		z.DaysSinceNew = int(today.Sub(time.Date(ly, lm, ld, 0, 0, 0, 0, loc)).Hours() / 24)
	}
	return z, nil
}

// OpenByUnit counts, per unit id, the active tasks of cases being handled
// and how many of them are past their deadline at now.
func (s *Store) OpenByUnit(ctx context.Context, now time.Time) (map[int64][2]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT t.unit_id, count(*), sum(CASE WHEN t.deadline < $1 THEN 1 ELSE 0 END)
		FROM tasks t JOIN cases c ON c.id = t.case_id
		WHERE c.state IN ('dispatched', 'in_progress') AND t.state IN ('dispatched', 'signed') GROUP BY t.unit_id`, now.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][2]int64{}
	for rows.Next() {
		var id, open int64
		var late sql.NullInt64
		if err := rows.Scan(&id, &open, &late); err != nil {
			return nil, err
		}
		out[id] = [2]int64{open, late.Int64}
	}
	return out, rows.Err()
}

// disputeCounts counts the refused returns, the disputes and the
// arbitrations' outcomes of [from, to) by key (eventMeasures).
func (s *Store) disputeCounts(ctx context.Context, key string, from, to int64, add func(string, string, int64)) error {
	rows, err := s.r.QueryContext(ctx, `SELECT `+key+`, e.action, e.at, t.unit_id, e.data FROM events e JOIN cases c ON c.id = e.case_id
		LEFT JOIN tasks t ON t.id = e.task_id
		WHERE e.action IN ('refuse_return', 'dispute', 'arbitrate') AND e.at >= $1 AND e.at < $2`, from, to)
	if err != nil {
		return fmt.Errorf("store: evaluation disputes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k sql.NullString
		var unit sql.NullInt64
		var at int64
		var data string
		var ev caseflow.Event
		if err := rows.Scan(&k, &ev.Action, &at, &unit, &data); err != nil {
			return err
		}
		ev.At = time.UnixMilli(at)
		if ev.Action == caseflow.ActArbitrate {
			if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
				return err
			}
			ev.Data.UnitID = unit.Int64
		}
		for _, m := range eventMeasures(&ev) {
			add(k.String, m, 1)
		}
	}
	return rows.Err()
}
