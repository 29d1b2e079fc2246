package store

import (
	"context"
	"fmt"
)

// The few places where SQLite and PostgreSQL need different SQL.

// forUpdate locks the row read in a write transaction. SQLite needs no
// row lock: its write transaction (BEGIN IMMEDIATE) already holds the
// database's single write lock.
func (s *Store) forUpdate() string {
	if s.dialect == Postgres {
		return ` FOR UPDATE`
	}
	return ``
}

// resetSequences moves PostgreSQL's identity sequences past ids that a
// bulk load set explicitly. SQLite's INTEGER PRIMARY KEY needs nothing.
func (s *Store) resetSequences(ctx context.Context) error {
	if s.dialect != Postgres {
		return nil
	}
	for _, t := range []string{"units", "accounts", "cases", "tasks", "events"} {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), COALESCE((SELECT max(id) FROM %s), 0) + 1, false)`, t, t)
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: reset sequence of %s: %w", t, err)
		}
	}
	return nil
}
