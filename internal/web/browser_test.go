package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/photos"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/web"
)

// End-to-end tests in Debian's Chromium, headless, against the real server
// on loopback. They skip where Chromium is missing, and fail instead when
// CI is set.

const chromiumPath = "/usr/bin/chromium"

// browser starts a headless Chromium for the test.
func browser(t testing.TB) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and %s is missing: install Debian's chromium (apt-get install chromium)", chromiumPath)
		}
		t.Skipf("no %s: browser tests skipped (they fail in CI)", chromiumPath)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 900))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// shots is where screenshots go: XIUHUA_SCREENSHOTS, or a temporary folder.
func shots(t testing.TB) string {
	if d := os.Getenv("XIUHUA_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// page drives one tab with a deadline per step and screenshots on failure.
type page struct {
	t    testing.TB
	ctx  context.Context
	base string
	dir  string
}

func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		body, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 1500)`))
		p.t.Fatalf("%s: %v\npage text:\n%s", what, err, body)
	}
}

func (p *page) text(sel string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.shot("failed-text")
		p.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// wait polls a JavaScript condition.
func (p *page) wait(what, expr string) {
	p.t.Helper()
	p.do(what, func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(25*time.Second))(ctx, t)
		return chromedp.Void{}, err
	})
}

func (p *page) eval(expr string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("eval %s: %v", expr, err)
	}
	return s
}

func (p *page) shot(name string) {
	b, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err == nil {
		os.WriteFile(filepath.Join(p.dir, name+".png"), b, 0o644)
	}
}

// login signs in through the app's own form.
func (p *page) login(user string) {
	p.t.Helper()
	p.do("sign out", chromedp.Navigate(p.base+"/app"), chromedp.WaitVisible(chromedp.CSS("#main")))
	p.eval(`fetch('/api/v1/session', {method: 'DELETE', headers: {'X-CSRF-Token': sessionStorage.getItem('csrf') || ''}}).then(() => { sessionStorage.clear(); return 'ok' })`)
	p.do("login "+user, chromedp.Navigate(p.base+"/app"), chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user), chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#logout")))
}

// act opens an action's form on the case panel, fills it and submits.
func (p *page) act(action string, fill ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	steps := []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(chromedp.CSS(`button[data-action="` + action + `"]`)),
		chromedp.Click(chromedp.CSS(`button[data-action="` + action + `"]`)), chromedp.WaitVisible(chromedp.CSS(`button[data-submit="` + action + `"]`))}
	steps = append(steps, fill...)
	steps = append(steps, chromedp.Click(chromedp.CSS(`button[data-submit="`+action+`"]`)))
	p.do(action, steps...)
	p.wait(action+" done", `!document.querySelector('button[data-submit="`+action+`"]')`)
}

func testJPEG(t *testing.T, dir, name string) string {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := 0; y < 240; y++ {
		for x := 0; x < 320; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, nil)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A complete case through the UI: a grid worker reports with a photo on a
// phone, the dispatcher registers and dispatches it, the department signs
// and reports back with a photo, the grid worker checks it, the dispatcher
// closes it, and the public board shows it closed. Along the way: a bad
// upload is refused and another department cannot reach the case.
func TestBrowserCaseLoop(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	a.Photos = photos.Dir(t.TempDir())
	ctx := context.Background()
	files := t.TempDir()
	photo := testJPEG(t, files, "scene.jpg")
	fake := filepath.Join(files, "virus.jpg")
	os.WriteFile(fake, append([]byte("MZ\x90\x00\x03"), bytes.Repeat([]byte{0}, 2000)...), 0o644)
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}

	// The grid worker of the first grid, and a point inside it.
	worker := "gw14021305300101"
	acct, err := a.Store.AccountByUsername(ctx, worker)
	if err != nil {
		t.Fatal(err)
	}
	who, err := a.Principal(ctx, acct.ID)
	if err != nil || len(who.Grids) == 0 {
		t.Fatalf("demo worker %s: %v", worker, err)
	}
	lon, lat := pointIn(t, a, who.Grids[0])

	// 1. Report on a phone-sized screen.
	p.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	p.login(worker)
	p.do("phone page", chromedp.WaitVisible(chromedp.CSS("#report-form")))
	p.shot("phone")
	// A renamed executable is refused with a clear message.
	p.do("bad upload", chromedp.SetUploadFiles(chromedp.CSS(`#report-form input[type=file]`), []string{fake}))
	p.wait("bad upload refused", `document.querySelector('#report-form .err') && /415/.test(document.querySelector('#report-form .err').textContent)`)
	if msg := p.text("#report-form .err"); !strings.Contains(msg, "JPEG") && !strings.Contains(msg, "415") {
		t.Errorf("bad upload message: %q", msg)
	}
	desc := fmt.Sprintf("北馨园小区门口垃圾堆积 e2e-%d", time.Now().UnixNano()%100000)
	// The category by pinyin initials: bllj is 暴露垃圾.
	p.do("choose category", chromedp.SendKeys(chromedp.CSS("#category-search"), "bllj"),
		chromedp.WaitVisible(chromedp.CSS(`.suggest li[data-category]`)))
	if first := p.text(`.suggest li[data-category]`); !strings.Contains(first, "暴露垃圾") {
		t.Fatalf("pinyin initials bllj: first suggestion %q", first)
	}
	p.do("fill report", chromedp.Click(chromedp.CSS(`.suggest li[data-category]`)),
		chromedp.SendKeys(chromedp.CSS("#description"), desc), chromedp.SendKeys(chromedp.CSS("#address"), "北馨园小区东门"),
		chromedp.SetUploadFiles(chromedp.CSS(`#report-form input[type=file]`), []string{photo}))
	p.wait("photo uploaded", `document.querySelectorAll('#report-form .photos img').length === 1`)
	p.do("gps", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		acc := 8.0
		if _, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: s.URL}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, tg, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lon, Accuracy: &acc})
		return chromedp.Void{}, err
	})
	// The phone's GPS: the permission granted and the position set through
	// the DevTools protocol, as a real phone would answer.
	p.do("locate", chromedp.Click(chromedp.CSS("#gps")))
	p.wait("located", `/GPS|地图|定位失败|failed/.test(document.querySelector('#where').textContent) && !/定位中/.test(document.querySelector('#where').textContent)`)
	where := p.text("#where")
	if !strings.Contains(where, "GPS") {
		t.Fatalf("geolocation override not honoured: %q", where)
	}
	p.do("submit report", chromedp.Click(chromedp.CSS("#submit-report")))
	p.wait("report sent", `document.querySelector('#outbox').dataset.sent === '1' && document.querySelector('#outbox').dataset.n === '0'`)
	cs, err := a.Store.Cases(ctx, store.CaseFilter{Text: desc, Limit: 5})
	if err != nil || len(cs) != 1 {
		t.Fatalf("the reported case: %v, %d found", err, len(cs))
	}
	c := cs[0]
	if c.State != caseflow.Reported || c.Place.Grid != who.Grids[0] {
		t.Fatalf("reported case: %s in %s", c.State, c.Place.Grid)
	}
	evs, _ := a.Store.Events(ctx, c.ID)
	if len(evs) == 0 || len(evs[0].Data.Photos) != 1 {
		t.Fatalf("the report's photo was not kept: %+v", evs)
	}
	p.shot("phone-reported")

	// 2. The dispatcher registers and dispatches it from the command centre.
	p.do("desktop viewport", chromedp.EmulateViewport(1400, 900))
	p.login("dispatcher1")
	p.do("centre", chromedp.WaitVisible(chromedp.CSS(`[data-tab="reported"]`)),
		chromedp.SendKeys(chromedp.CSS("#q"), desc), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+c.Number+`"]`)), chromedp.Click(chromedp.CSS(`tr[data-number="`+c.Number+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-case="`+c.Number+`"]`)))
	p.wait("suggestion shown", `!!document.querySelector('[data-suggest]')`)
	p.wait("map painted", `document.querySelector('.mapbox .legend') && /\d/.test(document.querySelector('.mapbox .legend').textContent)`)
	p.shot("centre")
	p.act("register")
	p.act("dispatch") // by the dispatch table: the suggested department
	c2, _ := a.Store.CaseByNumber(ctx, c.Number)
	if c2.State != caseflow.Dispatched || len(c2.Tasks) == 0 {
		t.Fatalf("after dispatch: %s, %d tasks", c2.State, len(c2.Tasks))
	}
	units, _ := a.Store.Units(ctx)
	code := map[int64]string{}
	for _, u := range units {
		code[u.ID] = u.Code
	}
	var lead, other string
	for _, k := range c2.Tasks {
		if k.Lead {
			lead = "h-" + code[k.UnitID]
		}
	}
	for _, u := range []string{"h-ylc", "h-hwc", "h-szc"} {
		if u != lead {
			other = u
			break
		}
	}

	// 3. Another department cannot see or act on it.
	p.login(other)
	p.do("other desk", chromedp.WaitVisible(chromedp.CSS("#tasks h2")))
	if n := p.eval(`String(document.querySelectorAll('tr[data-number="` + c.Number + `"]').length)`); n != "0" {
		t.Fatalf("%s's desk lists another department's case", other)
	}
	got := p.eval(`fetch('/api/v1/cases/` + c.Number + `/actions/sign', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': sessionStorage.getItem('csrf')}, body: JSON.stringify({version: ` + fmt.Sprint(c2.Version) + `})}).then(r => String(r.status))`)
	if got != "404" {
		t.Fatalf("another department signing: %s, want 404", got)
	}

	// 4. The lead department signs and reports back with a photo.
	p.login(lead)
	p.do("desk", chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+c.Number+`"]`)), chromedp.Click(chromedp.CSS(`tr[data-number="`+c.Number+`"]`)))
	p.shot("desk")
	p.act("sign")
	p.act("report_back", chromedp.SendKeys(chromedp.CSS(`textarea[data-field="note"]`), "已清运完毕"),
		chromedp.SetUploadFiles(chromedp.CSS(`.form input[type=file]`), []string{photo}),
		chromedp.WaitVisible(chromedp.CSS(`.form .photos img`)))

	// 5. The grid worker checks it on site, on the phone.
	p.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	p.login(worker)
	p.do("my checks", chromedp.WaitVisible(chromedp.CSS(`#mine tr[data-number="`+c.Number+`"]`)), chromedp.Click(chromedp.CSS(`#mine tr[data-number="`+c.Number+`"]`)))
	p.act("check_pass", chromedp.SendKeys(chromedp.CSS(`textarea[data-field="note"]`), "现场已清理"))

	// 6. The dispatcher closes it.
	p.do("desktop viewport", chromedp.EmulateViewport(1400, 900))
	p.login("dispatcher1")
	p.do("to close", chromedp.WaitVisible(chromedp.CSS(`[data-tab="pending_close"]`)), chromedp.Click(chromedp.CSS(`[data-tab="pending_close"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+c.Number+`"]`)), chromedp.Click(chromedp.CSS(`tr[data-number="`+c.Number+`"]`)))
	p.act("close")
	c3, _ := a.Store.CaseByNumber(ctx, c.Number)
	if c3.State != caseflow.Closed {
		t.Fatalf("after close: %s", c3.State)
	}
	p.shot("centre-closed")

	// 7. The public board shows it closed, without personal data.
	p.do("board", chromedp.Navigate(s.URL+"/board#follow/"+c.Number), chromedp.WaitVisible(chromedp.CSS(`#follow-result [data-state]`)))
	if st := p.eval(`document.querySelector('#follow-result [data-state]').dataset.state`); st != "closed" {
		t.Fatalf("board shows %s", st)
	}
	p.do("closed list", chromedp.Navigate(s.URL+"/board#list"), chromedp.WaitVisible(chromedp.CSS(`[data-status="closed"]`)),
		chromedp.Click(chromedp.CSS(`[data-status="closed"]`)), chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+c.Number+`"]`)))
	body := p.eval(`document.body.innerText`)
	for _, secret := range []string{acct.Name, "1390352"} {
		if secret != "" && strings.Contains(body, secret) {
			t.Fatalf("the public board shows personal data %q", secret)
		}
	}
	p.shot("board")
}

// The other main pages render with real data, in both languages, and
// their screenshots are saved.
func TestBrowserPages(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	p.login("leader")
	// The centre's tabs carry counts; the overdue tab lists as many cases
	// as it says, and the dashboard's overdue card says the same.
	p.eval(`location.hash = '#/centre'; 'ok'`)
	p.wait("tab counts", `document.querySelectorAll('.tabs .count').length > 0 && [...document.querySelectorAll('.tabs .count')].every(c => c.textContent !== '…')`)
	overdue := p.eval(`document.querySelector('[data-count="overdue"]').textContent`)
	p.do("overdue tab", chromedp.Click(chromedp.CSS(`[data-tab="overdue"]`)))
	if overdue == "0" {
		t.Fatal("the demo has no overdue case: the comparison proves nothing")
	}
	p.wait("the overdue tab lists "+overdue+" cases", `document.querySelector('[data-tab="overdue"]').classList.contains('on') && document.querySelectorAll('tr.pick').length === `+overdue)
	p.shot("centre-tabs")
	p.eval(`location.hash = '#/dashboard'; 'ok'`)
	p.do("dashboard", chromedp.WaitVisible(chromedp.CSS(`[data-n="total"]`)))
	if card := p.eval(`document.querySelector('[data-n="overdue"]').textContent`); card != overdue {
		t.Errorf("the dashboard's overdue card says %s, the centre's overdue tab %s", card, overdue)
	}
	// The period opens on the last full month; every bar has its label; the
	// figures name their definitions.
	last := time.Now().In(calendar.Shanghai)
	last = time.Date(last.Year(), last.Month()-1, 1, 0, 0, 0, 0, calendar.Shanghai)
	if v := p.eval(`document.querySelector('#period').value`); v != last.Format("2006-01") {
		t.Errorf("the dashboard opens on %s, not the last full month %s", v, last.Format("2006-01"))
	}
	p.wait("rank table", `document.querySelector('[data-def="close_rate"]') !== null`)
	if doc := p.eval(`document.querySelector('[data-def="close_rate"]').title`); !strings.Contains(doc, "结案数 ÷ 应结案数") {
		t.Errorf("the close rate's definition: %q", doc)
	}
	if iv := p.eval(`String([...document.querySelectorAll('.chart')].map(el => echarts.getInstanceByDom(el)).filter(c => c && c.getOption().series.some(x => x.type === 'bar')).every(c => [...c.getOption().xAxis, ...c.getOption().yAxis].every(a => a.type !== 'category' || a.axisLabel.interval === 0)))`); iv != "true" {
		t.Error("a bar chart leaves labels out")
	}
	p.wait("charts drawn", `document.querySelectorAll('.chart canvas').length >= 4 && document.querySelectorAll('#zeroing tr[data-street]').length > 0`)
	if n := p.eval(`document.querySelector('[data-n="total"]').textContent`); n == "0" || n == "" {
		t.Fatalf("dashboard total: %q", n)
	}
	if href := p.eval(`document.querySelector('[data-export="ledger"]').getAttribute('href')`); !strings.Contains(href, "format=xlsx") {
		t.Fatalf("ledger export link: %q", href)
	}
	p.shot("dashboard")
	p.login("admin")
	p.eval(`location.hash = '#/admin'; 'ok'`)
	p.do("admin", chromedp.WaitVisible(chromedp.CSS(`#dry-result`)),
		chromedp.Click(chromedp.CSS(`#admin-body form button.primary`)), chromedp.WaitVisible(chromedp.CSS(`#dry-result b`)))
	p.shot("admin-dispatch")
	p.do("admin users", chromedp.Click(chromedp.CSS(`[data-section="users"]`)), chromedp.WaitVisible(chromedp.CSS(`#new-username`)))
	// Deactivating an account from its row, found by a search and
	// confirmed: it can no longer sign in.
	p.do("find operator2", chromedp.SendKeys(chromedp.CSS(`#user-q`), "operator2"), chromedp.Click(chromedp.CSS(`#users-go`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-toggle-user="operator2"]`)))
	p.do("deactivate", chromedp.Click(chromedp.CSS(`[data-toggle-user="operator2"]`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-ok`)),
		chromedp.Click(chromedp.CSS(`#confirm-ok`)))
	p.wait("deactivated", `document.querySelector('[data-toggle-user="operator2"]')?.textContent === '启用'`)
	if acc, err := a.Store.AccountByUsername(context.Background(), "operator2"); err != nil || acc.Active {
		t.Fatalf("operator2 after the deactivate button: %+v %v", acc, err)
	}
	// A local category added on the catalog page.
	p.do("category", chromedp.Click(chromedp.CSS(`[data-section="catalog"]`)), chromedp.WaitVisible(chromedp.CSS(`#cat-id`)),
		chromedp.SendKeys(chromedp.CSS(`#cat-id`), "M90001"), chromedp.SendKeys(chromedp.CSS(`#cat-name`), "占道晾晒"),
		chromedp.SendKeys(chromedp.CSS(`#cat-class`), "地方事项"), chromedp.Click(chromedp.CSS(`#admin-body form button.primary`)))
	p.wait("category saved", `[...document.querySelectorAll('#admin-body td')].some(td => td.textContent === '占道晾晒')`)
	// The page warns that next year has no holiday file.
	if b := p.eval(`document.querySelector('#admin-banner')?.textContent || ''`); !strings.Contains(b, "2027") {
		t.Errorf("no banner for the missing 2027 holiday file: %q", b)
	}
	// A day off set on the calendar page: first the running deadlines it
	// moves, then in force at once.
	p.do("calendar", chromedp.Click(chromedp.CSS(`[data-section="calendar"]`)), chromedp.WaitVisible(chromedp.CSS(`#cal-day`)),
		chromedp.SetValue(chromedp.CSS(`#cal-day`), "2026-12-31"), chromedp.SendKeys(chromedp.CSS(`#cal-note`), "跨年保障调休"),
		chromedp.Click(chromedp.CSS(`#cal-check`)), chromedp.WaitVisible(chromedp.CSS(`#cal-confirm`)))
	if pv := p.text(`#cal-preview`); !strings.Contains(pv, "2026-12-31 设为休息日") {
		t.Errorf("the day's preview: %q", pv)
	}
	dec31, _ := time.ParseInLocation("2006-01-02 15:04", "2026-12-31 10:00", calendar.Shanghai)
	if !a.Policy.Calendar().IsWorkingDay(dec31) {
		t.Error("the preview put the day off in force")
	}
	p.do("confirm the day", chromedp.Click(chromedp.CSS(`#cal-confirm`)))
	p.wait("day saved", `[...document.querySelectorAll('#cal-days td')].some(td => td.textContent === '2026-12-31')`)
	if a.Policy.Calendar().IsWorkingDay(dec31) {
		t.Error("the day off set in the browser is not in force")
	}
	// Next year's holiday file: checked, then put in force.
	holidays, _ := filepath.Abs(filepath.Join("..", "app", "testdata", "holidays-2027-test.json"))
	p.do("holiday file", chromedp.WaitVisible(chromedp.CSS(`#hol-file`)), chromedp.SetUploadFiles(chromedp.CSS(`#hol-file`), []string{holidays}),
		chromedp.Click(chromedp.CSS(`#hol-check`)), chromedp.WaitVisible(chromedp.CSS(`#cal-confirm`)))
	p.shot("admin-holidays-preview")
	if pv := p.text(`#hol-preview`); !strings.Contains(pv, "2027 年节假日文件") {
		t.Errorf("the holiday file's preview: %q", pv)
	}
	if len(a.Policy.Calendar().MissingYears(2027, 2027)) == 0 {
		t.Error("checking the file put it in force")
	}
	p.do("import the file", chromedp.Click(chromedp.CSS(`#cal-confirm`)))
	p.wait("2027 imported", `[...document.querySelectorAll('#hol-years tr')].some(tr => tr.textContent.startsWith('2027') && tr.textContent.includes('admin'))`)
	if len(a.Policy.Calendar().MissingYears(2027, 2027)) != 0 {
		t.Error("the imported 2027 file is not in force")
	}
	if b := p.eval(`document.querySelector('#calendar-view .banner')?.textContent || ''`); b != "" {
		t.Errorf("the missing-file warning stays after the import: %q", b)
	}
	p.shot("admin-calendar")
	p.do("english", chromedp.Navigate(s.URL+"/board"), chromedp.WaitVisible(chromedp.CSS(`#board-rows tr`)))
	zh := p.text("h1")
	p.do("switch", chromedp.Click(chromedp.CSS("#lang")), chromedp.WaitVisible(chromedp.CSS(`#board-rows tr`)))
	en := p.text("h1")
	if zh != "问题挂牌" || en != "Public board" {
		t.Fatalf("board title: %q then %q", zh, en)
	}
	p.shot("board-en")
}

// pointIn finds a point in one of a grid's unit grids.
func pointIn(t *testing.T, a *app.App, grid string) (lon, lat float64) {
	for _, u := range a.Index().Units() {
		if u.Grid != grid {
			continue
		}
		c := u.Geometry.Bound().Center()
		if got, err := a.Index().Locate(c.Lon(), c.Lat()); err == nil && got.Grid == grid {
			return c.Lon(), c.Lat()
		}
	}
	t.Fatalf("no point in grid %s", grid)
	return
}

// BenchmarkBrowser measures the pages in headless Chromium with a demo of
// about 10,000 cases and the ~23,000 unit grids: the command centre with
// every case on the map, the list pages, and what the phone page's first
// load transfers with an empty cache. The figures are reported as metrics,
// not checked: BENCHMARKS.md has them.
func BenchmarkBrowser(b *testing.B) {
	bctx := browser(b)
	s, a := serverWith(b, 10000)
	n, _ := a.Store.CountCases(context.Background())
	var total int64
	for _, v := range n {
		total += v
	}
	p := &page{t: b, ctx: bctx, base: s.URL, dir: shots(b)}
	ready := func(id string, url string) float64 {
		p.do("open "+id, chromedp.Navigate(url))
		p.wait(id+" ready", `performance.getEntriesByName('xiuhua:ready:`+id+`').length > 0`)
		ms, err := chromedp.Run(p.ctx, chromedp.Evaluate[float64](`performance.getEntriesByName('xiuhua:ready:`+id+`')[0].startTime`))
		if err != nil {
			b.Fatal(err)
		}
		return ms
	}
	measure := func(id, user, path, setup string) (ms float64) {
		if user != "" {
			p.login(user)
		}
		if setup != "" {
			p.eval(setup)
		}
		for i := 0; i < b.N; i++ {
			ms += ready(id, fmt.Sprintf("%s%s", s.URL, strings.Replace(path, "?", fmt.Sprintf("?n=%d&", i), 1)))
		}
		return ms / float64(b.N)
	}
	b.ResetTimer()
	centre := measure("centre", "dispatcher1", "/app?#/centre", `localStorage.setItem('xiuhua.map.all', '1'); 'ok'`)
	drawn := p.eval(`document.querySelector('.mapbox .legend').textContent`)
	b.Logf("centre timeline: %s", p.eval(`performance.getEntriesByType('mark').map(m => m.name + ' ' + Math.round(m.startTime)).join(', ') + '; responses: ' +
		performance.getEntriesByType('resource').filter(r => r.name.includes('/api/')).map(r => r.name.replace(location.origin, '').slice(0, 40) + ' ' + Math.round(r.responseEnd - r.startTime) + 'ms').join(', ')`))
	p.shot("bench-centre")
	desk := measure("desk", "h-hwc", "/app?#/desk", "")
	board := measure("board", "", "/board?#list", "")
	phone := measure("phone", "gw14021305300101", "/app?#/phone", "")
	// The phone's first load with an empty cache.
	p.do("clear cache", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCache, cdp.Empty{})
		return chromedp.Void{}, err
	})
	ready("phone", s.URL+"/app?first=1#/phone")
	kb, err := chromedp.Run(p.ctx, chromedp.Evaluate[float64](`(performance.getEntriesByType('navigation')[0].transferSize +
		performance.getEntriesByType('resource').reduce((a, r) => a + r.transferSize, 0)) / 1024`))
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(centre, "ms/centre")
	b.ReportMetric(desk, "ms/desk")
	b.ReportMetric(board, "ms/board")
	b.ReportMetric(phone, "ms/phone")
	b.ReportMetric(kb, "KB/phone-first-load")
	b.Logf("%d cases, %d unit grids; centre map legend: %s", total, a.Index().Len(), drawn)
}

// A phone on a flaky connection: the first send of a report is committed
// but its answer is lost (the connection drops). The report stays in the
// phone's outbox; when the connection is back it is sent again with the
// same Idempotency-Key, and exactly one case exists.
func TestBrowserFlakyConnection(t *testing.T) {
	bctx := browser(t)
	_, a := server(t)
	var drop atomic.Bool
	var dropped atomic.Int32
	h := web.New(a)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if drop.Load() && r.Method == "POST" && r.URL.Path == "/api/v1/cases" {
			h.ServeHTTP(httptest.NewRecorder(), r) // the server commits…
			dropped.Add(1)
			conn, _, err := w.(http.Hijacker).Hijack() // …and the answer never arrives
			if err == nil {
				conn.Close()
			}
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer s.Close()
	ctx := context.Background()
	worker := "gw14021305300101"
	acct, _ := a.Store.AccountByUsername(ctx, worker)
	who, err := a.Principal(ctx, acct.ID)
	if err != nil || len(who.Grids) == 0 {
		t.Fatalf("worker: %v", err)
	}
	lon, lat := pointIn(t, a, who.Grids[0])
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	p.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	p.login(worker)
	desc := fmt.Sprintf("断网重试 %d", time.Now().UnixNano()%100000)
	p.do("fill", chromedp.WaitVisible(chromedp.CSS("#report-form")), chromedp.SendKeys(chromedp.CSS("#category-search"), "暴露垃圾"),
		chromedp.WaitVisible(chromedp.CSS(`.suggest li[data-category]`)), chromedp.Click(chromedp.CSS(`.suggest li[data-category]`)),
		chromedp.SendKeys(chromedp.CSS("#description"), desc),
		func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			if _, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
				Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: s.URL}); err != nil {
				return chromedp.Void{}, err
			}
			acc := 5.0
			_, err := cdp.Call(ctx, tg, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lon, Accuracy: &acc})
			return chromedp.Void{}, err
		},
		chromedp.Click(chromedp.CSS("#gps")))
	p.wait("located", `/GPS/.test(document.querySelector('#where').textContent)`)
	drop.Store(true)
	p.do("send while flaky", chromedp.Click(chromedp.CSS("#submit-report")))
	// Chromium itself may retry a POST whose connection dropped: more
	// commits, the same key.
	for deadline := time.Now().Add(20 * time.Second); dropped.Load() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the report was never sent")
		}
	}
	time.Sleep(time.Second) // the page's send fails and gives up for now
	p.wait("kept in the outbox", `!document.querySelector('#outbox').hidden && document.querySelector('#outbox').dataset.n === '1'`)
	p.shot("phone-outbox")
	drop.Store(false)
	p.eval(`window.dispatchEvent(new Event('online')); 'ok'`)
	p.wait("sent", `document.querySelector('#outbox').dataset.sent === '1' && document.querySelector('#outbox').dataset.n === '0'`)
	cs, err := a.Store.Cases(ctx, store.CaseFilter{Text: desc, Limit: 10})
	if err != nil || len(cs) != 1 {
		t.Fatalf("after the retry: %v, %d cases with the report's text, want exactly 1", err, len(cs))
	}
}

// A department handler's morning, at a desk and on a phone: the bell says
// how many messages wait; the inbox lists the new tasks; opening one marks
// it read (the bell counts one less) and shows the case with its actions;
// the task is signed for from there; "mark all read" empties the bell.
func TestBrowserInbox(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	accts, _ := a.Store.Accounts(ctx)
	units, _ := a.Store.Units(ctx)
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 100})
	handlers := map[bool][2]string{} // false: the desktop's handler and unit code, true: the phone's
	for _, ac := range accts {
		for _, u := range units {
			if ac.Role == caseflow.Handler && ac.Active && u.ID == ac.UnitID && len(handlers) < 2 && handlers[false][1] != u.Code {
				handlers[len(handlers) == 1] = [2]string{ac.Username, u.Code}
			}
		}
	}
	for _, size := range []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{{"desktop", 1400, 900, nil}, {"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateScale(2)}}} {
		// A handler of a department not used yet, and three new tasks for it.
		user, code := handlers[size.name == "phone"][0], handlers[size.name == "phone"][1]
		var numbers []string
		for i := 0; i < 3; i++ {
			numbers = append(numbers, newTask(t, s.URL, a, all[i], code))
		}
		acc, _ := a.Store.AccountByUsername(ctx, user)
		pr, _ := a.Principal(ctx, acc.ID)
		unread := func() int {
			in, err := a.Store.Inbox(ctx, store.Recipient{AccountID: pr.AccountID, UnitID: pr.UnitID, Role: pr.Role,
				Scope: store.CaseScope(access.ScopeOf(pr))}, a.Now(), 1)
			if err != nil {
				t.Fatal(err)
			}
			return in.Unread
		}
		want := unread()
		p.do(size.name+" viewport", chromedp.EmulateViewport(size.w, size.h, size.opts...))
		p.login(user)
		p.wait("bell count", `document.querySelector('#bell-n') && !document.querySelector('#bell-n').hidden`)
		if got := p.eval(`document.querySelector('#bell-n').textContent`); got != fmt.Sprint(want) {
			t.Fatalf("%s: the bell says %s, the inbox holds %d unread", size.name, got, want)
		}
		p.do("open the inbox", chromedp.Click(chromedp.CSS(`#bell`)), chromedp.WaitVisible(chromedp.CSS(`#inbox-new tr[data-number="`+numbers[2]+`"]`)))
		p.shot("inbox-" + size.name)
		if txt := p.text(`#inbox-new tr[data-number="` + numbers[2] + `"]`); !strings.Contains(txt, "新任务") {
			t.Errorf("the new task's line: %q", txt)
		}
		p.do("open a task", chromedp.Click(chromedp.CSS(`#inbox-new tr[data-number="`+numbers[2]+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#detail button[data-action="sign"]`)))
		p.wait("bell one less", fmt.Sprintf(`document.querySelector('#bell-n').textContent === '%d'`, want-1))
		if unread() != want-1 {
			t.Fatalf("opening a line did not mark it read: %d unread", unread())
		}
		p.act("sign")
		if c, _ := a.Store.CaseByNumber(ctx, numbers[2]); c.State != caseflow.InProgress {
			t.Fatalf("signed from the inbox, the case is %s", c.State)
		}
		p.shot("inbox-case-" + size.name)
		// The list is drawn again after each step: click the button the
		// page shows now, as a person would, not a node drawn before.
		p.wait("the list settled", `document.querySelector('#read-all') !== null && document.querySelector('#bell-n').textContent === '`+fmt.Sprint(want-1)+`'`)
		p.eval(`document.querySelector('#read-all').click(); 'ok'`)
		p.wait("bell empty", `document.querySelector('#bell-n').hidden`)
		if unread() != 0 {
			t.Fatalf("mark all read left %d unread", unread())
		}
		// With desktop alerts allowed and the page in the background, a new
		// line pops up as a desktop notification. The browser's own
		// Notification is recorded (headless Chromium shows none) and the
		// page made to look hidden.
		p.eval(`window.__notes = []; window.Notification = function (title, o) { window.__notes.push(title + '|' + o.body); return { close() {} }; };
			window.Notification.permission = 'granted'; Object.defineProperty(document, 'hidden', { get: () => true }); 'ok'`)
		newTask(t, s.URL, a, all[3+len(numbers)], code)
		p.eval(`document.dispatchEvent(new Event('xiuhua:inbox')); 'ok'`)
		p.wait("desktop notification", `window.__notes.length === 1`)
		if got := p.eval(`window.__notes[0]`); got != "绣花：有新的待办|新到 1 条提醒，点击查看" {
			t.Errorf("%s: the desktop notification said %q", size.name, got)
		}
	}
}

// A 12345 operator calls a resident back: the case is found by its number
// in the centre's search, its file shows who did what, and the resident's
// phone shows after one click (audited), as a link to dial.
func TestBrowserOperatorCallsBack(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 10})
	j := fmt.Sprintf(`{"category":"M06011","description":"楼下垃圾桶满了没人清","lon":%f,"lat":%f,"name":"李大爷","phone":"13812345678"}`, all[0].Point.Lon, all[0].Point.Lat)
	resp, err := http.Post(s.URL+"/api/v1/public/reports", "application/json", strings.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	var made struct{ Number string }
	json.NewDecoder(resp.Body).Decode(&made)
	resp.Body.Close()
	if resp.StatusCode != 201 || made.Number == "" {
		t.Fatalf("resident report: %d", resp.StatusCode)
	}
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	p.login("operator1")
	p.eval(`location.hash = '#/centre'; 'ok'`)
	p.do("search by number", chromedp.WaitVisible(chromedp.CSS(`#q`)), chromedp.SendKeys(chromedp.CSS(`#q`), made.Number+"\r"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+made.Number+`"]`)))
	if n := p.eval(`String(document.querySelectorAll('tr.pick').length)`); n != "1" {
		t.Errorf("the search by number lists %s cases", n)
	}
	p.do("open the case", chromedp.Click(chromedp.CSS(`tr[data-number="`+made.Number+`"]`)), chromedp.WaitVisible(chromedp.CSS(`#show-reporter`)))
	if strings.Contains(p.text(`#detail`), "13812345678") {
		t.Fatal("the phone shows before the operator asks for it")
	}
	p.do("show the contact", chromedp.Click(chromedp.CSS(`#show-reporter`)), chromedp.WaitVisible(chromedp.CSS(`#reporter a[data-phone]`)))
	if href := p.eval(`document.querySelector('#reporter a[data-phone]').getAttribute('href')`); href != "tel:13812345678" {
		t.Errorf("the phone link: %q", href)
	}
	if txt := p.text(`#reporter`); !strings.Contains(txt, "李大爷") || !strings.Contains(txt, "审计") {
		t.Errorf("the contact: %q", txt)
	}
	p.shot("operator-callback")
	// The file prints alone: in print, the queue and the map are hidden.
	p.eval(`document.body.classList.add('print-case'); document.querySelector('#detail').classList.add('printing'); 'ok'`)
	media := func(m string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
			return chromedp.Void{}, err
		}
	}
	p.do("print media", media("print"))
	if v := p.eval(`getComputedStyle(document.querySelector('#q')).visibility + ' ' + getComputedStyle(document.querySelector('#detail h2')).visibility + ' ' + getComputedStyle(document.querySelector('[data-print]')).display`); v != "hidden visible none" {
		t.Errorf("in print the search, the file's title and the print button are %q, want hidden, visible, none", v)
	}
	p.shot("case-file-print")
	p.do("screen media", media(""))
	p.eval(`document.body.classList.remove('print-case'); document.querySelector('#detail').classList.remove('printing'); 'ok'`)

	// The dispatcher registers it under the right category.
	p.login("dispatcher1")
	p.do("find it", chromedp.WaitVisible(chromedp.CSS(`#q`)), chromedp.SendKeys(chromedp.CSS(`#q`), made.Number+"\r"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+made.Number+`"]`)), chromedp.Click(chromedp.CSS(`tr[data-number="`+made.Number+`"]`)))
	// A wrong code is refused in words the dispatcher reads.
	p.do("a wrong category", chromedp.WaitVisible(chromedp.CSS(`button[data-action="register"]`)), chromedp.Click(chromedp.CSS(`button[data-action="register"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-correct] summary`)), chromedp.Click(chromedp.CSS(`[data-correct] summary`)),
		chromedp.SetValue(chromedp.CSS(`[data-field="category"]`), "M99999"), chromedp.Click(chromedp.CSS(`button[data-submit="register"]`)))
	p.wait("the refusal", `[...document.querySelectorAll('#detail p.err')].some(e => e.textContent.includes('问题类别填写有误'))`)
	p.do("cancel", chromedp.Click(chromedp.CSS(`button[data-action="register"]`)))
	p.act("register", chromedp.Click(chromedp.CSS(`[data-correct] summary`)), chromedp.SetValue(chromedp.CSS(`[data-field="category"]`), "M06045"))
	p.wait("the correction on the timeline", `document.querySelector('[data-corrected]') && document.querySelector('[data-corrected]').textContent.includes('非法占绿毁绿')`)
	if c, _ := a.Store.CaseByNumber(ctx, made.Number); c.CategoryID != "M06045" || c.State != caseflow.Registered {
		t.Fatalf("registered with a correction in the browser: %s %s", c.CategoryID, c.State)
	}
	p.shot("dispatcher-corrected")
}

// A 12345 operator's call, by the keyboard: the desk opens first; the
// caller's number shows their earlier order; the category is found by
// pinyin initials and the place by a community's name; an open report of
// the same kind nearby is shown before filing; the order is filed with
// its caller kept for staff, and its file opens beside the form. A call
// without a place is refused in words, and files nothing.
func TestBrowserOperatorTakesACall(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	// An earlier order from the same number, at the place the caller names.
	layer, _ := a.Store.Divisions(ctx)
	var community, communityName string
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1000})
	for _, c := range all {
		for _, d := range layer {
			if d.Code == c.Place.Community && c.State.Open() {
				community, communityName = d.Code, d.Name
			}
		}
		if community != "" {
			break
		}
	}
	if community == "" {
		t.Fatal("no open case in a named community")
	}
	before, _ := a.Store.CountCases(ctx)
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	p.login("operator1")
	p.do("the desk opens first", chromedp.WaitVisible(chromedp.CSS(`#in-phone`)))
	// A call without a place is refused in words.
	p.do("no place", chromedp.SendKeys(chromedp.CSS(`#in-phone`), "13700001111"), chromedp.SendKeys(chromedp.CSS(`#in-category`), "jclj"))
	p.wait("category suggestions", `document.querySelectorAll('#in-category-list li').length > 0`)
	p.do("pick the category", chromedp.SendKeys(chromedp.CSS(`#in-category`), "\r"), chromedp.SendKeys(chromedp.CSS(`#in-description`), "小区门口垃圾三天没人清运"),
		chromedp.Click(chromedp.CSS(`#in-submit`)))
	p.wait("refused", `document.querySelector('#in-msg').textContent.includes('请选择问题所在位置')`)
	if after, _ := a.Store.CountCases(ctx); sum(after) != sum(before) {
		t.Fatal("a refused call filed a case")
	}
	// The place by the community's name.
	short := strings.TrimSuffix(strings.TrimSuffix(communityName, "居民委员会"), "村民委员会")
	p.do("the place", chromedp.SendKeys(chromedp.CSS(`#in-place`), short))
	p.wait("place suggestions", `document.querySelectorAll('#in-place-list li').length > 0`)
	p.do("pick the place", chromedp.SendKeys(chromedp.CSS(`#in-place`), "\r"))
	p.wait("the place chosen", `document.querySelector('#in-where').textContent.includes('`+short+`')`)
	p.do("file", chromedp.Click(chromedp.CSS(`#in-submit`)), chromedp.WaitVisible(chromedp.CSS(`#in-done`)))
	first := p.eval(`document.querySelector('#in-done').dataset.number`)
	c, err := a.Store.CaseByNumber(ctx, first)
	if err != nil || c.Channel != caseflow.ChannelHotline || c.Reporter.Phone != "13700001111" || c.Place.Community != community || c.CategoryID != "M06011" {
		t.Fatalf("the filed order: %+v %v", c, err)
	}
	p.wait("its file opens", `document.querySelector('#detail [data-case]') && document.querySelector('#detail [data-case]').textContent === '`+first+`'`)

	// The same caller again: the earlier order shows, and the report
	// already open nearby.
	p.do("the second call", chromedp.SendKeys(chromedp.CSS(`#in-phone`), "13700001111\r"))
	p.wait("the caller's history", `document.querySelector('[data-history="`+first+`"]') !== null`)
	p.do("same matter", chromedp.SendKeys(chromedp.CSS(`#in-category`), "jclj"))
	p.wait("category suggestions", `document.querySelectorAll('#in-category-list li').length > 0`)
	p.do("pick it", chromedp.SendKeys(chromedp.CSS(`#in-category`), "\r"), chromedp.SendKeys(chromedp.CSS(`#in-place`), short))
	p.wait("place suggestions", `document.querySelectorAll('#in-place-list li').length > 0`)
	p.do("pick the place", chromedp.SendKeys(chromedp.CSS(`#in-place`), "\r"))
	p.wait("nearby reports", `document.querySelector('[data-nearby="`+first+`"]') !== null`)
	p.wait("marked as a repeat", `document.querySelector('[data-history="`+first+`"]').textContent.includes('重复诉求')`)
	p.shot("intake")
	p.do("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	if w := p.eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
		t.Error("the desk scrolls sideways at 390 px")
	}
	p.shot("intake-phone")

	// An enquiry answered at the desk: filed with Ctrl+Enter, then answered
	// from its file; closed as answered, never registered.
	p.do("desk size", chromedp.EmulateViewport(1400, 900))
	// The caller wants an SMS when it is answered: the desk's box, by its Chinese label.
	if lbl := p.eval(`document.querySelector('#in-updates').closest('label').textContent.trim()`); lbl != "短信告知进展" {
		t.Errorf("the desk's progress box reads %q", lbl)
	}
	p.do("an enquiry", chromedp.SetValue(chromedp.CSS(`#in-type`), "enquiry"), chromedp.Click(chromedp.CSS(`#in-updates`)),
		chromedp.SendKeys(chromedp.CSS(`#in-description`), "想问垃圾清运是几点"),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	p.wait("filed", `document.querySelector('#in-done') && document.querySelector('#in-done').dataset.number !== '`+first+`'`)
	second := p.eval(`document.querySelector('#in-done').dataset.number`)
	p.wait("its file", `document.querySelector('#detail [data-case]') && document.querySelector('#detail [data-case]').textContent === '`+second+`'`)
	p.act("answer", chromedp.SendKeys(chromedp.CSS(`#detail textarea[data-field="note"]`), "每日 6:00 和 18:00 清运，已告知来电人"))
	c2, _ := a.Store.CaseByNumber(ctx, second)
	if c2.State != caseflow.Closed || c2.CloseType != caseflow.CloseAnswered || !c2.RegisteredAt.IsZero() {
		t.Fatalf("the enquiry answered at the desk: %s %s registered %v", c2.State, c2.CloseType, c2.RegisteredAt)
	}
	if !c2.Reporter.Updates || c2.Reporter.Phone != "13700001111" {
		t.Errorf("the caller's wish for an SMS of progress was not kept: %+v", c2.Reporter)
	}
	if evs, _ := a.Store.Events(ctx, c2.ID); evs[0].Data.Intake == nil || evs[0].Data.Intake.Type != caseflow.Enquiry {
		t.Fatalf("the enquiry's intake: %+v", evs[0].Data.Intake)
	}
}
