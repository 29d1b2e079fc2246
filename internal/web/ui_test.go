package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/store"
)

// The map layer carries every unit grid of the index, the outline and the
// names, and a client that takes gzip gets it compressed.
func TestMapLayer(t *testing.T) {
	s, a := server(t)
	code, body, _ := getAs(t, s.URL+"/api/v1/places/map", "")
	var l struct {
		Bbox        [4]float64    `json:"bbox"`
		Outline     [][][]float64 `json:"outline"`
		Streets     []struct{ Code, Name string }
		Communities []struct{ Code, Name, Street string }
		Grids       []struct{ Code, Name, Street string }
		Scale       float64
		Cells       [][]int64
	}
	if code != 200 || json.Unmarshal([]byte(body), &l) != nil {
		t.Fatalf("layer: %d %.200s", code, body)
	}
	if len(l.Cells) < a.Index().Len() || len(l.Streets) == 0 || len(l.Communities) == 0 || len(l.Grids) == 0 || len(l.Outline) == 0 {
		t.Fatalf("layer: %d cells for %d unit grids, %d streets, %d communities, %d grids", len(l.Cells), a.Index().Len(), len(l.Streets), len(l.Communities), len(l.Grids))
	}
	// A cell decodes back to a ring inside the box, whose centre lies in a
	// unit grid of the cell's grid.
	c := l.Cells[len(l.Cells)/2]
	var lon, lat, sx, sy float64
	x, y := c[1], c[2]
	for i := 1; i < len(c); i += 2 {
		if i > 1 {
			x, y = x+c[i], y+c[i+1]
		}
		sx, sy = sx+float64(x), sy+float64(y)
	}
	n := float64((len(c) - 1) / 2)
	lon, lat = sx/n/l.Scale, sy/n/l.Scale
	if lon < l.Bbox[0] || lon > l.Bbox[2] || lat < l.Bbox[1] || lat > l.Bbox[3] {
		t.Fatalf("cell centre %f,%f outside %v", lon, lat, l.Bbox)
	}
	if u, err := a.Index().Locate(lon, lat); err != nil || u.Grid != l.Grids[c[0]].Code {
		t.Errorf("cell centre %f,%f: %v, want grid %s", lon, lat, err, l.Grids[c[0]].Code)
	}
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/places/map", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("ETag") == "" {
		t.Errorf("layer headers: %v", resp.Header)
	}
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	resp, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d", resp.StatusCode)
	}
}

// The pages and their assets are served from the binary; nothing else is.
func TestUIAssets(t *testing.T) {
	s, _ := server(t)
	for path, want := range map[string]string{
		"/app": "/ui/app.js", "/board": "/ui/board.js", "/ui/app.js": "import", "/ui/i18n/zh-CN.json": "指挥中心",
		"/ui/style.css": ".centre", "/ui/vendor/echarts.min.js": "echarts",
	} {
		code, body, h := getAs(t, s.URL+path, "")
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, no %q", path, code, want)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	for _, path := range []string{"/ui/app.html", "/ui/../ui.go", "/ui/nothing.js"} {
		if code, _, _ := getAs(t, s.URL+path, ""); code != 404 {
			t.Errorf("%s: %d, want 404", path, code)
		}
	}
}

// Every message the scripts ask for is in both catalogs, and so is every
// state, role, action, task state, request, channel and urgency the API
// can return.
func TestMessageCatalogs(t *testing.T) {
	cat := map[string]map[string]string{}
	for _, lang := range []string{"zh-CN", "en"} {
		b, err := os.ReadFile(filepath.Join("ui", "i18n", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		cat[lang] = m
	}
	for k := range cat["zh-CN"] {
		if cat["en"][k] == "" {
			t.Errorf("en lacks %s", k)
		}
	}
	for k := range cat["en"] {
		if cat["zh-CN"][k] == "" {
			t.Errorf("zh-CN lacks %s", k)
		}
	}
	want := []string{}
	for _, s := range caseflow.States {
		want = append(want, "state."+string(s))
	}
	for _, r := range append(caseflow.StaffRoles, caseflow.Resident, caseflow.System) {
		want = append(want, "role."+string(r))
	}
	for _, r := range caseflow.Rules {
		want = append(want, "action."+string(r.Action))
	}
	for _, s := range []caseflow.TaskState{caseflow.TaskDispatched, caseflow.TaskSigned, caseflow.TaskDone, caseflow.TaskReturned} {
		want = append(want, "task."+string(s))
	}
	for _, r := range []caseflow.RequestKind{caseflow.RequestReturn, caseflow.RequestExtension, caseflow.RequestSuspension} {
		want = append(want, "request."+string(r))
	}
	for _, c := range caseflow.Channels {
		want = append(want, "channel."+string(c))
	}
	want = append(want, "urgency.normal", "urgency.urgent", "action.report")
	literal := regexp.MustCompile(`\bt\('([a-zA-Z0-9_.]+)'`)
	fs.WalkDir(os.DirFS("ui"), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".js") || strings.HasPrefix(path, "vendor") {
			return err
		}
		b, _ := os.ReadFile(filepath.Join("ui", path))
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			want = append(want, m[1])
		}
		return nil
	})
	for _, k := range want {
		if cat["zh-CN"][k] == "" || cat["en"][k] == "" {
			t.Errorf("no message %s", k)
		}
	}
	if len(want) < 150 {
		t.Errorf("only %d keys found in the scripts", len(want))
	}
}

// Case detail offers what the reader may do now, and only that.
func TestCaseActionsOffered(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{State: caseflow.Dispatched, Limit: 50})
	if len(cs) == 0 {
		t.Skip("no dispatched case in the demo")
	}
	c := cs[0]
	units, _ := a.Store.Units(ctx)
	code := map[int64]string{}
	for _, u := range units {
		code[u.ID] = u.Code
	}
	actions := func(user string) []string {
		code, body, _ := getAs(t, s.URL+"/api/v1/cases/"+c.Number, tokenOf(t, a, user))
		var v struct {
			Actions    []string          `json:"actions"`
			PlaceNames map[string]string `json:"place_names"`
			WorkLeft   *int              `json:"work_left_minutes"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &v) != nil {
			t.Fatalf("%s reads %s: %d %.200s", user, c.Number, code, body)
		}
		if v.PlaceNames["street"] == "" || v.PlaceNames["grid"] == "" || v.WorkLeft == nil {
			t.Errorf("detail lacks place names or working time left: %.300s", body)
		}
		return v.Actions
	}
	lead := "h-" + code[c.Tasks[0].UnitID]
	if got := actions(lead); !slices.Contains(got, "sign") || slices.Contains(got, "report_back") || slices.Contains(got, "register") {
		t.Errorf("the department on a dispatched task is offered %v", got)
	}
	if got := actions("dispatcher1"); slices.Contains(got, "sign") || !slices.Contains(got, "remind") || slices.Contains(got, "approve_return") {
		t.Errorf("the dispatcher is offered %v", got)
	}
	if got := actions("leader"); !slices.Equal(got, []string{"remind", "supervise", "comment"}) {
		t.Errorf("the leader is offered %v", got)
	}
	// The access rule itself: a pending return request is what a
	// dispatcher may answer.
	c.Tasks[0].Request = caseflow.RequestReturn
	p := access.Principal{Role: caseflow.Dispatcher}
	if got := access.Actions(p, &c); !slices.Contains(got, caseflow.ActApproveReturn) || slices.Contains(got, caseflow.ActApproveExtension) {
		t.Errorf("with a return request the dispatcher may %v", got)
	}
}

// Administrators create accounts and import grid layers; others are
// refused and the refusal is audited; bad input names its field.
func TestAdminOverHTTP(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	admin := signIn(t, s.URL, "admin")
	grids, _ := a.Store.Grids(ctx, a.Now())
	for _, tt := range []struct {
		body  map[string]any
		want  int
		field string
	}{
		{map[string]any{"username": "X Y", "role": "handler", "unit": "hwc", "password": "long-enough-1"}, 400, "username"},
		{map[string]any{"username": "new1", "role": "boss", "unit": "hwc", "password": "long-enough-1"}, 400, "role"},
		{map[string]any{"username": "new1", "role": "handler", "unit": "nope", "password": "long-enough-1"}, 400, "unit"},
		{map[string]any{"username": "new1", "role": "handler", "unit": "hwc", "password": "short"}, 400, "password"},
		{map[string]any{"username": "new1", "role": "grid_worker", "unit": "hwc", "password": "long-enough-1"}, 400, "grids"},
		{map[string]any{"username": "new1", "role": "grid_worker", "unit": "hwc", "grids": []string{"999"}, "password": "long-enough-1"}, 400, "grids[0]"},
		{map[string]any{"username": "dispatcher1", "role": "handler", "unit": "hwc", "password": "long-enough-1"}, 409, "username"},
		{map[string]any{"username": "new1", "role": "grid_worker", "unit": "hwc", "grids": []string{grids[0].Code}, "password": "long-enough-1", "name": "新网格员"}, 201, ""},
	} {
		code, body := admin.do("POST", "/api/v1/admin/users", tt.body)
		if code != tt.want || (tt.field != "" && !strings.Contains(body, `"field":"`+tt.field+`"`)) {
			t.Errorf("%v: %d %s, want %d naming %s", tt.body, code, body, tt.want, tt.field)
		}
	}
	// The new account signs in and sees its grid.
	u := signInWith(t, s.URL, "new1", "long-enough-1")
	if code, body := u.do("GET", "/api/v1/me", nil); code != 200 || !strings.Contains(body, grids[0].Code) {
		t.Fatalf("new account: %d %s", code, body)
	}
	// Others may not administer.
	for _, who := range []string{"dispatcher1", "leader", "h-hwc"} {
		if code, _ := signIn(t, s.URL, who).do("GET", "/api/v1/admin/users", nil); code != 403 {
			t.Errorf("%s lists accounts: %d", who, code)
		}
	}
	if code, body := admin.do("GET", "/api/v1/admin/users?role=grid_worker", nil); code != 200 || strings.Contains(body, "password") || strings.Contains(body, "1390352") ||
		!strings.Contains(body, `"grids":["`+grids[0].Code) {
		t.Errorf("account list: %d, leaks a hash or a phone, or lacks the grids: %.300s", code, body)
	}
	// The current layer, exported, checks clean and imports from a date;
	// a broken one is refused with the reason and changes nothing.
	layer, err := places.MarshalLayer(a.Index().Units(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := admin.do("POST", "/api/v1/admin/grids?dry_run=true", string(layer)); code != 200 || !strings.Contains(body, `"imported":false`) {
		t.Fatalf("dry run: %d %.300s", code, body)
	}
	before := a.Index()
	if code, body := admin.do("POST", "/api/v1/admin/grids", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,1]]]}}]}`); code != 422 || !strings.Contains(body, "layer") {
		t.Fatalf("broken layer: %d %s", code, body)
	}
	if a.Index() != before {
		t.Fatal("a refused layer replaced the index")
	}
	if code, body := admin.do("POST", "/api/v1/admin/grids?from=2027-01-01", string(layer)); code != 200 || !strings.Contains(body, `"imported":true`) {
		t.Fatalf("import: %d %.300s", code, body)
	}
	// Units: a new department, then an account in it.
	for _, tt := range []struct {
		body  map[string]any
		want  int
		field string
	}{
		{map[string]any{"code": "A B", "name": "x", "kind": "department"}, 400, "code"},
		{map[string]any{"code": "scjg", "name": "", "kind": "department"}, 400, "name"},
		{map[string]any{"code": "scjg", "name": "市场监管所", "kind": "ministry"}, 400, "kind"},
		{map[string]any{"code": "scjg", "name": "市场监管所", "kind": "department", "street": "999"}, 400, "street"},
		{map[string]any{"code": "hwc", "name": "又一个环卫处", "kind": "department"}, 409, "code"},
		{map[string]any{"code": "scjg", "name": "平城区市场监督管理局", "kind": "department"}, 201, ""},
	} {
		code, body := admin.do("POST", "/api/v1/admin/units", tt.body)
		if code != tt.want || (tt.field != "" && !strings.Contains(body, `"field":"`+tt.field+`"`)) {
			t.Errorf("unit %v: %d %s, want %d naming %s", tt.body, code, body, tt.want, tt.field)
		}
	}
	if code, body := admin.do("POST", "/api/v1/admin/users", map[string]any{"username": "h-scjg", "role": "handler", "unit": "scjg", "password": "long-enough-1"}); code != 201 {
		t.Fatalf("an account in the new unit: %d %s", code, body)
	}
	if code, body := admin.do("GET", "/api/v1/units", nil); code != 200 || !strings.Contains(body, "平城区市场监督管理局") {
		t.Fatalf("units: %d", code)
	}
	for _, path := range []string{"/api/v1/admin/time-limits", "/api/v1/admin/calendar", "/api/v1/admin/webhooks"} {
		if code, body := admin.do("GET", path, nil); code != 200 || len(body) < 10 {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
	audit, _ := a.Store.AuditEntries(ctx, 100)
	var created, imported bool
	for _, e := range audit {
		created = created || e["event"] == "account_created"
		imported = imported || e["event"] == "grids_imported"
	}
	if !created || !imported {
		t.Errorf("audit: account_created %v, grids_imported %v", created, imported)
	}
}

// A resident rates a closed case they reported, once, with their phone.
func TestResidentRating(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	anon := &user{t: t, base: s.URL, c: http.DefaultClient}
	grid := a.Index().Units()[len(a.Index().Units())/3]
	c := grid.Geometry.Bound().Center()
	// A resident's photo: images only, then with the report.
	if code, body := anon.do("POST", "/api/v1/public/photos", "MZ\x90\x00 not a picture"); code != 415 {
		t.Fatalf("a renamed executable from a resident: %d %s", code, body)
	}
	var img bytes.Buffer
	jpeg.Encode(&img, image.NewRGBA(image.Rect(0, 0, 40, 30)), nil)
	code, body := anon.do("POST", "/api/v1/public/photos", img.String())
	var ph struct{ ID string }
	if code != 201 || json.Unmarshal([]byte(body), &ph) != nil {
		t.Fatalf("resident photo: %d %s", code, body)
	}
	if code, body := anon.do("POST", "/api/v1/public/reports", map[string]any{"category": "M06010", "description": "x", "lon": c.Lon(), "lat": c.Lat(), "photos": []string{strings.Repeat("0", 64)}}); code != 400 || !strings.Contains(body, "photos[0]") {
		t.Fatalf("a report with a photo never uploaded: %d %s", code, body)
	}
	code, body = anon.do("POST", "/api/v1/public/reports", map[string]any{"category": "M06010", "description": "楼下垃圾没人清", "lon": c.Lon(), "lat": c.Lat(), "name": "张三", "phone": "139-0352-1234", "photos": []string{ph.ID}})
	if code != 201 {
		t.Fatalf("resident report: %d %s", code, body)
	}
	var pc struct{ Number string }
	json.Unmarshal([]byte(body), &pc)
	rate := func(phone string) (int, string) {
		return anon.do("POST", "/api/v1/public/cases/"+pc.Number+"/rating", map[string]any{"phone": phone, "satisfied": true, "solved": true})
	}
	if code, body := rate("13903521234"); code != 409 {
		t.Fatalf("rating an open case: %d %s", code, body)
	}
	closeCase(t, a, pc.Number)
	if code, body := rate("13903520000"); code != 403 || !strings.Contains(body, "phone") {
		t.Fatalf("someone else's phone: %d %s", code, body)
	}
	// A rating outside the hotline's scale, or none, names the field and changes nothing.
	for _, bad := range []map[string]any{{"phone": "13903521234", "rating": "very_satisfied"}, {"phone": "13903521234", "solved": true}} {
		if code, body := anon.do("POST", "/api/v1/public/cases/"+pc.Number+"/rating", bad); code != 400 || !strings.Contains(body, `"field":"rating"`) {
			t.Fatalf("a bad rating %v: %d %s", bad, code, body)
		}
	}
	if c, _ := a.Store.CaseByNumber(ctx, pc.Number); c.Satisfied != nil || c.Rating != "" {
		t.Fatalf("a refused rating was kept: %v %q", c.Satisfied, c.Rating)
	}
	if code, body := rate("139 0352 1234"); code != 200 || !strings.Contains(body, `"rated":true`) || strings.Contains(body, "张三") {
		t.Fatalf("rating: %d %s", code, body)
	}
	if code, _ := rate("13903521234"); code != 409 {
		t.Fatalf("second rating: %d", code)
	}
	after, _ := a.Store.CaseByNumber(ctx, pc.Number)
	if after.Satisfied == nil || !*after.Satisfied {
		t.Fatalf("satisfaction not recorded")
	}
	if evs, _ := a.Store.Events(ctx, after.ID); len(evs) == 0 || len(evs[0].Data.Photos) != 1 || evs[0].Data.Photos[0] != ph.ID {
		t.Fatalf("the resident's photo is not on the report")
	}
	if code, body := anon.do("GET", "/api/v1/public/board?status=closed", nil); code != 200 || !strings.Contains(body, pc.Number) {
		t.Fatalf("closed board lacks the case: %d %.200s", code, body)
	}
	if code, _ := anon.do("GET", "/api/v1/public/board?status=bogus", nil); code != 400 {
		t.Fatalf("bad status: %d", code)
	}
}

// closeCase drives a case through the loop to closed as the demo's staff.
func closeCase(t *testing.T, a *app.App, number string) {
	t.Helper()
	ctx := context.Background()
	as := func(username string) caseflow.Actor {
		acct, err := a.Store.AccountByUsername(ctx, username)
		if err != nil {
			t.Fatal(err)
		}
		p, err := a.Principal(ctx, acct.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p.Actor()
	}
	units, _ := a.Store.Units(ctx)
	code := map[int64]string{}
	for _, u := range units {
		code[u.ID] = u.Code
	}
	step := func(act caseflow.Action, who string, cmd caseflow.Command) {
		c, err := a.Store.CaseByNumber(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Action, cmd.Actor, cmd.ExpectedVersion = act, as(who), c.Version
		if act == caseflow.ActDispatch {
			d, err := a.Routes().Route(c.CategoryID, c.Place, "")
			if err != nil {
				t.Fatal(err)
			}
			cmd.Assignments = d.Assignments()
		}
		if _, _, err := a.Act(ctx, c.ID, cmd); err != nil {
			t.Fatalf("%s by %s: %v", act, who, err)
		}
	}
	step(caseflow.ActRegister, "dispatcher1", caseflow.Command{})
	step(caseflow.ActDispatch, "dispatcher1", caseflow.Command{})
	c, _ := a.Store.CaseByNumber(ctx, number)
	lead := "h-" + code[c.Tasks[0].UnitID]
	step(caseflow.ActSign, lead, caseflow.Command{})
	step(caseflow.ActReportBack, lead, caseflow.Command{Note: "已处理", Photos: []string{"x"}})
	step(caseflow.ActCheckPass, "gw"+c.Place.Grid, caseflow.Command{})
	step(caseflow.ActClose, "dispatcher1", caseflow.Command{})
}

// The calendar, the time limits and the dispatch table change over HTTP
// and take effect at once, without a restart; bad input changes nothing.
func TestAdminPolicyOverHTTP(t *testing.T) {
	s, a := server(t)
	admin := signIn(t, s.URL, "admin")
	day := "2026-11-23" // a Monday
	monday, _ := time.ParseInLocation("2006-01-02 15:04", day+" 10:00", calendar.Shanghai)
	if !a.Policy.Calendar().IsWorkingDay(monday) {
		t.Fatal("the Monday should be a working day")
	}
	for _, tt := range []struct {
		path  string
		body  any
		want  int
		field string
	}{
		{"/api/v1/admin/calendar/23-11-2026", map[string]any{"working": false}, 400, "day"},
		{"/api/v1/admin/calendar/" + day, map[string]any{}, 400, "working"},
		{"/api/v1/admin/calendar/" + day, map[string]any{"working": "no"}, 400, "working"},
	} {
		if code, body := admin.do("PUT", tt.path, tt.body); code != tt.want || !strings.Contains(body, `"field":"`+tt.field+`"`) {
			t.Errorf("PUT %s %v: %d %s", tt.path, tt.body, code, body)
		}
	}
	if code, body := signIn(t, s.URL, "dispatcher1").do("PUT", "/api/v1/admin/calendar/"+day, map[string]any{"working": false}); code != 403 {
		t.Fatalf("a dispatcher sets the calendar: %d %s", code, body)
	}
	if code, body := admin.do("PUT", "/api/v1/admin/calendar/"+day+"?dry_run=true", map[string]any{"working": false}); code != 200 ||
		!strings.Contains(body, `"applied":false`) || !strings.Contains(body, `"moves":[`) || !a.Policy.Calendar().IsWorkingDay(monday) {
		t.Fatalf("a preview of the day off: %d %s", code, body)
	}
	if code, body := admin.do("PUT", "/api/v1/admin/calendar/"+day, map[string]any{"working": false, "note": "区里停电检修"}); code != 200 ||
		!strings.Contains(body, day) || !strings.Contains(body, `"applied":true`) {
		t.Fatalf("day off: %d %s", code, body)
	}
	if a.Policy.Calendar().IsWorkingDay(monday) {
		t.Fatal("the day off did not take effect")
	}
	if code, _ := admin.do("DELETE", "/api/v1/admin/calendar/"+day, nil); code != 200 || !a.Policy.Calendar().IsWorkingDay(monday) {
		t.Fatalf("unset: %d", code)
	}
	if code, _ := admin.do("DELETE", "/api/v1/admin/calendar/"+day, nil); code != 404 {
		t.Fatalf("unset twice: %d", code)
	}
	// Time limits: the whole table, checked whole.
	_, body := admin.do("GET", "/api/v1/admin/time-limits", nil)
	var tl struct {
		Limits []map[string]any `json:"limits"`
	}
	if err := json.Unmarshal([]byte(body), &tl); err != nil || len(tl.Limits) == 0 {
		t.Fatalf("limits: %s", body)
	}
	bad := append([]map[string]any{{"scope": "M06011", "step": "handle", "amount": 0, "unit": "working_days"}}, tl.Limits...)
	if code, body := admin.do("PUT", "/api/v1/admin/time-limits", map[string]any{"limits": bad}); code != 400 || !strings.Contains(body, "limits[0]") {
		t.Fatalf("a zero limit: %d %s", code, body)
	}
	if code, body := admin.do("PUT", "/api/v1/admin/time-limits", map[string]any{"limits": append(tl.Limits, tl.Limits[0])}); code != 400 || !strings.Contains(body, fmt.Sprintf("limits[%d]", len(tl.Limits))) {
		t.Fatalf("a repeated limit: %d %s", code, body)
	}
	before := a.Policy.Due(caseflow.StepHandle, "M06011", caseflow.Normal, monday)
	tighter := []map[string]any{{"scope": "M06011", "step": "handle", "amount": 1, "unit": "working_hours", "note": "试行"}}
	for _, l := range tl.Limits {
		if !(l["scope"] == "M06011" && l["step"] == "handle") {
			tighter = append(tighter, l)
		}
	}
	if code, body := admin.do("PUT", "/api/v1/admin/time-limits", map[string]any{"limits": tighter}); code != 200 {
		t.Fatalf("new limits: %d %s", code, body)
	}
	if after := a.Policy.Due(caseflow.StepHandle, "M06011", caseflow.Normal, monday); !after.Before(before) || !after.Equal(monday.Add(time.Hour)) {
		t.Fatalf("handle deadline for M06011 from %s: %s, was %s", monday, after, before)
	}
	// A dispatch rule for one street sends its cases to another department.
	u := a.Index().Units()[0]
	c := u.Geometry.Bound().Center()
	route := func() string {
		_, body := admin.do("GET", fmt.Sprintf("/api/v1/route?lon=%f&lat=%f&category=M06011", c.Lon(), c.Lat()), nil)
		return body
	}
	if code, body := admin.do("POST", "/api/v1/admin/dispatch-rules", map[string]any{"category": "M06011", "area": u.Street, "lead": "nobody"}); code != 400 || !strings.Contains(body, "nobody") {
		t.Fatalf("unknown lead: %d %s", code, body)
	}
	code, body := admin.do("POST", "/api/v1/admin/dispatch-rules", map[string]any{"category": "M06011", "area": u.Street, "lead": "ylc", "note": "试点"})
	var rule struct{ ID int64 }
	if code != 201 || json.Unmarshal([]byte(body), &rule) != nil || rule.ID == 0 {
		t.Fatalf("add rule: %d %s", code, body)
	}
	if got := route(); !strings.Contains(got, `"code":"ylc"`) || !strings.Contains(got, fmt.Sprintf("#%d", rule.ID)) {
		t.Fatalf("route after the new rule: %s", got)
	}
	if code, _ := admin.do("DELETE", fmt.Sprintf("/api/v1/admin/dispatch-rules/%d", rule.ID), nil); code != 204 {
		t.Fatalf("delete rule: %d", code)
	}
	if got := route(); strings.Contains(got, fmt.Sprintf("#%d", rule.ID)) {
		t.Fatalf("the deleted rule still routes: %s", got)
	}
	if code, _ := admin.do("DELETE", fmt.Sprintf("/api/v1/admin/dispatch-rules/%d", rule.ID), nil); code != 404 {
		t.Fatalf("delete twice: %d", code)
	}
}

// Every API route × every role, from the OpenAPI document: without a
// sign-in a staff route answers 401; a district-wide route refuses grid
// workers and departments; an admin route refuses everyone but the
// administrator; a public route refuses no one. Refusals are 403, never a
// page of data.
func TestEveryRouteEveryRole(t *testing.T) {
	s, a := server(t)
	_, body, _ := getAs(t, s.URL+"/api/v1/openapi.json", "")
	var doc struct {
		Paths map[string]map[string]struct {
			Access string `json:"x-access"`
			Screen bool   `json:"x-screen"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	cs, _ := a.Store.Cases(context.Background(), store.CaseFilter{Limit: 1})
	fill := strings.NewReplacer("{number}", cs[0].Number, "{action}", "sign", "{id}", "999999", "{day}", "2026-01-01")
	roles := map[string]string{"admin": "admin", "dispatcher": "dispatcher1", "operator": "operator1", "leader": "leader",
		"handler": "h-hwc", "grid_worker": "gw14021305300101"}
	tokens := map[string]string{}
	for role, user := range roles {
		tokens[role] = tokenOf(t, a, user)
	}
	// A wall's screen token (a leader's): the dashboard's figures only.
	screen, _, err := a.CreateScopedToken(context.Background(), "leader", "wall", "screen")
	if err != nil {
		t.Fatal(err)
	}
	tokens["screen"] = screen
	call := func(method, url, token string) int {
		req, _ := http.NewRequest(strings.ToUpper(method), url, strings.NewReader("{}"))
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
	routes := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if path == "/api/v1/session" {
				continue // signing in and out changes the session under test
			}
			routes++
			url := s.URL + fill.Replace(path)
			if op.Access == "" {
				if code := call(method, url, ""); code == 401 || code == 403 || code >= 500 {
					t.Errorf("public %s %s: %d", method, path, code)
				}
				continue
			}
			if code := call(method, url, ""); code != 401 {
				t.Errorf("%s %s without a sign-in: %d, want 401", method, path, code)
			}
			for role, token := range tokens {
				code := call(method, url, token)
				var refused bool
				switch {
				case role == "screen":
					refused = !op.Screen
				case op.Access == "wide":
					refused = role == "handler" || role == "grid_worker"
				case op.Access == "centre":
					refused = role != "admin" && role != "operator" && role != "dispatcher"
				case op.Access == "admin":
					refused = role != "admin"
				case op.Access == "machine":
					refused = true // no reader's token holds the alarms scope
				}
				switch op.Access {
				case "staff":
					if role == "screen" {
						break
					}
					if method != "get" {
						continue // writes refuse by the case loop's roles: TestWritePermissions
					}
					if path == "/api/v1/cases/{number}/reporter" && role != "operator" && role != "dispatcher" {
						// only those who call back: TestCaseFileForCallbacks, TestScopeMatrix
						if code != 403 && code != 404 {
							t.Errorf("%s %s as %s: %d, want 403 (or 404 out of scope)", method, path, role, code)
						}
						continue
					}
				}
				if refused && code != 403 {
					t.Errorf("%s %s as %s: %d, want 403", method, path, role, code)
				}
				if !refused && (code == 401 || code == 403 || code >= 500) {
					t.Errorf("%s %s as %s: %d, want it let through", method, path, role, code)
				}
			}
		}
	}
	if routes < 40 {
		t.Fatalf("only %d routes walked", routes)
	}
}

// An administrator adds a city's own category and residents can report it
// at once; national categories keep their names; bad ids are refused.
func TestAdminCatalog(t *testing.T) {
	s, a := server(t)
	admin := signIn(t, s.URL, "admin")
	for _, tt := range []struct {
		id    string
		body  any
		want  int
		field string
	}{
		{"M9001", map[string]any{"name": "x", "major_class": "地方事项"}, 400, "id"},
		{"X90001", map[string]any{"name": "x", "major_class": "地方事项"}, 400, "id"},
		{"M06999", map[string]any{"name": "新事项", "major_class": "地方事项"}, 400, "id"}, // national range
		{"M90001", map[string]any{"major_class": "地方事项"}, 400, "name"},
		{"M90001", map[string]any{"name": "  ", "major_class": "地方事项"}, 400, "name"},
		{"M90001", map[string]any{"name": "占道晾晒", "major_class": strings.Repeat("类", 31)}, 400, "major_class"},
		{"M90001", map[string]any{"name": "占道晾晒", "major_class": "地方事项", "colour": "red"}, 400, "colour"},
		{"M90001", `{"name": 5}`, 400, "name"},
		{"M06011", map[string]any{"name": "垃圾"}, 400, "name"}, // GB/T name stays
		{"M90001", map[string]any{"name": "占道晾晒", "major_class": "地方事项", "dept_hint": "城管执法", "public": true}, 201, ""},
		{"M90001", map[string]any{"name": "占道晾晒衣物"}, 200, ""},
		{"M06011", map[string]any{"dept_hint": "平城区环卫处"}, 200, ""},
	} {
		code, body := admin.do("PUT", "/api/v1/admin/categories/"+tt.id, tt.body)
		if code != tt.want || (tt.field != "" && !strings.Contains(body, `"field":"`+tt.field+`"`)) {
			t.Errorf("PUT %s %v: %d %s, want %d naming %s", tt.id, tt.body, code, body, tt.want, tt.field)
		}
	}
	if code, body := signIn(t, s.URL, "dispatcher1").do("PUT", "/api/v1/admin/categories/M90002", map[string]any{"name": "x", "major_class": "y"}); code != 403 {
		t.Fatalf("a dispatcher editing the catalog: %d %s", code, body)
	}
	anon := &user{t: t, base: s.URL, c: http.DefaultClient}
	code, body := anon.do("GET", "/api/v1/catalog", nil)
	if code != 200 || !strings.Contains(body, "占道晾晒衣物") || !strings.Contains(body, "积存垃圾渣土") {
		t.Fatalf("catalog after the changes: %d %.300s", code, body)
	}
	// A resident reports the new category; its deadline comes from the
	// district's default limits.
	c := a.Index().Units()[len(a.Index().Units())/2].Geometry.Bound().Center()
	code, body = anon.do("POST", "/api/v1/public/reports", map[string]any{"category": "M90001", "description": "人行道上晾晒衣物", "lon": c.Lon(), "lat": c.Lat()})
	if code != 201 || !strings.Contains(body, `"number"`) {
		t.Fatalf("a resident's report of the local category: %d %s", code, body)
	}
	// Hidden from the public again: residents may no longer report it.
	if code, body := admin.do("PUT", "/api/v1/admin/categories/M90001", map[string]any{"public": false}); code != 200 {
		t.Fatalf("hiding: %d %s", code, body)
	}
	code, body = anon.do("POST", "/api/v1/public/reports", map[string]any{"category": "M90001", "description": "人行道上晾晒衣物", "lon": c.Lon(), "lat": c.Lat()})
	if code != 400 || !strings.Contains(body, `"field":"category"`) {
		t.Fatalf("a resident reporting a hidden category: %d %s", code, body)
	}
	audit, _ := a.Store.AuditEntries(context.Background(), 20)
	saved := 0
	for _, e := range audit {
		if e["event"] == "category_saved" {
			saved++
		}
	}
	if saved != 4 {
		t.Fatalf("%d category_saved entries in the audit log, want 4", saved)
	}
}

// An administrator changes and deactivates accounts: a deactivated
// account's session and tokens stop working at once, and reactivating it
// with a new password brings back neither the old password nor the tokens.
func TestAdminUpdatesAccounts(t *testing.T) {
	s, a := server(t)
	admin := signIn(t, s.URL, "admin")
	d2 := signIn(t, s.URL, "dispatcher2")
	token := tokenOf(t, a, "dispatcher2")
	if code, _ := d2.do("GET", "/api/v1/me", nil); code != 200 {
		t.Fatalf("dispatcher2 signed in: %d", code)
	}
	for _, tt := range []struct {
		user  string
		body  any
		want  int
		field string
	}{
		{"nobody", map[string]any{"active": false}, 404, "username"},
		{"dispatcher2", map[string]any{"role": "boss"}, 400, "role"},
		{"dispatcher2", map[string]any{"unit": "nope"}, 400, "unit"},
		{"dispatcher2", map[string]any{"password": "short"}, 400, "password"},
		{"dispatcher2", map[string]any{"active": "no"}, 400, "active"},
		{"dispatcher2", map[string]any{"admin": true}, 400, "admin"},
		{"dispatcher2", map[string]any{"role": "grid_worker"}, 400, "grids"},
		{"gw14021305300101", map[string]any{"grids": []string{"99"}}, 400, "grids[0]"},
		{"admin", map[string]any{"active": false}, 409, "active"},
		{"admin", map[string]any{"role": "leader"}, 409, "active"},
		{"dispatcher2", map[string]any{"active": false}, 200, ""},
	} {
		code, body := admin.do("PATCH", "/api/v1/admin/users/"+tt.user, tt.body)
		if code != tt.want || (tt.field != "" && !strings.Contains(body, `"field":"`+tt.field+`"`)) {
			t.Errorf("PATCH %s %v: %d %s, want %d naming %s", tt.user, tt.body, code, body, tt.want, tt.field)
		}
	}
	if code, _ := d2.do("GET", "/api/v1/me", nil); code != 401 {
		t.Fatalf("the deactivated account's session: %d", code)
	}
	if code, _, _ := getAs(t, s.URL+"/api/v1/cases?limit=1", token); code != 401 {
		t.Fatalf("the deactivated account's token: %d", code)
	}
	anon := &user{t: t, base: s.URL, c: http.DefaultClient}
	if code, _ := anon.do("POST", "/api/v1/session", map[string]string{"username": "dispatcher2", "password": demo.Password}); code != 401 {
		t.Fatalf("signing in to a deactivated account: %d", code)
	}
	if code, body := admin.do("PATCH", "/api/v1/admin/users/dispatcher2", map[string]any{"active": true, "password": "a-new-password-2026", "name": "王调度"}); code != 200 ||
		!strings.Contains(body, `"active":true`) || !strings.Contains(body, "王调度") {
		t.Fatalf("reactivating: %d %s", code, body)
	}
	if code, _ := anon.do("POST", "/api/v1/session", map[string]string{"username": "dispatcher2", "password": demo.Password}); code != 401 {
		t.Fatalf("the old password after a reset: %d", code)
	}
	signInWith(t, s.URL, "dispatcher2", "a-new-password-2026")
	if code, _, _ := getAs(t, s.URL+"/api/v1/cases?limit=1", token); code != 401 {
		t.Fatalf("a token revoked by deactivation after reactivating: %d", code)
	}
	// A grid worker moved to other grids sees the new ones.
	gws, _ := a.Store.Grids(context.Background(), a.Now())
	other := gws[len(gws)-1].Code
	if code, body := admin.do("PATCH", "/api/v1/admin/users/gw14021305300101", map[string]any{"grids": []string{other}}); code != 200 || !strings.Contains(body, other) {
		t.Fatalf("moving a grid worker: %d %s", code, body)
	}
	if code, body := signIn(t, s.URL, "gw14021305300101").do("GET", "/api/v1/me", nil); code != 200 || !strings.Contains(body, `"grids":["`+other+`"]`) {
		t.Fatalf("the grid worker's grids after the move: %d %s", code, body)
	}
}
