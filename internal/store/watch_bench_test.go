package store_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/store"
)

// benchOpen is how many open cases the watcher benchmark watches:
// $XIUHUA_BENCH_OPEN, or 100,000 so the CI smoke run stays quick. The
// figures in BENCHMARKS.md are for 1,000,000.
func benchOpen(b *testing.B) int {
	if v := os.Getenv("XIUHUA_BENCH_OPEN"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			b.Fatalf("XIUHUA_BENCH_OPEN=%q: want a number ≥ 1000", v)
		}
		return n
	}
	return 100_000
}

// fillOpen writes n open, dispatched cases, each with a running handling
// deadline; their next looks are spread evenly over 100 days from t0.
func fillOpen(b *testing.B, s *store.Store, n int) {
	b.Helper()
	ctx := context.Background()
	setup(&testing.T{}, s) // the category the cases need
	span := int64(100 * 24 * time.Hour / time.Millisecond)
	base := t0.UnixMilli()
	var caseSQL, watchSQL string
	args := []any{n, base, span}
	if s.Dialect() == store.Postgres {
		caseSQL = `INSERT INTO cases (id, number, version, channel, category_id, urgency, state, description, lon, lat,
			unit_grid, grid, community, street, reported_at, updated_at, deadline)
			SELECT i, 'B' || i, 3, 'patrol', 'M06011', 'normal', 'dispatched', '', 113.3, 40.1, 'u', 'g', 'c', 's', $2::bigint, $2::bigint,
			$2::bigint + i * $3::bigint / $1::bigint FROM generate_series(1, $1::bigint) i`
		watchSQL = `INSERT INTO watches (case_id, watch_key, step, unit_id, start_at, deadline, stage, next_at)
			SELECT i, 'task:' || i, 'handle', 1, $2::bigint, $2::bigint + i * $3::bigint / $1::bigint + 3600000, 0,
			$2::bigint + i * $3::bigint / $1::bigint FROM generate_series(1, $1::bigint) i`
	} else {
		caseSQL = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
			INSERT INTO cases (id, number, version, channel, category_id, urgency, state, description, lon, lat,
			unit_grid, grid, community, street, reported_at, updated_at, deadline)
			SELECT i, 'B' || i, 3, 'patrol', 'M06011', 'normal', 'dispatched', '', 113.3, 40.1, 'u', 'g', 'c', 's', $2, $2,
			$2 + i * $3 / $1 FROM n`
		watchSQL = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
			INSERT INTO watches (case_id, watch_key, step, unit_id, start_at, deadline, stage, next_at)
			SELECT i, 'task:' || i, 'handle', 1, $2, $2 + i * $3 / $1 + 3600000, 0, $2 + i * $3 / $1 FROM n`
	}
	for _, q := range []string{caseSQL, watchSQL} {
		if _, err := s.DB().ExecContext(ctx, q, args...); err != nil {
			b.Fatal(err)
		}
	}
	if s.Dialect() == store.Postgres {
		s.DB().ExecContext(ctx, `ANALYZE cases; ANALYZE watches`)
	} else {
		s.DB().ExecContext(ctx, `ANALYZE`)
	}
}

// BenchmarkWatcherFindDue is the watcher's question over n open cases:
// which deadlines need a warning, a reminder or an escalation now? One
// day into the 100 days, 1 % of them do.
func BenchmarkWatcherFindDue(b *testing.B) {
	n := benchOpen(b)
	benchStores(b, func(b *testing.B, s *store.Store) {
		if b.Name() == "BenchmarkWatcherFindDue/sqlite-NORMAL" {
			b.Skip("same reads as FULL")
		}
		fillOpen(b, s, n)
		ctx := context.Background()
		now := t0.Add(24 * time.Hour)
		var due int
		for b.Loop() {
			ws, err := s.DueWatches(ctx, now, n)
			if err != nil {
				b.Fatal(err)
			}
			due = len(ws)
		}
		if due < n/100-1 || due > n/100+1 {
			b.Fatalf("%d due of %d, want 1 %%", due, n)
		}
		b.ReportMetric(float64(due), "due")
		b.ReportMetric(float64(n), "open")
	})
}
