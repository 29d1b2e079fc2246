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
		categoryExistsSQL, unitKindSQL, mergeTargetSQL, selectCallbacksSQL, upsertAggSQL,
	}
}

func (s *Store) prepareHot(ctx context.Context) error {
	if s.dialect != SQLite || s.wst != nil {
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
	s.wst, s.rst = wst, rst
	return nil
}

// wtx is a write transaction that uses the prepared statements.
type wtx struct {
	*sql.Tx
	s *Store
}

func (t *wtx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st, ok := t.s.wst[q]; ok {
		return t.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, q, args...)
}

func (t *wtx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st, ok := t.s.wst[q]; ok {
		return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, q, args...)
}

func (t *wtx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st, ok := t.s.wst[q]; ok {
		return t.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, q, args...)
}

// rdb is the read pool with the prepared statements.
type rdb struct{ s *Store }

func (r rdb) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st, ok := r.s.rst[q]; ok {
		return st.QueryRowContext(ctx, args...)
	}
	return r.s.r.QueryRowContext(ctx, q, args...)
}

func (r rdb) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st, ok := r.s.rst[q]; ok {
		return st.QueryContext(ctx, args...)
	}
	return r.s.r.QueryContext(ctx, q, args...)
}
