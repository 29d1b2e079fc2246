// Package store owns every SQL statement of Xiuhua. One SQL text serves
// SQLite (the embedded default) and PostgreSQL wherever the two agree; the
// few places they differ are in dialect.go. Every case transition and its
// event are written in one transaction.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers "sqlite"
)

// Sentinel errors; the HTTP layer maps them once.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

//go:embed migrations
var migrations embed.FS

// Dialect names the database engine.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is the database. It is safe for concurrent use.
type Store struct {
	dialect Dialect
	w       *sql.DB // writes: one connection on SQLite
	r       *sql.DB // reads: a pool
	dsn     string
	wst     map[string]*sql.Stmt // prepared on the write pool (SQLite)
	rst     map[string]*sql.Stmt // prepared on the read pool (SQLite)
	observe func(kind string)    // told of committed events (metrics)
	gaps    sync.Map             // webhook id → outboxGap: where FanOut waits

	txq                    chan *txReq   // write transactions waiting for the group commit (SQLite)
	quit                   chan struct{} // closed by Close
	stopped                chan struct{} // closed when the committer has stopped
	closeOnce              sync.Once
	groupTxs, groupCommits atomic.Int64
	stmtMu                 sync.Mutex      // guards wst, rst and wmiss
	wmiss                  map[string]bool // write queries to prepare after this group
	aggBuilt               atomic.Bool     // eval_agg seen complete (aggregatesBuilt)
	gen                    atomic.Int64    // committed write transactions (Generation)
	numbers                numberBlocks    // case numbers reserved in blocks (PostgreSQL)
}

// SetObserver registers f to be told, after each commit, the kind of every
// case event written ("report", "dispatch", "remind", …) and of watcher
// warnings ("warning"). Set it before serving.
func (s *Store) SetObserver(f func(kind string)) { s.observe = f }

func (s *Store) observed(kind string) {
	if s.observe != nil && kind != "" {
		s.observe(kind)
	}
}

// Pools are the database pools by name, for pool statistics.
func (s *Store) Pools() map[string]*sql.DB {
	if s.r == s.w {
		return map[string]*sql.DB{"main": s.w}
	}
	return map[string]*sql.DB{"write": s.w, "read": s.r}
}

// Options tune Open.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: "FULL" (default; a
	// commit is on disk before it returns) or "NORMAL" (faster; a power cut
	// may lose the last commits, a process crash loses nothing).
	Synchronous string
	// ReadConns is the size of the read pool (default 8).
	ReadConns int
}

// Open connects to a database: a postgres:// URL, or a SQLite file path
// (optionally "sqlite:" prefixed). It does not migrate; call Migrate.
func Open(ctx context.Context, target string, o Options) (*Store, error) {
	if o.ReadConns == 0 {
		o.ReadConns = 8
	}
	if strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://") {
		db, err := sql.Open("pgx", target)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		db.SetMaxOpenConns(max(o.ReadConns, 4) * 2)
		db.SetMaxIdleConns(max(o.ReadConns, 4))
		db.SetConnMaxIdleTime(5 * time.Minute)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: connect to postgres: %w", err)
		}
		return &Store{dialect: Postgres, w: db, r: db, dsn: target}, nil
	}
	path := strings.TrimPrefix(target, "sqlite:")
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	sync := strings.ToUpper(o.Synchronous)
	if sync == "" {
		sync = "FULL"
	}
	if sync != "FULL" && sync != "NORMAL" {
		return nil, fmt.Errorf("store: synchronous must be FULL or NORMAL, not %q", o.Synchronous)
	}
	// Each pool gets its own copy of the pragmas: the writer a 64 MB page
	// cache, each of the readers 16 MB (8 readers with 64 MB each made a
	// serving process's RSS pass 1 GB at 1,000,000 cases).
	pragmas := func(cache string, extra ...string) url.Values {
		q := url.Values{}
		for _, p := range append([]string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(" + sync + ")",
			"foreign_keys(1)", "cache_size(" + cache + ")", "temp_store(MEMORY)"}, extra...) {
			q.Add("_pragma", p)
		}
		return q
	}
	wq := pragmas("-65536")
	wq.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", "file:"+path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	rq := pragmas("-16384", "query_only(1)")
	r, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	r.SetMaxOpenConns(o.ReadConns)
	r.SetMaxIdleConns(o.ReadConns)
	s := &Store{dialect: SQLite, w: w, r: r, dsn: path}
	s.startGroupCommit()
	return s, nil
}

// Dialect says which engine the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB is the write pool, for tools that need plain SQL (backup, tests).
func (s *Store) DB() *sql.DB { return s.w }

// Close closes both pools.
func (s *Store) Close() error {
	if s.quit != nil {
		s.closeOnce.Do(func() { close(s.quit) })
		<-s.stopped
	}
	s.stmtMu.Lock()
	for _, m := range []map[string]*sql.Stmt{s.wst, s.rst} {
		for _, st := range m {
			if st != nil {
				st.Close()
			}
		}
	}
	s.stmtMu.Unlock()
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.r.PingContext(ctx) }

func (s *Store) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return nil, err
	}
	// A migration numbered below one already applied (written in parallel
	// and merged later) is applied rather than refused: each migration
	// stands alone, adding a table or an index.
	opts := []goose.ProviderOption{goose.WithAllowOutofOrder(true)}
	d := goose.DialectSQLite3
	if s.dialect == Postgres {
		d = goose.DialectPostgres
		// A lock row, not an advisory lock, so concurrent starts of several
		// instances migrate once on any PostgreSQL-compatible database.
		l, err := lock.NewPostgresTableLocker(lock.WithTableLockTimeout(time.Second, 300))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithLocker(l))
	}
	return goose.NewProvider(d, s.w, sub, opts...)
}

// Migrate brings the schema up to date.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, r := range res {
		slog.Debug("migrated", "version", r.Source.Version, "took", r.Duration)
	}
	// A bulk load killed before its end left its indexes to build.
	if err := s.buildDeferredIndexes(ctx); err != nil {
		return err
	}
	if !s.aggregatesBuilt(ctx) {
		if _, err := s.RebuildAggregates(ctx); err != nil {
			return fmt.Errorf("store: building the evaluation aggregates: %w", err)
		}
	}
	return s.prepareHot(ctx)
}

// MigrationsCurrent reports whether every migration has been applied.
func (s *Store) MigrationsCurrent(ctx context.Context) (bool, error) {
	p, err := s.provider()
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	return !pending, err
}

// tx runs fn in a write transaction: on SQLite, in the next group commit.
func (s *Store) tx(ctx context.Context, fn func(*wtx) error) error {
	var err error
	if s.txq != nil {
		err = s.groupTx(ctx, fn)
	} else {
		err = s.plainTx(ctx, fn)
	}
	if err == nil {
		s.gen.Add(1)
	}
	return err
}

// Generation counts the write transactions this process has committed
// through the store, and the revocations of tokens and sessions, bumped
// before the writer hears of its commit: an answer computed when it read g
// is current while it still reads g, as far as this process's writes go.
func (s *Store) Generation() int64 { return s.gen.Load() }

// plainTx runs fn in a transaction of its own.
func (s *Store) plainTx(ctx context.Context, fn func(*wtx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(&wtx{Tx: tx, s: s}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// ms turns a time into Unix milliseconds, or NULL for the zero time.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS turns a nullable millisecond column back into a time.
func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// scanAll reads every row with scan into a slice (empty, not nil, when
// there are none) and closes the rows.
func scanAll[T any](rows *sql.Rows, scan func(scanner, *T) error) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
