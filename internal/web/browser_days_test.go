package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Each role's working day, walked in Chromium at a desk and on a phone:
// the to-dos they start with, done by clicking as a person would. Counts
// on the screen are compared with counts made here from the stored cases.

// daySizes are the two screens every walk is done on.
var daySizes = []struct {
	name string
	w, h int64
	opts []chromedp.EmulateViewportOption
}{
	{"desktop", 1366, 768, nil},
	{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateScale(2)}},
}

var (
	han      = regexp.MustCompile(`\p{Han}`)
	leftover = regexp.MustCompile(`\{[a-z_]+\}|undefined|NaN|\[object`)
)

// messageKeys are the catalog's dotted keys: none may reach the screen.
func messageKeys(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("ui/i18n/zh-CN.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		if strings.Contains(k, ".") {
			keys = append(keys, k)
		}
	}
	return keys
}

// readable checks the page as a person reads it: in Chinese, without a
// message key or a placeholder left in, and no wider than the screen.
func (p *page) readable(keys []string, where string) {
	p.t.Helper()
	txt := p.eval(`document.querySelector('#main').innerText`)
	if !han.MatchString(txt) {
		p.t.Errorf("%s: no Chinese on the page: %.200s", where, txt)
	}
	if m := leftover.FindString(txt); m != "" {
		i := strings.Index(txt, m)
		p.t.Errorf("%s: %q on the page: …%s…", where, m, txt[max(0, i-40):min(len(txt), i+40)])
	}
	for _, k := range keys {
		if strings.Contains(txt, k) {
			p.t.Errorf("%s: the message key %s on the page", where, k)
		}
	}
	if w := strings.Fields(p.eval(`String(document.documentElement.scrollWidth) + ' ' + String(window.innerWidth)`)); atoi(w[0]) > atoi(w[1]) {
		p.t.Errorf("%s: the page is wider than the screen (scroll width, screen): %s", where, w)
	}
}

// beijing is a time as the pages show it in Chinese.
func beijing(at time.Time) string { return at.In(calendar.Shanghai).Format("2006/01/02 15:04") }

// inQueue says whether a stored case is on a waiting list, recounted from
// its state, tasks and watches (not through the queue filters).
func inQueue(t *testing.T, a *app.App, now time.Time, id string, c *caseflow.Case) bool {
	t.Helper()
	switch id {
	case "requests", "disputes":
		for _, tk := range c.Tasks {
			if tk.Request != caseflow.RequestNone && tk.State != caseflow.TaskReturned && (tk.Request == caseflow.RequestDispute) == (id == "disputes") {
				return true
			}
		}
		return false
	case "supervised":
		ws, err := a.Store.CaseWatches(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			if strings.HasPrefix(w.Key, "sup:") {
				return true
			}
		}
		return false
	case "callback":
		// Answered, with a number to call, not yet rated, and the
		// requester did not refuse the callback (which ends it).
		return c.State == caseflow.Closed && c.Channel == caseflow.ChannelHotline && c.Reporter.Phone != "" && c.Rating == "" && !c.CallbackDue.IsZero()
	case "review":
		return c.State == caseflow.Closed && c.Rating == caseflow.RatingDissatisfied && c.Review == caseflow.ReviewPending
	case "overdue":
		return c.State.Open() && c.State != caseflow.Suspended && !c.Deadline.IsZero() && c.Deadline.Before(now)
	}
	return string(c.State) == id
}

// recount counts each waiting list as user may see it.
func recount(t *testing.T, a *app.App, user string) map[string]int {
	t.Helper()
	ctx := context.Background()
	acc, err := a.Store.AccountByUsername(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := a.Principal(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	all, err := a.Store.Cases(ctx, store.CaseFilter{Limit: 5000})
	if err != nil || len(all) == 5000 {
		t.Fatalf("every case: %v, %d", err, len(all))
	}
	out := map[string]int{}
	for _, id := range []string{"reported", "registered", "requests", "supervised", "dispatched", "in_progress", "pending_check", "pending_close", "suspended", "overdue", "callback", "review"} {
		out[id] = 0
		for i := range all {
			if access.CanSee(pr, &all[i]) && inQueue(t, a, a.Now(), id, &all[i]) {
				out[id]++
			}
		}
	}
	return out
}

// handlerOf is an active handler's username for each unit that has one.
func handlerOf(t *testing.T, a *app.App) map[int64]string {
	t.Helper()
	accts, err := a.Store.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for _, ac := range accts {
		if ac.Role == caseflow.Handler && ac.Active {
			if _, ok := out[ac.UnitID]; !ok {
				out[ac.UnitID] = ac.Username
			}
		}
	}
	return out
}

// report files a new report as user at a point, answering its number.
func report(t *testing.T, base, token string, at caseflow.Point, desc string) string {
	t.Helper()
	j, _ := json.Marshal(map[string]any{"category": "M06011", "description": desc, "lon": at.Lon, "lat": at.Lat})
	code, body, _ := send(t, "POST", base+"/api/v1/cases", token, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
	var made struct{ Number string }
	if code != 201 || json.Unmarshal([]byte(body), &made) != nil {
		t.Fatalf("report: %d %s", code, body)
	}
	return made.Number
}

// reportBack has a department report a task back with a photo.
func reportBack(t *testing.T, base, token, number string) {
	t.Helper()
	var b bytes.Buffer
	jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 32, 32)), nil)
	code, body, _ := send(t, "POST", base+"/api/v1/photos", token, &b, map[string]string{"Content-Type": "image/jpeg"})
	var photo struct{ ID string }
	if code != 201 || json.Unmarshal([]byte(body), &photo) != nil {
		t.Fatalf("upload: %d %s", code, body)
	}
	act(t, base, token, number, "report_back", map[string]any{"note": "已清理完毕", "photos": []string{photo.ID}})
}

// tabCounts reads the centre's tab counts once they are loaded.
func (p *page) tabCounts() map[string]int {
	p.t.Helper()
	p.wait("tab counts", `document.querySelectorAll('.tabs .count').length > 0 && [...document.querySelectorAll('.tabs .count')].every(c => c.textContent !== '…')`)
	var m map[string]string
	if err := json.Unmarshal([]byte(p.eval(`JSON.stringify(Object.fromEntries([...document.querySelectorAll('.tabs .count')].map(c => [c.dataset.count, c.textContent])))`)), &m); err != nil {
		p.t.Fatal(err)
	}
	out := map[string]int{}
	for k, v := range m {
		n, err := strconv.Atoi(v)
		if err != nil {
			p.t.Fatalf("the %s tab's count is %q", k, v)
		}
		out[k] = n
	}
	return out
}

// openRow opens a case from a list row once the row is there. The click
// is the page's own, in one step: a list drawn again meanwhile (after each
// action) cannot take the row away between finding and clicking it.
func (p *page) openRow(what, row, opened string) {
	p.t.Helper()
	p.wait(what+": the row clicked", `(() => { const r = document.querySelector('`+row+`'); if (r) r.click(); return r !== null })()`)
	p.do(what, chromedp.WaitVisible(chromedp.CSS(opened)))
}

// tab opens a centre tab and waits for as many rows as its count (the
// list shows the first 100).
func (p *page) tab(id string, n int) {
	p.t.Helper()
	p.do("tab "+id, chromedp.Click(chromedp.CSS(`[data-tab="`+id+`"]`)))
	p.wait(fmt.Sprintf("the %s tab lists %d cases", id, n), fmt.Sprintf(`document.querySelector('[data-tab="%s"]').classList.contains('on') && document.querySelectorAll('tr.pick').length === %d`, id, min(n, 100)))
}

// The dispatcher's day at the command centre: it opens on the first list
// with something waiting, each tab's count the same as the cases counted
// here; a new report is registered with its place put right; a
// department's return is approved and the case goes to another
// department; an extension request is refused; an overdue case gets a
// supervision order, which lands on the department's desk.
func TestBrowserDispatcherDay(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	keys := messageKeys(t)
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1000})
	units, _ := a.Store.Units(ctx)
	code := map[int64]string{}
	for _, u := range units {
		code[u.ID] = u.Code
	}
	handlers := handlerOf(t, a)
	op := tokenOf(t, a, "operator1")
	supervised := map[string]bool{}
	for i, size := range daySizes {
		// The morning's to-dos, left by others: a new report, a return
		// asked for by the sanitation department, more time asked for by
		// the municipal works department.
		rep := report(t, s.URL, op, all[10+i].Point, "人行道井盖破损")
		ret := newTask(t, s.URL, a, all[20+i], "hwc")
		act(t, s.URL, tokenOf(t, a, "h-hwc"), ret, "request_return", map[string]any{"reason": "该路段井盖归市政处管理"})
		ext := newTask(t, s.URL, a, all[30+i], "szc")
		act(t, s.URL, tokenOf(t, a, "h-szc"), ext, "sign", map[string]any{})
		before, _ := a.Store.CaseByNumber(ctx, ext)
		act(t, s.URL, tokenOf(t, a, "h-szc"), ext, "request_extension", map[string]any{"reason": "需协调产权单位",
			"deadline": before.Tasks[0].Deadline.Add(72 * time.Hour).Format(time.RFC3339)})

		p.do(size.name+" screen", chromedp.EmulateViewport(size.w, size.h, size.opts...))
		p.login("dispatcher1")
		p.wait("the centre first", `document.querySelector('#main').dataset.page === 'centre'`)
		want := recount(t, a, "dispatcher1")
		got := p.tabCounts()
		for id, n := range want {
			if got[id] != n {
				t.Errorf("%s: the %s tab says %d, the stored cases %d", size.name, id, got[id], n)
			}
		}
		if on := p.eval(`document.querySelector('.tabs .on').dataset.tab`); want["reported"] > 0 && on != "reported" {
			t.Errorf("%s: the day opens on %s, not on the new reports", size.name, on)
		}
		if size.name == "phone" {
			if v := p.eval(`String(document.querySelector('.tabs').getBoundingClientRect().top < document.querySelector('.mapbox').getBoundingClientRect().top)`); v != "true" {
				t.Error("on a phone the map comes before the lists")
			}
		}
		p.wait("the list", `document.querySelectorAll('tr.pick').length > 0`)
		p.readable(keys, size.name+" centre")
		p.shot("dispatcher-" + size.name)

		// 1. The new report: its line in Beijing time; registered with
		// its place moved to where it really is.
		p.tab("reported", want["reported"])
		c, _ := a.Store.CaseByNumber(ctx, rep)
		line := p.text(`tr[data-number="` + rep + `"]`)
		if !strings.Contains(line, "积存垃圾渣土") || !strings.Contains(line, beijing(c.ReportedAt)) || !strings.Contains(line, "待立案") {
			t.Errorf("%s: the new report's line: %q, want its category, 待立案 and %s", size.name, line, beijing(c.ReportedAt))
		}
		var there caseflow.Case
		for _, x := range all {
			if x.Place.Grid != c.Place.Grid && x.Place.Grid != "" {
				there = x
				break
			}
		}
		p.openRow("open the report", `tr[data-number="`+rep+`"]`, `[data-case="`+rep+`"]`)
		if size.name == "phone" {
			if top := p.eval(`String(Math.round(document.querySelector('#detail').getBoundingClientRect().top)) + ' ' + innerHeight`); atoi(strings.Fields(top)[0]) > atoi(strings.Fields(top)[1])/2 || atoi(strings.Fields(top)[0]) < 0 {
				t.Errorf("on a phone the opened file is not in view (its top, the screen): %s", top)
			}
		}
		p.act("register", chromedp.Click(chromedp.CSS(`[data-correct] summary`)),
			chromedp.SetValue(chromedp.CSS(`[data-field="lon"]`), strconv.FormatFloat(there.Point.Lon, 'f', 6, 64)),
			chromedp.SetValue(chromedp.CSS(`[data-field="lat"]`), strconv.FormatFloat(there.Point.Lat, 'f', 6, 64)))
		p.wait("the correction on the timeline", `document.querySelector('[data-corrected]') !== null`)
		grids, _ := a.Store.Grids(ctx, a.Now())
		for _, g := range grids {
			if g.Code == there.Place.Grid {
				if txt := p.text(`[data-corrected]`); !strings.Contains(txt, g.Name) || strings.Contains(txt, g.Code) {
					t.Errorf("%s: the correction reads %q, want the grid's name %s, not its code", size.name, txt, g.Name)
				}
			}
		}
		p.shot("dispatcher-registered-" + size.name)
		if c, _ = a.Store.CaseByNumber(ctx, rep); c.State != caseflow.Registered || c.Place.Grid != there.Place.Grid {
			t.Fatalf("%s: registered with its place put right: %s in grid %s, want %s", size.name, c.State, c.Place.Grid, there.Place.Grid)
		}
		p.wait("the counts follow", fmt.Sprintf(`document.querySelector('[data-count="reported"]').textContent === '%d' && document.querySelector('[data-count="registered"]').textContent === '%d'`,
			want["reported"]-1, want["registered"]+1))

		// 2. The requests to decide: the return and the extension.
		p.tab("requests", want["requests"])
		p.openRow("open the return", `tr[data-number="`+ret+`"]`, `[data-case="`+ret+`"]`)
		if txt := p.text(`#detail table`); !strings.Contains(txt, "申请回退") || !strings.Contains(txt, "该路段井盖归市政处管理") || !strings.Contains(txt, "环卫") {
			t.Errorf("%s: the return request in the file: %q", size.name, txt)
		}
		p.act("approve_return")
		p.wait("suggested again", `document.querySelector('[data-suggest]') !== null`)
		if s := p.eval(`document.querySelector('[data-suggest]').dataset.suggest`); s == "hwc" {
			t.Errorf("%s: after the return the suggestion is the department that returned it", size.name)
		}
		p.act("dispatch")
		c, _ = a.Store.CaseByNumber(ctx, ret)
		for _, k := range c.Tasks {
			if k.Lead && k.State != caseflow.TaskReturned && code[k.UnitID] == "hwc" {
				t.Errorf("%s: dispatched again to the department that returned it", size.name)
			}
		}
		if c.State != caseflow.Dispatched {
			t.Errorf("%s: the returned case after dispatch: %s", size.name, c.State)
		}
		p.tab("requests", want["requests"]-1)
		p.openRow("open the extension", `tr[data-number="`+ext+`"]`, `[data-case="`+ext+`"]`)
		if txt := p.text(`#detail table`); !strings.Contains(txt, "申请延期") || !strings.Contains(txt, "需协调产权单位") {
			t.Errorf("%s: the extension request in the file: %q", size.name, txt)
		}
		p.act("refuse_extension", chromedp.SendKeys(chromedp.CSS(`#detail textarea[data-field="reason"]`), "现有时限内可以完成"))
		c, _ = a.Store.CaseByNumber(ctx, ext)
		if c.Tasks[0].Request != caseflow.RequestNone || !c.Tasks[0].Deadline.Equal(before.Tasks[0].Deadline) {
			t.Errorf("%s: refused, the task asks %q with deadline %v (was %v)", size.name, c.Tasks[0].Request, c.Tasks[0].Deadline, before.Tasks[0].Deadline)
		}
		p.wait("no request left", fmt.Sprintf(`document.querySelector('[data-count="requests"]').textContent === '%d'`, want["requests"]-2))

		// 3. The overdue list, and a supervision order on a case a
		// department holds.
		p.tab("overdue", want["overdue"])
		now := a.Now()
		cases, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 5000})
		var late caseflow.Case
		var handler string
		for _, x := range cases {
			if !inQueue(t, a, now, "overdue", &x) || supervised[x.Number] {
				continue
			}
			for _, k := range x.Tasks {
				if k.Lead && (k.State == caseflow.TaskDispatched || k.State == caseflow.TaskSigned) && handlers[k.UnitID] != "" && late.Number == "" {
					late, handler = x, handlers[k.UnitID]
				}
			}
		}
		if late.Number == "" {
			t.Fatal("no overdue case held by a department with a handler")
		}
		supervised[late.Number] = true
		if txt := p.text(`tr[data-number="` + late.Number + `"]`); !strings.Contains(txt, "已超期") {
			t.Errorf("%s: an overdue line does not say how late: %q", size.name, txt)
		}
		p.openRow("open the late case", `tr[data-number="`+late.Number+`"]`, `[data-case="`+late.Number+`"]`)
		p.act("supervise", chromedp.SendKeys(chromedp.CSS(`#detail textarea[data-field="reason"]`), "已超期，请今日内处理并回复"))
		p.wait("the supervised tab counts it", fmt.Sprintf(`document.querySelector('[data-count="supervised"]').textContent === '%d'`, want["supervised"]+1))
		p.readable(keys, size.name+" centre after the day")

		// 4. The order on the department's desk, first.
		p.login(handler)
		p.do("the desk", chromedp.WaitVisible(chromedp.CSS(`section[data-section="supervised"] tr[data-number="`+late.Number+`"]`)))
		if first := p.eval(`document.querySelector('#tasks section').dataset.section`); first != "supervised" {
			t.Errorf("%s: the desk opens on %s, not the supervision orders", size.name, first)
		}
		if h := p.text(`section[data-section="supervised"] h3`); !strings.Contains(h, "督办") {
			t.Errorf("%s: the desk's first section: %q", size.name, h)
		}
		p.readable(keys, size.name+" desk")
		p.shot("dispatcher-supervised-on-desk-" + size.name)
	}
}

// The grid worker's day on the phone (and at a desk): the checks to do
// first, with counts that match the stored cases; one check passed and
// one failed on site; a hotline report verified; a new problem reported
// with GPS; the worker's own reports listed with their state.
func TestBrowserGridWorkerDay(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	keys := messageKeys(t)
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	const worker = "gw14021305300101"
	acct, _ := a.Store.AccountByUsername(ctx, worker)
	who, err := a.Principal(ctx, acct.ID)
	if err != nil || len(who.Grids) == 0 {
		t.Fatalf("demo worker %s: %v", worker, err)
	}
	lon, lat := pointIn(t, a, who.Grids[0])
	here := caseflow.Case{Point: caseflow.Point{Lon: lon, Lat: lat}}
	hwc, op := tokenOf(t, a, "h-hwc"), tokenOf(t, a, "operator1")
	counts := func() (checks, verify int) {
		all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 5000})
		for i := range all {
			if !access.CanSee(who, &all[i]) {
				continue
			}
			if all[i].State == caseflow.PendingCheck {
				checks++
			}
			if all[i].State == caseflow.Reported && !all[i].Verified {
				verify++
			}
		}
		return
	}
	for i, size := range []int{1, 0} { // the phone first
		screen := daySizes[size]
		// Two tasks in the worker's grid reported back by the sanitation
		// department, and a hotline report there to verify.
		var checks []string
		for range 2 {
			n := newTask(t, s.URL, a, here, "hwc")
			act(t, s.URL, hwc, n, "sign", map[string]any{})
			reportBack(t, s.URL, hwc, n)
			checks = append(checks, n)
		}
		hotline := report(t, s.URL, op, here.Point, fmt.Sprintf("居民来电：楼下垃圾堆积 %d", i))
		nChecks, nVerify := counts()

		p.do(screen.name+" screen", chromedp.EmulateViewport(screen.w, screen.h, screen.opts...))
		p.login(worker)
		p.wait("the to-dos", `document.querySelector('#checks') !== null`)
		if got := p.text(`#todo h2`); got != fmt.Sprintf("我的核查任务（%d）", nChecks) {
			t.Errorf("%s: the checks' heading %q, the stored cases %d", screen.name, got, nChecks)
		}
		if n := p.eval(`String(document.querySelectorAll('#checks tr').length)`); n != strconv.Itoa(min(nChecks, 100)) {
			t.Errorf("%s: %s checks listed, %d stored", screen.name, n, nChecks)
		}
		if got := p.eval(`document.querySelectorAll('#todo h2')[1].textContent`); got != fmt.Sprintf("待核实（%d）", nVerify) {
			t.Errorf("%s: the verifications' heading %q, the stored cases %d", screen.name, got, nVerify)
		}
		if v := p.eval(`String(document.querySelector('#todo').getBoundingClientRect().top < document.querySelector('#report-form').getBoundingClientRect().top)`); v != "true" {
			t.Errorf("%s: the report form comes before the to-dos", screen.name)
		}
		c, _ := a.Store.CaseByNumber(ctx, checks[0])
		if line := p.text(`#checks tr[data-number="` + checks[0] + `"]`); !strings.Contains(line, "待核查") || !strings.Contains(line, beijing(c.ReportedAt)) {
			t.Errorf("%s: a check's line: %q", screen.name, line)
		}
		p.readable(keys, screen.name+" phone")
		p.shot("grid-worker-" + screen.name)

		// 1. One check passed, one failed.
		p.openRow("open a check", `#checks tr[data-number="`+checks[0]+`"]`, `[data-case="`+checks[0]+`"]`)
		if txt := p.text(`#detail`); !strings.Contains(txt, "已清理完毕") {
			t.Errorf("%s: the check does not show what the department reported", screen.name)
		}
		p.act("check_pass", chromedp.SendKeys(chromedp.CSS(`#detail textarea[data-field="note"]`), "现场已清理干净"))
		p.openRow("open the other", `#checks tr[data-number="`+checks[1]+`"]`, `[data-case="`+checks[1]+`"]`)
		p.act("check_fail", chromedp.SendKeys(chromedp.CSS(`#detail textarea[data-field="reason"]`), "垃圾仍未清运"))
		if c, _ := a.Store.CaseByNumber(ctx, checks[0]); c.State != caseflow.PendingClose {
			t.Errorf("%s: a passed check leaves the case %s", screen.name, c.State)
		}
		if c, _ := a.Store.CaseByNumber(ctx, checks[1]); c.State != caseflow.InProgress || c.Reworks != 1 {
			t.Errorf("%s: a failed check leaves the case %s with %d reworks", screen.name, c.State, c.Reworks)
		}
		p.wait("two checks fewer", fmt.Sprintf(`document.querySelector('#todo h2').textContent === '我的核查任务（%d）'`, nChecks-2))

		// 2. The hotline report verified on site.
		p.openRow("open the report to verify", `#verify tr[data-number="`+hotline+`"]`, `[data-case="`+hotline+`"]`)
		p.act("verify", chromedp.SendKeys(chromedp.CSS(`#detail textarea[data-field="note"]`), "现场属实"))
		if c, _ := a.Store.CaseByNumber(ctx, hotline); !c.Verified {
			t.Errorf("%s: verified on the phone, the case is not", screen.name)
		}
		p.wait("one fewer to verify", fmt.Sprintf(`document.querySelectorAll('#todo h2')[1].textContent === '待核实（%d）'`, nVerify-1))

		// 3. A new problem reported with GPS, then found among the
		// worker's own reports.
		desc := fmt.Sprintf("巷口暴露垃圾 %d", i)
		p.do("choose category", chromedp.SendKeys(chromedp.CSS("#category-search"), "bllj"), chromedp.WaitVisible(chromedp.CSS(`.suggest li[data-category]`)),
			chromedp.Click(chromedp.CSS(`.suggest li[data-category]`)), chromedp.SendKeys(chromedp.CSS("#description"), desc),
			func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
				acc := 6.0
				if _, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
					Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: s.URL}); err != nil {
					return chromedp.Void{}, err
				}
				_, err := cdp.Call(ctx, tg, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lon, Accuracy: &acc})
				return chromedp.Void{}, err
			}, chromedp.Click(chromedp.CSS("#gps")))
		p.wait("located", `/GPS/.test(document.querySelector('#where').textContent)`)
		p.do("send", chromedp.Click(chromedp.CSS("#submit-report")))
		p.wait("sent", `document.querySelector('#outbox').dataset.last !== undefined && document.querySelector('#outbox').dataset.n === '0'`)
		mine := p.eval(`document.querySelector('#outbox').dataset.last`)
		c, err = a.Store.CaseByNumber(ctx, mine)
		if err != nil || c.Description != desc || c.Reporter.AccountID != acct.ID || !c.Verified {
			t.Fatalf("%s: the reported case %s: %+v %v", screen.name, mine, c, err)
		}
		p.wait("among my reports", `document.querySelector('#my-reports tr[data-number="`+mine+`"]') !== null`)
		if line := p.text(`#my-reports tr[data-number="` + mine + `"]`); !strings.Contains(line, "待立案") || !strings.Contains(line, "暴露垃圾") {
			t.Errorf("%s: my report's line: %q", screen.name, line)
		}
		if v := p.eval(`String(document.querySelector('#verify tr[data-number="` + mine + `"]') === null)`); v != "true" {
			t.Errorf("%s: the worker's own report waits for the worker to verify it", screen.name)
		}
		p.readable(keys, screen.name+" phone after the day")
		p.shot("grid-worker-done-" + screen.name)
	}
}

// The leader's day on the dashboard: the last full month with its labels
// and definitions; the ranking, units under the minimum sample listed but
// not ranked; a street drilled into, its overdue cases as counted here; a
// supervision order issued on one, which lands on the department's desk.
func TestBrowserLeaderDay(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	keys := messageKeys(t)
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	handlers := handlerOf(t, a)
	lead := tokenOf(t, a, "leader")
	supervised := map[string]bool{}
	for _, size := range daySizes {
		p.do(size.name+" screen", chromedp.EmulateViewport(size.w, size.h, size.opts...))
		p.login("leader")
		p.wait("the dashboard first", `document.querySelector('#main').dataset.page === 'dashboard'`)
		p.wait("the ranking", `document.querySelector('#ranking tr[data-unit]') !== null && document.querySelectorAll('#zeroing tr[data-street]').length > 0`)
		last := time.Now().In(calendar.Shanghai)
		last = time.Date(last.Year(), last.Month()-1, 1, 0, 0, 0, 0, calendar.Shanghai)
		if v := p.eval(`document.querySelector('#period').value + ' ' + document.querySelector('#period').selectedOptions[0].textContent`); v != last.Format("2006-01")+" "+last.Format("2006-01")+"（上月，已完整）" {
			t.Errorf("%s: the period: %q", size.name, v)
		}
		// The cards: counted here from the stored cases, each with its
		// definition.
		n, _ := a.Store.CountCases(ctx)
		want := recount(t, a, "leader")
		if got := p.eval(`document.querySelector('[data-n="total"]').textContent + ' ' + document.querySelector('[data-n="overdue"]').textContent`); got != fmt.Sprintf("%d %d", sum(n), want["overdue"]) {
			t.Errorf("%s: total and overdue cards %q, the stored cases %d %d", size.name, got, sum(n), want["overdue"])
		}
		if v := p.eval(`String([...document.querySelectorAll('#cards .card')].every(c => c.title.length > 4))`); v != "true" {
			t.Errorf("%s: a card without its definition", size.name)
		}
		if doc := p.eval(`document.querySelector('[data-def="close_rate"]').title`); !strings.Contains(doc, "结案数 ÷ 应结案数") {
			t.Errorf("%s: the close rate's definition: %q", size.name, doc)
		}
		// The ranking: the API's figures for the period, units under the
		// minimum sample shown with their sample and not ranked.
		code, body, _ := getAs(t, s.URL+"/api/v1/evaluations?group=department&period="+last.Format("2006-01"), lead)
		var ev struct {
			MinSample int `json:"min_sample"`
			Rows      []struct {
				Key, Name   string
				Rank        int
				Sample      int
				Score       *float64
				SmallSample bool `json:"small_sample"`
			}
		}
		if code != 200 || json.Unmarshal([]byte(body), &ev) != nil {
			t.Fatalf("evaluations: %d %s", code, body)
		}
		var rows [][]string
		json.Unmarshal([]byte(p.eval(`JSON.stringify([...document.querySelectorAll('#ranking tr[data-unit]')].map(tr => [...tr.children].map(td => td.textContent)))`)), &rows)
		for i, r := range rows {
			if i >= len(ev.Rows) {
				break
			}
			e := ev.Rows[i]
			if r[1] != e.Name || r[3] != strconv.Itoa(e.Sample) {
				t.Errorf("%s: ranking row %d shows %q, the API %s with sample %d", size.name, i, r, e.Name, e.Sample)
			}
			switch {
			case e.Score != nil && e.Sample < ev.MinSample:
				if r[0] != "样本不足" || e.Rank != 0 {
					t.Errorf("%s: %s with a sample of %d (minimum %d) is ranked %q (API %d)", size.name, e.Name, e.Sample, ev.MinSample, r[0], e.Rank)
				}
			case e.Score == nil:
				if r[0] != "—" {
					t.Errorf("%s: %s without a score is ranked %q", size.name, e.Name, r[0])
				}
			case r[0] != strconv.Itoa(e.Rank) || e.Rank == 0:
				t.Errorf("%s: %s ranked %q, the API %d", size.name, e.Name, r[0], e.Rank)
			}
		}
		if th := p.eval(`document.querySelector('#ranking th:nth-child(4)').title`); !strings.Contains(th, strconv.Itoa(ev.MinSample)) {
			t.Errorf("%s: the sample's column does not say the minimum %d: %q", size.name, ev.MinSample, th)
		}
		p.readable(keys, size.name+" dashboard")
		p.shot("leader-" + size.name)

		// A street drilled into: the one with the most overdue cases a
		// department holds.
		all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 5000})
		lateIn, held := map[string]int{}, map[string]caseflow.Case{}
		for _, x := range all {
			if !inQueue(t, a, a.Now(), "overdue", &x) {
				continue
			}
			lateIn[x.Place.Street]++
			for _, k := range x.Tasks {
				if _, ok := held[x.Place.Street]; !ok && k.Lead && !supervised[x.Number] && (k.State == caseflow.TaskDispatched || k.State == caseflow.TaskSigned) && handlers[k.UnitID] != "" {
					held[x.Place.Street] = x
				}
			}
		}
		street := ""
		for st := range held {
			if street == "" || lateIn[st] > lateIn[street] {
				street = st
			}
		}
		if street == "" {
			t.Fatal("no street with an overdue case a department holds")
		}
		late := held[street]
		supervised[late.Number] = true
		p.do("drill into the street", chromedp.Click(chromedp.CSS(`[data-drill="`+street+`"]`)), chromedp.WaitVisible(chromedp.CSS(`#street-n`)))
		if got := p.eval(`document.querySelector('#street-n').dataset.late`); got != strconv.Itoa(lateIn[street]) {
			t.Errorf("%s: the street shows %s overdue cases, the stored cases %d", size.name, got, lateIn[street])
		}
		if n := p.eval(`String(document.querySelectorAll('#street-late tr').length)`); n != strconv.Itoa(lateIn[street]) {
			t.Errorf("%s: the street lists %s overdue cases, the stored cases %d", size.name, n, lateIn[street])
		}
		if h := p.text(`#street h2`); !strings.Contains(h, "超期未结") {
			t.Errorf("%s: the street's heading %q", size.name, h)
		}
		p.openRow("open the late case", `#street-late tr[data-number="`+late.Number+`"]`, `#street-case [data-case="`+late.Number+`"]`)
		p.readable(keys, size.name+" street")
		p.shot("leader-street-" + size.name)
		if v := p.eval(`String(document.querySelector('#street-case [data-suggest]') === null)`); v != "true" {
			t.Errorf("%s: a case in a department's hands shows a department suggested for dispatch", size.name)
		}
		p.act("supervise", chromedp.SendKeys(chromedp.CSS(`#street-case textarea[data-field="reason"]`), "群众反映强烈，请三日内办结"))
		if !inQueue(t, a, a.Now(), "supervised", &late) {
			t.Fatalf("%s: the supervision order issued on the dashboard is not stored", size.name)
		}
		var handler string
		for _, k := range late.Tasks {
			if k.Lead {
				handler = handlers[k.UnitID]
			}
		}
		p.login(handler)
		p.do("the desk", chromedp.WaitVisible(chromedp.CSS(`section[data-section="supervised"] tr[data-number="`+late.Number+`"]`)))
		p.openRow("open it", `section[data-section="supervised"] tr[data-number="`+late.Number+`"]`, `#detail [data-case="`+late.Number+`"]`)
		if txt := p.text(`#detail .timeline`); !strings.Contains(txt, "群众反映强烈，请三日内办结") || !strings.Contains(txt, "领导") {
			t.Errorf("%s: the order on the desk's file: %q", size.name, txt)
		}
	}
}

// Every role signs in and lands on its own work, at a desk and on a
// phone, in Chinese and no wider than the screen; the start pages'
// screenshots are the README's (XIUHUA_SCREENSHOTS=docs/screenshots).
func TestBrowserStartPages(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	keys := messageKeys(t)
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	some, _ := a.Store.Cases(context.Background(), store.CaseFilter{Limit: 1})
	newTask(t, s.URL, a, some[0], "hwc") // a new task waits on the handler's desk
	// A check and a report to verify wait for the grid worker.
	acct, _ := a.Store.AccountByUsername(context.Background(), "gw14021305300101")
	who, _ := a.Principal(context.Background(), acct.ID)
	lon, lat := pointIn(t, a, who.Grids[0])
	here := caseflow.Case{Point: caseflow.Point{Lon: lon, Lat: lat}}
	hwc := tokenOf(t, a, "h-hwc")
	check := newTask(t, s.URL, a, here, "hwc")
	act(t, s.URL, hwc, check, "sign", map[string]any{})
	reportBack(t, s.URL, hwc, check)
	report(t, s.URL, tokenOf(t, a, "operator1"), here.Point, "居民来电：巷口垃圾堆积")
	// An enquiry answered at the desk: its caller waits to be called back.
	j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "咨询垃圾清运时间", "lon": lon, "lat": lat,
		"request_type": "enquiry", "caller": map[string]any{"phone": "13600001234", "callback": true}})
	code, body, _ := send(t, "POST", s.URL+"/api/v1/cases", tokenOf(t, a, "operator1"), bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
	var enquiry struct{ Number string }
	if code != 201 || json.Unmarshal([]byte(body), &enquiry) != nil {
		t.Fatalf("an enquiry: %d %s", code, body)
	}
	act(t, s.URL, tokenOf(t, a, "operator1"), enquiry.Number, "answer", map[string]any{"note": "每日 6:00、18:00 清运"})
	for _, size := range daySizes {
		for _, r := range []struct{ role, user, page, ready string }{
			{"operator", "operator1", "intake", "#in-phone"},
			{"dispatcher", "dispatcher1", "centre", "tr.pick"},
			{"handler", "h-hwc", "desk", `#tasks section[data-section="new"] tr.pick`},
			{"grid-worker", "gw14021305300101", "phone", "#todo h2"},
			{"leader", "leader", "dashboard", "#zeroing tr[data-street]"},
			{"admin", "admin", "admin", "#dry-result"},
			{"resident", "", "", "#board-rows tr"},
		} {
			p.do(size.name+" screen", chromedp.EmulateViewport(size.w, size.h, size.opts...))
			if r.user == "" {
				p.do("the board", chromedp.Navigate(s.URL+"/board"), chromedp.WaitVisible(chromedp.CSS(r.ready)))
			} else {
				p.login(r.user)
				p.wait(r.role+" lands on "+r.page, `document.querySelector('#main').dataset.page === '`+r.page+`' && document.querySelector('`+r.ready+`') !== null`)
			}
			if r.page == "dashboard" {
				p.wait("charts drawn", `document.querySelectorAll('.chart canvas').length >= 3`)
			}
			if r.role == "operator" {
				p.wait("the callbacks waiting", `document.querySelector('#callbacks-waiting') !== null`)
			}
			p.eval(`document.getElementById('toast')?.classList.remove('show'); 'ok'`)
			if r.user != "" {
				p.readable(keys, size.name+" "+r.role)
				if v := p.eval(`String(new Set([...document.querySelectorAll('#nav a')].map(a => a.textContent)).size === document.querySelectorAll('#nav a').length)`); v != "true" {
					t.Errorf("%s %s: a page twice in the menu: %s", size.name, r.role, p.text("#nav"))
				}
				if bar := atoi(p.eval(`String(Math.round(document.querySelector('.top').getBoundingClientRect().height))`)); size.name == "phone" && bar > 90 {
					t.Errorf("%s %s: the top bar is %d px high, more than two rows", size.name, r.role, bar)
				}
			} else if txt := p.eval(`document.body.innerText`); !han.MatchString(txt) || leftover.MatchString(txt) {
				t.Errorf("%s: the board reads %.200q", size.name, txt)
			}
			p.shot("start-" + r.role + map[string]string{"desktop": "", "phone": "-phone"}[size.name])
			if r.role == "operator" {
				// Between calls: the callbacks waiting, one click from their list.
				n := recount(t, a, "operator1")["callback"]
				if n == 0 {
					t.Fatal("the demo has no callback waiting: the check proves nothing")
				}
				if got := p.text(`#callbacks-waiting`); !strings.Contains(got, fmt.Sprintf("待回访：%d 件", n)) {
					t.Errorf("%s: the desk says %q, %d callbacks are stored", size.name, got, n)
				}
				p.do("to the callbacks", chromedp.Click(chromedp.CSS(`#callbacks-waiting a`)))
				p.wait("the callback list", fmt.Sprintf(`document.querySelector('[data-tab="callback"].on') !== null && document.querySelectorAll('tr.pick').length === %d`, min(n, 100)))
			}
		}
	}
	// In English: the menu, the buttons, the column heads and the labels
	// are English (the data — names, places, categories — stays Chinese).
	p.do("desktop screen", chromedp.EmulateViewport(1366, 768))
	for _, r := range []struct{ role, user, page string }{
		{"operator", "operator1", "intake"}, {"dispatcher", "dispatcher1", "centre"}, {"handler", "h-hwc", "desk"},
		{"grid-worker", "gw14021305300101", "phone"}, {"leader", "leader", "dashboard"}, {"admin", "admin", "admin"},
	} {
		p.login(r.user)
		p.eval(`localStorage.setItem('lang', 'en'); 'ok'`)
		p.do("reload in English", chromedp.Reload())
		p.wait(r.role+" in English", `document.documentElement.lang === 'en' && document.querySelector('#main').dataset.page === '`+r.page+`'`)
		txt := p.eval(`document.querySelector('#main').innerText`)
		if m := leftover.FindString(txt); m != "" {
			t.Errorf("English %s: %q on the page", r.role, m)
		}
		for _, k := range keys {
			if strings.Contains(txt, k) {
				t.Errorf("English %s: the message key %s on the page", r.role, k)
			}
		}
		if zh := p.eval(`[...document.querySelectorAll('#nav a, #main button:not([data-drill]), #main th, #main label > span, #main h1, .tabs')].map(e => e.textContent).filter(s => /\p{Script=Han}/u.test(s)).slice(0, 5).join(' | ')`); zh != "" {
			t.Errorf("English %s: Chinese in the page's own words: %s", r.role, zh)
		}
		p.eval(`localStorage.setItem('lang', 'zh-CN'); 'ok'`)
	}
}
