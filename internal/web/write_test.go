package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/lockout"
	"github.com/xiuhua/xiuhua/internal/photos"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/store"
)

type user struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
	auth string
}

func signIn(t *testing.T, base, name string) *user {
	t.Helper()
	return signInWith(t, base, name, demo.Password)
}

func signInWith(t *testing.T, base, name, password string) *user {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u := &user{t: t, base: base, c: &http.Client{Jar: jar}}
	code, body := u.do("POST", "/api/v1/session", map[string]string{"username": name, "password": password})
	if code != 200 {
		t.Fatalf("login %s: %d %s", name, code, body)
	}
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	json.Unmarshal([]byte(body), &out)
	u.csrf = out.CSRF
	return u
}

func (u *user) do(method, path string, body any) (int, string) {
	u.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, u.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if u.csrf != "" {
		req.Header.Set("X-CSRF-Token", u.csrf)
	}
	if u.auth != "" {
		req.Header.Set("Authorization", u.auth)
	}
	resp, err := u.c.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func version(t *testing.T, a *app.App, number string) int {
	t.Helper()
	c, err := a.Store.CaseByNumber(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return c.Version
}

// Every write route × role × in or out of scope: allowed or refused, and
// out-of-scope cases look absent.
func TestWritePermissions(t *testing.T) {
	s, a := server(t)
	a.Photos = photos.Dir(t.TempDir())
	ctx := context.Background()
	units, _ := a.Store.Units(ctx)
	code := map[int64]string{}
	for _, u := range units {
		code[u.ID] = u.Code
	}
	// A dispatched case led by a department, and one other department.
	var c caseflow.Case
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{State: caseflow.Dispatched, Limit: 100})
	for _, x := range cs {
		if len(x.Tasks) == 1 && strings.HasPrefix(code[x.Tasks[0].UnitID], "") && !strings.HasPrefix(code[x.Tasks[0].UnitID], "jd") {
			c = x
			break
		}
	}
	if c.ID == 0 {
		t.Fatal("no single-department dispatched case")
	}
	lead := "h-" + code[c.Tasks[0].UnitID]
	other := "h-ylc"
	if lead == other {
		other = "h-hwc"
	}
	grids, _ := a.Store.Grids(ctx, a.Now())
	var elsewhere string
	for _, g := range grids {
		if g.Code != c.Place.Grid {
			elsewhere = "gw" + g.Code
			break
		}
	}
	ownWorker := "gw" + c.Place.Grid
	streetOffice := "h-jd" + c.Place.Street

	path := func(action string) string { return "/api/v1/cases/" + c.Number + "/actions/" + action }
	for _, tt := range []struct {
		who, action string
		body        map[string]any
		want        int
	}{
		{other, "sign", nil, 404},           // another department: the case looks absent
		{elsewhere, "check_pass", nil, 404}, // a grid worker elsewhere: absent
		{"dispatcher1", "sign", nil, 403},   // in scope, wrong role
		{ownWorker, "sign", nil, 403},
		{"leader", "sign", nil, 403},
		{lead, "remind", nil, 403},
		{"operator1", "remind", nil, 403},
		{streetOffice, "sign", nil, 403},                             // sees its street's cases, but it is not its task: not_yours
		{"dispatcher1", "void", map[string]any{"reason": "重复"}, 409}, // wrong state
		{"dispatcher1", "remind", map[string]any{"note": "请尽快"}, 200},
		{"leader", "supervise", map[string]any{"reason": "群众反映强烈"}, 200},
		{lead, "sign", nil, 200},
		{lead, "reply", map[string]any{"note": "已安排"}, 200},
	} {
		u := signIn(t, s.URL, tt.who)
		body := map[string]any{"version": version(t, a, c.Number)}
		for k, v := range tt.body {
			body[k] = v
		}
		got, resp := u.do("POST", path(tt.action), body)
		if got != tt.want {
			t.Errorf("%s %s: %d, want %d: %s", tt.who, tt.action, got, tt.want, resp)
		}
		if got == 200 && !strings.Contains(resp, c.Number) {
			t.Errorf("%s %s: %s", tt.who, tt.action, resp)
		}
		if got == 404 && strings.Contains(resp, c.Description) {
			t.Errorf("%s: a refused answer leaks the case", tt.who)
		}
	}
	// A stale version after a real transition: 409.
	u := signIn(t, s.URL, lead)
	old := version(t, a, c.Number)
	// Evidence must be an uploaded photo: a made-up id is refused.
	fake := strings.Repeat("ab", 32)
	if got, body := u.do("POST", path("report_back"), map[string]any{"version": old, "note": "已处理", "photos": []string{fake}}); got != 400 || !strings.Contains(body, "photos[0]") {
		t.Fatalf("report back with a photo never uploaded: %d %s", got, body)
	}
	var png bytes.Buffer
	jpeg.Encode(&png, image.NewRGBA(image.Rect(0, 0, 32, 32)), nil)
	got, up := u.do("POST", "/api/v1/photos", png.String())
	var photo struct{ ID string }
	if got != 201 || json.Unmarshal([]byte(up), &photo) != nil {
		t.Fatalf("upload: %d %s", got, up)
	}
	if got, body := u.do("POST", path("report_back"), map[string]any{"version": old, "note": "已处理", "photos": []string{photo.ID}}); got != 200 {
		t.Fatalf("report back: %d %s", got, body)
	}
	if got, body := u.do("POST", path("request_extension"), map[string]any{"version": old, "reason": "x"}); got != 409 || !strings.Contains(body, "stale") {
		t.Fatalf("stale: %d %s", got, body)
	}
	audit, _ := a.Store.AuditEntries(ctx, 200)
	forbidden := 0
	for _, e := range audit {
		if e["event"] == "forbidden" {
			forbidden++
		}
	}
	if forbidden < 8 {
		t.Fatalf("%d refusals audited", forbidden)
	}
}

func TestReportOverHTTP(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	grid := cs[0].Place.Grid
	units, _ := a.Store.UnitGrids(ctx, a.Now())
	var inGrid, outGrid places.UnitGrid
	for _, u := range units {
		if len(u.Geometry) != 1 || len(u.Geometry[0][0]) != 5 {
			continue // a border piece: its box's middle may lie outside it
		}
		if u.Grid == grid && inGrid.Code == "" {
			inGrid = u
		}
		if u.Grid != grid && outGrid.Code == "" {
			outGrid = u
		}
	}
	at := func(u places.UnitGrid) (float64, float64) {
		r := u.Geometry[0][0]
		return (r[0][0] + r[2][0]) / 2, (r[0][1] + r[2][1]) / 2
	}
	lon, lat := at(inGrid)
	w := signIn(t, s.URL, "gw"+grid)
	body := map[string]any{"category": "M06011", "description": "小区门口垃圾堆积", "lon": lon, "lat": lat}
	code, resp := w.do("POST", "/api/v1/cases", body)
	if code != 201 || !strings.Contains(resp, `"state":"reported"`) {
		t.Fatalf("report: %d %s", code, resp)
	}
	// The same request twice with a key: one case.
	w.c.Transport = keyed{"k-1"}
	c1, r1 := w.do("POST", "/api/v1/cases", body)
	c2, r2 := w.do("POST", "/api/v1/cases", body)
	var v1, v2 struct{ Number string }
	json.Unmarshal([]byte(r1), &v1)
	json.Unmarshal([]byte(r2), &v2)
	if c1 != 201 || c2 != 200 || v1.Number == "" || v1.Number != v2.Number {
		t.Fatalf("idempotency: %d %s / %d %s", c1, v1.Number, c2, v2.Number)
	}
	w.c.Transport = nil
	olon, olat := at(outGrid)
	if code, resp := w.do("POST", "/api/v1/cases", map[string]any{"category": "M06011", "description": "别处", "lon": olon, "lat": olat}); code != 403 {
		t.Fatalf("a grid worker reporting outside their grids: %d %s", code, resp)
	}
	if code, _ := signIn(t, s.URL, "h-hwc").do("POST", "/api/v1/cases", body); code != 403 {
		t.Fatalf("a handler reporting: %d", code)
	}
	if code, resp := signIn(t, s.URL, "operator1").do("POST", "/api/v1/cases", body); code != 201 || !strings.Contains(resp, `"channel":"hotline"`) {
		t.Fatalf("an operator reporting: %d %s", code, resp)
	}
	// Bad input, each naming what is wrong; no case written.
	n0, _ := a.Store.CountCases(ctx)
	for _, tt := range []struct {
		body  any
		want  int
		field string
	}{
		{`{"category":"M06011",`, 400, ""},
		{`{"category":"M06011","lon":"east","lat":40}`, 400, "lon"},
		{`{"category":"M06011","lon":113.3,"lat":40.1,"colour":"red"}`, 400, "colour"},
		{`{"lon":113.3,"lat":40.1}`, 400, "category"},
		{`{"category":"M06011","lat":40.1}`, 400, "lon"},
		{`{"category":"M06011","lon":113.3,"lat":95,"description":"x"}`, 422, "location"},
		{`{"category":"Z99999","lon":` + fmt.Sprint(lon) + `,"lat":` + fmt.Sprint(lat) + `,"description":"x"}`, 422, "category"},
		{`{"category":"M06011","lon":` + fmt.Sprint(lon) + `,"lat":` + fmt.Sprint(lat) + `,"description":"<script>alert(1)</script>'; DROP TABLE cases; --","urgency":"asap"}`, 400, "urgency"},
		{`{"category":"M06011","description":"` + strings.Repeat("长", 70000) + `"}`, 413, ""},
	} {
		code, resp := w.do("POST", "/api/v1/cases", tt.body)
		if code != tt.want || (tt.field != "" && !strings.Contains(resp, `"field":"`+tt.field+`"`)) {
			t.Errorf("%.60v: %d %s", tt.body, code, resp)
		}
	}
	if n1, _ := a.Store.CountCases(ctx); fmt.Sprint(n1) != fmt.Sprint(n0) {
		t.Fatalf("refused reports wrote cases: %v → %v", n0, n1)
	}
}

type keyed struct{ key string }

func (k keyed) RoundTrip(r *http.Request) (*http.Response, error) {
	r.Header.Set("Idempotency-Key", k.key)
	return http.DefaultTransport.RoundTrip(r)
}

func TestSessionsTokensAndThrottling(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	anon := &user{t: t, base: s.URL, c: &http.Client{}}
	if code, _ := anon.do("GET", "/api/v1/me", nil); code != 401 {
		t.Fatalf("anonymous me: %d", code)
	}
	u := signIn(t, s.URL, "dispatcher1")
	if code, body := u.do("GET", "/api/v1/me", nil); code != 200 || !strings.Contains(body, `"role":"dispatcher"`) || strings.Contains(body, "password") {
		t.Fatalf("me: %d %s", code, body)
	}
	csrf := u.csrf
	u.csrf = ""
	if code, body := u.do("POST", "/api/v1/cases", `{}`); code != 403 || !strings.Contains(body, "csrf") {
		t.Fatalf("a cookie write without CSRF: %d %s", code, body)
	}
	u.csrf = csrf
	if code, _ := u.do("DELETE", "/api/v1/session", nil); code != 204 {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := u.do("GET", "/api/v1/me", nil); code != 401 {
		t.Fatal("the session lives on after logout")
	}
	token, id, err := a.CreateToken(ctx, "operator1", "12345 平台")
	if err != nil {
		t.Fatal(err)
	}
	bot := &user{t: t, base: s.URL, c: &http.Client{}, auth: "Bearer " + token}
	if code, body := bot.do("GET", "/api/v1/me", nil); code != 200 || !strings.Contains(body, "operator1") {
		t.Fatalf("token: %d %s", code, body)
	}
	a.Store.RevokeToken(ctx, id, a.Now())
	if code, _ := bot.do("GET", "/api/v1/me", nil); code != 401 {
		t.Fatal("a revoked token still works")
	}
	for i := 0; i < lockout.PairBudget.Max; i++ {
		if code, _ := anon.do("POST", "/api/v1/session", map[string]string{"username": "leader", "password": "guess" + fmt.Sprint(i)}); code != 401 {
			t.Fatalf("bad password %d: %d", i, code)
		}
	}
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/session", strings.NewReader(`{"username":"leader","password":"`+demo.Password+`"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after %d failures: %d", lockout.PairBudget.Max, resp.StatusCode)
	}
	entries, _ := a.Store.AuditEntries(ctx, 100)
	seen := map[any]bool{}
	for _, e := range entries {
		seen[e["event"]] = true
	}
	for _, ev := range []string{"login", "logout", "login_failed", "login_throttled", "csrf_refused", "token_refused"} {
		if !seen[ev] {
			t.Errorf("audit log lacks %s", ev)
		}
	}
}

// Staff reads need a sign-in; what comes back is cut to the reader's scope,
// and district-wide views are for the centre and leaders.
func TestReadScopes(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	units, _ := a.Store.Units(ctx)
	var ylc int64
	for _, u := range units {
		if u.Code == "ylc" {
			ylc = u.ID
		}
	}
	routes := []struct {
		path string
		wide bool
	}{
		{"/api/v1/cases", false}, {"/api/v1/ledger", false}, {"/api/v1/zeroing", false}, {"/api/v1/inbox", false},
		{"/api/v1/duplicates?lon=113.3&lat=40.08&category=M06011", false},
		{"/api/v1/evaluations?group=street&period=2026-10", true}, {"/reports/monthly?period=2026-10", true},
		{"/api/v1/map?bbox=113.2,39.9,113.5,40.2", true}, {"/api/v1/hotspots", true},
		{"/api/v1/route?lon=113.3&lat=40.08&category=M06011", true}, {"/api/v1/dispatch-rules", true},
	}
	handler := tokenOf(t, a, "h-ylc")
	leader := tokenOf(t, a, "leader")
	for _, r := range routes {
		if code, _, _ := getAs(t, s.URL+r.path, ""); code != 401 {
			t.Errorf("%s without signing in: %d", r.path, code)
		}
		if code, _, _ := getAs(t, s.URL+r.path, leader); code != 200 {
			t.Errorf("%s as a leader: %d", r.path, code)
		}
		want := 200
		if r.wide {
			want = 403
		}
		if code, _, _ := getAs(t, s.URL+r.path, handler); code != want {
			t.Errorf("%s as a department's handler: %d, want %d", r.path, code, want)
		}
	}
	// 园林处 lists only cases it has a task on, and another department's
	// case is absent.
	code, body, _ := getAs(t, s.URL+"/api/v1/cases?limit=1000", handler)
	var list struct {
		Cases []struct {
			Number string `json:"number"`
			Tasks  []struct {
				UnitID int64 `json:"unit_id"`
			} `json:"tasks"`
		} `json:"cases"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list.Cases) == 0 {
		t.Fatalf("handler's list %d %.200s", code, body)
	}
	for _, c := range list.Cases {
		mine := false
		for _, tk := range c.Tasks {
			mine = mine || tk.UnitID == ylc
		}
		if !mine {
			t.Fatalf("园林处 sees case %s without a task of its own", c.Number)
		}
	}
	all, _ := a.Store.Cases(ctx, store.CaseFilter{State: caseflow.Closed, Limit: 1000})
	for _, c := range all {
		theirs := false
		for _, tk := range c.Tasks {
			theirs = theirs || tk.UnitID == ylc
		}
		if !theirs && len(c.Tasks) > 0 {
			if code, body, _ := getAs(t, s.URL+"/api/v1/cases/"+c.Number, handler); code != 404 || strings.Contains(body, c.Description) {
				t.Fatalf("园林处 reads another department's case %s: %d", c.Number, code)
			}
			break
		}
	}
	// A grid worker's ledger counts only their grid.
	gw := all[0].Place.Grid
	code, body, _ = getAs(t, s.URL+"/api/v1/ledger", tokenOf(t, a, "gw"+gw))
	var l struct {
		Counts store.LedgerCounts `json:"counts"`
	}
	json.Unmarshal([]byte(body), &l)
	want, _ := a.Store.Ledger(ctx, store.CaseFilter{Grid: gw, Now: a.Now()})
	if code != 200 || l.Counts != want {
		t.Fatalf("grid worker's ledger %+v, want %+v", l.Counts, want)
	}
}

// A browser signs in with the login form and then reads with its cookie.
func TestLoginForm(t *testing.T) {
	s, _ := server(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(s.URL+"/login", map[string][]string{"username": {"dispatcher1"}, "password": {"wrong"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	resp, err = c.PostForm(s.URL+"/login", map[string][]string{"username": {"dispatcher1"}, "password": {demo.Password}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/app" || !strings.Contains(string(b), "/ui/app.js") {
		t.Fatalf("after signing in: %d at %s %.300s", resp.StatusCode, resp.Request.URL.Path, b)
	}
	resp, err = c.Get(s.URL + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"username":"dispatcher1"`) || !strings.Contains(string(b), `"csrf_token":"`) {
		t.Fatalf("me after the form: %d %s", resp.StatusCode, b)
	}
	resp, err = c.Get(s.URL + "/api/v1/cases?limit=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("reading with the cookie: %d", resp.StatusCode)
	}
}

func TestPhotosOverHTTP(t *testing.T) {
	s, a := server(t)
	a.Photos = photos.Dir(t.TempDir())
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	var j bytes.Buffer
	jpeg.Encode(&j, img, nil)
	seg := []byte("Exif\x00\x00GPS 40.08N 113.29E SECRET-DEVICE")
	app1 := []byte{0xFF, 0xE1, 0, byte(len(seg) + 2)}
	orig := append(append(append([]byte{}, j.Bytes()[:2]...), append(app1, seg...)...), j.Bytes()[2:]...)
	post := func(token string, b []byte) (int, string) {
		code, body, _ := send(t, "POST", s.URL+"/api/v1/photos", token, bytes.NewReader(b), nil)
		return code, body
	}
	worker := tokenOf(t, a, "h-hwc")
	code, body := post(worker, orig)
	var up struct {
		ID        string `json:"id"`
		PublicURL string `json:"public_url"`
	}
	if code != 201 || json.Unmarshal([]byte(body), &up) != nil || up.ID == "" {
		t.Fatalf("upload %d %s", code, body)
	}
	code, pub, hdr := getAs(t, s.URL+up.PublicURL, "")
	if code != 200 || hdr.Get("Content-Type") != "image/jpeg" || strings.Contains(pub, "SECRET") || strings.Contains(pub, "Exif") {
		t.Fatalf("public copy: %d %s, EXIF kept: %v", code, hdr.Get("Content-Type"), strings.Contains(pub, "SECRET"))
	}
	if code, _, _ := getAs(t, s.URL+up.PublicURL+"/original", ""); code != 401 {
		t.Fatalf("original without signing in: %d", code)
	}
	// On no case yet: no original for anyone (TestPhotoOriginalsFollowTheirCases).
	if code, o, _ := getAs(t, s.URL+up.PublicURL+"/original", worker); code != 404 || strings.Contains(o, "SECRET-DEVICE") {
		t.Fatalf("original of a photo on no case: %d", code)
	}
	for _, tt := range []struct {
		token string
		body  []byte
		want  int
	}{
		{"", orig, 401},
		{worker, append([]byte("MZ\x90\x00"), make([]byte, 300)...), 415},
		{worker, make([]byte, photos.MaxBytes+10), 413},
	} {
		if code, body := post(tt.token, tt.body); code != tt.want {
			t.Errorf("upload: %d, want %d: %.100s", code, tt.want, body)
		}
	}
	for _, bad := range []string{"/api/v1/photos/" + strings.Repeat("0", 64), "/api/v1/photos/..%2F..%2Fetc%2Fpasswd"} {
		if code, _, _ := getAs(t, s.URL+bad, ""); code != 404 {
			t.Errorf("%s: %d", bad, code)
		}
	}
}

// Residents report without an account, follow their case by number and
// see the public board; no personal data comes back; clients going too
// fast are slowed.
func TestPublicEndpoints(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{State: caseflow.Dispatched, Limit: 1})
	c := cs[0]
	anon := &user{t: t, base: s.URL, c: &http.Client{}}
	body := map[string]any{"category": "M06011", "description": "楼下垃圾三天没人清", "lon": c.Point.Lon, "lat": c.Point.Lat,
		"name": "王女士", "phone": "13912345678"}
	code, resp := anon.do("POST", "/api/v1/public/reports", body)
	var v struct {
		Number string `json:"number"`
	}
	if code != 201 || json.Unmarshal([]byte(resp), &v) != nil || v.Number == "" || strings.Contains(resp, "王女士") || phone.MatchString(resp) {
		t.Fatalf("resident report: %d %s", code, resp)
	}
	stored, _ := a.Store.CaseByNumber(ctx, v.Number)
	if stored.Reporter.Phone != "13912345678" || stored.Channel != caseflow.ChannelWeb {
		t.Fatalf("the contact was not kept for staff: %+v", stored.Reporter)
	}
	code, resp = anon.do("GET", "/api/v1/public/cases/"+v.Number, nil)
	if code != 200 || !strings.Contains(resp, `"state_name":"待立案"`) || strings.Contains(resp, "王女士") || phone.MatchString(resp) {
		t.Fatalf("follow: %d %s", code, resp)
	}
	code, resp = anon.do("GET", "/api/v1/public/cases/"+c.Number, nil)
	if code != 200 || !strings.Contains(resp, `"steps"`) || strings.Contains(resp, "reason") {
		t.Fatalf("follow a dispatched case: %d %s", code, resp)
	}
	code, resp = anon.do("GET", "/api/v1/public/board", nil)
	if code != 200 || !strings.Contains(resp, `"cases":[{`) || phone.MatchString(resp) {
		t.Fatalf("board: %d %.200s", code, resp)
	}
	// A category kept off the public side.
	a.Store.DB().Exec(`UPDATE categories SET public = FALSE WHERE id = 'M06045'`)
	if code, resp := anon.do("POST", "/api/v1/public/reports", map[string]any{"category": "M06045", "description": "x",
		"lon": c.Point.Lon, "lat": c.Point.Lat}); code != 400 || !strings.Contains(resp, `"field":"category"`) {
		t.Fatalf("non-public category: %d %s", code, resp)
	}
	// 10 reports a minute per client: the next ones wait.
	limited := 0
	for i := 0; i < 12; i++ {
		code, _ := anon.do("POST", "/api/v1/public/reports", map[string]any{"category": "M06011", "description": fmt.Sprint("第", i, "次"),
			"lon": c.Point.Lon, "lat": c.Point.Lat})
		if code == 429 {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("no rate limit on public reports")
	}
}
