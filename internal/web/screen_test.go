package web_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/web"
)

// dashboardAnswer is GET /api/v1/dashboard as a client reads it.
type dashboardAnswer struct {
	Today, Period struct {
		Span     struct{ From, To time.Time }  `json:"span"`
		Previous *struct{ From, To time.Time } `json:"previous"`
		Stages   map[string]struct {
			Value     int64    `json:"value"`
			Previous  *int64   `json:"previous"`
			Change    *int64   `json:"change"`
			ChangePct *float64 `json:"change_pct"`
		} `json:"stages"`
	}
	Open int64 `json:"open"`
	Top  map[string][]struct {
		Key      string `json:"key"`
		Name     string `json:"name"`
		Reported int64  `json:"reported"`
		Closed   int64  `json:"closed"`
		Voided   int64  `json:"voided"`
		Overdue  int64  `json:"overdue"`
		Open     int64  `json:"open"`
	} `json:"top"`
	Overdue, Supervision struct {
		Total int64 `json:"total"`
		Cases []struct {
			Number   string    `json:"number"`
			Deadline time.Time `json:"deadline"`
		} `json:"cases"`
	}
	Heat []struct {
		Count int64 `json:"count"`
	} `json:"heat"`
	Focus *struct {
		Street, Category string
		CategoryName     string `json:"category_name"`
		Count, Previous  int64
		ChangePct        *float64 `json:"change_pct"`
	} `json:"focus"`
}

// Every figure of the dashboard's answer — the stages today and this month
// with 同比 and 环比 (also on working days only), the top streets, units and
// categories in every order, the overdue and supervision lists and the
// focus of the last 7 days — is counted again here from the raw rows by
// plain SQL and the definitions written out below.
func TestScreenFiguresRecounted(t *testing.T) {
	s, a := serverWith(t, 2000)
	db := a.Store.DB()
	now := a.Now()
	// Something reported and registered this morning.
	gw := "gw14021305300101"
	acct, _ := a.Store.AccountByUsername(t.Context(), gw)
	who, _ := a.Principal(t.Context(), acct.ID)
	lon, lat := pointIn(t, a, who.Grids[0])
	for range 3 {
		j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "今天上午的积存垃圾", "lon": lon, "lat": lat})
		code, body, _ := send(t, "POST", s.URL+"/api/v1/cases", tokenOf(t, a, gw), bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		var c struct{ Number string }
		if code != 201 || json.Unmarshal([]byte(body), &c) != nil {
			t.Fatalf("report: %d %s", code, body)
		}
		act(t, s.URL, tokenOf(t, a, "dispatcher1"), c.Number, "register", map[string]any{})
	}
	// A minute later: the spans so far hold them.
	a.Now = func() time.Time { return now.Add(time.Minute) }
	now = a.Now()
	cal := a.Policy.Calendar()
	loc := calendar.Shanghai
	y, mo, day := now.In(loc).Date()
	today := time.Date(y, mo, day, 0, 0, 0, 0, loc)
	month := time.Date(y, mo, 1, 0, 0, 0, 0, loc)
	times := func(q string) []int64 {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	// Each stage's moments, from the raw rows.
	stages := map[string][]int64{
		"reported":   times(`SELECT reported_at FROM cases`),
		"registered": times(`SELECT registered_at FROM cases WHERE registered_at IS NOT NULL`),
		"dispatched": times(`SELECT dispatched_at FROM tasks WHERE lead`),
		"closed":     times(`SELECT closed_at FROM cases WHERE state = 'closed'`),
	}
	count := func(stage string, from, to time.Time, workdays bool) int64 {
		var n int64
		for _, v := range stages[stage] {
			at := time.UnixMilli(v)
			if !at.Before(from) && at.Before(to) && (!workdays || cal.IsWorkingDay(at)) {
				n++
			}
		}
		return n
	}
	// The earlier spans as documented: 环比 of today is yesterday (the
	// working day before, on working days only) up to the same time; of
	// the month, the month before up to the same length; 同比 the same
	// days a year before. None runs past its own day or month.
	prevDay := func(compare string, workdays bool) (time.Time, time.Time) {
		from := today.AddDate(0, 0, -1)
		if compare == "yoy" {
			from = today.AddDate(-1, 0, 0)
		} else {
			for workdays && !cal.IsWorkingDay(from) {
				from = from.AddDate(0, 0, -1)
			}
		}
		return from, from.Add(now.Sub(today))
	}
	prevMonth := func(compare string) (time.Time, time.Time) {
		from := month.AddDate(0, -1, 0)
		end := month
		if compare == "yoy" {
			from, end = month.AddDate(-1, 0, 0), month.AddDate(-1, 1, 0)
		}
		to := from.Add(now.Sub(month))
		if to.After(end) {
			to = end
		}
		return from, to
	}
	nonzero := map[string]bool{}
	for _, compare := range []string{"", "mom", "yoy"} {
		for _, workdays := range []bool{false, true} {
			q := fmt.Sprintf("?compare=%s&workdays=%v", compare, workdays)
			if workdays {
				q += "&only=stages" // the same stages, alone
			}
			var d dashboardAnswer
			getJSON(t, s.URL+"/api/v1/dashboard"+q, &d)
			if workdays && (len(d.Top) != 0 || d.Overdue.Total != 0 || d.Focus != nil) {
				t.Errorf("%s: more than the stages", q)
			}
			for _, st := range []string{"reported", "registered", "dispatched", "closed"} {
				for _, c := range []struct {
					what     string
					from, to time.Time
					pf, pt   time.Time
					got      int64
					prev     *int64
					pct      *float64
				}{
					{what: "today", from: today, to: now, got: d.Today.Stages[st].Value, prev: d.Today.Stages[st].Previous, pct: d.Today.Stages[st].ChangePct},
					{what: "month", from: month, to: now, got: d.Period.Stages[st].Value, prev: d.Period.Stages[st].Previous, pct: d.Period.Stages[st].ChangePct},
				} {
					if want := count(st, c.from, c.to, workdays); c.got != want {
						t.Errorf("%s %s %s: %d, recounted %d", q, c.what, st, c.got, want)
					}
					if c.got > 0 {
						nonzero[c.what+" "+st] = true
					}
					if compare == "" {
						if c.prev != nil {
							t.Errorf("%s %s %s: an earlier figure without a comparison", q, c.what, st)
						}
						continue
					}
					pf, pt := prevMonth(compare)
					if c.what == "today" {
						pf, pt = prevDay(compare, workdays)
					}
					want := count(st, pf, pt, workdays)
					if c.prev == nil || *c.prev != want {
						t.Errorf("%s %s %s: earlier %v, recounted %d over %s..%s", q, c.what, st, c.prev, want, pf, pt)
						continue
					}
					if want > 0 {
						nonzero["earlier "+compare+" "+c.what+" "+st] = true
						pct := float64(c.got-want) / float64(want) * 100
						if c.pct == nil || math.Abs(*c.pct-pct) > 1e-9 {
							t.Errorf("%s %s %s: change %v%%, recounted %.2f%%", q, c.what, st, c.pct, pct)
						}
					} else if c.pct != nil {
						t.Errorf("%s %s %s: a change in per cent from nothing", q, c.what, st)
					}
				}
			}
		}
	}
	for _, must := range []string{"month reported", "month closed", "month dispatched", "earlier mom month reported", "earlier yoy month reported", "today reported", "today registered"} {
		if !nonzero[must] {
			t.Errorf("nothing counted for %s: the recount proves little", must)
		}
	}

	// The top lists: the month's reports by street, category and each
	// unit with an active task, their closed and voided, and the overdue
	// now, in each order.
	type row struct{ reported, closed, voided, overdue int64 }
	members := map[string]map[string]*row{"street": {}, "category": {}, "unit": {}}
	units := map[int64]string{}
	rs, err := db.Query(`SELECT id, code FROM units`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var id int64
		var code string
		rs.Scan(&id, &code)
		units[id] = code
	}
	rs.Close()
	taskUnits := map[int64]map[string]bool{}
	rs, _ = db.Query(`SELECT case_id, unit_id FROM tasks WHERE state <> 'returned'`)
	for rs.Next() {
		var c, u int64
		rs.Scan(&c, &u)
		if taskUnits[c] == nil {
			taskUnits[c] = map[string]bool{}
		}
		taskUnits[c][units[u]] = true
	}
	rs.Close()
	rs, _ = db.Query(`SELECT id, street, category_id, state, reported_at, deadline FROM cases`)
	for rs.Next() {
		var id, reported int64
		var street, cat, state string
		var due sql.NullInt64
		rs.Scan(&id, &street, &cat, &state, &reported, &due)
		in := reported >= month.UnixMilli() && reported < today.AddDate(0, 0, 1).UnixMilli()
		late := state != "closed" && state != "voided" && state != "suspended" && due.Valid && due.Int64 < now.UnixMilli()
		keys := map[string][]string{"street": {street}, "category": {cat}}
		for u := range taskUnits[id] {
			keys["unit"] = append(keys["unit"], u)
		}
		for by, ks := range keys {
			for _, k := range ks {
				r := members[by][k]
				if r == nil {
					r = &row{}
					members[by][k] = r
				}
				if in {
					r.reported++
					r.closed += b2i(state == "closed")
					r.voided += b2i(state == "voided")
				}
				r.overdue += b2i(late)
			}
		}
	}
	rs.Close()
	for _, sortBy := range []string{"reported", "open", "closed", "overdue"} {
		var d dashboardAnswer
		getJSON(t, s.URL+"/api/v1/dashboard?top=8&sort="+sortBy, &d)
		for by, ms := range members {
			val := func(r *row) int64 {
				switch sortBy {
				case "open":
					return r.reported - r.closed - r.voided
				case "closed":
					return r.closed
				case "overdue":
					return r.overdue
				}
				return r.reported
			}
			var keys []string
			for k, r := range ms {
				if k != "" && val(r) > 0 {
					keys = append(keys, k)
				}
			}
			sort.Slice(keys, func(i, j int) bool {
				a, b := val(ms[keys[i]]), val(ms[keys[j]])
				return a > b || a == b && keys[i] < keys[j]
			})
			if len(keys) > 8 {
				keys = keys[:8]
			}
			got := d.Top[by]
			if len(got) != len(keys) || len(keys) == 0 || sortBy == "reported" && len(keys) < 3 {
				t.Errorf("top %s by %s: %d rows, recounted %d", by, sortBy, len(got), len(keys))
				continue
			}
			for i, k := range keys {
				r, g := ms[k], got[i]
				if by == "unit" && g.Key != k || by != "unit" && g.Key != k {
					t.Errorf("top %s by %s #%d: %s, recounted %s", by, sortBy, i+1, g.Key, k)
					continue
				}
				if g.Reported != r.reported || g.Closed != r.closed || g.Voided != r.voided || g.Overdue != r.overdue || g.Open != r.reported-r.closed-r.voided || g.Name == "" {
					t.Errorf("top %s by %s %s (%s): %+v, recounted %+v", by, sortBy, k, g.Name, g, *r)
				}
			}
		}
	}

	// Overdue now, the supervision orders waiting, open now on the heat
	// map, and the focus.
	var d dashboardAnswer
	getJSON(t, s.URL+"/api/v1/dashboard?top=50", &d)
	var overdue, orders, open int64
	db.QueryRow(`SELECT count(*) FROM cases WHERE state NOT IN ('closed', 'voided', 'suspended') AND deadline < $1`, now.UnixMilli()).Scan(&overdue)
	db.QueryRow(`SELECT count(*) FROM watches WHERE watch_key LIKE 'sup:%'`).Scan(&orders)
	db.QueryRow(`SELECT count(*) FROM cases WHERE state NOT IN ('closed', 'voided')`).Scan(&open)
	var heat int64
	for _, h := range d.Heat {
		heat += h.Count
	}
	if d.Overdue.Total != overdue || overdue == 0 || len(d.Overdue.Cases) != int(min(overdue, 50)) {
		t.Errorf("overdue: %d (%d listed), recounted %d", d.Overdue.Total, len(d.Overdue.Cases), overdue)
	}
	for i := 1; i < len(d.Overdue.Cases); i++ {
		if d.Overdue.Cases[i].Deadline.Before(d.Overdue.Cases[i-1].Deadline) {
			t.Errorf("overdue list: %s before %s, not the longest overdue first", d.Overdue.Cases[i-1].Number, d.Overdue.Cases[i].Number)
		}
	}
	if d.Supervision.Total != orders || len(d.Supervision.Cases) != int(min(orders, 50)) {
		t.Errorf("supervision orders: %d (%d listed), recounted %d", d.Supervision.Total, len(d.Supervision.Cases), orders)
	}
	if d.Open != open || heat != open {
		t.Errorf("open now: %d, on the heat map %d, recounted %d", d.Open, heat, open)
	}
	pairs := func(from, to time.Time) map[[2]string]int64 {
		out := map[[2]string]int64{}
		rs, _ := db.Query(`SELECT street, category_id FROM cases WHERE reported_at >= $1 AND reported_at < $2`, from.UnixMilli(), to.UnixMilli())
		defer rs.Close()
		for rs.Next() {
			var k [2]string
			rs.Scan(&k[0], &k[1])
			out[k]++
		}
		return out
	}
	last, before := pairs(today.AddDate(0, 0, -6), today.AddDate(0, 0, 1)), pairs(today.AddDate(0, 0, -13), today.AddDate(0, 0, -6))
	var best [2]string
	for k, n := range last {
		if k[0] != "" && (n > last[best] || n == last[best] && k[0]+k[1] < best[0]+best[1]) {
			best = k
		}
	}
	if d.Focus == nil || d.Focus.Street != best[0] || d.Focus.Category != best[1] || d.Focus.Count != last[best] || d.Focus.Previous != before[best] {
		t.Errorf("focus: %+v, recounted %v %d (the week before %d)", d.Focus, best, last[best], before[best])
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	code, body, _ := get(t, url)
	if code != 200 {
		t.Fatalf("%s: %d %.300s", url, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}

// Bad parameters are refused naming the field, and a screen token made by
// an administrator reads the dashboard and nothing else: every signed-in
// route refuses it, and its answer carries no personal data.
func TestScreenTokenReadsOnlyTheDashboard(t *testing.T) {
	s, a := server(t)
	for q, field := range map[string]string{"compare=week": "compare", "workdays=yes": "workdays", "top=0": "top", "top=51": "top",
		"sort=name": "sort", "only=top": "only", "period=2026-13": "period", "period=2027-01": "period"} {
		code, body, _ := get(t, s.URL+"/api/v1/dashboard?"+q)
		if code != 400 || !strings.Contains(body, `"field":"`+field+`"`) {
			t.Errorf("dashboard?%s: %d %.200s, want 400 naming %s", q, code, body, field)
		}
	}
	// Made by an administrator through the API; a grid worker's account
	// cannot hold one.
	code, body, _ := send(t, "POST", s.URL+"/api/v1/admin/tokens", adminToken, strings.NewReader(`{"scope":"screen","name":"指挥中心大屏"}`), map[string]string{"Content-Type": "application/json"})
	var made struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
		URL   string `json:"url"`
	}
	if code != 201 || json.Unmarshal([]byte(body), &made) != nil || made.Token == "" || made.URL != "/screen?token="+made.Token {
		t.Fatalf("create a screen token: %d %s", code, body)
	}
	for _, in := range []string{`{"scope":"all"}`, `{"scope":"screen","username":"gw14021305300101"}`, `{"scope":"screen","username":"nobody"}`} {
		if code, body, _ := send(t, "POST", s.URL+"/api/v1/admin/tokens", adminToken, strings.NewReader(in), map[string]string{"Content-Type": "application/json"}); code != 400 {
			t.Errorf("create %s: %d %.200s, want 400", in, code, body)
		}
	}
	if code, _, _ := send(t, "POST", s.URL+"/api/v1/admin/tokens", tokenOf(t, a, "leader"), strings.NewReader(`{"scope":"screen"}`), map[string]string{"Content-Type": "application/json"}); code != 403 {
		t.Errorf("a leader makes a screen token: %d, want 403", code)
	}
	code, body, _ = getAs(t, s.URL+"/api/v1/dashboard?compare=mom&top=10", made.Token)
	if code != 200 {
		t.Fatalf("dashboard with the screen token: %d %.200s", code, body)
	}
	// Nobody's name, phone or words: the wall is read by visitors.
	divs, _ := a.Store.Divisions(t.Context())
	area := map[string]bool{}
	for _, dv := range divs {
		area[dv.Name] = true
	}
	rows, err := a.Store.DB().Query(`SELECT reporter_name, reporter_phone, description, address FROM cases`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, phone, desc, addr string
		rows.Scan(&name, &phone, &desc, &addr)
		if area[addr] {
			addr = "" // an address that is only a street's or community's name
		}
		for _, v := range []string{name, phone, desc, addr} {
			if len([]rune(v)) >= 4 && strings.Contains(body, v) {
				t.Errorf("the dashboard carries %q", v)
			}
		}
	}
	rows.Close()
	accts, _ := a.Store.Accounts(t.Context())
	for _, ac := range accts {
		if ac.Name != "" && strings.Contains(body, `"`+ac.Name+`"`) {
			t.Errorf("the dashboard names %s", ac.Name)
		}
	}
	// Every other signed-in route refuses it.
	screen := web.ScreenRoutes()
	fill := strings.NewReplacer("{number}", "2026010100999", "{action}", "sign", "{id}", "1", "{username}", "operator1", "{day}", "2026-01-01", "{phone}", "13800000000", "{file}", "x")
	walked := 0
	for pattern, acc := range web.Routes() {
		if acc == "public" || screen[pattern] {
			continue
		}
		method, path, _ := strings.Cut(pattern, " ")
		walked++
		if code := call(t, method, s.URL+fill.Replace(path), made.Token); code != 403 {
			t.Errorf("%s with a screen token: %d, want 403", pattern, code)
		}
	}
	if walked < 50 || len(screen) != 1 {
		t.Fatalf("%d routes walked, %d open to screens", walked, len(screen))
	}
	// Listed without the token; revoked, it reads nothing.
	code, body, _ = get(t, s.URL+"/api/v1/admin/tokens")
	if code != 200 || !strings.Contains(body, "指挥中心大屏") || strings.Contains(body, made.Token) {
		t.Errorf("tokens: %d %.300s", code, body)
	}
	if code, _, _ := send(t, "DELETE", s.URL+"/api/v1/admin/tokens/"+strconv.FormatInt(made.ID, 10), adminToken, bytes.NewReader(nil), nil); code != 204 {
		t.Errorf("revoke: %d", code)
	}
	if code, _, _ := getAs(t, s.URL+"/api/v1/dashboard", made.Token); code != 401 {
		t.Errorf("dashboard with a revoked screen token: %d, want 401", code)
	}
}
