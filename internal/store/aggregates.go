package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/ledger"
)

// Maintained aggregates for the evaluation (综合评价).
//
// Reading every case of a period cannot answer a month of a
// 10,000,000-case city in 200 ms, so each case's share of the evaluation's
// counts is kept in eval_agg, by group (department, street, community),
// member, count and day, and moved in the transaction that changes the
// case. Days are Asia/Shanghai dates (UTC+8 without daylight saving since
// 1991) as days since 1970-01-01.
//
// Some counts depend on a cutoff: a case registered in a past month counts
// as closed if it was closed before that month ended. Those counts are
// kept with a "cut" column saying when, relative to the registration
// day's calendar units, the thing was done: the tightest of its month,
// quarter, year or later (the units nest), times two, plus one when within
// its ISO week. A past calendar week, month, quarter or year sums the cuts
// that fall inside it; the current period sums them all. Other past ranges
// of days are counted from the cases.
//
// contribute below is the one definition of a case's share; the plain SQL
// in EvaluationCounts stays as the recount it must agree with
// (TestAggregatesAgreeWithRecount), and RebuildAggregates recomputes the
// table from the cases with contribute.

// Cuts: the calendar units a cutoff count can be asked for.
const (
	cutNone = iota // every close recorded so far
	cutWeek        // before the end of the registration day's ISO week
	cutMonth
	cutQuarter
	cutYear
	cuts
)

// cutEnds returns, for a day, the first day after its week, month,
// quarter and year (index by cut; index 0 is unused).
func cutEnds(day int64) [cuts]int64 {
	t := time.Unix(day*86400, 0).UTC()
	y, m, d := t.Date()
	num := func(t time.Time) int64 { return t.Unix() / 86400 }
	q := time.Month((int(m)-1)/3*3 + 1)
	return [cuts]int64{0,
		num(time.Date(y, m, d+7-(int(t.Weekday())+6)%7, 0, 0, 0, 0, time.UTC)),
		num(time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)),
		num(time.Date(y, q+3, 1, 0, 0, 0, 0, time.UTC)),
		num(time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC))}
}

// cutOf is the cut column of something counted by day and done on done:
// 2 × (1 month, 2 quarter, 3 year, 4 later: the tightest unit of day's
// that done falls in) + 1 if done falls in day's week. Values 2 to 9;
// uncut counts have 0.
func cutOf(day, done int64) int64 {
	e := cutEnds(day)
	level := int64(4)
	for _, c := range []int{cutYear, cutQuarter, cutMonth} { // widest first: the units nest
		if done < e[c] {
			level = int64(c - 1)
		}
	}
	v := 2 * level
	if done < e[cutWeek] {
		v++
	}
	return v
}

// cutValues lists the cut column values counted for a cut.
func cutValues(cut int) []int64 {
	var out []int64
	for v := int64(2); v <= 9; v++ {
		level, week := v/2, v%2 == 1
		switch {
		case cut == cutNone,
			cut == cutWeek && week,
			cut == cutMonth && level <= 1,
			cut == cutQuarter && level <= 2,
			cut == cutYear && level <= 3:
			out = append(out, v)
		}
	}
	return out
}

// periodCut says which cut answers a period [from, to) of days with its
// counts cut at to: a calendar week, month, quarter or year; ok false for
// any other range.
func periodCut(from, to int64) (int, bool) {
	e := cutEnds(from)
	starts := cutEnds(from - 1) // the unit holding the day before starts at from
	for c := cutWeek; c < cuts; c++ {
		if starts[c] == from && e[c] == to {
			return c, true
		}
	}
	return 0, false
}

// aggKey is one cell of eval_agg.
type aggKey struct {
	grp     ledger.Group
	key     string // unit id, or division code
	measure string
	day     int64
	cut     int64 // a cut for the counts that have one, else 0
}

const shanghaiOffsetMS = 8 * 3600 * 1000

// DayOf is t's date in Asia/Shanghai as days since 1970-01-01.
func DayOf(t time.Time) int64 {
	ms := t.UnixMilli() + shanghaiOffsetMS
	d := ms / 86400000
	if ms%86400000 < 0 {
		d--
	}
	return d
}

// dayAligned reports whether t is midnight in Asia/Shanghai.
func dayAligned(t time.Time) bool {
	return (t.UnixMilli()+shanghaiOffsetMS)%86400000 == 0
}

// callback is what the aggregates need of a callback (回访) event.
type callback struct {
	at                       time.Time
	rated, solved, satisfied bool // rated: the requester was reached and gave an answer
	full                     bool // rated 满意 (not 基本满意)
	dissatisfied             bool
	unjustified              bool // a 不满意 the review found not justified: out of the rates
}

// ratings folds a hotline order's callback and review events, in order,
// into its callbacks: a review that finds the last 不满意 not justified
// takes that callback out of the rates.
func ratings(list []callback, ev *caseflow.Event) []callback {
	switch ev.Action {
	case caseflow.ActCallback:
		return append(list, callbackOf(ev))
	case caseflow.ActReview:
		if ev.Data.Justified == nil || *ev.Data.Justified {
			return list
		}
		for i := len(list) - 1; i >= 0; i-- {
			if list[i].rated {
				list[i].unjustified = list[i].dissatisfied
				break
			}
		}
	}
	return list
}

// contribute adds sign × the case's share of the evaluation counts to m.
// It mirrors EvaluationCounts' SQL: change both together.
func contribute(m map[aggKey]int64, c *caseflow.Case, callbacks []callback, sign int64) {
	add := func(g ledger.Group, key, measure string, day, cut int64) {
		k := aggKey{g, key, measure, day, cut}
		m[k] += sign
		if m[k] == 0 {
			delete(m, k)
		}
	}
	// addCut counts something done on day done, for the day it counts by.
	addCut := func(g ledger.Group, key, measure string, day, done int64) {
		add(g, key, measure, day, cutOf(day, done))
	}
	type member struct {
		g   ledger.Group
		key string
	}
	// A case counts for its street, its community and the department
	// leading it (each active lead task, as the SQL join does).
	members := []member{{ledger.ByStreet, c.Place.Street}, {ledger.ByCommunity, c.Place.Community}}
	for _, t := range c.Tasks {
		if t.Lead && t.State != caseflow.TaskReturned {
			members = append(members, member{ledger.ByDepartment, strconv.FormatInt(t.UnitID, 10)})
		}
	}
	contributeLedger(add, c)
	contributeStages(add, c)
	contributeMap(func(tile int64, unitGrid, measure string, open, v int64) {
		k := aggKey{mapGroup, unitGrid, measure, tile, open}
		m[k] += sign * v
		if m[k] == 0 {
			delete(m, k)
		}
	}, c)
	due := c.State != caseflow.Voided && c.State != caseflow.Suspended
	if !c.RegisteredAt.IsZero() {
		rd := DayOf(c.RegisteredAt)
		for _, mb := range members {
			add(mb.g, mb.key, "registered", rd, 0)
			if !due {
				continue
			}
			add(mb.g, mb.key, "due", rd, 0)
			if !c.ClosedAt.IsZero() {
				cd := DayOf(c.ClosedAt)
				addCut(mb.g, mb.key, "closed", rd, cd)
				if c.CloseType == caseflow.CloseNormal {
					addCut(mb.g, mb.key, "closed_on_time", rd, cd)
				}
			}
			if c.Reworks > 0 || c.Reopens > 0 {
				add(mb.g, mb.key, "reworked", rd, 0)
			}
		}
	}
	// Tasks count for their own department and the case's areas.
	if due {
		for _, t := range c.Tasks {
			if t.DispatchedAt.IsZero() || t.State == caseflow.TaskReturned {
				continue
			}
			dd := DayOf(t.DispatchedAt)
			for _, mb := range []member{{ledger.ByDepartment, strconv.FormatInt(t.UnitID, 10)},
				{ledger.ByStreet, c.Place.Street}, {ledger.ByCommunity, c.Place.Community}} {
				add(mb.g, mb.key, "tasks", dd, 0)
				if t.DoneAt.IsZero() {
					continue
				}
				hd := DayOf(t.DoneAt)
				addCut(mb.g, mb.key, "handled", dd, hd)
				if !t.Deadline.IsZero() && t.DoneAt.UnixMilli() <= t.Deadline.UnixMilli() {
					addCut(mb.g, mb.key, "handled_on_time", dd, hd)
				}
			}
		}
	}
	if c.Channel != caseflow.ChannelHotline {
		return
	}
	if c.DuplicateOf == 0 {
		rd := DayOf(c.ReportedAt)
		for _, mb := range members {
			add(mb.g, mb.key, "hotline", rd, 0)
		}
	}
	// 响应率: the lead's first contact, by the day its limit falls, for
	// the department and the order's areas. Contacted by the limit means
	// contacted before that day ends, so the count needs no cut.
	if c.State != caseflow.Voided {
		for _, t := range c.Tasks {
			if !t.Lead || t.State == caseflow.TaskReturned || t.ContactDue.IsZero() {
				continue
			}
			d := DayOf(t.ContactDue)
			for _, mb := range []member{{ledger.ByDepartment, strconv.FormatInt(t.UnitID, 10)},
				{ledger.ByStreet, c.Place.Street}, {ledger.ByCommunity, c.Place.Community}} {
				add(mb.g, mb.key, "contact_due", d, 0)
				if !t.ContactedAt.IsZero() && !t.ContactedAt.After(t.ContactDue) {
					add(mb.g, mb.key, "contacted_on_time", d, 0)
				}
			}
		}
	}
	for _, cb := range callbacks {
		if c.DuplicateOf != 0 {
			break // a merged order's caller rates the order it was merged into, counted once there
		}
		if !cb.rated {
			continue // an attempt that did not reach the requester, or was refused
		}
		d := DayOf(cb.at)
		for _, mb := range members {
			if cb.unjustified {
				add(mb.g, mb.key, "unjustified", d, 0)
				continue
			}
			add(mb.g, mb.key, "callbacks", d, 0)
			if cb.solved {
				add(mb.g, mb.key, "solved", d, 0)
			}
			if cb.satisfied {
				add(mb.g, mb.key, "satisfied", d, 0)
			}
			if cb.full {
				add(mb.g, mb.key, "fully_satisfied", d, 0)
			}
		}
	}
}

// Ledger groups: the 台账 totals of a street, community, category or
// department (cases with an active task of the unit), and of the whole
// district, by report day. They count the case's current state.
const (
	ledgerAll       ledger.Group = "ledger"
	ledgerStreet    ledger.Group = "ledger.street"
	ledgerCommunity ledger.Group = "ledger.community"
	ledgerCategory  ledger.Group = "ledger.category"
	ledgerUnit      ledger.Group = "ledger.unit"
)

// contributeLedger adds sign × the case's share of the ledger totals.
func contributeLedger(add func(g ledger.Group, key, measure string, day, cut int64), c *caseflow.Case) {
	d := DayOf(c.ReportedAt)
	members := [][2]string{{string(ledgerAll), ""}, {string(ledgerStreet), c.Place.Street},
		{string(ledgerCommunity), c.Place.Community}, {string(ledgerCategory), c.CategoryID}}
	var units []int64
	for _, t := range c.Tasks {
		if t.State != caseflow.TaskReturned && !slices.Contains(units, t.UnitID) {
			units = append(units, t.UnitID)
			members = append(members, [2]string{string(ledgerUnit), strconv.FormatInt(t.UnitID, 10)})
		}
	}
	for _, mb := range members {
		g := ledger.Group(mb[0])
		add(g, mb[1], "total", d, 0)
		switch c.State {
		case caseflow.Closed:
			add(g, mb[1], "closed", d, 0)
		case caseflow.Voided:
			add(g, mb[1], "voided", d, 0)
		case caseflow.Suspended:
			add(g, mb[1], "suspended", d, 0)
		}
		if c.Reworks > 0 || c.Reopens > 0 {
			add(g, mb[1], "reworked", d, 0)
		}
		if c.DuplicateOf != 0 {
			add(g, mb[1], "duplicates", d, 0)
		}
	}
}

// stageGroup holds the district's cases reaching each stage by the day
// they reach it (the command display's 今日 and 本月): reported, registered,
// each lead task dispatched (returned or not: the dispatch happened) and
// closed. StageDays reads it; stageSQL is the recount it must agree with.
const stageGroup ledger.Group = "stage"

// pairGroup holds the cases reported by street × category ("street/category")
// and report day: the week's focus sentence (StreetCategoryCounts).
const pairGroup ledger.Group = "stage.pair"

// contributeStages adds sign × the case's share of the stage counts.
func contributeStages(add func(g ledger.Group, key, measure string, day, cut int64), c *caseflow.Case) {
	add(stageGroup, "", StageReported, DayOf(c.ReportedAt), 0)
	add(pairGroup, c.Place.Street+"/"+c.CategoryID, StageReported, DayOf(c.ReportedAt), 0)
	if !c.RegisteredAt.IsZero() {
		add(stageGroup, "", StageRegistered, DayOf(c.RegisteredAt), 0)
	}
	for _, t := range c.Tasks {
		if t.Lead && !t.DispatchedAt.IsZero() {
			add(stageGroup, "", StageDispatched, DayOf(t.DispatchedAt), 0)
		}
	}
	if c.State == caseflow.Closed && !c.ClosedAt.IsZero() {
		add(stageGroup, "", StageClosed, DayOf(c.ClosedAt), 0)
	}
}

// mapGroup marks the map's counts, kept in map_agg rather than eval_agg:
// per 0.0025° tile and unit grid, open (1) or closed and voided (0), the
// number of cases ("n") and the sums of their points ("lon", "lat") in
// millionths of a degree, so that a cluster is placed at its cases' mean.
// In an aggKey the tile is the day and open the cut.
const mapGroup ledger.Group = "map"

// mapOpen is a case's open column in map_agg.
func mapOpen(st caseflow.State) int64 {
	if st == caseflow.Closed || st == caseflow.Voided {
		return 0
	}
	return 1
}

// contributeMap adds the case's share of the map's counts.
func contributeMap(add func(tile int64, unitGrid, measure string, open, v int64), c *caseflow.Case) {
	r, col := tileOf(c.Point.Lon, c.Point.Lat)
	tile, open := r*tileRow+col, mapOpen(c.State)
	add(tile, c.Place.UnitGrid, "n", open, 1)
	add(tile, c.Place.UnitGrid, "lon", open, int64(math.Round(c.Point.Lon*1e6)))
	add(tile, c.Place.UnitGrid, "lat", open, int64(math.Round(c.Point.Lat*1e6)))
}

// approvalCounts names the approvals counted by the day they happen.
var approvalCounts = map[caseflow.Action]string{caseflow.ActApproveReturn: "returned",
	caseflow.ActApproveExtension: "extended", caseflow.ActApproveSuspension: "suspended"}

// eventCounts are the events counted by the day they happen, beside the
// approvals: a return refused, a return disputed (派单争议), and the
// arbitration's outcome.
var eventCounts = map[caseflow.Action]string{caseflow.ActRefuseReturn: "return_refused", caseflow.ActDispute: "disputed"}

// eventMeasures are the counts an event adds: an approval's, a dispute's,
// or an arbitration's outcome — another lead, or the department that asked
// to return leading again — and whether it came after its limit.
func eventMeasures(ev *caseflow.Event) []string {
	if m, ok := approvalCounts[ev.Action]; ok {
		return []string{m}
	}
	if m, ok := eventCounts[ev.Action]; ok {
		return []string{m}
	}
	if ev.Action != caseflow.ActArbitrate {
		return nil
	}
	out := []string{"arbitrated_away"}
	for _, a := range ev.Data.Assignments {
		if a.Lead && a.UnitID == ev.Data.UnitID {
			out[0] = "arbitrated_back"
		}
	}
	if d := ev.Data.ArbitrationDue; d != nil && ev.At.After(*d) {
		out = append(out, "arbitrated_late")
	}
	return out
}

// contributeEvent adds an event's own share (eventMeasures): for the
// task's department (none when the event names no task) and the case's
// areas, on the day it happens. Events are never changed, and neither
// are a task's unit or a case's place, so this share never moves.
func contributeEvent(m map[aggKey]int64, c *caseflow.Case, ev *caseflow.Event) {
	measures := eventMeasures(ev)
	if len(measures) == 0 {
		return
	}
	unit := ""
	for _, t := range c.Tasks {
		if ev.TaskID != 0 && t.ID == ev.TaskID {
			unit = strconv.FormatInt(t.UnitID, 10)
		}
	}
	d := DayOf(ev.At)
	for _, measure := range measures {
		m[aggKey{ledger.ByDepartment, unit, measure, d, 0}]++
		m[aggKey{ledger.ByStreet, c.Place.Street, measure, d, 0}]++
		m[aggKey{ledger.ByCommunity, c.Place.Community, measure, d, 0}]++
	}
}

func callbackOf(ev *caseflow.Event) callback {
	sat := ev.Data.Satisfied != nil && *ev.Data.Satisfied
	// Before the three-point scale a callback said yes or no: yes is 满意.
	full := ev.Data.Rating == caseflow.RatingSatisfied || ev.Data.Rating == "" && sat
	return callback{at: ev.At, rated: ev.Data.Satisfied != nil, solved: ev.Data.Solved != nil && *ev.Data.Solved,
		satisfied: sat, full: full, dissatisfied: ev.Data.Satisfied != nil && !sat}
}

// loadCallbacks reads a hotline case's callbacks; other cases have none
// that count.
func loadCallbacks(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, c *caseflow.Case) ([]callback, error) {
	if c.Channel != caseflow.ChannelHotline {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, selectCallbacksSQL, c.ID)
	if err != nil {
		return nil, fmt.Errorf("store: callbacks of case %d: %w", c.ID, err)
	}
	defer rows.Close()
	var out []callback
	for rows.Next() {
		var at int64
		var action caseflow.Action
		var data string
		if err := rows.Scan(&action, &at, &data); err != nil {
			return nil, err
		}
		var d caseflow.EventData
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return nil, err
		}
		out = ratings(out, &caseflow.Event{Action: action, At: time.UnixMilli(at), Data: d})
	}
	return out, rows.Err()
}

const (
	selectCallbacksSQL = `SELECT action, at, data FROM events WHERE case_id = $1 AND action IN ('callback', 'review') ORDER BY seq`
	aggInsertHead      = `INSERT INTO eval_agg (grp, key, measure, day, cut, shard, n)`
	aggOnConflict      = ` ON CONFLICT (grp, cut, day, measure, key, shard) DO UPDATE SET n = eval_agg.n + excluded.n`
	upsertAggSQL       = aggInsertHead + ` VALUES ($1, $2, $3, $4, $5, $6, $7)` + aggOnConflict
)

// applyAgg writes the changes in m, in a fixed order so that concurrent
// PostgreSQL transactions lock rows in the same order.
func applyAgg(ctx context.Context, tx *wtx, m map[aggKey]int64) error {
	return applyAggShard(ctx, tx, m, 0)
}

// aggShards spreads one case's changes on PostgreSQL: every report adds to
// today's district total, and transactions adding to one row wait for each
// other's commits. Each transaction picks one of aggShards rows per cell;
// the readers sum them. SQLite has one writer and keeps one row.
const aggShards = 16

// applyAggCase writes one case's changes, on a random shard on PostgreSQL.
func applyAggCase(ctx context.Context, tx *wtx, m map[aggKey]int64) error {
	shard := 0
	if tx.s.dialect == Postgres {
		shard = rand.IntN(aggShards)
	}
	return applyAggShard(ctx, tx, m, shard)
}

func applyAggShard(ctx context.Context, tx *wtx, m map[aggKey]int64, shard int) error {
	if len(m) == 0 {
		return nil
	}
	type cell struct {
		tile int64
		grid string
		open int64
	}
	cells := map[cell]*[3]int64{}
	keys := make([]aggKey, 0, len(m))
	for k, v := range m {
		if k.grp != mapGroup {
			keys = append(keys, k)
			continue
		}
		c := cell{k.day, k.key, k.cut}
		if cells[c] == nil {
			cells[c] = new([3]int64)
		}
		cells[c][slices.Index(mapMeasures, k.measure)] += v
	}
	slices.SortFunc(keys, func(a, b aggKey) int {
		return cmp.Or(strings.Compare(string(a.grp), string(b.grp)), cmp.Compare(a.cut, b.cut), cmp.Compare(a.day, b.day),
			strings.Compare(a.measure, b.measure), strings.Compare(a.key, b.key))
	})
	rows := make([][]any, 0, len(keys))
	for _, k := range keys {
		rows = append(rows, []any{k.grp, k.key, k.measure, k.day, k.cut, shard, m[k]})
	}
	if err := upsertRows(ctx, tx, aggInsertHead, aggOnConflict, upsertAggSQL, 7, rows); err != nil {
		return fmt.Errorf("store: evaluation aggregates: %w", err)
	}
	cs := slices.SortedFunc(maps.Keys(cells), func(a, b cell) int {
		return cmp.Or(cmp.Compare(a.tile, b.tile), strings.Compare(a.grid, b.grid), cmp.Compare(a.open, b.open))
	})
	rows = rows[:0]
	for _, c := range cs {
		if v := cells[c]; *v != [3]int64{} {
			rows = append(rows, []any{c.tile, c.grid, c.open, shard, v[0], v[1], v[2]})
		}
	}
	if err := upsertRows(ctx, tx, mapInsertHead, mapOnConflict, upsertMapSQL, 7, rows); err != nil {
		return fmt.Errorf("store: map aggregates: %w", err)
	}
	return nil
}

// mapMeasures are the map's counts in the order of a map_agg row.
var mapMeasures = []string{"n", "lon", "lat"}

const (
	mapInsertHead = `INSERT INTO map_agg (tile, unit_grid, open, shard, n, lon, lat)`
	mapOnConflict = ` ON CONFLICT (tile, unit_grid, open, shard) DO UPDATE SET n = map_agg.n + excluded.n,
		lon = map_agg.lon + excluded.lon, lat = map_agg.lat + excluded.lat`
	upsertMapSQL = mapInsertHead + ` VALUES ($1, $2, $3, $4, $5, $6, $7)` + mapOnConflict
)

// upsertRows runs one (head VALUES (…) onConflict) for each row of cols
// values; many rows (a bulk load, a rebuild) go 100 a statement.
func upsertRows(ctx context.Context, tx *wtx, head, onConflict, one string, cols int, rows [][]any) error {
	const per = 100
	if len(rows) >= per {
		q := multiInsert(map[int]string{}, head, cols, per, tx.s.dialect == SQLite) + onConflict
		st := tx.s.writeStmt(q)
		if st == nil {
			var err error
			if st, err = tx.PrepareContext(ctx, q); err != nil {
				return err
			}
			defer st.Close()
		} else {
			st = tx.StmtContext(ctx, st)
		}
		args := make([]any, 0, cols*per)
		for len(rows) >= per {
			args = args[:0]
			for _, r := range rows[:per] {
				args = append(args, r...)
			}
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return err
			}
			rows = rows[per:]
		}
	}
	if len(rows) == 0 {
		return nil
	}
	for _, r := range rows {
		if _, err := tx.ExecContext(ctx, one, r...); err != nil {
			return err
		}
	}
	return nil
}

// cloneCase copies what contribute reads: the case and its tasks.
func cloneCase(c *caseflow.Case) *caseflow.Case {
	old := *c
	old.Tasks = slices.Clone(c.Tasks)
	return &old
}

// aggVersion is the version of contribute's definition: a table built by
// another version is rebuilt at start-up.
const aggVersion = 10 // 9: the stage counts (stageGroup); 10: street × category (pairGroup)

// aggregatesBuilt reports whether eval_agg is complete and current; until
// RebuildAggregates has run, evaluations and ledgers count the cases.
// Once seen complete it stays so (a rebuild replaces the table in one
// transaction), so later calls ask no more.
func (s *Store) aggregatesBuilt(ctx context.Context) bool {
	if s.aggBuilt.Load() {
		return true
	}
	var built int
	err := rdb{s}.QueryRowContext(ctx, `SELECT built FROM eval_agg_state`).Scan(&built)
	ok := err == nil && built == aggVersion
	s.aggBuilt.Store(ok)
	return ok
}

// RebuildAggregates recomputes eval_agg from every case, in one
// transaction. Migrate runs it once after the table is created; `xiuhua
// migrate -rebuild-aggregates` runs it again.
func (s *Store) RebuildAggregates(ctx context.Context) (cases int64, err error) {
	start := time.Now()
	err = s.tx(ctx, func(tx *wtx) error {
		for _, t := range []string{"eval_agg", "map_agg"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
				return err
			}
		}
		// Cases come in id order, which is nearly time order, so a chunk's
		// shares fall on few days: each chunk is added to the table and
		// forgotten, and memory stays small at any size.
		m := map[aggKey]int64{}
		const chunk = 20000
		var last int64
		for {
			cs, err := s.readCasesAfter(ctx, tx.Tx, last, chunk)
			if err != nil {
				return err
			}
			if len(cs) == 0 {
				break
			}
			lo, hi := cs[0].ID, cs[len(cs)-1].ID
			cbs, err := rangeEvents(ctx, tx.Tx, lo, hi, m, cs)
			if err != nil {
				return err
			}
			for i := range cs {
				contribute(m, &cs[i], cbs[cs[i].ID], 1)
			}
			cases += int64(len(cs))
			last = hi
			if err := applyAgg(ctx, tx, m); err != nil {
				return err
			}
			clear(m)
		}
		_, err := tx.ExecContext(ctx, `UPDATE eval_agg_state SET built = $1`, aggVersion)
		return err
	})
	if err == nil {
		slog.Info("store: evaluation aggregates rebuilt", "cases", cases, "took", time.Since(start).Round(time.Millisecond))
	}
	return cases, err
}

// readCasesAfter reads up to n cases with ids above after, with tasks.
func (s *Store) readCasesAfter(ctx context.Context, q *sql.Tx, after int64, n int) ([]caseflow.Case, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+caseCols+` FROM cases WHERE id > $1 ORDER BY id LIMIT $2`, after, n)
	if err != nil {
		return nil, err
	}
	var cs []caseflow.Case
	for rows.Next() {
		var c caseflow.Case
		if err := scanCase(rows, &c); err != nil {
			rows.Close()
			return nil, err
		}
		cs = append(cs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(cs) == 0 {
		return cs, err
	}
	idx := make(map[int64]int, len(cs))
	for i := range cs {
		idx[cs[i].ID] = i
	}
	trows, err := q.QueryContext(ctx, `SELECT `+taskCols+` FROM tasks WHERE case_id >= $1 AND case_id <= $2 ORDER BY id`,
		cs[0].ID, cs[len(cs)-1].ID)
	if err != nil {
		return nil, err
	}
	defer trows.Close()
	for trows.Next() {
		var t caseflow.Task
		var cid int64
		if err := scanTask(trows, &t, &cid); err != nil {
			return nil, err
		}
		if i, ok := idx[cid]; ok {
			cs[i].Tasks = append(cs[i].Tasks, t)
		}
	}
	return cs, trows.Err()
}

// rangeEvents reads the callbacks, approvals, disputes and arbitrations of
// cases lo..hi: callbacks are returned by case, the others added to m.
func rangeEvents(ctx context.Context, q *sql.Tx, lo, hi int64, m map[aggKey]int64, cs []caseflow.Case) (map[int64][]callback, error) {
	rows, err := q.QueryContext(ctx, `SELECT case_id, action, task_id, at, data FROM events
		WHERE case_id >= $1 AND case_id <= $2
		AND action || '' IN ('callback', 'review', 'approve_return', 'approve_extension', 'approve_suspension',
			'refuse_return', 'dispute', 'arbitrate')
		ORDER BY case_id, seq`, lo, hi) // by case, not by the action index; a review follows its callback
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := make(map[int64]*caseflow.Case, len(cs))
	for i := range cs {
		byID[cs[i].ID] = &cs[i]
	}
	out := map[int64][]callback{}
	for rows.Next() {
		var ev caseflow.Event
		var task sql.NullInt64
		var at int64
		var data string
		if err := rows.Scan(&ev.CaseID, &ev.Action, &task, &at, &data); err != nil {
			return nil, err
		}
		ev.TaskID, ev.At = task.Int64, time.UnixMilli(at)
		c := byID[ev.CaseID]
		if c == nil {
			continue
		}
		if ev.Action == caseflow.ActCallback || ev.Action == caseflow.ActReview || ev.Action == caseflow.ActArbitrate {
			if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
				return nil, err
			}
		}
		if ev.Action != caseflow.ActCallback && ev.Action != caseflow.ActReview {
			contributeEvent(m, c, &ev)
			continue
		}
		out[ev.CaseID] = ratings(out[ev.CaseID], &ev)
	}
	return out, rows.Err()
}

// aggregateCounts answers an evaluation from eval_agg: the days [from,
// to), with the counts that have a cut taken at cut.
func (s *Store) aggregateCounts(ctx context.Context, g ledger.Group, from, to int64, cut int, add func(string, string, int64)) error {
	var in []string
	for _, v := range append([]int64{0}, cutValues(cut)...) {
		in = append(in, strconv.FormatInt(v, 10))
	}
	rows, err := rdb{s}.QueryContext(ctx, `SELECT key, measure, sum(n) FROM eval_agg
		WHERE grp = $1 AND cut IN (`+strings.Join(in, ", ")+`) AND day >= $2 AND day < $3 GROUP BY key, measure`, g, from, to)
	if err != nil {
		return fmt.Errorf("store: evaluation aggregates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, measure string
		var n int64
		if err := rows.Scan(&key, &measure, &n); err != nil {
			return err
		}
		if n != 0 {
			add(key, measure, n)
		}
	}
	return rows.Err()
}

// ledgerFromAggregates answers a ledger's totals from eval_agg when the
// filter is whole days of reports and at most one street, community,
// category or department; ok false otherwise. Overdue is counted from the
// open cases.
func (s *Store) ledgerFromAggregates(ctx context.Context, f CaseFilter) (c LedgerCounts, ok bool, err error) {
	if f.Recount || f.State != "" || f.Channel != "" || f.Grid != "" || f.Grids != nil || f.Text != "" || f.Number != "" || f.Phone != "" || f.Reporter != 0 || f.Overdue || f.Requested || f.Supervised || f.CallBack || f.Review ||
		(f.Category != "" && len(f.Category) < 6) {
		return c, false, nil
	}
	g, key, n := ledgerAll, "", 0
	for _, d := range []struct {
		g ledger.Group
		v string
	}{{ledgerStreet, f.Street}, {ledgerCommunity, f.Community}, {ledgerCategory, f.Category}} {
		if d.v != "" {
			g, key, n = d.g, d.v, n+1
		}
	}
	if f.UnitID != 0 {
		g, key, n = ledgerUnit, strconv.FormatInt(f.UnitID, 10), n+1
	}
	from, to := int64(math.MinInt32), int64(math.MaxInt32)
	if !f.From.IsZero() {
		from = DayOf(f.From)
	}
	if !f.To.IsZero() {
		to = DayOf(f.To)
	}
	if n > 1 || (!f.From.IsZero() && !dayAligned(f.From)) || (!f.To.IsZero() && !dayAligned(f.To)) || !s.aggregatesBuilt(ctx) {
		return c, false, nil
	}
	rows, err := rdb{s}.QueryContext(ctx, `SELECT measure, sum(n) FROM eval_agg
		WHERE grp = $1 AND cut = 0 AND day >= $2 AND day < $3 AND key = $4 GROUP BY measure`, g, from, to, key)
	if err != nil {
		return c, false, fmt.Errorf("store: ledger aggregates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m string
		var v int64
		if err := rows.Scan(&m, &v); err != nil {
			return c, false, err
		}
		switch m {
		case "total":
			c.Total = v
		case "closed":
			c.Closed = v
		case "voided":
			c.Voided = v
		case "suspended":
			c.Suspended = v
		case "reworked":
			c.Reworked = v
		case "duplicates":
			c.Duplicates = v
		}
	}
	if err := rows.Err(); err != nil {
		return c, false, err
	}
	c.Open = c.Total - c.Closed - c.Voided
	// Overdue: the open cases past their deadline now, found through the
	// (state, deadline) index (materialized, so that no planner prefers a
	// street's or a period's index and reads all its cases), then filtered.
	where, args := f.where()
	args = append(args, f.Now.UnixMilli())
	q := fmt.Sprintf(`WITH o AS MATERIALIZED (SELECT * FROM cases WHERE state IN (%s) AND deadline < $%d) SELECT count(*) FROM o`,
		openUnsuspended, len(args)) + where
	if err := (rdb{s}).QueryRowContext(ctx, q, args...).Scan(&c.Overdue); err != nil {
		return c, false, fmt.Errorf("store: ledger overdue: %w", err)
	}
	return c, true, nil
}
