package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/metrics"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/watch"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func TestMetricsSeeWorkRequestsAndTheWatcher(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	f := storetest.NewFixture(t, st)
	now := storetest.T0.Add(10 * 24 * time.Hour)
	m := metrics.New(st, func() time.Time { return now })
	c := f.Report(t, storetest.T0)
	c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: storetest.T0.Add(time.Minute)})
	f.Do(t, c, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, At: storetest.T0.Add(2 * time.Minute),
		Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true}}})
	w := &watch.Watcher{Store: st, Clock: f.Policy, Now: func() time.Time { return now }}
	res, held, err := w.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m.Sweep(res, held)
	m.Delivery("parked")
	m.AlertMail("alert", "sent")

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/cases/{number}", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	srv := httptest.NewServer(m.Middleware(mux))
	defer srv.Close()
	for _, p := range []string{"/api/v1/cases/2026030200001", "/api/v1/cases/2026030200002", "/nowhere"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	out := scrape(t, m)
	for _, want := range []string{
		`xiuhua_case_events_total{kind="report"} 1`,
		`xiuhua_case_events_total{kind="dispatch"} 1`,
		`xiuhua_case_events_total{kind="remind"} 1`,
		`xiuhua_case_events_total{kind="supervise"} 1`,
		`xiuhua_watcher_sweeps_total 1`,
		`xiuhua_watcher_steps_total{kind="reminder"} 1`,
		`xiuhua_webhook_deliveries_total{outcome="parked"} 1`,
		`xiuhua_alert_mails_total{kind="alert",outcome="sent"} 1`,
		`xiuhua_open_tasks{unit="hwc"} 1`,
		`xiuhua_overdue_tasks{unit="hwc"} 1`,
		`xiuhua_http_requests_total{code="404",route="GET /api/v1/cases/{number}"} 2`,
		`xiuhua_http_requests_total{code="404",route="unmatched"} 1`,
		`go_sql_open_connections{db_name="write"}`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(out, "2026030200001") {
		t.Error("a case number became a label")
	}
}
