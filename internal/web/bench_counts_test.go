package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/web"
)

// BenchmarkInboxCounts: the bell's question (GET /api/v1/inbox/counts:
// unread lines and every waiting list's count in the reader's scope), one
// request at a time over loopback, for a reader of each role. Each
// request's time is kept and the p50 and p95 reported, the figures
// BENCHMARKS.md has.
//
// The database is $XIUHUA_BENCH_DB (a demo built with `xiuhua demo -cases
// N -no-serve`: a SQLite file or a postgres:// URL; 10,000,000 cases for
// BENCHMARKS.md), or the 20,000-case test demo for the CI smoke run. Its
// clock is the newest case's report time. The demo's loader writes the
// cases' histories but no inbox lines, so the benchmark first writes the
// lines the live system would keep (fillInbox) when the database has
// hardly any.
func BenchmarkInboxCounts(b *testing.B) {
	s, a := benchServer(b, 20000)
	users := []string{"dispatcher1", "operator1", "leader", "admin", "h-hwc", "gw14021305300101"}
	fillInbox(b, a)
	for _, user := range []string{"h-jd140213050"} { // a street office's handler, where the demo has one
		if _, err := a.Store.AccountByUsername(context.Background(), user); err == nil {
			users = append(users, user)
		}
	}
	client := &http.Client{}
	for _, user := range users {
		token := tokenOf(b, a, user)
		b.Run(user, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				req, _ := http.NewRequest("GET", s.URL+"/api/v1/inbox/counts", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("%s: %d", user, resp.StatusCode)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			pct := func(p float64) float64 { return float64(took[int(p*float64(len(took)-1))]) / 1e6 }
			b.ReportMetric(pct(0.5), "ms-p50")
			b.ReportMetric(pct(0.95), "ms-p95")
		})
	}
}

// benchServer serves the database named by $XIUHUA_BENCH_DB (a demo built
// with `xiuhua demo -cases N -no-serve`: a SQLite file or a postgres://
// URL) through the real handler tree, its clock the newest case's report
// time; without it, the test demo of n cases.
func benchServer(b *testing.B, n int) (*httptest.Server, *app.App) {
	b.Helper()
	ctx := context.Background()
	target := os.Getenv("XIUHUA_BENCH_DB")
	if target == "" {
		return serverWith(b, n)
	}
	st, err := store.Open(ctx, target, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	a, err := app.New(ctx, st, app.Config{})
	if err != nil {
		b.Fatal(err)
	}
	latest, err := st.Cases(ctx, store.CaseFilter{Limit: 1})
	if err != nil || len(latest) == 0 {
		b.Fatalf("no cases: %v", err)
	}
	now := latest[0].ReportedAt
	a.Now = func() time.Time { return now }
	s := httptest.NewServer(web.New(a))
	b.Cleanup(s.Close)
	return s, a
}

// fillInbox writes the inbox lines a database built by the bulk loader
// lacks, as the live system would have kept them over the last 180 days
// (read lines are pruned 180 days after reading): a "new case" line to the
// command centre for every report, unread while the case waits to be
// registered; a "new task" line to each task's unit, unread until the task
// is signed for; a request line to the centre for every pending request;
// and a check line to each grid worker of a case waiting to be checked.
// A database that already has lines for a tenth of its cases is left as it
// is (the benchmark's second run).
func fillInbox(b *testing.B, a *app.App) {
	b.Helper()
	ctx := context.Background()
	db := a.Store.DB()
	var cases, lines int64
	if err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM notifications)`).Scan(&cases, &lines); err != nil {
		b.Fatal(err)
	}
	if lines*10 >= cases {
		return
	}
	since := a.Now().Add(-180 * 24 * time.Hour).UnixMilli()
	start := time.Now()
	for _, q := range []string{
		`INSERT INTO notifications (unit_id, account_id, case_id, kind, title, due, at, read_at)
			SELECT (SELECT min(id) FROM units WHERE kind = 'centre'), NULL, c.id, 'new_case', '新上报：案件 ' || c.number, NULL, c.reported_at,
			CASE WHEN c.state = 'reported' THEN NULL ELSE c.reported_at + 600000 END
			FROM cases c WHERE c.reported_at >= $1 ORDER BY c.id`,
		`INSERT INTO notifications (unit_id, account_id, case_id, kind, title, due, at, read_at)
			SELECT t.unit_id, NULL, t.case_id, 'task', '新任务：案件 ' || c.number, t.deadline, t.dispatched_at,
			CASE WHEN t.state = 'dispatched' THEN NULL ELSE t.dispatched_at + 600000 END
			FROM tasks t JOIN cases c ON c.id = t.case_id WHERE t.dispatched_at >= $1 ORDER BY t.id`,
		`INSERT INTO notifications (unit_id, account_id, case_id, kind, title, due, at, read_at)
			SELECT (SELECT min(id) FROM units WHERE kind = 'centre'), NULL, t.case_id, 'request', '申请：案件 ' || c.number, NULL, t.requested_at, NULL
			FROM tasks t JOIN cases c ON c.id = t.case_id WHERE t.request <> '' AND t.state <> 'returned' AND t.requested_at >= $1 ORDER BY t.id`,
		`INSERT INTO notifications (unit_id, account_id, case_id, kind, title, due, at, read_at)
			SELECT NULL, g.account_id, c.id, 'check', '待核查：案件 ' || c.number, c.deadline, c.updated_at, NULL
			FROM cases c JOIN account_grids g ON g.grid = c.grid WHERE c.state = 'pending_check' AND c.updated_at >= $1 ORDER BY c.id`,
	} {
		if _, err := db.ExecContext(ctx, q, since); err != nil {
			b.Fatal(err)
		}
	}
	if a.Store.Dialect() == store.Postgres {
		db.ExecContext(ctx, `ANALYZE notifications`) // as autovacuum would after a load
	}
	var unread int64
	db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM notifications), (SELECT count(*) FROM notifications WHERE read_at IS NULL)`).Scan(&lines, &unread)
	b.Logf("inbox lines written for %d cases: %d, %d of them unread, in %s", cases, lines, unread, time.Since(start).Round(time.Second))
}
