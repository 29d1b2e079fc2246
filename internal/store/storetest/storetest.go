// Package storetest opens fresh, migrated stores for tests: a SQLite file
// in the test's temporary folder, and a PostgreSQL schema of its own on the
// server named by XIUHUA_TEST_POSTGRES. Without that variable PostgreSQL
// tests are skipped, except under CI, where they fail.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL URL for tests.
const EnvPostgres = "XIUHUA_TEST_POSTGRES"

var schemaSeq atomic.Int64

// Dialects are the engines every store test runs on.
var Dialects = []store.Dialect{store.SQLite, store.Postgres}

// Open returns a migrated store of the dialect, removed when t ends.
func Open(t testing.TB, d store.Dialect) *store.Store {
	t.Helper()
	s, _ := OpenTarget(t, d)
	return s
}

// OpenTarget is Open that also returns where the store lives, so a test
// can open it a second time as another instance would (OpenAgain).
func OpenTarget(t testing.TB, d store.Dialect) (*store.Store, string) {
	t.Helper()
	var target string
	switch d {
	case store.SQLite:
		target = filepath.Join(t.TempDir(), "xiuhua.db")
	case store.Postgres:
		target = PostgresURL(t)
	}
	s := OpenAgain(t, target)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, target
}

// OpenAgain opens the store at target with its own connections, closed
// when t ends.
func OpenAgain(t testing.TB, target string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), target, store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// PostgresURL creates an empty schema for t and returns a URL whose
// search_path points at it; the schema is dropped when t ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set, and CI is: PostgreSQL tests must run in CI", EnvPostgres)
		}
		t.Skipf("%s not set; skipping PostgreSQL", EnvPostgres)
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	schema := fmt.Sprintf("xh_test_%d_%d", os.Getpid(), schemaSeq.Add(1))
	if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE; CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("postgres at %s: %v", base, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			db.Exec(`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`)
			db.Close()
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// Each runs f as a subtest for every dialect.
func Each(t *testing.T, f func(t *testing.T, s *store.Store)) {
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			f(t, Open(t, d))
		})
	}
}

// HeapPeak samples the heap in use every 20 ms until the returned function
// is called; that function returns the most it saw, in MB.
func HeapPeak() func() float64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() float64 {
		close(stop)
		<-done
		return float64(peak.Load()) / (1 << 20)
	}
}
