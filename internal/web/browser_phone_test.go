package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/web"
)

// A grid worker reports with a photo while the phone has no connection:
// the photo is kept on the phone with the report, the outbox says so and
// still does after a reload, and once the connection is back the photo is
// uploaded and the report arrives with it. The phone's to-dos come before
// the report form, and nothing is wider than the screen.
func TestBrowserPhoneOfflineKeepsPhotos(t *testing.T) {
	bctx := browser(t)
	_, a := server(t)
	var offline atomic.Bool
	h := web.New(a)
	// No connection: writes never reach the server (the page's reads are
	// let through, so it can be reloaded; the browser cannot tell).
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if offline.Load() && r.Method == "POST" && (r.URL.Path == "/api/v1/cases" || r.URL.Path == "/api/v1/photos") {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
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
	photo := testJPEG(t, t.TempDir(), "offline.jpg")
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	p.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	p.login(worker)
	p.do("phone", chromedp.WaitVisible(chromedp.CSS("#report-form")), chromedp.WaitVisible(chromedp.CSS("#todo h2")))
	if order := p.eval(`String(document.querySelector('#todo').getBoundingClientRect().top < document.querySelector('#report-form').getBoundingClientRect().top)`); order != "true" {
		t.Errorf("the phone's to-dos are not above the report form")
	}
	p.shot("phone-todo")

	offline.Store(true)
	desc := fmt.Sprintf("离线上报带照片 %d", time.Now().UnixNano()%100000)
	p.do("photo offline", chromedp.SetUploadFiles(chromedp.CSS(`#report-form input[type=file]`), []string{photo}))
	p.wait("photo kept", `document.querySelectorAll('#report-form .photos img[data-kept="offline"]').length === 1`)
	p.do("fill", chromedp.SendKeys(chromedp.CSS("#category-search"), "暴露垃圾"),
		chromedp.WaitVisible(chromedp.CSS(`.suggest li[data-category]`)), chromedp.Click(chromedp.CSS(`.suggest li[data-category]`)),
		chromedp.SendKeys(chromedp.CSS("#description"), desc), geolocate(s.URL, lon, lat), chromedp.Click(chromedp.CSS("#gps")))
	p.wait("located", `/GPS/.test(document.querySelector('#where').textContent)`)
	p.do("send offline", chromedp.Click(chromedp.CSS("#submit-report")))
	p.wait("kept in the outbox", `document.querySelector('#outbox').dataset.n === '1' && !document.querySelector('#outbox').hidden`)
	if txt := p.text("#outbox"); !strings.Contains(txt, "1 张照片已保存在本机") {
		t.Errorf("the outbox says %q, not that the photo is kept", txt)
	}
	if p.eval(`String(document.documentElement.scrollWidth <= innerWidth)`) != "true" {
		t.Errorf("the phone page is wider than the screen: %s", p.eval(`String(document.documentElement.scrollWidth)`))
	}
	p.do("see outbox", chromedp.ScrollIntoView(chromedp.CSS("#outbox")))
	p.shot("phone-offline-outbox")

	// A reload, still without a connection: the report and its photo stay.
	p.do("reload", chromedp.Navigate("about:blank"), chromedp.Navigate(s.URL+"/app#/phone"), chromedp.WaitVisible(chromedp.CSS("#report-form")))
	p.wait("still in the outbox", `document.querySelector('#outbox').dataset.n === '1' && /1 张照片/.test(document.querySelector('#outbox').textContent)`)
	if n, _ := a.Store.Cases(ctx, store.CaseFilter{Text: desc, Limit: 5}); len(n) != 0 {
		t.Fatalf("the report arrived while offline?")
	}

	// Back online: the photo, then the report with it.
	offline.Store(false)
	p.eval(`window.dispatchEvent(new Event('online')); 'ok'`)
	p.wait("sent", `document.querySelector('#outbox').dataset.sent === '1' && document.querySelector('#outbox').dataset.n === '0'`)
	cs, err := a.Store.Cases(ctx, store.CaseFilter{Text: desc, Limit: 5})
	if err != nil || len(cs) != 1 {
		t.Fatalf("after going online: %v, %d cases with the report's text, want 1", err, len(cs))
	}
	evs, _ := a.Store.Events(ctx, cs[0].ID)
	if len(evs) == 0 || len(evs[0].Data.Photos) != 1 {
		t.Fatalf("the report arrived without its photo: %+v", evs)
	}
	if code, _, hdr := getAs(t, s.URL+"/api/v1/photos/"+evs[0].Data.Photos[0]+"?thumb=1", ""); code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "image/") {
		t.Errorf("the photo sent from the outbox: %d %s", code, hdr.Get("Content-Type"))
	}
	if last := p.eval(`document.querySelector('#outbox').dataset.last`); last != cs[0].Number {
		t.Errorf("the phone says it sent %s, the case is %s", last, cs[0].Number)
	}
	// The worker's own report is among their grids' open cases, not among
	// the reports waiting for them to verify: they saw it on site.
	p.wait("listed", `!!document.querySelector('#mine tr[data-number="`+cs[0].Number+`"]')`)
	if p.eval(`String(!!document.querySelector('#todo tr[data-number="`+cs[0].Number+`"]'))`) != "false" {
		t.Errorf("the worker's own report %s is listed as waiting for verification", cs[0].Number)
	}
	p.shot("phone-sent")
	// The narrowest phones too.
	p.do("360 px", chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile), chromedp.Navigate("about:blank"), chromedp.Navigate(s.URL+"/app#/phone"),
		chromedp.WaitVisible(chromedp.CSS("#todo h2")), chromedp.Click(chromedp.CSS("#show-map")), chromedp.WaitVisible(chromedp.CSS("#report-form canvas")))
	if p.eval(`String(document.documentElement.scrollWidth <= innerWidth)`) != "true" {
		t.Errorf("the phone page is %s px wide on a 360 px screen", p.eval(`String(document.documentElement.scrollWidth)`))
	}
	p.shot("phone-360")
}

// The department desk on a phone (390 px) and at a desk: nothing wider
// than the screen, with a case open too; the to-dos in the order they are
// done (supervision orders, new tasks, tasks in hand by deadline,
// suspended ones with their clock stopped).
func TestBrowserDeskOnAPhone(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	var handler string
	if err := a.Store.DB().QueryRow(`SELECT a.username FROM accounts a JOIN tasks k ON k.unit_id = a.unit_id JOIN cases c ON c.id = k.case_id
		WHERE a.role = 'handler' AND a.active AND k.state IN ('dispatched', 'signed') AND c.state IN ('dispatched', 'in_progress', 'suspended')
		GROUP BY a.username ORDER BY count(DISTINCT k.state) DESC, count(*) DESC, a.username LIMIT 1`).Scan(&handler); err != nil {
		t.Fatalf("a handler with tasks: %v", err)
	}
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	order := map[string]int{"supervised": 0, "new": 1, "doing": 2, "suspended": 3, "done": 4}
	for _, size := range []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateScale(2)}}, {"narrow", 360, 740, []chromedp.EmulateViewportOption{chromedp.EmulateMobile}}, {"desktop", 1400, 900, nil}} {
		p.do(size.name+" viewport", chromedp.EmulateViewport(size.w, size.h, size.opts...))
		p.login(handler)
		p.do(size.name+" desk", chromedp.WaitVisible(chromedp.CSS(`#tasks tr.pick`)))
		fits := func(what string) {
			if p.eval(`String(document.documentElement.scrollWidth <= innerWidth)`) != "true" {
				t.Errorf("%s: the desk %s is %s px wide on a %d px screen", size.name, what, p.eval(`String(document.documentElement.scrollWidth)`), size.w)
			}
		}
		fits("list")
		secs := strings.Split(p.eval(`[...document.querySelectorAll('#tasks section[data-section]')].map(s => s.dataset.section).join(',')`), ",")
		for i := 1; i < len(secs); i++ {
			if order[secs[i-1]] >= order[secs[i]] {
				t.Errorf("%s: the desk's sections are %v, not to-dos first", size.name, secs)
			}
		}
		if title := p.text("#tasks h2"); !strings.Contains(title, "本单位待办") {
			t.Errorf("%s: the desk's title %q", size.name, title)
		}
		for _, stopped := range strings.Split(p.eval(`[...document.querySelectorAll('#tasks tr[data-section="suspended"] td:last-child')].map(td => td.textContent).join('|')`), "|") {
			if stopped != "" && stopped != "时限暂停" {
				t.Errorf("%s: a suspended task shows %q instead of its stopped clock", size.name, stopped)
			}
		}
		p.shot("desk-" + size.name)
		p.do(size.name+" open", chromedp.Click(chromedp.CSS(`#tasks tr.pick`)), chromedp.WaitVisible(chromedp.CSS(`#detail button[data-action]`)))
		fits("with a case open")
		p.shot("desk-" + size.name + "-case")
	}
}
