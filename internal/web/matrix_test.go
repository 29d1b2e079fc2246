package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"image"
	"image/jpeg"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/web"
	"github.com/xuri/excelize/v2"
)

// reader is a signed-in person of the matrix, with what the test itself
// (not package access) says they may see.
type reader struct {
	name    string
	role    caseflow.Role
	id      int64
	unit    int64
	street  string // a street office's street
	grids   []string
	token   string
	inScope bool // whether the matrix's case is theirs to see
}

// sees is the scope rule written out again for the test: the centre,
// operators, leaders and admins everything; a department its tasks; a
// street office those and its street; a grid worker their grids and
// what they reported.
func (u *reader) sees(c *caseflow.Case) bool {
	switch u.role {
	case caseflow.Admin, caseflow.Dispatcher, caseflow.Operator, caseflow.Leader:
		return true
	case caseflow.Handler:
		for _, t := range c.Tasks {
			if t.UnitID == u.unit {
				return true
			}
		}
		return u.street != "" && c.Place.Street == u.street
	case caseflow.GridWorker:
		return slices.Contains(u.grids, c.Place.Grid) || c.Reporter.AccountID == u.id
	}
	return false
}

func (u *reader) wide() bool {
	return slices.Contains([]caseflow.Role{caseflow.Admin, caseflow.Dispatcher, caseflow.Operator, caseflow.Leader}, u.role)
}

// TestScopeMatrix walks every route of the route table as every role and
// as an out-of-scope person of each role that has a scope, around one case
// (in grid A of street A, dispatched to 环卫处, with a photo): lookups by
// id of what is out of scope answer exactly as absent things do, refused
// routes refuse, and every row of every allowed list, count and export is
// one the reader may see. A staff route the test does not know fails it,
// so a new route cannot be left unchecked.
func TestScopeMatrix(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1000})
	var A, B caseflow.Case // a case to report beside, and one in another street
	for _, c := range all {
		if A.ID == 0 && c.Place.Grid != "" {
			A = c
		}
		if A.ID != 0 && c.Place.Street != A.Place.Street && B.ID == 0 {
			B = c
		}
	}
	accts, _ := a.Store.Accounts(ctx)
	units, _ := a.Store.Units(ctx)
	unitOf := map[int64]org.Unit{}
	unitID := map[string]int64{}
	for _, u := range units {
		unitOf[u.ID], unitID[u.Code] = u, u.ID
	}
	account := map[string]org.Account{}
	for _, ac := range accts {
		account[ac.Username] = ac
	}
	gridWorker := func(grid string) string {
		for _, ac := range accts {
			if ac.Role == caseflow.GridWorker && slices.Equal(ac.Grids, []string{grid}) {
				return ac.Username
			}
		}
		t.Fatalf("no grid worker of %s", grid)
		return ""
	}
	gwA, gwB := gridWorker(A.Place.Grid), gridWorker(B.Place.Grid)
	gwA2 := "" // another grid of street A: employed by the same street office
	for _, c := range all {
		if c.Place.Street == A.Place.Street && c.Place.Grid != A.Place.Grid {
			gwA2 = gridWorker(c.Place.Grid)
			break
		}
	}

	// The matrix's case: reported by A's grid worker with a photo,
	// registered and dispatched to 环卫处 with street office A assisting
	// (so the street office's inbox, which its grid workers share, has a
	// line about it).
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	var jb bytes.Buffer
	jpeg.Encode(&jb, img, nil)
	code, body, _ := send(t, "POST", s.URL+"/api/v1/photos", tokenOf(t, a, gwA), bytes.NewReader(jb.Bytes()), nil)
	var up struct{ ID string }
	if code != 201 || json.Unmarshal([]byte(body), &up) != nil {
		t.Fatalf("upload %d %s", code, body)
	}
	const mark = "SCOPE-MATRIX 楼道堆物"
	j, _ := json.Marshal(map[string]any{"category": "M06011", "description": mark, "lon": A.Point.Lon, "lat": A.Point.Lat, "photos": []string{up.ID}})
	code, body, _ = send(t, "POST", s.URL+"/api/v1/cases", tokenOf(t, a, gwA), bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
	var made struct{ Number string }
	if code != 201 || json.Unmarshal([]byte(body), &made) != nil {
		t.Fatalf("report %d %s", code, body)
	}
	disp := tokenOf(t, a, "dispatcher1")
	act(t, s.URL, disp, made.Number, "register", map[string]any{})
	act(t, s.URL, disp, made.Number, "dispatch", map[string]any{"assignments": []map[string]any{{"unit": "hwc", "lead": true}, {"unit": "jd" + A.Place.Street}}})
	target, err := a.Store.CaseByNumber(ctx, made.Number)
	if err != nil {
		t.Fatal(err)
	}

	// Every role; an out-of-scope person of each role that has a scope
	// (the centre, operators, leaders and admins see the district).
	var readers []*reader
	for _, name := range []string{"admin", "dispatcher1", "operator1", "leader",
		"h-hwc", "h-ylc", "h-jd" + A.Place.Street, "h-jd" + B.Place.Street, gwA, gwA2, gwB, "inspector"} {
		ac, ok := account[name]
		if !ok {
			t.Fatalf("no demo account %s", name)
		}
		u := &reader{name: name, role: ac.Role, id: ac.ID, unit: ac.UnitID, grids: ac.Grids, token: tokenOf(t, a, name)}
		if un := unitOf[ac.UnitID]; ac.Role == caseflow.Handler && un.Kind == org.KindStreet {
			u.street = un.Street
		}
		u.inScope = u.sees(target)
		readers = append(readers, u)
	}
	roles := map[caseflow.Role][2]int{} // role → readers in scope, out of scope
	for _, u := range readers {
		n := roles[u.role]
		if u.inScope {
			n[0]++
		} else {
			n[1]++
		}
		roles[u.role] = n
	}
	for _, r := range []caseflow.Role{caseflow.Handler, caseflow.GridWorker} {
		if n := roles[r]; n[0] == 0 || n[1] < 2 {
			t.Fatalf("%s: %d readers in scope, %d out: the matrix proves little", r, n[0], n[1])
		}
	}

	// What absent things answer, to compare hidden ones with.
	absentCase := "2026010100999"
	_, missingCase, _ := getAs(t, s.URL+"/api/v1/cases/"+absentCase, disp)
	_, missingAct, _ := send(t, "POST", s.URL+"/api/v1/cases/"+absentCase+"/actions/sign", disp, strings.NewReader("{}"), map[string]string{"Content-Type": "application/json"})
	_, missingPhoto, _ := getAs(t, s.URL+"/api/v1/photos/"+strings.Repeat("0f", 32)+"/original", disp)

	byNumber := map[string]*caseflow.Case{}
	caseOf := func(number string) *caseflow.Case {
		if c, ok := byNumber[number]; ok {
			return c
		}
		c, err := a.Store.CaseByNumber(ctx, number)
		if err != nil {
			t.Fatalf("a row names case %s: %v", number, err)
		}
		byNumber[number] = c
		return c
	}
	// rows checks that every case a reader was given is theirs to see,
	// and says whether the matrix's case was among them.
	rows := func(u *reader, what string, numbers []string) bool {
		found := false
		for _, n := range numbers {
			if !u.sees(caseOf(n)) {
				t.Errorf("%s: %s gets case %s, outside their scope", what, u.name, n)
			}
			found = found || n == target.Number
		}
		return found
	}
	// matches checks that every case a filtered answer gives is one the
	// filter asks for (never the reader's own under another's name).
	matches := func(u *reader, what, query string, numbers []string) {
		for _, n := range numbers {
			c := caseOf(n)
			switch {
			case strings.Contains(query, "grid="+A.Place.Grid) && c.Place.Grid != A.Place.Grid,
				strings.Contains(query, "street="+A.Place.Street) && c.Place.Street != A.Place.Street,
				strings.Contains(query, "unit=hwc") && !slices.ContainsFunc(c.Tasks, func(t caseflow.Task) bool { return t.UnitID == unitID["hwc"] }):
				t.Errorf("%s: %s gets case %s (grid %s), which the filter does not ask for", what, u.name, n, c.Place.Grid)
			}
		}
	}
	decode := func(what, body string, v any) {
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("%s: %v in %.200s", what, err, body)
		}
	}
	// inGrid are the open cases of grid A, for counts.
	gridCases, _ := a.Store.Cases(ctx, store.CaseFilter{Grid: A.Place.Grid, Limit: 1000})

	// officeLine says whether street office A's line about the matrix's
	// case is there and unread.
	officeLine := func() bool {
		in, err := a.Store.Inbox(ctx, store.Recipient{UnitID: unitID["jd"+A.Place.Street], Role: caseflow.Handler, Scope: store.CaseScope{All: true}}, a.Now(), 500)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(in.New, func(n store.Notification) bool { return n.CaseNumber == target.Number && n.ReadAt.IsZero() })
	}
	if !officeLine() {
		t.Fatal("street office A has no unread line about the matrix's case")
	}

	// The staff routes and what each must answer a reader. A new staff
	// route needs a line here.
	type check func(u *reader, url string)
	lookup := func(missing string) check {
		return func(u *reader, url string) {
			code, body, _ := send(t, methodOf(url), url, u.token, strings.NewReader("{}"), map[string]string{"Content-Type": "application/json"})
			switch {
			case !u.inScope && (code != 404 || body != missing):
				t.Errorf("%s as %s (out of scope): %d %.120q; want what an absent one answers: %.120q", url, u.name, code, body, missing)
			case u.inScope && (code == 404 || code == 401 || code >= 500):
				t.Errorf("%s as %s (in scope): %d %.120q", url, u.name, code, body)
			}
		}
	}
	staffChecks := map[string]check{
		"GET /api/v1/me": func(u *reader, url string) {
			if code, body, _ := getAs(t, url, u.token); code != 200 || !strings.Contains(body, `"username":"`+u.name+`"`) {
				t.Errorf("me as %s: %d %.100s", u.name, code, body)
			}
		},
		"GET /api/v1/cases": func(u *reader, url string) {
			for _, q := range []string{"?limit=1000", "?limit=1000&q=SCOPE-MATRIX", "?limit=1000&grid=" + A.Place.Grid, "?limit=1000&street=" + A.Place.Street, "?limit=1000&unit=hwc"} {
				code, body, _ := getAs(t, url+q, u.token)
				var l struct {
					Cases []struct{ Number string } `json:"cases"`
				}
				decode("cases", body, &l)
				var ns []string
				for _, c := range l.Cases {
					ns = append(ns, c.Number)
				}
				if found := rows(u, "cases"+q, ns); code != 200 || found != u.inScope {
					t.Errorf("cases%s as %s: %d, the matrix's case listed: %v", q, u.name, code, found)
				}
				matches(u, "cases"+q, q, ns)
			}
		},
		"GET /api/v1/cases/{number}": lookup(missingCase),
		"GET /api/v1/cases/{number}/reporter": func(u *reader, url string) {
			code, body, _ := getAs(t, url, u.token)
			reacher := u.role == caseflow.Operator || u.role == caseflow.Dispatcher
			switch {
			case !u.inScope && (code != 404 || body != missingCase):
				t.Errorf("reporter as %s (out of scope): %d %.120q; want what an absent case answers", u.name, code, body)
			case u.inScope && reacher && code != 200:
				t.Errorf("reporter as %s, who calls back: %d %.120q", u.name, code, body)
			case u.inScope && !reacher && code != 403:
				t.Errorf("reporter as %s, who does not call back: %d %.120q, want 403", u.name, code, body)
			}
		},
		"POST /api/v1/cases/{number}/actions/{action}": func(u *reader, url string) {
			lookup(missingAct)(u, url)
		},
		"GET /api/v1/photos/{id}/original": lookup(missingPhoto),
		"GET /api/v1/duplicates": func(u *reader, url string) {
			code, body, _ := getAs(t, url+"?category=M06011&lon="+fmtF(A.Point.Lon)+"&lat="+fmtF(A.Point.Lat), u.token)
			var d struct {
				Candidates []struct{ Number string } `json:"candidates"`
			}
			decode("duplicates", body, &d)
			var ns []string
			for _, c := range d.Candidates {
				ns = append(ns, c.Number)
			}
			if rows(u, "duplicates", ns); code != 200 {
				t.Errorf("duplicates as %s: %d", u.name, code)
			}
		},
		"GET /api/v1/queues": func(u *reader, url string) {
			code, body, _ := getAs(t, url, u.token)
			var qs struct {
				Queues []struct {
					ID    string `json:"id"`
					Count int    `json:"count"`
					List  string `json:"list"`
				} `json:"queues"`
			}
			decode("queues", body, &qs)
			if code != 200 || len(qs.Queues) == 0 {
				t.Errorf("queues as %s: %d %.100s", u.name, code, body)
			}
			for _, q := range qs.Queues {
				if q.List != "" {
					suspectedListed(t, s.URL+q.List, u.token, u.name, q.Count)
					continue
				}
				_, body, _ := getAs(t, s.URL+"/api/v1/cases?limit=1000&queue="+q.ID, u.token)
				var l struct {
					Cases []struct{ Number string } `json:"cases"`
				}
				decode("queue "+q.ID, body, &l)
				var ns []string
				for _, c := range l.Cases {
					ns = append(ns, c.Number)
				}
				if rows(u, "queue "+q.ID, ns); len(ns) != q.Count {
					t.Errorf("queue %s as %s: counted %d, listed %d", q.ID, u.name, q.Count, len(ns))
				}
			}
		},
		"GET /api/v1/inbox/counts": func(u *reader, url string) {
			code, body, _ := getAs(t, url, u.token)
			var c struct {
				Unread int `json:"unread"`
				Queues []struct {
					ID    string `json:"id"`
					Count int    `json:"count"`
					List  string `json:"list"`
				} `json:"queues"`
			}
			decode("inbox counts", body, &c)
			_, body, _ = getAs(t, s.URL+"/api/v1/inbox?limit=1", u.token)
			var in store.Inbox
			decode("inbox", body, &in)
			if code != 200 || c.Unread != in.Unread {
				t.Errorf("inbox counts as %s: %d, unread %d, the inbox says %d: %.100s", u.name, code, c.Unread, in.Unread, body)
			}
			for _, q := range c.Queues {
				if q.List != "" {
					suspectedListed(t, s.URL+q.List, u.token, u.name, q.Count)
					continue
				}
				_, body, _ := getAs(t, s.URL+"/api/v1/cases?limit=1000&queue="+q.ID, u.token)
				var l struct {
					Cases []struct{ Number string } `json:"cases"`
				}
				decode("queue "+q.ID, body, &l)
				var ns []string
				for _, c := range l.Cases {
					ns = append(ns, c.Number)
				}
				if rows(u, "counts "+q.ID, ns); len(ns) != q.Count {
					t.Errorf("bell count %s as %s: counted %d, listed %d", q.ID, u.name, q.Count, len(ns))
				}
			}
		},
		"GET /api/v1/inbox": func(u *reader, url string) {
			code, body, _ := getAs(t, url+"?limit=500", u.token)
			var in store.Inbox
			decode("inbox", body, &in)
			var ns []string
			unread := 0
			for _, n := range in.New {
				ns = append(ns, n.CaseNumber)
				if n.ReadAt.IsZero() {
					unread++
				}
			}
			for _, d := range append(in.Due, in.Overdue...) {
				ns = append(ns, d.CaseNumber)
			}
			if rows(u, "inbox", ns); code != 200 || len(in.New) < 500 && in.Unread != unread {
				t.Errorf("inbox as %s: %d, unread %d for %d unread lines", u.name, code, in.Unread, unread)
			}
		},
		"GET /api/v1/ledger": func(u *reader, url string) {
			code, body, _ := getAs(t, url+"?grid="+A.Place.Grid, u.token)
			var l struct {
				Counts store.LedgerCounts        `json:"counts"`
				Cases  []struct{ Number string } `json:"cases"`
			}
			decode("ledger", body, &l)
			var ns []string
			for _, c := range l.Cases {
				ns = append(ns, c.Number)
			}
			visible := 0
			for i := range gridCases {
				if u.sees(&gridCases[i]) {
					visible++
				}
			}
			if u.sees(target) {
				visible++ // reported after gridCases was read
			}
			matches(u, "ledger", "grid="+A.Place.Grid, ns)
			if found := rows(u, "ledger", ns); code != 200 || found != u.inScope || l.Counts.Total > int64(visible) {
				t.Errorf("ledger of grid A as %s: %d, the case listed: %v, counts %d of %d visible", u.name, code, found, l.Counts.Total, visible)
			}
			// The whole files: every row in scope, as many as counted.
			code, body, _ = getAs(t, url+"?format=csv", u.token)
			cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
			cr.FieldsPerRecord = -1
			recs, err := cr.ReadAll()
			if code != 200 || err != nil || len(recs) < 2 {
				t.Fatalf("ledger csv as %s: %d %v", u.name, code, err)
			}
			ns = ns[:0]
			for _, r := range recs[1 : len(recs)-1] {
				ns = append(ns, r[0])
			}
			_, jb, _ := getAs(t, url, u.token)
			decode("ledger", jb, &l)
			if found := rows(u, "ledger csv", ns); found != u.inScope || int64(len(ns)) != l.Counts.Total {
				t.Errorf("ledger csv as %s: %d rows for %d counted, the case listed: %v", u.name, len(ns), l.Counts.Total, found)
			}
			code, body, _ = getAs(t, url+"?format=xlsx&street="+A.Place.Street, u.token)
			x, err := excelize.OpenReader(strings.NewReader(body))
			if code != 200 || err != nil {
				t.Fatalf("ledger xlsx as %s: %d %v", u.name, code, err)
			}
			xr, _ := x.GetRows(x.GetSheetName(0))
			ns = ns[:0]
			for _, r := range xr[2 : len(xr)-1] {
				ns = append(ns, r[0])
			}
			matches(u, "ledger xlsx", "street="+A.Place.Street, ns)
			if found := rows(u, "ledger xlsx", ns); found != u.inScope {
				t.Errorf("ledger xlsx of street A as %s: the case listed: %v", u.name, found)
			}
		},
		"GET /api/v1/zeroing": func(u *reader, url string) {
			code, body, _ := getAs(t, url+"?grid="+A.Place.Grid, u.token)
			var z store.Zeroing
			decode("zeroing", body, &z)
			open := 0
			for i := range gridCases {
				if gridCases[i].State.Open() && u.sees(&gridCases[i]) {
					open++
				}
			}
			if u.sees(target) {
				open++
			}
			if code != 200 || z.OpenNow > open {
				t.Errorf("zeroing of grid A as %s: %d, %d open counted, %d open in scope", u.name, code, z.OpenNow, open)
			}
		},
		"POST /api/v1/inbox/read": func(u *reader, url string) {
			// Out of scope: "mark all" leaves the street office's line
			// about the matrix's case unread. In scope: an unknown line
			// marks nothing (the line stays unread for the next reader).
			body := `{"all":true}`
			if u.inScope {
				body = `{"ids":[999999999]}`
			}
			code, resp, _ := send(t, "POST", url, u.token, strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
			if code != 200 || u.inScope && !strings.Contains(resp, `"marked":0`) {
				t.Errorf("mark read as %s: %d %s", u.name, code, resp)
			}
			if still := officeLine(); !still {
				t.Fatalf("%s marked the street office's line about case %s read", u.name, target.Number)
			}
		},
		"GET /api/v1/knowledge": func(u *reader, url string) {
			// The hotline's published answers: every member of staff reads
			// them; no case data.
			if code, body, _ := getAs(t, url+"?q=垃圾", u.token); code != 200 || !strings.Contains(body, "生活垃圾清运时间") {
				t.Errorf("knowledge as %s: %d", u.name, code)
			}
		},
		"GET /api/v1/knowledge/{id}": func(u *reader, url string) {
			if code, _, _ := getAs(t, url[:strings.LastIndex(url, "/")+1]+"1", u.token); code != 200 {
				t.Errorf("a knowledge point as %s: %d", u.name, code)
			}
		},
		"GET /api/v1/units": func(u *reader, url string) {
			// Departments and street offices by name: no case data.
			if code, _, _ := getAs(t, url, u.token); code != 200 {
				t.Errorf("units as %s: %d", u.name, code)
			}
		},
		"GET /api/v1/notification-rules": func(u *reader, url string) {
			// The rules table is reference: every member of staff reads it;
			// no case data.
			if code, body, _ := getAs(t, url, u.token); code != 200 || !strings.Contains(body, `"on":"deadline.warning"`) {
				t.Errorf("notification rules as %s: %d %.100s", u.name, code, body)
			}
		},
		"GET /api/v1/me/contacts": func(u *reader, url string) {
			code, body, _ := getAs(t, url, u.token)
			acc, _ := a.Store.AccountContacts(ctx, u.id)
			if code != 200 || acc.Phone != "" && !strings.Contains(body, acc.Phone) {
				t.Errorf("own contacts as %s: %d %.100s", u.name, code, body)
			}
		},
		"PUT /api/v1/me/contacts": func(u *reader, url string) {
			// One's own, and nobody else's: the reader's language changes,
			// the next reader's stays.
			code, body, _ := send(t, "PUT", url, u.token, strings.NewReader(`{"lang":"en","channels":[]}`), map[string]string{"Content-Type": "application/json"})
			mine, _ := a.Store.AccountContacts(ctx, u.id)
			other, _ := a.Store.AccountContacts(ctx, account["operator2"].ID)
			if code != 200 || mine.Lang != "en" || other.Lang != "zh-CN" {
				t.Errorf("own contacts changed by %s: %d %.100s; theirs %s, operator2's %s", u.name, code, body, mine.Lang, other.Lang)
			}
		},
		// Writes that create, not look up: refused only without a sign-in
		// here; who may report where is TestReportOverHTTP's.
		"POST /api/v1/cases":  nil,
		"POST /api/v1/photos": nil,
	}
	skipped := map[string]string{
		"DELETE /api/v1/session":  "signs the reader out (TestSessionsTokensAndThrottling)",
		"PUT /api/v1/me/password": "changes the reader's own password and revokes their tokens; reaches no one else's (TestChangeOwnPassword)",
	}

	fill := strings.NewReplacer("{number}", target.Number, "{action}", "sign", "{id}", up.ID, "{username}", "operator2",
		"{day}", "2026-01-01")
	patterns := make([]string, 0)
	table := web.Routes()
	for p := range table {
		patterns = append(patterns, p)
	}
	sort.Strings(patterns)
	walked, cells := 0, 0
	for _, pattern := range patterns {
		acc := table[pattern]
		method, path, _ := strings.Cut(pattern, " ")
		if acc == "public" {
			continue // anyone's: TestPublicPagesKeepPersonalDataPrivate crawls them all
		}
		if why, ok := skipped[pattern]; ok {
			t.Logf("%s: not walked, %s", pattern, why)
			continue
		}
		url := s.URL + fill.Replace(path)
		walked++
		if code := call(t, method, url, ""); code != 401 {
			t.Errorf("%s without a sign-in: %d, want 401", pattern, code)
		}
		for _, u := range readers {
			cells++
			switch acc {
			case "admin", "wide", "centre":
				let := u.role == caseflow.Admin || acc == "wide" && u.wide() ||
					acc == "centre" && (u.role == caseflow.Operator || u.role == caseflow.Dispatcher)
				code := call(t, method, url, u.token)
				if !let && code != 403 {
					t.Errorf("%s as %s: %d, want 403", pattern, u.name, code)
				}
				if let && (code == 401 || code == 403 || code >= 500) {
					t.Errorf("%s as %s: %d, want it let through", pattern, u.name, code)
				}
			case "staff":
				ch, ok := staffChecks[pattern]
				if !ok {
					t.Fatalf("%s: a staff route the scope matrix does not check; add what it must answer each reader", pattern)
				}
				if ch == nil {
					if code := call(t, method, url, u.token); code == 401 || code >= 500 {
						t.Errorf("%s as %s: %d", pattern, u.name, code)
					}
					continue
				}
				ch(u, url)
			case "machine":
				// A token of the route's scope, not a reader's: TestAlarmIntake.
				if code := call(t, method, url, u.token); code != 403 {
					t.Errorf("%s as %s (no alarms scope): %d, want 403", pattern, u.name, code)
				}
			default:
				t.Fatalf("%s: unknown access %q", pattern, acc)
			}
		}
	}
	// A wall's screen token (a leader's): the dashboard's figures and no
	// other signed-in route, whatever its account may read.
	wall, _, err := a.CreateScopedToken(ctx, "leader", "wall", "screen")
	if err != nil {
		t.Fatal(err)
	}
	screens := web.ScreenRoutes()
	for _, pattern := range patterns {
		if table[pattern] == "public" {
			continue
		}
		method, path, _ := strings.Cut(pattern, " ")
		code := call(t, method, s.URL+fill.Replace(path), wall)
		cells++
		if screens[pattern] != (code == 200) || !screens[pattern] && code != 403 {
			t.Errorf("%s with a screen token: %d", pattern, code)
		}
	}

	// An Open311 client acts with an account's API key: an update to a
	// case outside that account's scope answers as one to an absent case.
	update := func(token, number string) (int, string) {
		form := "api_key=" + token + "&service_request_id=" + number + "&description=" + "现场已清理"
		code, body, _ := send(t, "POST", s.URL+"/open311/v2/servicerequestupdates.json", "", strings.NewReader(form),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		return code, body
	}
	for _, u := range readers {
		cells++
		_, missing := update(u.token, absentCase)
		code, body := update(u.token, target.Number)
		switch {
		case !u.inScope && (code != 404 || body != strings.ReplaceAll(missing, absentCase, target.Number)):
			t.Errorf("Open311 update as %s (out of scope): %d %.120q; an absent case: %.120q", u.name, code, body, missing)
		case u.inScope && (code == 404 || code >= 500):
			t.Errorf("Open311 update as %s (in scope): %d %.120q", u.name, code, body)
		}
	}

	// Each hidden lookup is in the audit log, under who asked.
	entries, _ := a.Store.AuditEntries(ctx, 10000)
	for _, u := range readers {
		if u.inScope {
			continue
		}
		for _, what := range []string{"GET /api/v1/cases/" + target.Number, "GET /api/v1/photos/" + up.ID + "/original",
			"POST /api/v1/cases/" + target.Number + "/actions/sign"} {
			if !slices.ContainsFunc(entries, func(e map[string]any) bool {
				return e["username"] == u.name && e["event"] == "forbidden" && e["detail"] == what+": out of scope"
			}) {
				t.Errorf("%s's out-of-scope %s is not in the audit log", u.name, what)
			}
		}
	}
	if walked < 30 {
		t.Fatalf("only %d routes walked", walked)
	}
	t.Logf("%d signed-in routes and the Open311 update × %d readers = %d cells", walked, len(readers), cells)
}

// methodOf is POST for a transition, GET for the rest of the lookups.
func methodOf(url string) string {
	if strings.Contains(url, "/actions/") {
		return "POST"
	}
	return "GET"
}

func fmtF(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// call makes one request with an empty JSON object as the body.
func call(t *testing.T, method, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// suspectedListed checks a queue of alarms (疑似): its count is what its
// list says waits.
func suspectedListed(t *testing.T, url, token, who string, count int) {
	t.Helper()
	code, body, _ := getAs(t, url, token)
	var l struct {
		Alarms    []struct{ ID int64 } `json:"alarms"`
		Suspected int                  `json:"suspected"`
	}
	if err := json.Unmarshal([]byte(body), &l); err != nil || code != 200 || l.Suspected != count {
		t.Errorf("suspected alarms as %s: %d, listed %d waiting, counted %d: %.100s", who, code, l.Suspected, count, body)
	}
}
