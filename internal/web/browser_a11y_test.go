package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/store"
)

// axeKnown lists the violations accepted for now, by page and rule, each
// with its reason. Everything else serious or critical fails the test.
var axeKnown = map[string]string{}

// A real accessibility engine, axe-core (vendored for the tests only, see
// testdata/axe/SOURCE), checks every page each role lands on and the
// public board's views, at a desk's and at a phone's size, against WCAG 2.1
// A and AA: no serious or critical violation.
func TestBrowserAccessibility(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	axe, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	// The sanitation department's handler, with a new task on the desk
	// and in the inbox.
	const handler = "h-hwc"
	some, err := a.Store.Cases(context.Background(), store.CaseFilter{Limit: 1})
	if err != nil || len(some) == 0 {
		t.Fatalf("a case to place the task at: %v", err)
	}
	newTask(t, s.URL, a, some[0], "hwc")
	// An enquiry answered at the desk, its callback due.
	op := tokenOf(t, a, "operator1")
	j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "想问垃圾清运是几点", "lon": some[0].Point.Lon, "lat": some[0].Point.Lat,
		"request_type": "enquiry", "caller": map[string]any{"phone": "13600004321", "callback": true}})
	code, out, _ := send(t, "POST", s.URL+"/api/v1/cases", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
	var due struct{ Number string }
	if code != 201 || json.Unmarshal([]byte(out), &due) != nil {
		t.Fatalf("an enquiry: %d %s", code, out)
	}
	act(t, s.URL, op, due.Number, "answer", map[string]any{"note": "每日 6:00 和 18:00 清运"})

	// check runs axe on the page as it stands and reports what it finds.
	check := func(size, name string) {
		t.Helper()
		if p.eval(`typeof axe`) == "undefined" {
			p.eval(string(axe) + "\n;'ok'")
		}
		out := p.eval(`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
			.then(r => JSON.stringify({n: r.passes.length, lesser: r.violations.filter(v => v.impact !== 'serious' && v.impact !== 'critical').map(v => v.id + ' (' + v.impact + ', ' + v.nodes.length + ')'), v: r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
				.map(v => ({id: v.id, impact: v.impact, help: v.help, n: v.nodes.length, targets: v.nodes.slice(0, 4).map(n => n.target.join(' ')), why: (v.nodes[0].any[0] || v.nodes[0].all[0] || {}).message || ''}))}))`)
		var r struct {
			N      int
			Lesser []string
			V      []struct {
				ID, Impact, Help, Why string
				N                     int
				Targets               []string
			}
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%s %s: axe said %q: %v", size, name, out, err)
		}
		bad := 0
		for _, v := range r.V {
			if why, ok := axeKnown[name+" "+v.ID]; ok {
				t.Logf("%s %s: known %s (%s, %d nodes): %s", size, name, v.ID, v.Impact, v.N, why)
				continue
			}
			bad++
			t.Errorf("%s %s: %s (%s, %d nodes) %s: %s; first: %s", size, name, v.ID, v.Impact, v.N, v.Help, strings.Join(v.Targets, " | "), v.Why)
		}
		if bad > 0 {
			p.shot(fmt.Sprintf("a11y-%s-%s", size, strings.ReplaceAll(name, "/", "-")))
		}
		t.Logf("%s %s: %d rules passed, %d serious or critical violations; moderate or minor: %s", size, name, r.N, bad, strings.Join(append(r.Lesser, "none")[:max(len(r.Lesser), 1)], ", "))
	}
	lang := "" // the pages' language in the checks' names: Chinese first
	// app opens a staff page as a user and waits until it has rendered.
	app := func(size, user, id string) {
		t.Helper()
		p.login(user)
		p.eval(`location.hash = '#/` + id + `'; 'ok'`)
		p.wait(id+" rendered", `document.querySelector('#main').dataset.page === '`+id+`'`)
		check(size, id+lang)
	}
	board := func(size, name, view, ready string) {
		t.Helper()
		p.do("board "+view, chromedp.Navigate(s.URL+"/board#"+view))
		p.wait("board "+view+" rendered", `document.querySelector('#main').dataset.page !== '' && !!document.querySelector('`+ready+`')`)
		check(size, name)
	}

	for _, size := range []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{{"desktop", 1400, 900, nil}, {"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateScale(2)}}} {
		p.do(size.name+" viewport", chromedp.EmulateViewport(size.w, size.h, size.opts...))
		p.login("dispatcher1")
		p.do("sign out", chromedp.Navigate(s.URL+"/app"), chromedp.WaitVisible(chromedp.CSS("#main")))
		p.eval(`fetch('/api/v1/session', {method: 'DELETE', headers: {'X-CSRF-Token': sessionStorage.getItem('csrf') || ''}}).then(() => { sessionStorage.clear(); return 'ok' })`)
		p.do("login form", chromedp.Navigate(s.URL+"/app"), chromedp.WaitVisible(chromedp.CSS("#username")))
		check(size.name, "login")
		app(size.name, "dispatcher1", "centre")
		// The search's filters open.
		p.do("the search's filters", chromedp.Click(chromedp.CSS(`#filters summary`)), chromedp.WaitVisible(chromedp.CSS(`#f-street`)))
		check(size.name, "centre search filters")
		// A case open in the centre, then an action's form on it.
		p.do("open a case", chromedp.WaitVisible(chromedp.CSS(`tr.pick`)), chromedp.Click(chromedp.CSS(`tr.pick`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-case]`)), chromedp.WaitVisible(chromedp.CSS(`button[data-action]`)))
		check(size.name, "centre case")
		p.do("open an action", chromedp.Click(chromedp.CSS(`button[data-action]`)), chromedp.WaitVisible(chromedp.CSS(`button[data-submit]`)))
		check(size.name, "centre action form")
		app(size.name, "operator1", "intake")
		p.do("intake suggestions", chromedp.Focus(chromedp.CSS(`#in-category`)), chromedp.SendKeys(chromedp.CSS(`#in-category`), "垃圾"),
			chromedp.WaitVisible(chromedp.CSS(`#in-category-list li`)), chromedp.SendKeys(chromedp.CSS(`#in-place`), "街道"),
			chromedp.WaitVisible(chromedp.CSS(`#in-place-list li`)))
		check(size.name, "intake suggestions")
		p.do("knowledge at the desk", chromedp.SendKeys(chromedp.CSS(`#kb-q`), "早市\r"), chromedp.WaitVisible(chromedp.CSS(`#kb-results [data-cite]`)))
		check(size.name, "intake knowledge")
		// A callback's form (the hotline's scale), on an order waiting for it.
		p.eval(`location.hash = '#/centre'; 'ok'`)
		p.do("a callback due", chromedp.WaitVisible(chromedp.CSS(`#q`)), chromedp.SendKeys(chromedp.CSS(`#q`), due.Number+"\r"),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+due.Number+`"]`)), chromedp.Click(chromedp.CSS(`tr[data-number="`+due.Number+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`button[data-action="callback"]`)), chromedp.Click(chromedp.CSS(`button[data-action="callback"]`)),
			chromedp.WaitVisible(chromedp.CSS(`button[data-submit="callback"]`)))
		check(size.name, "callback form")
		app(size.name, "dispatcher1", "knowledge")
		app(size.name, handler, "desk")
		p.do("open a task", chromedp.WaitVisible(chromedp.CSS(`tr.pick`)), chromedp.Click(chromedp.CSS(`tr.pick`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-case]`)))
		check(size.name, "desk case")
		app(size.name, "gw14021305300101", "phone")
		p.do("phone categories", chromedp.Focus(chromedp.CSS(`#category-search`)), chromedp.SendKeys(chromedp.CSS(`#category-search`), "垃圾"),
			chromedp.WaitVisible(chromedp.CSS(`#report-form .suggest li`)))
		check(size.name, "phone categories")
		app(size.name, "leader", "dashboard")
		app(size.name, "leader", "keyissues")
		app(size.name, "admin", "admin")
		for _, sec := range []string{"users", "grids", "catalog", "calendar", "webhooks", "screens"} {
			p.do("admin "+sec, chromedp.Click(chromedp.CSS(`[data-section="`+sec+`"]`)))
			p.wait("admin "+sec+" rendered", `!!document.querySelector('#admin-body > *') && !document.querySelector('#admin-body > p.muted, #admin-body > p.err')`)
			check(size.name, "admin "+sec)
		}
		p.do("admin users again", chromedp.Click(chromedp.CSS(`[data-section="users"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-toggle-user]`)),
			chromedp.Click(chromedp.CSS(`[data-toggle-user]`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-ok`)))
		check(size.name, "admin confirm")
		p.do("cancel", chromedp.Click(chromedp.CSS(`#confirm-cancel`)))
		app(size.name, handler, "inbox")
		board(size.name, "board", "list", "#board-rows tr[data-number]")
		number := p.eval(`document.querySelector('#board-rows tr[data-number]').dataset.number`)
		board(size.name, "board report", "report", "#r-submit")
		p.do("board suggestions", chromedp.Focus(chromedp.CSS(`#r-category`)), chromedp.SendKeys(chromedp.CSS(`#r-category`), "垃圾"),
			chromedp.WaitVisible(chromedp.CSS(`#r-category-list li`)), chromedp.SendKeys(chromedp.CSS(`#r-place`), "街道"),
			chromedp.WaitVisible(chromedp.CSS(`#r-place-list li`)))
		check(size.name, "board report suggestions")
		board(size.name, "board follow", "follow", "form")
		board(size.name, "board follow case", "follow/"+number, "#follow-result [data-state]")
		board(size.name, "board alerts", "alerts", "#a-submit")
		p.do("alerts circle", chromedp.Click(chromedp.CSS(`button[data-kind="circle"]`)), chromedp.WaitVisible(chromedp.CSS(`#a-radius`)))
		check(size.name, "board alerts circle")
		for _, link := range []struct{ path, ready string }{{"/alerts/confirm/not-a-token", "#confirm-button"}, {"/alerts/unsubscribe/not-a-token", "#unsubscribe-done"}} {
			p.do(link.path, chromedp.Navigate(s.URL+link.path), chromedp.WaitVisible(chromedp.CSS(link.ready)))
			check(size.name, "board"+strings.Split(link.path, "/not")[0])
		}
	}
	// The English pages: lang attributes and names in the other language.
	p.do("desktop viewport", chromedp.EmulateViewport(1400, 900))
	p.do("to the app", chromedp.Navigate(s.URL+"/app"), chromedp.WaitVisible(chromedp.CSS("#main")))
	p.eval(`localStorage.setItem('lang', 'en'); 'ok'`)
	lang = " en"
	board("desktop", "board en", "list", "#board-rows tr[data-number]")
	if l := p.eval(`document.documentElement.lang`); l != "en" {
		t.Errorf("the English board says lang=%q", l)
	}
	app("desktop", "dispatcher1", "centre")
	app("desktop", "gw14021305300101", "phone")
}
