package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/ledger"
)

// The command display's figures (大屏, and the dashboard's API): the
// cases reaching each stage per day, the top streets, units and
// categories, the overdue cases and the waiting supervision orders. Each
// is read through an index or the maintained aggregates, so a refresh of
// the wall stays fast at any size; the web tests recount every one from
// the raw rows.

// Stages of the case loop the display counts by the day they happen.
const (
	StageReported   = "reported"   // 上报: cases by report time
	StageRegistered = "registered" // 立案: cases by registration time
	StageDispatched = "dispatched" // 派遣: lead tasks by dispatch time (a re-dispatch counts again)
	StageClosed     = "closed"     // 结案: closed cases by close time
)

// Stages are the stages in the loop's order.
var Stages = []string{StageReported, StageRegistered, StageDispatched, StageClosed}

// stageSQL counts one stage per Asia/Shanghai day of [$1, $2), each through
// its own time index.
var stageSQL = map[string]string{
	StageReported:   `SELECT (reported_at + 28800000) / 86400000, count(*) FROM cases WHERE reported_at >= $1 AND reported_at < $2 GROUP BY 1`,
	StageRegistered: `SELECT (registered_at + 28800000) / 86400000, count(*) FROM cases WHERE registered_at >= $1 AND registered_at < $2 GROUP BY 1`,
	StageDispatched: `SELECT (dispatched_at + 28800000) / 86400000, count(*) FROM tasks WHERE dispatched_at >= $1 AND dispatched_at < $2 AND lead GROUP BY 1`,
	StageClosed:     `SELECT (closed_at + 28800000) / 86400000, count(*) FROM cases WHERE state = 'closed' AND closed_at >= $1 AND closed_at < $2 GROUP BY 1`,
}

// StageDays counts what reached each stage in [from, to), by day (DayOf):
// the whole days from the maintained counts (stageGroup), the part-days at
// either end (today so far) from the cases through each stage's time
// index, so a month answers as fast at 10,000,000 cases as at 60,000.
func (s *Store) StageDays(ctx context.Context, from, to time.Time) (map[string]map[int64]int64, error) {
	out := map[string]map[int64]int64{}
	for _, st := range Stages {
		out[st] = map[int64]int64{}
	}
	if !to.After(from) {
		return out, nil
	}
	first, last := DayOf(from), DayOf(to) // whole days: [first, last), from and to rounded inwards
	if !dayAligned(from) {
		first++
	}
	if !s.aggregatesBuilt(ctx) || first >= last {
		return out, s.stageCounts(ctx, from, to, out)
	}
	dayStart := func(d int64) time.Time { return time.UnixMilli(d*86400000 - shanghaiOffsetMS) }
	if err := s.stageCounts(ctx, from, dayStart(first), out); err != nil {
		return nil, err
	}
	if err := s.stageCounts(ctx, dayStart(last), to, out); err != nil {
		return nil, err
	}
	rows, err := rdb{s}.QueryContext(ctx, `SELECT measure, day, sum(n) FROM eval_agg
		WHERE grp = $1 AND cut = 0 AND day >= $2 AND day < $3 AND key = '' GROUP BY measure, day`, stageGroup, first, last)
	if err != nil {
		return nil, fmt.Errorf("store: stage counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var d, n int64
		if err := rows.Scan(&st, &d, &n); err != nil {
			return nil, err
		}
		if out[st] != nil && n != 0 {
			out[st][d] += n
		}
	}
	return out, rows.Err()
}

// stageCounts adds the stages of [from, to) counted from the cases.
func (s *Store) stageCounts(ctx context.Context, from, to time.Time, out map[string]map[int64]int64) error {
	if !to.After(from) {
		return nil
	}
	for _, st := range Stages {
		rows, err := rdb{s}.QueryContext(ctx, stageSQL[st], from.UnixMilli(), to.UnixMilli())
		if err != nil {
			return fmt.Errorf("store: stage %s: %w", st, err)
		}
		for rows.Next() {
			var d, n int64
			if err := rows.Scan(&d, &n); err != nil {
				rows.Close()
				return err
			}
			out[st][d] += n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Top lists: what a street, a unit (cases with an active task of it) or a
// category counts.
const (
	TopStreet   = "street"
	TopUnit     = "unit"
	TopCategory = "category"
)

// TopCount is one member's figures: the cases reported in the period and,
// of those, the closed and the voided; and the open cases past their
// deadline now, whenever reported.
type TopCount struct {
	Reported int64 `json:"reported"`
	Closed   int64 `json:"closed"`
	Voided   int64 `json:"voided"`
	Overdue  int64 `json:"overdue"`
}

var topGroups = map[string]ledger.Group{TopStreet: ledgerStreet, TopUnit: ledgerUnit, TopCategory: ledgerCategory}

// TopCounts counts every member of a top list for the cases reported in
// [from, to) (whole Asia/Shanghai days: the ledger's maintained totals),
// with the overdue at now. Keys are street codes, unit ids or category ids.
func (s *Store) TopCounts(ctx context.Context, by string, from, to, now time.Time) (map[string]*TopCount, error) {
	g, ok := topGroups[by]
	if !ok {
		return nil, fmt.Errorf("store: top list of %q", by)
	}
	out := map[string]*TopCount{}
	at := func(k string) *TopCount {
		if out[k] == nil {
			out[k] = &TopCount{}
		}
		return out[k]
	}
	add := func(key, measure string, n int64) {
		switch measure {
		case "total":
			at(key).Reported += n
		case "closed":
			at(key).Closed += n
		case "voided":
			at(key).Voided += n
		}
	}
	if dayAligned(from) && dayAligned(to) && s.aggregatesBuilt(ctx) {
		rows, err := rdb{s}.QueryContext(ctx, `SELECT key, measure, sum(n) FROM eval_agg
			WHERE grp = $1 AND cut = 0 AND day >= $2 AND day < $3 AND measure IN ('total', 'closed', 'voided') GROUP BY key, measure`,
			g, DayOf(from), DayOf(to))
		if err != nil {
			return nil, fmt.Errorf("store: top %s: %w", by, err)
		}
		if err := scanTop(rows, add); err != nil {
			return nil, err
		}
	} else {
		key, join := topKeySQL(by)
		rows, err := rdb{s}.QueryContext(ctx, `SELECT `+key+`, 'total', count(DISTINCT c.id) FROM cases c `+join+`
			WHERE c.reported_at >= $1 AND c.reported_at < $2 GROUP BY 1
			UNION ALL SELECT `+key+`, c.state, count(DISTINCT c.id) FROM cases c `+join+`
			WHERE c.reported_at >= $1 AND c.reported_at < $2 AND c.state IN ('closed', 'voided') GROUP BY 1, 2`, from.UnixMilli(), to.UnixMilli())
		if err != nil {
			return nil, fmt.Errorf("store: top %s: %w", by, err)
		}
		if err := scanTop(rows, add); err != nil {
			return nil, err
		}
	}
	// Overdue now: the open cases past their deadline are few, found
	// through the (state, deadline) index.
	key, join := topKeySQL(by)
	rows, err := rdb{s}.QueryContext(ctx, `WITH o AS MATERIALIZED (SELECT id, street, category_id FROM cases
		WHERE state IN (`+openUnsuspended+`) AND deadline < $1)
		SELECT `+key+`, 'overdue', count(DISTINCT c.id) FROM o c `+join+` GROUP BY 1`, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: top %s overdue: %w", by, err)
	}
	if err := scanTop(rows, func(k, _ string, n int64) { at(k).Overdue += n }); err != nil {
		return nil, err
	}
	return out, nil
}

// topKeySQL is a top list's member of a case c: its street, its category,
// or each unit with an active task on it.
func topKeySQL(by string) (key, join string) {
	switch by {
	case TopUnit:
		return "CAST(t.unit_id AS TEXT)", "JOIN tasks t ON t.case_id = c.id AND t.state <> 'returned'"
	case TopCategory:
		return "c.category_id", ""
	}
	return "c.street", ""
}

func scanTop(rows interface {
	Next() bool
	Scan(...any) error
	Close() error
	Err() error
}, add func(key, measure string, n int64)) error {
	defer rows.Close()
	for rows.Next() {
		var key, measure string
		var n int64
		if err := rows.Scan(&key, &measure, &n); err != nil {
			return err
		}
		add(key, measure, n)
	}
	return rows.Err()
}

// ScreenCase is a case as the wall shows it: where and what, never who or
// the reporter's words.
type ScreenCase struct {
	Number       string         `json:"number"`
	Category     string         `json:"category"`
	CategoryName string         `json:"category_name"`
	Street       string         `json:"street"`
	StreetName   string         `json:"street_name"`
	Community    string         `json:"community"`
	State        caseflow.State `json:"state"`
	Unit         int64          `json:"-"` // the lead department
	UnitName     string         `json:"unit,omitempty"`
	Deadline     time.Time      `json:"deadline"` // the case's deadline, or the supervision order's reply deadline
}

// OverdueCases lists the open cases past their deadline at now, the
// longest overdue first, and how many there are.
func (s *Store) OverdueCases(ctx context.Context, now time.Time, limit int) ([]ScreenCase, int64, error) {
	var total int64
	if err := (rdb{s}).QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE state IN (`+openUnsuspended+`) AND deadline < $1`,
		now.UnixMilli()).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: overdue: %w", err)
	}
	out, err := s.screenCases(ctx, `WITH o AS MATERIALIZED (SELECT id, number, category_id, street, community, state, deadline FROM cases
		WHERE state IN (`+openUnsuspended+`) AND deadline < $1 ORDER BY deadline, id LIMIT $2)
		SELECT o.number, o.category_id, o.street, o.community, o.state, o.deadline,
			(SELECT t.unit_id FROM tasks t WHERE t.case_id = o.id AND t.lead AND t.state <> 'returned' ORDER BY t.id DESC LIMIT 1)
		FROM o ORDER BY o.deadline, o.id`, now.UnixMilli(), limit)
	return out, total, err
}

// SupervisionOrders lists the cases with a supervision order (督办)
// waiting for its answer, the earliest reply deadline first, and how many
// orders wait.
func (s *Store) SupervisionOrders(ctx context.Context, limit int) ([]ScreenCase, int64, error) {
	var total int64
	if err := (rdb{s}).QueryRowContext(ctx, `SELECT count(*) FROM watches WHERE watch_key LIKE 'sup:%'`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: supervision orders: %w", err)
	}
	out, err := s.screenCases(ctx, `SELECT c.number, c.category_id, c.street, c.community, c.state, w.deadline, w.unit_id
		FROM watches w JOIN cases c ON c.id = w.case_id WHERE w.watch_key LIKE 'sup:%'
		ORDER BY w.deadline, c.id LIMIT $1`, limit)
	return out, total, err
}

func (s *Store) screenCases(ctx context.Context, q string, args ...any) ([]ScreenCase, error) {
	rows, err := rdb{s}.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: screen cases: %w", err)
	}
	defer rows.Close()
	out := []ScreenCase{}
	for rows.Next() {
		var c ScreenCase
		var due int64
		var unit *int64
		if err := rows.Scan(&c.Number, &c.Category, &c.Street, &c.Community, &c.State, &due, &unit); err != nil {
			return nil, err
		}
		c.Deadline = time.UnixMilli(due)
		if unit != nil {
			c.Unit = *unit
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PairCount is the cases of one category in one street.
type PairCount struct {
	Street   string `json:"street"`
	Category string `json:"category"`
	Count    int64  `json:"count"`
}

// StreetCategoryCounts counts the cases reported on the days [from, to)
// (DayOf) by street and category (duplicates too: a repeat report is a
// sign the problem stands out), from the maintained counts once built.
func (s *Store) StreetCategoryCounts(ctx context.Context, from, to int64) ([]PairCount, error) {
	q, args := `SELECT street || '/' || category_id, count(*) FROM cases WHERE reported_at >= $1 AND reported_at < $2 GROUP BY street, category_id`,
		[]any{from*86400000 - shanghaiOffsetMS, to*86400000 - shanghaiOffsetMS}
	if s.aggregatesBuilt(ctx) {
		q, args = `SELECT key, sum(n) FROM eval_agg WHERE grp = $1 AND cut = 0 AND day >= $2 AND day < $3 GROUP BY key`, []any{pairGroup, from, to}
	}
	rows, err := rdb{s}.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: street × category: %w", err)
	}
	defer rows.Close()
	var out []PairCount
	for rows.Next() {
		var key string
		var p PairCount
		if err := rows.Scan(&key, &p.Count); err != nil {
			return nil, err
		}
		p.Street, p.Category, _ = strings.Cut(key, "/")
		if p.Count != 0 {
			out = append(out, p)
		}
	}
	return out, rows.Err()
}

// OpenCount counts the open cases (every state but closed and voided)
// through the (state, deadline) index: few, however many are closed.
func (s *Store) OpenCount(ctx context.Context) (int64, error) {
	var open []string
	for _, st := range caseflow.States {
		if st.Open() {
			open = append(open, "'"+string(st)+"'")
		}
	}
	var n int64
	err := (rdb{s}).QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE state IN (`+strings.Join(open, ", ")+`)`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: open cases: %w", err)
	}
	return n, nil
}
