package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// Backup writes a consistent copy of a SQLite database to path while the
// server keeps running: VACUUM INTO reads one snapshot (a read transaction
// in WAL mode, so writers are not blocked) and writes a compact file.
// PostgreSQL is backed up with pg_dump (see README).
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return errors.New("store: back PostgreSQL up with pg_dump (see the README); xiuhua backup copies SQLite")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("store: backup: %s already exists", path)
	}
	// A connection of its own: the write pool must stay free for writers,
	// and the read pool is query_only.
	db, err := sql.Open("sqlite", "file:"+s.dsn+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		os.Remove(path)
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

// Summary counts what a database holds, for comparing a restore with its
// source.
type Summary struct {
	Cases, Tasks, Events, Units, Accounts, UnitGrids, Notifications, Outbox int64
	MaxVersionSum                                                           int64 // the sum of case versions
}

// Summarize counts the main tables.
func (s *Store) Summarize(ctx context.Context) (Summary, error) {
	var m Summary
	for _, q := range []struct {
		sql string
		dst *int64
	}{
		{`SELECT count(*) FROM cases`, &m.Cases}, {`SELECT count(*) FROM tasks`, &m.Tasks}, {`SELECT count(*) FROM events`, &m.Events},
		{`SELECT count(*) FROM units`, &m.Units}, {`SELECT count(*) FROM accounts`, &m.Accounts},
		{`SELECT count(*) FROM unit_grids`, &m.UnitGrids}, {`SELECT count(*) FROM notifications`, &m.Notifications},
		{`SELECT count(*) FROM outbox`, &m.Outbox}, {`SELECT COALESCE(sum(version), 0) FROM cases`, &m.MaxVersionSum},
	} {
		if err := s.r.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
			return m, err
		}
	}
	return m, nil
}
