package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/caseflow"
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
	accts, err := a.Store.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	handler := ""
	for _, ac := range accts {
		if ac.Role == caseflow.Handler && ac.Active && handler == "" {
			handler = ac.Username
		}
	}
	if handler == "" {
		t.Fatal("the demo has no active handler")
	}

	// check runs axe on the page as it stands and reports what it finds.
	check := func(size, name string) {
		t.Helper()
		if p.eval(`typeof axe`) == "undefined" {
			p.eval(string(axe) + "\n;'ok'")
		}
		out := p.eval(`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
			.then(r => JSON.stringify({n: r.passes.length, v: r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
				.map(v => ({id: v.id, impact: v.impact, help: v.help, n: v.nodes.length, targets: v.nodes.slice(0, 4).map(n => n.target.join(' ')), why: (v.nodes[0].any[0] || v.nodes[0].all[0] || {}).message || ''}))}))`)
		var r struct {
			N int
			V []struct {
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
		t.Logf("%s %s: %d rules passed, %d serious or critical violations", size, name, r.N, bad)
	}
	// app opens a staff page as a user and waits until it has rendered.
	app := func(size, user, id string) {
		t.Helper()
		p.login(user)
		p.eval(`location.hash = '#/` + id + `'; 'ok'`)
		p.wait(id+" rendered", `document.querySelector('#main').dataset.page === '`+id+`'`)
		check(size, id)
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
		app(size.name, "operator1", "intake")
		app(size.name, handler, "desk")
		app(size.name, "gw14021305300101", "phone")
		app(size.name, "leader", "dashboard")
		app(size.name, "admin", "admin")
		app(size.name, "dispatcher1", "inbox")
		board(size.name, "board", "list", "#board-rows tr[data-number]")
		number := p.eval(`document.querySelector('#board-rows tr[data-number]').dataset.number`)
		board(size.name, "board report", "report", "#r-submit")
		board(size.name, "board follow", "follow", "form")
		board(size.name, "board follow case", "follow/"+number, "#follow-result [data-state]")
	}
}
