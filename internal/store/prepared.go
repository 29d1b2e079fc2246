package store

import (
	"context"
	"database/sql"
)

// Hot statements are prepared once per pool. modernc's SQLite parses a
// statement on every use otherwise, which was a third of a transition's CPU
// time; pgx caches prepared statements by itself, so PostgreSQL skips this.

// hotQueries are prepared after migrating.
func (s *Store) hotQueries() []string {
	return []string{
		selectCaseSQL, selectCaseSQL + s.forUpdate(), selectTasksSQL, selectEventsSQL, selectCaseIDByNumberSQL,
		insertCaseSQL, insertTaskSQL, insertEventSQL, updateCaseSQL, updateTaskSQL, nextNumberSQL,
		categoryExistsSQL, unitKindSQL, mergeTargetSQL, selectCallbacksSQL, upsertAggSQL, upsertMapSQL,
	}
}

func (s *Store) prepareHot(ctx context.Context) error {
	s.stmtMu.Lock()
	done := s.dialect != SQLite || s.wst != nil
	s.stmtMu.Unlock()
	if done {
		return nil
	}
	wst, rst := map[string]*sql.Stmt{}, map[string]*sql.Stmt{}
	for _, q := range s.hotQueries() {
		w, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		wst[q] = w
		if r, err := s.r.PrepareContext(ctx, q); err == nil {
			rst[q] = r // writes fail to prepare on the query_only pool; that is fine
		}
	}
	s.stmtMu.Lock()
	s.wst, s.rst = wst, rst
	s.stmtMu.Unlock()
	return nil
}

// maxPrepared bounds each pool's statement cache: queries built from
// filters come in many shapes, and only the common ones are worth keeping.
const maxPrepared = 256

// writeStmt returns the write pool's prepared statement for q, or nil. A
// query seen without one is prepared after the current group commit (not
// inside it: SQLite's write pool has one connection, which the
// transaction holds).
func (s *Store) writeStmt(q string) *sql.Stmt {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.wst[q]; ok {
		return st
	}
	if s.wst != nil && len(s.wst)+len(s.wmiss) < maxPrepared {
		if s.wmiss == nil {
			s.wmiss = map[string]bool{}
		}
		s.wmiss[q] = true
	}
	return nil
}

// prepareMissed prepares the write statements seen unprepared; the
// committer calls it between transactions.
func (s *Store) prepareMissed(ctx context.Context) {
	s.stmtMu.Lock()
	miss := s.wmiss
	s.wmiss = nil
	s.stmtMu.Unlock()
	for q := range miss {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			continue // it will run unprepared
		}
		s.stmtMu.Lock()
		s.wst[q] = st
		s.stmtMu.Unlock()
	}
}

// maxPreparedArgs bounds the variables of a statement worth keeping: the
// longer lists (a page of 1,000 ids) come in as many shapes as lengths, and
// each kept on every connection of the read pool costs memory.
const maxPreparedArgs = 100

// readStmt returns the read pool's prepared statement for q with nargs
// arguments, preparing it on first use (database/sql prepares it on each
// connection as needed).
func (s *Store) readStmt(ctx context.Context, q string, nargs int) *sql.Stmt {
	if s.dialect != SQLite || nargs > maxPreparedArgs {
		return nil
	}
	s.stmtMu.Lock()
	st, ok := s.rst[q]
	full := s.rst == nil || len(s.rst) >= maxPrepared
	s.stmtMu.Unlock()
	if ok || full {
		return st
	}
	st, err := s.r.PrepareContext(context.WithoutCancel(ctx), q)
	if err != nil {
		// A write on the query_only pool, or a query SQLite refuses (too
		// many variables): run it plainly and keep nothing. A nil entry
		// would be closed at shutdown, and panic there.
		return nil
	}
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if prev, ok := s.rst[q]; ok || len(s.rst) >= maxPrepared {
		st.Close()
		return prev
	}
	s.rst[q] = st
	return st
}

// wtx is a write transaction that uses the prepared statements.
type wtx struct {
	*sql.Tx
	s *Store
}

func (t *wtx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := t.s.writeStmt(q); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, q, args...)
}

func (t *wtx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.s.writeStmt(q); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, q, args...)
}

func (t *wtx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.s.writeStmt(q); st != nil {
		return t.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, q, args...)
}

// rdb is the read pool with the prepared statements.
type rdb struct{ s *Store }

func (r rdb) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := r.s.readStmt(ctx, q, len(args)); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.s.r.QueryRowContext(ctx, q, args...)
}

func (r rdb) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := r.s.readStmt(ctx, q, len(args)); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.s.r.QueryContext(ctx, q, args...)
}
