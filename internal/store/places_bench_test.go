package store_test

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/store"
)

// Synthetic cases for place queries: spread at random over a 0.25° square
// around Pingcheng (about 21 × 28 km), in 200 categories.
const spanDeg, lonMin, latMin = 0.25, 113.2, 39.95

// fillPlaces writes n cases, a share of them open, in one statement.
func fillPlaces(b *testing.B, s *store.Store, n int, openShare float64) {
	b.Helper()
	ctx := context.Background()
	setup(&testing.T{}, s)
	var cats, cases string
	if s.Dialect() == store.Postgres {
		cats = `INSERT INTO categories (id, kind, code, major_class, name)
			SELECT 'Z' || lpad(i::text, 5, '0'), 'matter', i::text, 'Z', 'bench' FROM generate_series(0, 199) i`
		cases = `INSERT INTO cases (id, number, version, channel, category_id, urgency, state, description, lon, lat,
			unit_grid, grid, community, street, reported_at, updated_at)
			SELECT i, 'P' || i, 1, 'patrol', 'Z' || lpad((i % 200)::text, 5, '0'), 'normal',
			CASE WHEN random() < $2 THEN 'dispatched' ELSE 'closed' END, '', $3 + random() * $5, $4 + random() * $5,
			'u' || (i % 20000), 'g', 'c', 's', $6::bigint, $6::bigint FROM generate_series(1, $1::bigint) i`
	} else {
		cats = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199)
			INSERT INTO categories (id, kind, code, major_class, name) SELECT printf('Z%05d', i), 'matter', i, 'Z', 'bench' FROM n`
		cases = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
			INSERT INTO cases (id, number, version, channel, category_id, urgency, state, description, lon, lat,
			unit_grid, grid, community, street, reported_at, updated_at)
			SELECT i, 'P' || i, 1, 'patrol', printf('Z%05d', i % 200), 'normal',
			CASE WHEN (abs(random()) % 1000000) < $2 * 1000000 THEN 'dispatched' ELSE 'closed' END, '',
			$3 + (abs(random()) % 1000000) * $5 / 1000000.0, $4 + (abs(random()) % 1000000) * $5 / 1000000.0,
			'u' || (i % 20000), 'g', 'c', 's', $6, $6 FROM n`
	}
	if _, err := s.DB().ExecContext(ctx, cats); err != nil {
		b.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, cases, n, openShare, lonMin, latMin, spanDeg, t0.UnixMilli()); err != nil {
		b.Fatal(err)
	}
	if s.Dialect() == store.Postgres {
		s.DB().ExecContext(ctx, `ANALYZE cases`)
	} else {
		s.DB().ExecContext(ctx, `ANALYZE`)
	}
}

func envInt(b *testing.B, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			b.Fatalf("%s=%q: want a number ≥ 1000", name, v)
		}
		return n
	}
	return def
}

// BenchmarkDuplicateCandidates: open cases of the same category within
// 50 m of a random point, among $XIUHUA_BENCH_OPEN open cases (default
// 100,000; BENCHMARKS.md has 1,000,000).
func BenchmarkDuplicateCandidates(b *testing.B) {
	n := envInt(b, "XIUHUA_BENCH_OPEN", 100_000)
	benchStores(b, func(b *testing.B, s *store.Store) {
		if b.Name() == "BenchmarkDuplicateCandidates/sqlite-NORMAL" {
			b.Skip("same reads as FULL")
		}
		fillPlaces(b, s, n, 1)
		ctx := context.Background()
		r := rand.New(rand.NewPCG(5, 5))
		found := 0
		for b.Loop() {
			lon, lat := lonMin+r.Float64()*spanDeg, latMin+r.Float64()*spanDeg
			cat := "Z" + strconv.FormatInt(100000+int64(r.IntN(200)), 10)[1:]
			ns, err := s.OpenNearby(ctx, cat, lon, lat, 50, t0.Add(-30*24*time.Hour), 0, 20)
			if err != nil {
				b.Fatal(err)
			}
			found += len(ns)
		}
		b.ReportMetric(float64(found)/float64(b.N), "candidates/op")
	})
}

// BenchmarkMapBox: the map's query for a box holding about 4,000 of
// $XIUHUA_BENCH_CASES cases (default 200,000; BENCHMARKS.md has
// 10,000,000), points up to 5,000.
func BenchmarkMapBox(b *testing.B) {
	n := envInt(b, "XIUHUA_BENCH_CASES", 200_000)
	benchStores(b, func(b *testing.B, s *store.Store) {
		if b.Name() == "BenchmarkMapBox/sqlite-NORMAL" {
			b.Skip("same reads as FULL")
		}
		fillPlaces(b, s, n, 0.1)
		ctx := context.Background()
		side := spanDeg * math.Sqrt(4000/float64(n))
		r := rand.New(rand.NewPCG(6, 6))
		got := 0
		for b.Loop() {
			lon, lat := lonMin+r.Float64()*(spanDeg-side), latMin+r.Float64()*(spanDeg-side)
			m, err := s.Map(ctx, store.MapFilter{Box: store.Bound{MinLon: lon, MinLat: lat, MaxLon: lon + side, MaxLat: lat + side}, Limit: 5000})
			if err != nil {
				b.Fatal(err)
			}
			got += m.Total
		}
		b.ReportMetric(float64(got)/float64(b.N), "cases/op")
	})
}
