package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The command display in Chromium, as a wall shows it: signed in by the
// address an administrator was given (the token leaves the address bar),
// at 1920×1080 and at 3840×2160. Every figure on it is the API's (which
// TestScreenFiguresRecounted recounts from the raw rows), the carousel
// turns by itself, nothing is cut off or outside the screen, and no name,
// phone or reporter's words appear.
func TestBrowserScreen(t *testing.T) {
	bctx := browser(t)
	s, a := serverWith(t, 2000)
	token, _, err := a.CreateScopedToken(t.Context(), "admin", "wall", "screen")
	if err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	// The page's clock is the server's (the demo's day).
	p.do("the page's clock", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: fmt.Sprintf(`{ const d = %d - performance.timeOrigin - performance.now(); Date.now = () => performance.timeOrigin + performance.now() + d; }`, a.Now().UnixMilli())})
		return chromedp.Void{}, err
	})
	var mom, yoy dashboardAnswer
	for q, v := range map[string]*dashboardAnswer{"compare=mom&top=10": &mom, "compare=yoy&only=stages": &yoy} {
		code, body, _ := getAs(t, s.URL+"/api/v1/dashboard?"+q, token)
		if code != 200 || json.Unmarshal([]byte(body), v) != nil {
			t.Fatalf("dashboard %s: %d %.200s", q, code, body)
		}
	}
	for _, size := range []struct {
		name string
		w, h int64
		rem  string
	}{{"1920×1080", 1920, 1080, "16"}, {"3840×2160", 3840, 2160, "32"}} {
		p.do(size.name, chromedp.EmulateViewport(size.w, size.h))
		localStorageClear := `(localStorage.removeItem('screen-token'), 'ok')`
		p.do("blank", chromedp.Navigate(s.URL+"/screen"))
		p.eval(localStorageClear)
		p.do("the wall's address", chromedp.Navigate(s.URL+"/screen?token="+token))
		p.wait("the panels", `document.body.dataset.loaded >= 1 && document.querySelectorAll('#slides [data-slide]').length === 5 && document.querySelector('#heat canvas') && document.body.dataset.map`)
		if got := p.eval(`location.search`); got != "" {
			t.Errorf("%s: the token stays in the address: %q", size.name, got)
		}
		// The stage cards: today and this month, with 环比 and 同比.
		for _, blk := range []struct {
			id       string
			mom, yoy map[string]struct {
				Value     int64    `json:"value"`
				Previous  *int64   `json:"previous"`
				Change    *int64   `json:"change"`
				ChangePct *float64 `json:"change_pct"`
			}
		}{{"today", mom.Today.Stages, yoy.Today.Stages}, {"period", mom.Period.Stages, yoy.Period.Stages}} {
			for _, st := range []string{"reported", "registered", "dispatched", "closed"} {
				got := strings.ReplaceAll(p.eval(`document.querySelector('[data-n="`+blk.id+`.`+st+`"]').textContent`), ",", "")
				if got != strconv.FormatInt(blk.mom[st].Value, 10) {
					t.Errorf("%s: %s %s shows %s, the API says %d", size.name, blk.id, st, got, blk.mom[st].Value)
				}
				for kind, f := range map[string]*float64{"mom": blk.mom[st].ChangePct, "yoy": blk.yoy[st].ChangePct} {
					want := ""
					if f != nil {
						want = strconv.FormatFloat(*f, 'f', 1, 64)
					}
					got := p.eval(`document.querySelector('#` + blk.id + ` [data-stage="` + st + `"] [data-cmp="` + kind + `"]').dataset.pct`)
					if got != want && !(want != "" && jsFixed1(*f) == got) {
						t.Errorf("%s: %s %s %s shows %q, the API says %q", size.name, blk.id, st, kind, got, want)
					}
				}
			}
		}
		// The top lists, in the API's order with its figures.
		for by, rows := range mom.Top {
			var keys []string
			for _, r := range rows {
				keys = append(keys, r.Key+":"+strconv.FormatInt(r.Reported, 10)+":"+strconv.FormatInt(r.Overdue, 10))
			}
			got := p.eval(`[...document.querySelectorAll('[data-top="` + by + `"] tr[data-key]')].map(r => r.dataset.key + ':' + r.dataset.reported + ':' + r.dataset.overdue).join(' ')`)
			if got != strings.Join(keys, " ") || len(keys) == 0 {
				t.Errorf("%s: top %s shows %q, the API says %q", size.name, by, got, strings.Join(keys, " "))
			}
		}
		for id, l := range map[string]int64{"overdue": mom.Overdue.Total, "supervision": mom.Supervision.Total} {
			if got := strings.ReplaceAll(p.eval(`document.querySelector('[data-total="`+id+`"]').textContent`), ",", ""); !strings.Contains(got, " "+strconv.FormatInt(l, 10)+" ") {
				t.Errorf("%s: %s shows %q, the API says %d", size.name, id, got, l)
			}
		}
		if got := strings.ReplaceAll(p.eval(`document.querySelector('[data-n="open"]').textContent`), ",", ""); !strings.Contains(got, strconv.FormatInt(mom.Open, 10)) {
			t.Errorf("%s: open shows %q, the API says %d", size.name, got, mom.Open)
		}
		if mom.Focus == nil || !strings.Contains(p.text("#focus"), mom.Focus.CategoryName) {
			t.Errorf("%s: the sentence %q does not name the focus %+v", size.name, p.text("#focus"), mom.Focus)
		}
		// The wall fills the screen at its scale; nothing spills or is cut.
		if got := p.eval(`getComputedStyle(document.documentElement).fontSize`); got != size.rem+"px" {
			t.Errorf("%s: the root size is %s, want %spx", size.name, got, size.rem)
		}
		if got := p.eval(`(() => { const r = document.getElementById('wall').getBoundingClientRect(); return Math.round(r.width) + 'x' + Math.round(r.height) })()`); got != strconv.FormatInt(size.w, 10)+"x"+strconv.FormatInt(size.h, 10) {
			t.Errorf("%s: the wall is %s", size.name, got)
		}
		if bad := p.eval(`[...document.querySelectorAll('h1, h2, .card b, .card .k, .cmp, #focus, #clock')].filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > innerWidth + 1 || e.getBoundingClientRect().bottom > innerHeight + 1).map(e => e.textContent.slice(0, 30)).join(' | ')`); bad != "" {
			t.Errorf("%s: cut off or off the screen: %s", size.name, bad)
		}
		if bad := p.eval(`[...document.querySelectorAll('.slide table')].filter(e => e.getBoundingClientRect().height > e.closest('.slides').getBoundingClientRect().height + 1).map(e => e.dataset.top || e.dataset.list).join(' ')`); bad != "" {
			t.Errorf("%s: a panel taller than its place: %s", size.name, bad)
		}
		if got := p.eval(`document.body.dataset.map`); got != strconv.Itoa(len(mom.Heat)) || len(mom.Heat) == 0 {
			t.Errorf("%s: %s grids on the heat map, the API has %d", size.name, got, len(mom.Heat))
		}
		if size.w == 1920 {
			p.shot("screen")
			// It turns by itself.
			first := p.eval(`document.getElementById('slides').dataset.on`)
			p.wait("the carousel turns", `document.getElementById('slides').dataset.on !== '`+first+`'`)
			p.eval(`(document.querySelectorAll('.slide').forEach(s => s.style.transition = 'none'), 'ok')`)
			for i, name := range []string{"street", "unit", "category", "overdue", "supervision"} {
				p.eval(`(document.querySelectorAll('#slides .slide').forEach((s, j) => s.classList.toggle('on', j === ` + strconv.Itoa(i) + `)), 'ok')`)
				p.shot("screen-" + name)
			}
		} else {
			p.shot("screen-4k")
		}
		// Nobody's name, phone or words.
		text := p.eval(`document.body.innerText`)
		rows, err := a.Store.DB().Query(`SELECT reporter_name, reporter_phone, description FROM cases`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, phone, desc string
			rows.Scan(&name, &phone, &desc)
			for _, v := range []string{name, phone, desc} {
				if len([]rune(v)) >= 3 && strings.Contains(text, v) {
					t.Errorf("%s: the wall shows %q", size.name, v)
				}
			}
		}
		rows.Close()
	}
	// In English at 1920×1080: the same wall, nothing cut off.
	p.do("1920×1080 in English", chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(s.URL+"/screen?lang=en"))
	p.wait("the English wall", `document.documentElement.lang === 'en' && document.body.dataset.loaded >= 1 && document.body.dataset.map`)
	if got := p.text("h1"); !strings.Contains(got, "command display") {
		t.Errorf("the English wall's title: %q", got)
	}
	if bad := p.eval(`[...document.querySelectorAll('h1, h2, .card b, .card .k, .cmp, #focus, #clock')].filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > innerWidth + 1).map(e => e.textContent.slice(0, 30)).join(' | ')`); bad != "" {
		t.Errorf("in English, cut off or off the screen: %s", bad)
	}
	p.shot("screen-en")
	p.do("back to Chinese", chromedp.Navigate(s.URL+"/screen?lang=zh-CN"))
	p.wait("the Chinese wall", `document.documentElement.lang === 'zh-CN' && document.body.dataset.loaded >= 1`)

	// An administrator makes a token on the admin pages and opens the
	// address it gives on the wall.
	p.do("1400×900", chromedp.EmulateViewport(1400, 900))
	p.login("admin")
	p.eval(`location.hash = '#/admin'; 'ok'`)
	p.do("the screen tokens", chromedp.WaitVisible(chromedp.CSS(`[data-section="screens"]`)), chromedp.Click(chromedp.CSS(`[data-section="screens"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#screen-add`)), chromedp.Click(chromedp.CSS(`#screen-add`)), chromedp.WaitVisible(chromedp.CSS(`#screen-url`)))
	if n := p.eval(`String(document.querySelectorAll('#screens tr[data-token]').length)`); n != "2" {
		t.Errorf("the admin page lists %s screen tokens, want 2 (the test's and the new one)", n)
	}
	p.shot("admin-screens")
	wall := p.eval(`document.getElementById('screen-url').href`)
	if !strings.HasPrefix(wall, s.URL+"/screen?token=xh_") {
		t.Fatalf("the wall's address: %q", wall)
	}
	p.do("the new wall", chromedp.Navigate(s.URL+"/screen"))
	p.eval(`(localStorage.removeItem('screen-token'), 'ok')`)
	p.do("its address", chromedp.Navigate(wall))
	p.wait("its panels", `document.body.dataset.loaded >= 1 && document.querySelector('[data-n="today.reported"]')`)

	// Without a token, the kiosk's sign-in; a wrong one is refused there.
	p.do("no token", chromedp.Navigate(s.URL+"/screen"))
	p.eval(`(localStorage.removeItem('screen-token'), 'ok')`)
	p.do("sign-in", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#screen-token")),
		chromedp.SendKeys(chromedp.CSS("#screen-token"), "xh_wrong"), chromedp.Click(chromedp.CSS(`form button[type="submit"]`)))
	p.wait("refused", `document.querySelector('.signin .err')`)
	p.do("the right one", chromedp.SendKeys(chromedp.CSS("#screen-token"), token), chromedp.Click(chromedp.CSS(`form button[type="submit"]`)))
	p.wait("the panels again", `document.body.dataset.loaded >= 1 && document.querySelector('[data-n="today.reported"]')`)
}
