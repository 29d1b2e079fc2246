package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/watch"
)

// The accounts come a page at a time, searched on the server: every one
// of them once over the pages, the search by name, username, unit and
// role, and a bounded page.
func TestAdminUsersPaged(t *testing.T) {
	s, a := server(t)
	admin := signIn(t, s.URL, "admin")
	all, _ := a.Store.Accounts(context.Background())
	type page struct {
		Users []struct {
			Username, Name, Role, Unit string
			Active                     bool
		}
		Total, Offset, Limit int
	}
	get := func(query string) page {
		t.Helper()
		code, body := admin.do("GET", "/api/v1/admin/users?"+query, nil)
		var p page
		if code != 200 || json.Unmarshal([]byte(body), &p) != nil {
			t.Fatalf("users?%s: %d %.300s", query, code, body)
		}
		return p
	}
	seen := map[string]bool{}
	for off := 0; ; off += 100 {
		p := get(fmt.Sprintf("limit=100&offset=%d", off))
		if p.Total != len(all) {
			t.Fatalf("total %d, the store holds %d accounts", p.Total, len(all))
		}
		for _, u := range p.Users {
			if seen[u.Username] {
				t.Fatalf("%s on two pages", u.Username)
			}
			seen[u.Username] = true
		}
		if len(p.Users) < 100 {
			break
		}
	}
	if len(seen) != len(all) || len(all) < 300 {
		t.Fatalf("the pages hold %d of %d accounts", len(seen), len(all))
	}
	if p := get(""); len(p.Users) != 50 || p.Limit != 50 {
		t.Errorf("the default page: %d accounts, limit %d", len(p.Users), p.Limit)
	}
	// By username, by name, by the unit's name, by role.
	if p := get("q=DISPATCHER2"); p.Total != 1 || p.Users[0].Username != "dispatcher2" {
		t.Errorf("search by username: %+v", p)
	}
	op, _ := a.Store.AccountByUsername(context.Background(), "operator2")
	if p := get("q=" + op.Name); p.Total < 1 || !strings.Contains(fmt.Sprint(p.Users), "operator2") {
		t.Errorf("search by the name %s: %+v", op.Name, p)
	}
	if p := get("q=环卫"); p.Total < 1 || !strings.Contains(fmt.Sprint(p.Users), "h-hwc") {
		t.Errorf("search by unit name 环卫: %+v", p)
	}
	p := get("role=grid_worker&limit=100")
	for _, u := range p.Users {
		if u.Role != string(caseflow.GridWorker) {
			t.Errorf("role=grid_worker lists %s, a %s", u.Username, u.Role)
		}
	}
	if p := get("unit=hwc"); p.Total < 1 {
		t.Errorf("unit=hwc: %+v", p)
	}
	if p := get("q=%25"); p.Total != 0 {
		t.Errorf("a %% matches %d accounts: it must be text, not a pattern", p.Total)
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "offset=-1", "role=boss", "unit=nowhere", "q=" + strings.Repeat("长", 101)} {
		code, body := admin.do("GET", "/api/v1/admin/users?"+q, nil)
		field, _, _ := strings.Cut(q, "=")
		if code != 400 || !strings.Contains(body, `"field":"`+field+`"`) {
			t.Errorf("users?%.30s: %d %.200s, want 400 naming %s", q, code, body, field)
		}
	}
}

// The time-limit table is checked whole: every wrong row is named with
// its field, a repeated row names the one it repeats, and nothing is saved.
func TestAdminTimeLimitRows(t *testing.T) {
	s, a := server(t)
	admin := signIn(t, s.URL, "admin")
	before, _ := a.Store.TimeLimits(context.Background())
	rows := []map[string]any{}
	for _, l := range before {
		j, _ := json.Marshal(l)
		var m map[string]any
		json.Unmarshal(j, &m)
		rows = append(rows, m)
	}
	bad := append([]map[string]any{}, rows...)
	bad[1] = map[string]any{"scope": "M06011", "step": "handle", "amount": 0, "unit": "working_days"}
	bad[3] = map[string]any{"scope": "M99999", "step": "handle", "amount": 2, "unit": "working_days"}
	bad[4] = map[string]any{"scope": "*", "step": "handle", "amount": 2, "unit": "fortnights"}
	bad = append(bad, rows[0])
	code, body := admin.do("PUT", "/api/v1/admin/time-limits", map[string]any{"limits": bad})
	var p struct {
		Field  string
		Errors []struct{ Code, Field, Other string }
	}
	json.Unmarshal([]byte(body), &p)
	if code != 400 || p.Field != "limits[1].amount" || len(p.Errors) != 4 {
		t.Fatalf("a table with four wrong rows: %d %s", code, body)
	}
	want := []string{"limits[1].amount", "limits[3].scope", "limits[4].unit", fmt.Sprintf("limits[%d]", len(rows))}
	for i, e := range p.Errors {
		if e.Field != want[i] {
			t.Errorf("error %d names %s, want %s", i, e.Field, want[i])
		}
	}
	if last := p.Errors[3]; last.Code != "duplicate" || last.Other != "limits[0]" {
		t.Errorf("the repeated row: %+v", last)
	}
	if after, _ := a.Store.TimeLimits(context.Background()); len(after) != len(before) {
		t.Errorf("a refused table changed the table: %d limits, were %d", len(after), len(before))
	}
	if code, body := admin.do("PUT", "/api/v1/admin/time-limits", map[string]any{"limits": []map[string]any{{"scope": "*", "step": "handle", "amount": 10001, "unit": "minutes"}}}); code != 400 || !strings.Contains(body, "limits[0].amount") {
		t.Errorf("an amount over the bound: %d %s", code, body)
	}
}

// Webhooks on the admin API, as on the command line: added with a secret
// shown once, refused with the field named and nothing written, their
// deliveries listed after a case event, a parked one sent again, paused and
// resumed, every change in the audit log, and only for administrators.
func TestAdminWebhooks(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	admin := signIn(t, s.URL, "admin")
	var fail atomic.Bool
	var got atomic.Int32
	sub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		if fail.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		}
	}))
	defer sub.Close()

	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{}, "url"},
		{map[string]any{"url": "ftp://127.0.0.1/x"}, "url"},
		{map[string]any{"url": "/relative"}, "url"},
		{map[string]any{"url": sub.URL, "secret": "short"}, "secret"},
		{map[string]any{"url": sub.URL, "topics": []string{"case.*", "bad topic"}}, "topics[1]"},
		{map[string]any{"url": sub.URL, "topics": []string{" "}}, "topics"},
		{map[string]any{"url": sub.URL, "active": true}, "active"},
	} {
		code, body := admin.do("POST", "/api/v1/admin/webhooks", c.body)
		if code != 400 || !strings.Contains(body, `"field":"`+c.field+`"`) {
			t.Errorf("webhook %v: %d %s, want 400 naming %s", c.body, code, body, c.field)
		}
	}
	if hs, _ := a.Store.Webhooks(ctx); len(hs) != 0 {
		t.Fatalf("refused webhooks were written: %+v", hs)
	}
	for _, who := range []string{"dispatcher1", "leader", "h-hwc"} {
		if code, _ := signIn(t, s.URL, who).do("POST", "/api/v1/admin/webhooks", map[string]any{"url": sub.URL}); code != 403 {
			t.Errorf("%s adds a webhook: %d, want 403", who, code)
		}
	}

	code, body := admin.do("POST", "/api/v1/admin/webhooks", map[string]any{"url": sub.URL, "topics": []string{"case.*"}})
	var made struct {
		Webhook struct {
			ID     int64
			Topics []string
			Active bool
		}
		Secret string
	}
	if json.Unmarshal([]byte(body), &made); code != 201 || len(made.Secret) < 32 || !made.Webhook.Active {
		t.Fatalf("add: %d %s", code, body)
	}
	hs, _ := a.Store.Webhooks(ctx)
	if len(hs) != 1 || hs[0].Secret != made.Secret || hs[0].URL != sub.URL {
		t.Fatalf("stored: %+v", hs)
	}
	if _, list := admin.do("GET", "/api/v1/admin/webhooks", nil); strings.Contains(list, made.Secret) {
		t.Error("the list shows the secret again")
	}
	id := made.Webhook.ID

	// A case event, delivered: the subscriber is down, so it is retried
	// and parked; sent again, it arrives.
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	reporter := signIn(t, s.URL, "dispatcher2")
	event := func(desc string) {
		t.Helper()
		if code, body := reporter.do("POST", "/api/v1/cases", map[string]any{"category": "M06011", "description": desc, "lon": cs[0].Point.Lon, "lat": cs[0].Point.Lat}); code != 201 {
			t.Fatalf("report: %d %s", code, body)
		}
	}
	event("订阅测试：垃圾堆放")
	fail.Store(true)
	d := &watch.Deliverer{Store: a.Store, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxAttempts: 2}
	for range 50 {
		if _, err := d.DeliverOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := a.Store.DeliveryCounts(ctx); n[store.DeliveryParked] > 0 && n[store.DeliveryPending] == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	type delivery struct {
		ID         int64
		Topic      string
		State      string
		Attempts   int
		LastStatus int    `json:"last_status"`
		LastError  string `json:"last_error"`
	}
	list := func(query string) ([]delivery, string) {
		t.Helper()
		code, body := admin.do("GET", fmt.Sprintf("/api/v1/admin/webhooks/%d/deliveries%s", id, query), nil)
		var out struct {
			Deliveries []delivery
			NextBefore int64 `json:"next_before"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &out) != nil {
			t.Fatalf("deliveries%s: %d %s", query, code, body)
		}
		return out.Deliveries, body
	}
	ds, _ := list("?state=parked")
	if len(ds) == 0 || !strings.HasPrefix(ds[0].Topic, "case.") || ds[0].Attempts != 2 || ds[0].LastStatus != 503 || ds[0].LastError == "" {
		t.Fatalf("the parked delivery of the report: %+v", ds)
	}
	for _, q := range []string{"?state=lost", "?limit=0", "?limit=201", "?before=x"} {
		code, body := admin.do("GET", fmt.Sprintf("/api/v1/admin/webhooks/%d/deliveries%s", id, q), nil)
		field, _, _ := strings.Cut(strings.TrimPrefix(q, "?"), "=")
		if code != 400 || !strings.Contains(body, `"field":"`+field+`"`) {
			t.Errorf("deliveries%s: %d %s", q, code, body)
		}
	}
	if code, _ := admin.do("GET", "/api/v1/admin/webhooks/999/deliveries", nil); code != 404 {
		t.Errorf("deliveries of no webhook: %d", code)
	}
	fail.Store(false)
	if code, body := admin.do("POST", fmt.Sprintf("/api/v1/admin/deliveries/%d/replay", ds[0].ID), nil); code != 200 || !strings.Contains(body, `"state":"pending"`) {
		t.Fatalf("replay: %d %s", code, body)
	}
	if code, _ := admin.do("POST", fmt.Sprintf("/api/v1/admin/deliveries/%d/replay", ds[0].ID), nil); code != 409 {
		t.Errorf("replaying a delivery that is not parked: %d, want 409", code)
	}
	for _, p := range []string{"/api/v1/admin/deliveries/0/replay", "/api/v1/admin/deliveries/x/replay"} {
		if code, body := admin.do("POST", p, nil); code != 400 || !strings.Contains(body, `"field":"id"`) {
			t.Errorf("%s: %d %s", p, code, body)
		}
	}
	if code, _ := admin.do("POST", "/api/v1/admin/deliveries/99999/replay", nil); code != 404 {
		t.Errorf("replaying no delivery: %d", code)
	}
	if code, body := admin.do("POST", fmt.Sprintf("/api/v1/admin/webhooks/%d/replay", id), nil); code != 200 || !strings.Contains(body, `"replayed":0`) {
		t.Errorf("replaying a webhook with nothing parked: %d %s", code, body)
	}
	if code, _ := admin.do("POST", "/api/v1/admin/webhooks/999/replay", nil); code != 404 {
		t.Errorf("replaying no webhook: %d", code)
	}
	if _, err := d.DeliverOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if ds, _ := list(""); ds[0].State != "done" {
		t.Errorf("after the replay: %+v", ds[0])
	}

	// Paused, nothing is fanned out to it; resumed, it catches up.
	if code, body := admin.do("PATCH", fmt.Sprintf("/api/v1/admin/webhooks/%d", id), map[string]any{}); code != 400 || !strings.Contains(body, `"field":"active"`) {
		t.Errorf("pause without active: %d %s", code, body)
	}
	if code, _ := admin.do("PATCH", "/api/v1/admin/webhooks/999", map[string]any{"active": false}); code != 404 {
		t.Errorf("pause no webhook: %d", code)
	}
	if code, body := admin.do("PATCH", fmt.Sprintf("/api/v1/admin/webhooks/%d", id), map[string]any{"active": false}); code != 200 || !strings.Contains(body, `"active":false`) {
		t.Fatalf("pause: %d %s", code, body)
	}
	before := got.Load()
	event("暂停期间的上报")
	d.DeliverOnce(ctx)
	if got.Load() != before {
		t.Error("a paused webhook was sent a message")
	}
	if code, _ := admin.do("PATCH", fmt.Sprintf("/api/v1/admin/webhooks/%d", id), map[string]any{"active": true}); code != 200 {
		t.Fatalf("resume: %d", code)
	}
	d.DeliverOnce(ctx)
	if got.Load() == before {
		t.Error("the resumed webhook did not get what happened while it was paused")
	}

	// A day the subscriber was down: everything parked is sent again at once.
	fail.Store(true)
	event("订阅方停机时的上报")
	for range 50 {
		d.DeliverOnce(ctx)
		if n, _ := a.Store.DeliveryCounts(ctx); n[store.DeliveryParked] > 0 && n[store.DeliveryPending] == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	parked, _ := list("?state=parked")
	fail.Store(false)
	if code, body := admin.do("POST", fmt.Sprintf("/api/v1/admin/webhooks/%d/replay", id), nil); code != 200 || !strings.Contains(body, fmt.Sprintf(`"replayed":%d`, len(parked))) || len(parked) == 0 {
		t.Errorf("replaying the %d parked: %d %s", len(parked), code, body)
	}
	if still, _ := list("?state=parked"); len(still) != 0 {
		t.Errorf("parked after replaying them all: %+v", still)
	}

	entries, _ := a.Store.AuditEntries(ctx, 200)
	for _, ev := range []string{"webhook_added", "delivery_replayed", "webhook_paused", "webhook_resumed"} {
		found := false
		for _, e := range entries {
			found = found || e["event"] == ev && e["username"] == "admin"
		}
		if !found {
			t.Errorf("no %s in the audit log", ev)
		}
	}
}
