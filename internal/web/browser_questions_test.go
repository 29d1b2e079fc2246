package web_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/store"
)

// Category questions as people meet them, at 1366×768 and at 390×844: a
// resident on the public board and a grid worker on the field phone choose
// 占道经营, are asked how many stalls (1–200) and what is sold; 0 stalls
// is refused in Chinese naming the question, and so is the server's own
// refusal; the answered report goes in, and the command centre opens each
// case and reads the answers under their questions, the choice by its
// name. Nothing wider than the screen, no message key, no English.
func TestBrowserQuestionsAnsweredAndShown(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	worker := "gw14021305300101"
	acct, _ := a.Store.AccountByUsername(ctx, worker)
	who, err := a.Principal(ctx, acct.ID)
	if err != nil || len(who.Grids) == 0 {
		t.Fatalf("worker: %v", err)
	}
	lon, lat := pointIn(t, a, who.Grids[0])
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	noKeys := `!/\b(q|err|field|public|board|phone|case)\.[a-z_]+/.test(document.body.innerText)`
	fits := `document.documentElement.scrollWidth <= innerWidth`
	english := regexp.MustCompile(`[A-Za-z]{2,}`)
	check := func(where string) {
		t.Helper()
		if p.eval(`String(`+fits+`)`) != "true" {
			t.Errorf("%s: wider than the screen: %s px", where, p.eval(`String(document.documentElement.scrollWidth)`))
		}
		if p.eval(`String(`+noKeys+`)`) != "true" {
			t.Errorf("%s: a message key on the page", where)
		}
	}
	found := func(text string) string {
		t.Helper()
		for range 50 {
			if cs, _ := a.Store.Cases(ctx, store.CaseFilter{Text: text, Limit: 2}); len(cs) == 1 {
				return cs[0].Number
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("no case with %q arrived", text)
		return ""
	}
	answers := func(number string) map[string]string {
		c, _ := a.Store.CaseByNumber(ctx, number)
		evs, _ := a.Store.Events(ctx, c.ID)
		return evs[0].Data.Attributes
	}
	for i, size := range []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{{"desktop", 1366, 768, nil}, {"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateScale(2)}}} {
		p.do(size.name+" viewport", chromedp.EmulateViewport(size.w, size.h, size.opts...))

		// A resident on the board.
		p.do(size.name+" board report", chromedp.Navigate(s.URL+"/board#report"), chromedp.WaitVisible(chromedp.CSS(`#r-category`)))
		p.wait(size.name+" report ready", `document.querySelector('#main').dataset.page === 'report'`)
		p.do(size.name+" board located", geolocate(s.URL, lon, lat), chromedp.Click(chromedp.CSS("#use-location")))
		p.wait(size.name+" board pinned", `/^您的位置：/.test(document.querySelector('#r-where').textContent)`)
		p.do(size.name+" board category", chromedp.SendKeys(chromedp.CSS("#r-category"), "占道经营"),
			chromedp.WaitVisible(chromedp.CSS(`#r-category-list li[data-category="M09006"]`)), chromedp.Click(chromedp.CSS(`#r-category-list li[data-category="M09006"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#r-questions #q-stalls`)))
		if q := p.text(`#r-questions`); !strings.Contains(q, "摊位数") || !strings.Contains(q, "1–200") || !strings.Contains(q, "经营什么") || english.MatchString(q) {
			t.Errorf("%s: the board asks %q", size.name, q)
		}
		desc := fmt.Sprintf("菜摊占了人行道 %d", 100+i)
		p.do(size.name+" board wrong", chromedp.SendKeys(chromedp.CSS("#r-description"), desc), chromedp.SendKeys(chromedp.CSS("#q-stalls"), "0"),
			chromedp.SetValue(chromedp.CSS("#q-goods"), "produce"), chromedp.Click(chromedp.CSS("#r-submit")))
		p.wait(size.name+" board refused", `document.querySelector('#resident-form p.err').textContent !== ''`)
		if msg := p.text(`#resident-form p.err`); msg != "「摊位数」的回答要在范围内：1–200" {
			t.Errorf("%s: 0 stalls on the board reads %q", size.name, msg)
		}
		if under := p.text(`#q-err-stalls`); under != "「摊位数」的回答要在范围内：1–200" || p.eval(`document.querySelector('#q-stalls').getAttribute('aria-invalid')`) != "true" {
			t.Errorf("%s: under the question: %q", size.name, under)
		}
		if p.eval(`document.activeElement.id`) != "q-stalls" {
			t.Errorf("%s: the refused answer is not ready to correct", size.name)
		}
		check(size.name + " board refused")
		p.do(size.name+" see refusal", chromedp.ScrollIntoView(chromedp.CSS("#q-stalls")))
		p.shot("questions-board-refused-" + size.name)
		// The server refuses it too, in the same words.
		refusal := p.eval(`import('/ui/lib.js').then(async m => { try { await m.api('POST', '/api/v1/public/reports', {category: 'M09006', description: 'x', lon: ` +
			f6(lon) + `, lat: ` + f6(lat) + `, attributes: {stalls: '0'}}); return 'accepted' } catch (e) { return m.errText(e) } })`)
		if !strings.Contains(refusal, "「摊位数」要在 1–200 之间") || strings.Contains(refusal, "stalls") {
			t.Errorf("%s: the server's refusal reads %q", size.name, refusal)
		}
		// The resident asks to hear how it goes, by e-mail.
		mail := fmt.Sprintf("wang%d@example.cn", i)
		p.do(size.name+" board updates", chromedp.SetValue(chromedp.CSS("#q-stalls"), ""), chromedp.SendKeys(chromedp.CSS("#q-stalls"), "6"),
			chromedp.SendKeys(chromedp.CSS("#r-email"), mail), chromedp.Click(chromedp.CSS("#r-updates")), chromedp.ScrollIntoView(chromedp.CSS("#r-updates")))
		if lbl := p.eval(`document.querySelector('#r-updates').closest('label').textContent + '|' + document.querySelector('#r-email').closest('label').textContent`); lbl !=
			"通过短信或邮件告诉我办理进展（受理、答复、办结）|电子邮箱（仅工作人员可见）" {
			t.Errorf("%s: the progress labels read %q", size.name, lbl)
		}
		p.shot("questions-board-updates-" + size.name)
		p.do(size.name+" board right", chromedp.Click(chromedp.CSS("#r-submit")), chromedp.WaitVisible(chromedp.CSS("#new-number")))
		boardCase := p.text("#new-number")
		if got := answers(boardCase); got["stalls"] != "6" || got["goods"] != "produce" {
			t.Errorf("%s: the board's report keeps %v", size.name, got)
		}
		if c, err := a.Store.CaseByNumber(ctx, boardCase); err != nil || c.Reporter.Email != mail || !c.Reporter.Updates {
			t.Errorf("%s: the resident's wish to hear of progress: %+v %v", size.name, c.Reporter, err)
		}
		p.shot("questions-board-sent-" + size.name)

		// A grid worker on the field phone.
		p.login(worker)
		p.do(size.name+" phone", chromedp.Navigate(s.URL+"/app#/phone"), chromedp.WaitVisible(chromedp.CSS("#report-form")))
		p.do(size.name+" phone category", chromedp.SendKeys(chromedp.CSS("#category-search"), "占道经营"),
			chromedp.WaitVisible(chromedp.CSS(`#category-list li[data-category="M09006"]`)), chromedp.Click(chromedp.CSS(`#category-list li[data-category="M09006"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#questions #q-stalls`)))
		if q := p.text(`#questions`); !strings.Contains(q, "摊位数") || !strings.Contains(q, "经营什么") || english.MatchString(q) {
			t.Errorf("%s: the phone asks %q", size.name, q)
		}
		pdesc := fmt.Sprintf("早市摊贩占道 %d", 200+i)
		p.do(size.name+" phone wrong", chromedp.SendKeys(chromedp.CSS("#description"), pdesc), chromedp.SendKeys(chromedp.CSS("#q-stalls"), "250"),
			chromedp.SetValue(chromedp.CSS("#q-goods"), "food"), geolocate(s.URL, lon, lat), chromedp.Click(chromedp.CSS("#gps")))
		p.wait(size.name+" phone located", `/GPS/.test(document.querySelector('#where').textContent)`)
		p.do(size.name+" phone send wrong", chromedp.Click(chromedp.CSS("#submit-report")))
		p.wait(size.name+" phone refused", `document.querySelector('#report-form p.err').textContent !== ''`)
		if msg := p.text(`#report-form p.err`); msg != "「摊位数」的回答要在范围内：1–200" {
			t.Errorf("%s: 250 stalls on the phone reads %q", size.name, msg)
		}
		if under := p.text(`#q-err-stalls`); under != "「摊位数」的回答要在范围内：1–200" {
			t.Errorf("%s: under the phone's question: %q", size.name, under)
		}
		if top := atoi(p.eval(`String(Math.round(document.querySelector('#q-err-stalls').getBoundingClientRect().bottom))`)); top <= 0 || top > int(size.h) {
			t.Errorf("%s: the refusal under the question is off the screen (%d px)", size.name, top)
		}
		if n := p.eval(`String(document.querySelector('#outbox').dataset.n || '0')`); n != "0" {
			t.Errorf("%s: a refused report went into the outbox (%s)", size.name, n)
		}
		check(size.name + " phone refused")
		p.do(size.name+" see phone refusal", chromedp.ScrollIntoView(chromedp.CSS("#q-stalls")))
		p.shot("questions-phone-refused-" + size.name)
		p.do(size.name+" phone right", chromedp.SetValue(chromedp.CSS("#q-stalls"), ""), chromedp.SendKeys(chromedp.CSS("#q-stalls"), "9"),
			chromedp.Click(chromedp.CSS("#submit-report")))
		phoneCase := found(pdesc)
		p.wait(size.name+" phone sent", `document.querySelector('#outbox').dataset.last === '`+phoneCase+`'`)
		if got := answers(phoneCase); got["stalls"] != "9" || got["goods"] != "food" {
			t.Errorf("%s: the phone's report keeps %v", size.name, got)
		}

		// The centre opens each and reads the answers.
		p.login("dispatcher1")
		for _, number := range []string{boardCase, phoneCase} {
			p.do(size.name+" centre", chromedp.Navigate(s.URL+"/app#/centre"), chromedp.WaitVisible(chromedp.CSS(`#q`)))
			p.eval(`document.querySelector('#q').value = ''; 'ok'`)
			p.do(size.name+" centre "+number, chromedp.SendKeys(chromedp.CSS("#q"), number), chromedp.KeyEvent("\r"),
				chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+number+`"]`)), chromedp.Click(chromedp.CSS(`tr[data-number="`+number+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-answer="stalls"]`)))
			stalls, goods := map[string]string{boardCase: "6", phoneCase: "9"}[number], map[string]string{boardCase: "水果蔬菜", phoneCase: "餐饮小吃"}[number]
			got := p.eval(`[...document.querySelectorAll('[data-answer]')].map(dd => dd.previousElementSibling.textContent + '=' + dd.textContent).join(';')`)
			if got != "摊位数="+stalls+";经营什么="+goods {
				t.Errorf("%s: the centre reads the answers of %s as %q", size.name, number, got)
			}
			check(size.name + " centre")
			p.do(size.name+" see answers", chromedp.ScrollIntoView(chromedp.CSS(`[data-answer="stalls"]`)))
			p.shot(fmt.Sprintf("questions-centre-%s-%d", size.name, map[string]int{boardCase: 1, phoneCase: 2}[number]))
		}
		p.eval(`fetch('/api/v1/session', {method: 'DELETE', headers: {'X-CSRF-Token': sessionStorage.getItem('csrf') || ''}}).then(() => { sessionStorage.clear(); return 'ok' })`)
	}
}
