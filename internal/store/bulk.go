package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
)

// Loader bulk-loads finished case histories (the simulator, imports):
// ids are assigned here, rows go in with multi-row INSERTs, and each batch
// is one transaction. It is not safe for concurrent use, and it assumes no
// other writer adds cases while it runs. It writes no photo references
// (PhotoCases): a loaded history names no uploaded photo — the
// simulator's are placeholder names — so no original is served for one.
type Loader struct {
	s                       *Store
	ctx                     context.Context
	nextCase, nextTask      int64
	nextEvent               int64
	cases                   []*caseflow.Case
	events                  [][]caseflow.Event
	batch                   int
	caseSQL, taskSQL, evSQL map[int]string
	refSQL                  map[int]string
	stmts                   map[string]*sql.Stmt
	Loaded                  int64
	bigCache                bool // the writer's page cache raised for the load

	// Alerting and Now, when set, start watching the deadlines of open
	// cases as of Now: stages that fell before Now count as done (their
	// reminders are in the loaded events), later ones are the watcher's.
	Alerting Alerting
	Now      time.Time
}

// NewLoader starts a bulk load.
func (s *Store) NewLoader(ctx context.Context) (*Loader, error) {
	l := &Loader{s: s, ctx: ctx, batch: 500, caseSQL: map[int]string{}, taskSQL: map[int]string{}, evSQL: map[int]string{}, refSQL: map[int]string{},
		stmts: map[string]*sql.Stmt{}}
	for _, p := range []struct {
		table string
		v     *int64
	}{{"cases", &l.nextCase}, {"tasks", &l.nextTask}, {"events", &l.nextEvent}} {
		if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) + 1 FROM `+p.table).Scan(p.v); err != nil {
			return nil, fmt.Errorf("store: loader: %w", err)
		}
	}
	return l, nil
}

// SetBatch sets how many cases go in one transaction (default 500); an
// import that must land whole sets it above its row count.
func (l *Loader) SetBatch(n int) { l.batch = max(n, 1) }

// Add queues a case with its events (seq order). c.ID, task ids and event
// ids are assigned.
func (l *Loader) Add(c *caseflow.Case, events []caseflow.Event) error {
	c.ID = l.nextCase
	l.nextCase++
	for i := range c.Tasks {
		c.Tasks[i].ID = l.nextTask
		l.nextTask++
	}
	for i := range events {
		events[i].CaseID = c.ID
		events[i].ID = l.nextEvent
		l.nextEvent++
		// Events name tasks by unit until they have ids.
		if events[i].TaskID == 0 && events[i].Data.UnitID != 0 {
			for _, t := range c.Tasks {
				if t.UnitID == events[i].Data.UnitID {
					events[i].TaskID = t.ID
				}
			}
		}
	}
	l.cases = append(l.cases, c)
	l.events = append(l.events, events)
	if len(l.cases) >= l.batch {
		return l.Flush()
	}
	return nil
}

// multiInsert builds a multi-row INSERT. SQLite gets anonymous "?"
// parameters: it looks numbered ones up by name, which is quadratic in
// their count and made bulk loads ten times slower.
func multiInsert(cache map[int]string, head string, cols, rows int, anon bool) string {
	if q, ok := cache[rows]; ok {
		return q
	}
	var b strings.Builder
	b.WriteString(head)
	b.WriteString(" VALUES ")
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		if anon {
			b.WriteString(strings.TrimSuffix(strings.Repeat("?, ", cols), ", "))
		} else {
			b.WriteString(placeholders(r*cols+1, cols))
		}
		b.WriteString(")")
	}
	cache[rows] = b.String()
	return cache[rows]
}

// Flush writes what is queued.
func (l *Loader) Flush() error {
	if len(l.cases) == 0 {
		return nil
	}
	// Prepare outside the transaction: SQLite's write pool has one
	// connection, which the transaction holds.
	nt, ne := 0, 0
	for i, c := range l.cases {
		nt += len(c.Tasks)
		ne += len(l.events[i])
	}
	refs := l.photoRefs()
	for _, p := range []struct {
		cache map[int]string
		head  string
		cols  int
		rows  int
		max   int
	}{{l.caseSQL, `INSERT INTO cases (` + caseCols + `)`, caseN, len(l.cases), 500},
		{l.taskSQL, `INSERT INTO tasks (` + taskCols + `, case_state)`, taskN + 1, nt, 1000},
		{l.evSQL, `INSERT INTO events (` + eventCols + `)`, 13, ne, 1000},
		{l.refSQL, `INSERT INTO photo_refs (photo_id, case_id)`, 2, len(refs) / 2, 1000}} {
		for _, n := range []int{min(p.rows, p.max), p.rows % p.max} {
			if n == 0 {
				continue
			}
			q := multiInsert(p.cache, p.head, p.cols, n, l.s.dialect == SQLite)
			if _, ok := l.stmts[q]; ok {
				continue
			}
			st, err := l.s.w.PrepareContext(l.ctx, q)
			if err != nil {
				return fmt.Errorf("store: loader: prepare: %w", err)
			}
			l.stmts[q] = st
		}
	}
	err := l.s.tx(l.ctx, func(tx *wtx) error {
		// Cases, at most 500 rows a statement.
		var args []any
		for _, c := range l.cases {
			args = append(args, c.ID)
			args = append(args, caseArgs(c)...)
		}
		if err := l.execChunks(l.ctx, tx, l.caseSQL, `INSERT INTO cases (`+caseCols+`)`, caseN, args, 500); err != nil {
			return fmt.Errorf("store: bulk cases: %w", err)
		}
		args = args[:0]
		for _, c := range l.cases {
			for i := range c.Tasks {
				args = append(args, c.Tasks[i].ID)
				args = append(args, taskArgs(c.ID, c.State, &c.Tasks[i])...)
			}
		}
		if err := l.execChunks(l.ctx, tx, l.taskSQL, `INSERT INTO tasks (`+taskCols+`, case_state)`, taskN+1, args, 1000); err != nil {
			return fmt.Errorf("store: bulk tasks: %w", err)
		}
		args = args[:0]
		for _, evs := range l.events {
			for i := range evs {
				ea, err := eventArgs(&evs[i])
				if err != nil {
					return err
				}
				args = append(args, evs[i].ID)
				args = append(args, ea...)
			}
		}
		if err := l.execChunks(l.ctx, tx, l.evSQL, `INSERT INTO events (`+eventCols+`)`, 13, args, 1000); err != nil {
			return fmt.Errorf("store: bulk events: %w", err)
		}
		if err := l.execChunks(l.ctx, tx, l.refSQL, `INSERT INTO photo_refs (photo_id, case_id)`, 2, refs, 1000); err != nil {
			return fmt.Errorf("store: bulk photo refs: %w", err)
		}
		agg := map[aggKey]int64{}
		for i, c := range l.cases {
			var callbacks []callback
			for j := range l.events[i] {
				if e := &l.events[i][j]; e.Action == caseflow.ActCallback || e.Action == caseflow.ActReview {
					callbacks = ratings(callbacks, e)
				} else {
					contributeEvent(agg, c, e)
				}
			}
			contribute(agg, c, callbacks, 1)
		}
		if err := applyAgg(l.ctx, tx, agg); err != nil {
			return err
		}
		if l.Alerting == nil {
			return nil
		}
		for i, c := range l.cases {
			for _, w := range loadedWatches(c, l.events[i]) {
				w.catchUp(l.Alerting, l.Now)
				if _, err := tx.ExecContext(l.ctx, upsertWatchSQL, watchArgs(&w)...); err != nil {
					return fmt.Errorf("store: bulk watches: %w", err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	l.Loaded += int64(len(l.cases))
	l.cases, l.events = l.cases[:0], l.events[:0]
	return nil
}

func (l *Loader) execChunks(ctx context.Context, tx *wtx, cache map[int]string, head string, cols int, args []any, maxRows int) error {
	rows := len(args) / cols
	for start := 0; start < rows; start += maxRows {
		n := min(maxRows, rows-start)
		q := multiInsert(cache, head, cols, n, l.s.dialect == SQLite)
		// Statements are prepared once per shape: parsing a 500-row
		// INSERT costs as much as running it.
		st, ok := l.stmts[q]
		if !ok {
			return fmt.Errorf("store: loader: statement for %d rows not prepared", n)
		}
		if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, args[start*cols:(start+n)*cols]...); err != nil {
			return err
		}
	}
	return nil
}

// photoRefs are the batch's (photo, case) pairs, each once: the photos
// its events name are evidence on its case (see photoRefs in photos.go).
func (l *Loader) photoRefs() []any {
	var out []any
	for i, c := range l.cases {
		seen := map[string]bool{}
		for _, e := range l.events[i] {
			for _, id := range e.Data.Photos {
				if !seen[id] {
					seen[id] = true
					out = append(out, id, c.ID)
				}
			}
		}
	}
	return out
}

// loadedWatches are the running deadlines of a loaded case: its steps and
// its supervision orders not yet answered.
func loadedWatches(c *caseflow.Case, events []caseflow.Event) []Watch {
	if !c.State.Open() {
		return nil
	}
	ws := wantedWatches(c)
	for i, ev := range events {
		if ev.Action != caseflow.ActSupervise || ev.Data.Deadline == nil {
			continue
		}
		answered := false
		for _, later := range events[i+1:] {
			answered = answered || answers(&later, ev.Data.UnitID)
		}
		if !answered {
			ws = append(ws, Watch{CaseID: c.ID, Key: "sup:" + strconv.Itoa(ev.Seq), Step: caseflow.StepReply,
				UnitID: ev.Data.UnitID, Start: ev.At, Deadline: *ev.Data.Deadline})
		}
	}
	return ws
}

// Close flushes and fixes sequences.
func (l *Loader) Close() error {
	err := l.Flush()
	for _, st := range l.stmts {
		st.Close()
	}
	if err != nil {
		return err
	}
	if err := l.s.buildDeferredIndexes(l.ctx); err != nil {
		return err
	}
	if l.bigCache {
		if _, err := l.s.w.ExecContext(l.ctx, `PRAGMA cache_size = -65536`); err != nil {
			return fmt.Errorf("store: loader: %w", err)
		}
	}
	// Live numbering continues after the loaded numbers of each day.
	if _, err := l.s.w.ExecContext(l.ctx, `INSERT INTO case_numbers (day, last)
		SELECT substr(number, 1, 8), max(CAST(substr(number, 9) AS INTEGER)) FROM cases
		WHERE length(number) = 13 GROUP BY substr(number, 1, 8)
		ON CONFLICT (day) DO UPDATE SET last = CASE WHEN excluded.last > case_numbers.last
			THEN excluded.last ELSE case_numbers.last END`); err != nil {
		return fmt.Errorf("store: loader: case numbers: %w", err)
	}
	return l.s.resetSequences(l.ctx)
}

// DeferIndexes drops the secondary indexes of cases, tasks and events for
// the rest of the load; Close builds them again, each by one sort, instead
// of a random insert into each of them for every row (at millions of cases
// those inserts are most of a load's time). Only for a store without
// cases: rebuilding the indexes of a large table costs more than an import
// into it saves. The definitions are kept in deferred_indexes in the same
// transaction as the drop, so a load killed half-way gets its indexes back
// at the next open (Migrate). On SQLite the writer's page cache is also
// raised to 512 MB for the load.
func (l *Loader) DeferIndexes() error {
	var n int64
	if err := l.s.w.QueryRowContext(l.ctx, `SELECT count(*) FROM cases`).Scan(&n); err != nil {
		return fmt.Errorf("store: loader: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("store: loader: indexes are deferred only on a store without cases (it holds %d)", n)
	}
	defs, err := l.s.SecondaryIndexes(l.ctx)
	if err != nil {
		return fmt.Errorf("store: loader: %w", err)
	}
	err = l.s.plainTx(l.ctx, func(tx *wtx) error {
		for name, def := range defs {
			if _, err := tx.ExecContext(l.ctx, `INSERT INTO deferred_indexes (name, def) VALUES ($1, $2)`, name, def); err != nil {
				return err
			}
			if _, err := tx.ExecContext(l.ctx, `DROP INDEX `+name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: loader: deferring indexes: %w", err)
	}
	if l.s.dialect == SQLite {
		if _, err := l.s.w.ExecContext(l.ctx, `PRAGMA cache_size = -524288`); err != nil {
			return fmt.Errorf("store: loader: %w", err)
		}
		l.bigCache = true
	}
	return nil
}

// SecondaryIndexes are the indexes of cases, tasks and events that back
// no key or constraint, by name, with the statement that creates each.
func (s *Store) SecondaryIndexes(ctx context.Context) (map[string]string, error) {
	q := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN ('cases', 'tasks', 'events')`
	if s.dialect == Postgres {
		q = `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
			AND tablename IN ('cases', 'tasks', 'events')
			AND indexname NOT IN (SELECT conname FROM pg_constraint)`
	}
	rows, err := s.w.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	defs := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, err
		}
		defs[name] = def
	}
	return defs, rows.Err()
}

// buildDeferredIndexes builds every index in deferred_indexes, each with
// the deletion of its row in one transaction.
func (s *Store) buildDeferredIndexes(ctx context.Context) error {
	rows, err := s.w.QueryContext(ctx, `SELECT name, def FROM deferred_indexes ORDER BY name`)
	if err != nil {
		return fmt.Errorf("store: deferred indexes: %w", err)
	}
	var defs [][2]string
	for rows.Next() {
		var d [2]string
		if err := rows.Scan(&d[0], &d[1]); err != nil {
			rows.Close()
			return fmt.Errorf("store: deferred indexes: %w", err)
		}
		defs = append(defs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: deferred indexes: %w", err)
	}
	all := time.Now()
	for _, d := range defs {
		start := time.Now()
		err := s.plainTx(ctx, func(tx *wtx) error {
			if _, err := tx.ExecContext(ctx, d[1]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM deferred_indexes WHERE name = $1`, d[0])
			return err
		})
		if err != nil {
			return fmt.Errorf("store: building index %s: %w", d[0], err)
		}
		slog.Debug("store: index built", "index", d[0], "took", time.Since(start).Round(time.Millisecond))
	}
	if len(defs) > 0 {
		// PostgreSQL's planner needs statistics of the new indexes at once
		// (autovacuum would take them later). SQLite's queries are written
		// for its planner without statistics, as on every other database.
		if s.dialect == Postgres {
			if _, err := s.w.ExecContext(ctx, `ANALYZE`); err != nil {
				return fmt.Errorf("store: analyze: %w", err)
			}
		}
		slog.Info("store: deferred indexes built", "indexes", len(defs), "took", time.Since(all).Round(time.Millisecond))
	}
	return nil
}
