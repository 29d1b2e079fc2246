package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/photos"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/watch"
	"github.com/xiuhua/xiuhua/internal/web"
	"github.com/xuri/excelize/v2"
)

// server serves a small demo city over real HTTP on loopback.
func server(t testing.TB) (*httptest.Server, *app.App) {
	t.Helper()
	return serverWith(t, 400)
}

// serverWith serves a demo city with about n cases.
func serverWith(t testing.TB, n int) (*httptest.Server, *app.App) {
	t.Helper()
	end := time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC)
	ctx := context.Background()
	// Each test gets its own copy of a demo database built once.
	path := filepath.Join(t.TempDir(), "xiuhua.db")
	b, err := os.ReadFile(demoDB(t, n, end))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, path, store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	templatesMu.Lock()
	ix := indexes[n] // nil for the first test: read from the store
	templatesMu.Unlock()
	a, err := app.New(ctx, st, app.Config{Places: ix})
	if err != nil {
		t.Fatal(err)
	}
	a.Now = func() time.Time { return end }
	a.Photos = photos.Dir(filepath.Join(t.TempDir(), "photos"))
	if err := a.UsePlaces(ctx, demoIndex(t, a, n)); err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(web.New(a))
	t.Cleanup(s.Close)
	token, _, err := a.CreateToken(ctx, "admin", "tests")
	if err != nil {
		t.Fatal(err)
	}
	adminToken = token
	return s, a
}

var (
	templatesMu sync.Mutex
	templates   = map[int]string{}        // cases → demo database file
	indexes     = map[int]*places.Index{} // cases → the demo's point index
)

// demoIndex is the point index of the demo with about n cases, read from
// the first test's copy and shared after (reading 23,212 unit grids takes
// seconds under the race detector).
func demoIndex(t testing.TB, a *app.App, n int) *places.Index {
	t.Helper()
	templatesMu.Lock()
	defer templatesMu.Unlock()
	if ix, ok := indexes[n]; ok {
		return ix
	}
	if err := a.ReloadPlaces(context.Background()); err != nil {
		t.Fatal(err)
	}
	indexes[n] = a.Index()
	return indexes[n]
}

// demoDB builds the demo with about n cases once per test binary and
// returns its file (closed, so the file is whole).
func demoDB(t testing.TB, n int, end time.Time) string {
	t.Helper()
	templatesMu.Lock()
	defer templatesMu.Unlock()
	if p, ok := templates[n]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "xiuhua-web-demo-")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "xiuhua.db")
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Build(ctx, st, demo.Options{Cases: n, Seed: 5, End: end}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatal("demo template: the WAL was not checkpointed on close")
	}
	templates[n] = path
	return path
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, p := range templates {
		os.RemoveAll(filepath.Dir(p))
	}
	os.Exit(code)
}

// adminToken signs the tests' reads in as the demo's administrator.
var adminToken string

// tokenOf issues an API token for a demo account.
func tokenOf(t testing.TB, a *app.App, username string) string {
	t.Helper()
	token, _, err := a.CreateToken(context.Background(), username, "tests")
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	return getAs(t, url, adminToken)
}

// getAs reads with an API token ("" for none).
func getAs(t *testing.T, url, token string) (int, string, http.Header) {
	t.Helper()
	return send(t, "GET", url, token, nil, nil)
}

// send makes one request with an optional API token and headers.
func send(t testing.TB, method, url, token string, body io.Reader, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var phone = regexp.MustCompile(`(^|[^\d.])1[3-9]\d{9}([^\d]|$)`)

func TestReadOnlyView(t *testing.T) {
	s, a := server(t)
	if code, body, _ := get(t, s.URL+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Fatalf("healthz %d %s", code, body)
	}
	if code, body, _ := get(t, s.URL+"/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Fatalf("readyz %d %s", code, body)
	}

	// Pages of cases follow the cursor without gaps or repeats.
	seen := map[string]bool{}
	url := s.URL + "/api/v1/cases?limit=150"
	for pages := 0; url != ""; pages++ {
		code, body, h := get(t, url)
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Fatalf("list %d %s", code, body)
		}
		if phone.MatchString(body) || strings.Contains(body, "reporter") {
			t.Fatal("the case list shows reporters' personal data")
		}
		var page struct {
			Cases      []web.CaseView `json:"cases"`
			NextCursor string         `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Cases {
			if seen[c.Number] {
				t.Fatalf("case %s on two pages", c.Number)
			}
			seen[c.Number] = true
		}
		url = ""
		if page.NextCursor != "" {
			url = s.URL + "/api/v1/cases?limit=150&cursor=" + page.NextCursor
		}
	}
	n, _ := a.Store.CountCases(context.Background())
	var total int64
	for _, v := range n {
		total += v
	}
	if int64(len(seen)) != total {
		t.Fatalf("paged through %d of %d cases", len(seen), total)
	}

	// One case with its timeline.
	code, body, _ := get(t, s.URL+"/api/v1/cases?state=closed&limit=1")
	var page struct{ Cases []web.CaseView }
	json.Unmarshal([]byte(body), &page)
	if code != 200 || len(page.Cases) != 1 {
		t.Fatalf("closed filter: %d %s", code, body)
	}
	code, body, _ = get(t, s.URL+"/api/v1/cases/"+page.Cases[0].Number)
	var c web.CaseView
	if err := json.Unmarshal([]byte(body), &c); err != nil || code != 200 {
		t.Fatalf("detail %d %s", code, body)
	}
	if len(c.Timeline) != c.Version || c.Timeline[0].Action != caseflow.ActReport || c.Timeline[len(c.Timeline)-1].To != caseflow.Closed {
		t.Fatalf("timeline %+v", c.Timeline)
	}
	if phone.MatchString(body) {
		t.Fatal("case detail shows a phone number")
	}

	// The home page is Chinese first and lists the counts.
	code, body, h := get(t, s.URL+"/")
	if code != 200 || !strings.Contains(body, "已结案") || !strings.Contains(body, `lang="zh-CN"`) || h.Get("Content-Security-Policy") == "" {
		t.Fatalf("index %d", code)
	}
}

func TestBadRequestsGetClearErrors(t *testing.T) {
	s, _ := server(t)
	for _, tt := range []struct {
		path  string
		code  int
		field string
	}{
		{"/api/v1/cases?state=lost", 400, "state"},
		{"/api/v1/cases?limit=0", 400, "limit"},
		{"/api/v1/cases?limit=abc", 400, "limit"},
		{"/api/v1/cases?cursor=-4", 400, "cursor"},
		{"/api/v1/cases?state=%27%3B%20DROP%20TABLE%20cases%3B--", 400, "state"},
		{"/api/v1/cases/19990101-nope", 404, ""},
	} {
		code, body, h := get(t, s.URL+tt.path)
		if code != tt.code || h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s", tt.path, code, body)
			continue
		}
		var p web.Problem
		if err := json.Unmarshal([]byte(body), &p); err != nil || p.Field != tt.field || p.Status != tt.code {
			t.Errorf("%s: problem %+v", tt.path, p)
		}
	}
	if code, _, _ := get(t, s.URL+"/api/v1/cases?limit=5"); code != 200 {
		t.Fatal("the table survived the injection attempt? list failed")
	}
}

// A department's overdue task shows in its handler's inbox and in the
// case's deadlines once the watcher has reminded it.
func TestInboxAndDeadlinesOverHTTP(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	open, err := a.Store.Cases(ctx, store.CaseFilter{State: caseflow.Dispatched, Limit: 1})
	if err != nil || len(open) == 0 {
		t.Fatalf("no dispatched case in the demo: %v", err)
	}
	c := open[0]
	units, _ := a.Store.Units(ctx)
	var handler string
	for _, u := range units {
		if u.ID == c.Tasks[0].UnitID {
			handler = "h-" + u.Code
		}
	}
	later := c.Tasks[0].Deadline.Add(time.Minute)
	if !later.After(a.Now()) {
		later = a.Now().Add(time.Minute)
	}
	a.Now = func() time.Time { return later }
	w := &watch.Watcher{Store: a.Store, Clock: a.Policy, Now: a.Now}
	if _, _, err := w.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	code, body, _ := getAs(t, s.URL+"/api/v1/inbox", tokenOf(t, a, handler))
	if code != 200 {
		t.Fatalf("inbox %d %s", code, body)
	}
	var in store.Inbox
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range in.Overdue {
		found = found || d.CaseNumber == c.Number
	}
	if !found {
		t.Fatalf("case %s not overdue in %s's inbox: %s", c.Number, handler, body)
	}
	code, body, _ = get(t, s.URL+"/api/v1/cases/"+c.Number)
	if code != 200 || !strings.Contains(body, `"deadlines"`) || !strings.Contains(body, `"status":"overdue"`) && !strings.Contains(body, `"status":"escalated"`) {
		t.Fatalf("case view lacks an overdue deadline: %d %s", code, body)
	}
	if code, _, _ := getAs(t, s.URL+"/api/v1/inbox", ""); code != 401 {
		t.Fatalf("inbox without signing in: %d", code)
	}
}

// The dispatch table's dry run, duplicate candidates, hotspots and the map
// over HTTP, and their bad input.
func TestPlacesOverHTTP(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	open, err := a.Store.Cases(ctx, store.CaseFilter{State: caseflow.Dispatched, Limit: 1})
	if err != nil || len(open) == 0 {
		t.Fatal("no dispatched case")
	}
	c := open[0]
	q := func(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }
	code, body, _ := get(t, s.URL+"/api/v1/route?lon="+q(c.Point.Lon)+"&lat="+q(c.Point.Lat)+"&category=M06011")
	var rr app.RouteResult
	if code != 200 || json.Unmarshal([]byte(body), &rr) != nil || rr.Decision.Lead.Code != "hwc" || rr.Place.UnitGrid != c.Place.UnitGrid ||
		!strings.Contains(rr.Decision.Why, "派单目录") {
		t.Fatalf("route %d %s", code, body)
	}
	code, body, _ = get(t, s.URL+"/api/v1/cases/"+c.Number+"/duplicates")
	if code != 200 || !strings.Contains(body, `"radius_m":50`) {
		t.Fatalf("duplicates %d %s", code, body)
	}
	// The case itself is a candidate for a new report at its point.
	code, body, _ = get(t, s.URL+"/api/v1/duplicates?lon="+q(c.Point.Lon)+"&lat="+q(c.Point.Lat)+"&category="+c.CategoryID)
	if code != 200 || !strings.Contains(body, c.Number) || !strings.Contains(body, `"distance_m":0`) {
		t.Fatalf("duplicates for a new report %d %s", code, body)
	}
	if phone.MatchString(body) {
		t.Fatalf("a phone number in %s", body)
	}
	code, body, _ = get(t, s.URL+"/api/v1/hotspots?days=365&radius=300&min=3")
	if code != 200 || !strings.Contains(body, `"hotspots":[`) {
		t.Fatalf("hotspots %d %s", code, body)
	}
	code, body, _ = get(t, s.URL+"/api/v1/map?bbox=113.0,39.9,113.6,40.3&state=all&limit=50")
	var m store.MapResult
	if code != 200 || json.Unmarshal([]byte(body), &m) != nil || m.Total < 400 || len(m.Clusters) == 0 || len(m.Points) != 0 {
		t.Fatalf("clustered map %d %.300s", code, body)
	}
	code, body, _ = get(t, s.URL+"/api/v1/map?bbox="+q(c.Point.Lon-0.0001)+","+q(c.Point.Lat-0.0001)+","+q(c.Point.Lon+0.0001)+","+q(c.Point.Lat+0.0001))
	if code != 200 || !strings.Contains(body, c.Number) {
		t.Fatalf("map points %d %s", code, body)
	}
	for _, bad := range []struct{ url, field string }{
		{"/api/v1/route?lon=113.3&lat=95&category=M06011", "lat"},
		{"/api/v1/route?lon=NaN&lat=40&category=M06011", "lon"},
		{"/api/v1/route?lon=113.3&lat=40.1", "category"},
		{"/api/v1/route?lon=40.1&lat=113.3&category=M06011", "lat"},
		{"/api/v1/duplicates?lon=113.3&lat=40.1&category=X1", "category"},
		{"/api/v1/map?bbox=1,2,3", "bbox"},
		{"/api/v1/map?bbox=114,40,113,41", "bbox"},
		{"/api/v1/map?bbox=113,40,114,41&limit=99999", "limit"},
		{"/api/v1/hotspots?days=0", "days"},
		{"/api/v1/hotspots?bbox=a,b,c,d", "bbox"},
	} {
		code, body, _ := get(t, s.URL+bad.url)
		if code != 400 || !strings.Contains(body, `"field":"`+bad.field+`"`) {
			t.Errorf("%s: %d %s", bad.url, code, body)
		}
	}
	// Swapped coordinates that are valid degrees but land elsewhere.
	if code, body, _ := get(t, s.URL+"/api/v1/route?lon=40.1&lat=13.3&category=M06011"); code != 422 || !strings.Contains(body, "outside") {
		t.Errorf("swapped lat/long: %d %s", code, body)
	}
}

// The ledger's totals count exactly its rows, in JSON and in the files;
// the evaluation comes as JSON and as a spreadsheet.
func TestLedgerAndEvaluationOverHTTP(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	street := all[0].Place.Street
	code, body, _ := get(t, s.URL+"/api/v1/ledger?street="+street)
	var l struct {
		Counts store.LedgerCounts `json:"counts"`
		Cases  []json.RawMessage  `json:"cases"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &l) != nil || l.Counts.Total == 0 || l.Counts.Open+l.Counts.Closed+l.Counts.Voided != l.Counts.Total {
		t.Fatalf("ledger %d %.300s", code, body)
	}
	// A ledger lists newest reports first.
	var prev time.Time
	for i, raw := range l.Cases {
		var c struct {
			ReportedAt time.Time `json:"reported_at"`
		}
		if json.Unmarshal(raw, &c) != nil || (i > 0 && c.ReportedAt.After(prev)) {
			t.Fatalf("ledger row %d reported %s after row %d's %s", i, c.ReportedAt, i-1, prev)
		}
		prev = c.ReportedAt
	}
	code, body, hdr := get(t, s.URL+"/api/v1/ledger?street="+street+"&format=csv")
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if code != 200 || !strings.HasPrefix(body, "\ufeff案件编号,") || int64(len(lines)) != l.Counts.Total+2 ||
		!strings.HasPrefix(lines[len(lines)-1], fmt.Sprintf("合计 %d 件", l.Counts.Total)) || !strings.Contains(hdr.Get("Content-Disposition"), "ledger.csv") {
		t.Fatalf("csv: %d, %d lines for %d cases; last %q", code, len(lines), l.Counts.Total, lines[len(lines)-1])
	}
	// The lead department column names each case's active lead task's unit.
	units, _ := a.Store.Units(ctx)
	unitName := map[int64]string{}
	for _, u := range units {
		unitName[u.ID] = u.Name
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	cr.FieldsPerRecord = -1 // the totals row is shorter
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	withLead := 0
	for _, rec := range recs[1:min(len(recs)-1, 200)] {
		c, err := a.Store.CaseByNumber(ctx, rec[0])
		if err != nil {
			t.Fatalf("csv row %q: %v", rec[0], err)
		}
		want := ""
		for _, tk := range c.Tasks {
			if tk.Lead && tk.State.Active() {
				want = unitName[tk.UnitID]
			}
		}
		if rec[14] != want {
			t.Fatalf("csv: case %s lead %q, want %q", rec[0], rec[14], want)
		}
		if want != "" {
			withLead++
		}
	}
	if withLead == 0 {
		t.Fatal("csv: no row names a lead department")
	}
	code, body, hdr = get(t, s.URL+"/api/v1/ledger?street="+street+"&format=xlsx")
	x, err := excelize.OpenReader(strings.NewReader(body))
	if code != 200 || err != nil || !strings.Contains(hdr.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("xlsx %d %v", code, err)
	}
	rows, _ := x.GetRows(x.GetSheetName(0))
	streetName := street
	divs, _ := a.Store.Divisions(ctx)
	for _, d := range divs {
		if d.Code == street {
			streetName = d.Name
		}
	}
	if int64(len(rows)) != l.Counts.Total+3 || rows[0][0] != "台账 "+streetName || x.GetSheetName(0) != "台账" || rows[1][0] != "案件编号" {
		t.Fatalf("xlsx has %d rows for %d cases; title %q", len(rows), l.Counts.Total, rows[0])
	}
	if phone.MatchString(body) {
		t.Fatal("a phone number in the ledger file")
	}

	code, body, _ = get(t, s.URL+"/api/v1/zeroing?street="+street+"&days=60")
	var z store.Zeroing
	if code != 200 || json.Unmarshal([]byte(body), &z) != nil || len(z.Days) != 60 || z.OpenNow != int(l.Counts.Open) ||
		z.Days[59].Open != z.OpenNow || z.DaysSinceNew < 0 || z.Days[59].Day != "2026-11-20" {
		t.Fatalf("zeroing %d %.400s (ledger open %d)", code, body, l.Counts.Open)
	}
	code, body, _ = get(t, s.URL+"/api/v1/evaluations?group=street&period=2026-10&min_sample=1")
	var e app.Evaluation
	if code != 200 || json.Unmarshal([]byte(body), &e) != nil || len(e.Rows) != 18 || e.Rows[0].Rank != 1 || e.Rows[0].Score == nil {
		t.Fatalf("evaluation %d %.300s", code, body)
	}
	code, body, _ = get(t, s.URL+"/api/v1/evaluations?group=department&period=2026-Q3&format=xlsx&w.close_rate=1")
	if x, err := excelize.OpenReader(strings.NewReader(body)); code != 200 || err != nil {
		t.Fatalf("evaluation xlsx %d %v", code, err)
	} else if rows, _ := x.GetRows(x.GetSheetName(0)); len(rows) < 4 || rows[1][3] != "综合得分" || rows[len(rows)-1][1] != "合计" {
		t.Fatalf("evaluation rows %q", rows[:2])
	}
	if code, body, _ := get(t, s.URL+"/api/v1/evaluations/definitions"); code != 200 || !strings.Contains(body, "按期结案率") {
		t.Fatalf("definitions %d", code)
	}
	for _, bad := range []struct{ url, field string }{
		{"/api/v1/evaluations?period=2026-10", "group"},
		{"/api/v1/evaluations?group=planet&period=2026-10", "group"},
		{"/api/v1/evaluations?group=street&period=October", "period"},
		{"/api/v1/evaluations?group=street&period=2026-10&w.close_rate=x", "w.close_rate"},
		{"/api/v1/evaluations?group=street&period=2026-10&w.speed=1", "weights"},
		{"/api/v1/ledger?format=pdf", "format"},
		{"/api/v1/ledger?unit=nobody", "unit"},
		{"/api/v1/ledger?from=yesterday", "from"},
	} {
		if code, body, _ := get(t, s.URL+bad.url); code != 400 || !strings.Contains(body, `"field":"`+bad.field+`"`) {
			t.Errorf("%s: %d %s", bad.url, code, body)
		}
	}
}

func TestMonthlyReport(t *testing.T) {
	s, _ := server(t)
	code, body, _ := get(t, s.URL+"/reports/monthly?period=2026-10")
	if code != 200 || !strings.Contains(body, "2026-10 月度报告") || !strings.Contains(body, "街道排名") || !strings.Contains(body, "超期未结案件") {
		t.Fatalf("report %d %.300s", code, body)
	}
	if phone.MatchString(body) {
		t.Fatal("a phone number in the report")
	}
	code, body, hdr := get(t, s.URL+"/reports/monthly?period=2026-10&street=140213053&download=1")
	if code != 200 || !strings.Contains(body, "迎宾街道 2026-10 月度报告") || strings.Contains(body, "街道排名") ||
		!strings.Contains(hdr.Get("Content-Disposition"), "report-2026-10.html") {
		t.Fatalf("street report %d %v", code, hdr)
	}
	if code, body, _ := get(t, s.URL+"/reports/monthly?period=last"); code != 400 || !strings.Contains(body, "period") {
		t.Fatalf("bad period %d", code)
	}
}

// The OpenAPI document lists every API route, and every route it lists
// answers (no 404 for the route itself, no 405, no 500).
func TestOpenAPIMatchesTheServer(t *testing.T) {
	s, a := server(t)
	code, body, _ := getAs(t, s.URL+"/api/v1/openapi.json", "")
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &doc) != nil || doc.OpenAPI != "3.0.3" || len(doc.Paths) < 18 {
		t.Fatalf("openapi %d %.200s", code, body)
	}
	cs, _ := a.Store.Cases(context.Background(), store.CaseFilter{Limit: 1})
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Responses map[string]any `json:"responses"`
				Summary   string         `json:"summary"`
			}
			if json.Unmarshal(raw, &op) != nil || op.Summary == "" || op.Responses["200"] == nil {
				t.Errorf("%s %s: incomplete operation", method, path)
			}
			if method != "get" {
				continue
			}
			url := strings.NewReplacer("{number}", cs[0].Number).Replace(path)
			code, body, _ := get(t, s.URL+url)
			if code == 405 || code >= 500 || (code == 404 && !strings.Contains(body, "not_found")) {
				t.Errorf("GET %s: %d %.100s", url, code, body)
			}
		}
	}
	for _, must := range []string{"/api/v1/cases", "/api/v1/cases/{number}/actions/{action}", "/api/v1/ledger", "/api/v1/evaluations", "/api/v1/session"} {
		if doc.Paths[must] == nil {
			t.Errorf("openapi lacks %s", must)
		}
	}
}
