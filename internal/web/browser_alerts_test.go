package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A resident gets alerts from the board, at a desk in Chinese (a street
// found by name, one category) and on a phone in English (a circle drawn
// on the map): the confirmation mail's link opens a page whose button
// confirms and names the area, and an alert's unsubscribe link
// unsubscribes on opening. Nowhere a message key, nowhere wider than the
// screen, never the address.
func TestBrowserAreaAlerts(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	rig := newAlertRig(t, "https://wenti.example", a)
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	noKeys := `!/\b(alerts|board|public|field|err)\.[a-z_.]+/.test(document.body.innerText)`
	fits := `document.documentElement.scrollWidth <= innerWidth`
	unit := a.Index().Units()[0]
	divs, _ := a.Store.Divisions(ctx)
	var street string
	for _, d := range divs {
		if d.Code == unit.Street {
			street = d.Name
		}
	}
	subs := func() int {
		var n int
		a.Store.DB().QueryRow(`SELECT count(*) FROM alert_subscriptions`).Scan(&n)
		return n
	}

	for i, size := range []struct {
		name, lang string
		w, h       int64
		opts       []chromedp.EmulateViewportOption
	}{{"desktop", "zh-CN", 1366, 768, nil}, {"phone", "en", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateScale(2)}}} {
		p.do(size.name+" viewport", chromedp.EmulateViewport(size.w, size.h, size.opts...))
		p.do(size.name+" board", chromedp.Navigate(s.URL+"/board"), chromedp.WaitVisible(chromedp.CSS(`#board-rows tr`)))
		p.eval(`(localStorage.setItem('lang', '` + size.lang + `'), 'ok')`)
		p.do(size.name+" alerts", chromedp.Navigate(s.URL+"/board#alerts"), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#alerts-form`)))
		p.wait(size.name+" alerts ready", `document.querySelector('#main').dataset.page === 'alerts'`)
		if want := map[string]string{"zh-CN": "订阅提醒", "en": "Get alerts"}[size.lang]; !strings.Contains(p.text("header nav"), want) {
			t.Errorf("%s: the board's menu has no %q", size.name, want)
		}
		if size.name == "desktop" {
			// A street by name, and one category.
			p.do("street", chromedp.SendKeys(chromedp.CSS("#a-place"), strings.TrimSuffix(street, "街道")),
				chromedp.WaitVisible(chromedp.CSS(`#a-place-list li[data-place="`+unit.Street+`"]`)),
				chromedp.Click(chromedp.CSS(`#a-place-list li[data-place="`+unit.Street+`"]`)))
			p.wait("street chosen", `document.querySelector('#a-place-chosen').className === 'where-ok'`)
			if !strings.Contains(p.eval(`document.querySelector('#a-feed').getAttribute('href')`), "street="+unit.Street) {
				t.Errorf("the area's feed link does not follow the street")
			}
			p.do("category", chromedp.SendKeys(chromedp.CSS("#a-category"), "垃圾"), chromedp.WaitVisible(chromedp.CSS(`#a-category-list li`)),
				chromedp.Click(chromedp.CSS(`#a-category-list li`)), chromedp.WaitVisible(chromedp.CSS(`#a-categories .chip`)))
		} else {
			// A circle: a tap in the middle of the map, 1000 m.
			p.do("circle", chromedp.Click(chromedp.CSS(`button[data-kind="circle"]`)), chromedp.WaitVisible(chromedp.CSS(`#a-map canvas`)),
				chromedp.ScrollIntoView(chromedp.CSS(`#a-map`)))
			p.wait("map drawn", `document.querySelector('#a-map canvas').width > 10`)
			x := atoi(p.eval(`String(Math.round(document.querySelector('#a-map canvas').getBoundingClientRect().left + document.querySelector('#a-map canvas').getBoundingClientRect().width / 2))`))
			y := atoi(p.eval(`String(Math.round(document.querySelector('#a-map canvas').getBoundingClientRect().top + document.querySelector('#a-map canvas').getBoundingClientRect().height / 2))`))
			p.do("tap the map", chromedp.MouseClickXY(float64(x), float64(y)), chromedp.SetValue(chromedp.CSS("#a-radius"), "1000"))
			p.eval(`(document.querySelector('#a-radius').dispatchEvent(new Event('change')), 'ok')`)
			p.wait("circle chosen", `document.querySelector('#a-circle-chosen').className === 'where-ok'`)
			if got := p.text("#a-circle-chosen"); !strings.Contains(got, "1000 m") {
				t.Errorf("the circle reads %q", got)
			}
		}
		// Without an address: said in words, nothing sent.
		p.do(size.name+" no address", chromedp.Click(chromedp.CSS("#a-submit")))
		if p.text("#a-msg") == "" || subs() != i {
			t.Errorf("%s: subscribing without an address: %q, %d subscriptions", size.name, p.text("#a-msg"), subs())
		}
		p.shot("alerts-form-" + size.name)
		if p.eval(`String(`+fits+` && `+noKeys+`)`) != "true" {
			t.Errorf("%s: the alerts form is wider than the screen or shows a message key: %.400s", size.name, p.text("#main"))
		}
		p.do(size.name+" subscribe", chromedp.SendKeys(chromedp.CSS("#a-email"), "resident"+strconv.Itoa(i)+"@example.cn"),
			chromedp.Click(chromedp.CSS("#a-submit")), chromedp.WaitVisible(chromedp.CSS("#alerts-sent")))
		if strings.Contains(p.text("#main"), "@example.cn") {
			t.Errorf("%s: the page shows the address back", size.name)
		}
		p.shot("alerts-sent-" + size.name)

		// The confirmation mail's link.
		got := rig.run()
		if len(got) != 1 || got[0].To[0] != "resident"+strconv.Itoa(i)+"@example.cn" {
			t.Fatalf("%s: want one confirmation mail: %+v", size.name, got)
		}
		if size.lang == "en" && !strings.Contains(got[0].Subject, "confirm") || size.lang == "zh-CN" && !strings.Contains(got[0].Subject, "确认") {
			t.Errorf("%s: the confirmation is not in the board's language: %q", size.name, got[0].Subject)
		}
		links := linkRe.FindAllStringSubmatch(got[0].Text, -1)
		if len(links) != 2 {
			t.Fatalf("%s: the confirmation's links: %q", size.name, got[0].Text)
		}
		p.do(size.name+" confirm page", chromedp.Navigate(s.URL+"/alerts/confirm/"+links[0][2]), chromedp.WaitVisible(chromedp.CSS("#confirm-button")))
		p.shot("alerts-confirm-" + size.name)
		p.do(size.name+" confirm", chromedp.Click(chromedp.CSS("#confirm-button")), chromedp.WaitVisible(chromedp.CSS("#confirm-area")))
		area := p.text("#confirm-area")
		if size.name == "desktop" && !strings.Contains(area, street) || size.name == "phone" && !strings.Contains(area, "1000 m") {
			t.Errorf("%s: the confirmed area reads %q", size.name, area)
		}
		if p.eval(`String(`+fits+` && `+noKeys+`)`) != "true" {
			t.Errorf("%s: the confirmation page is wider than the screen or shows a message key: %.300s", size.name, p.text("#main"))
		}
		p.shot("alerts-confirmed-" + size.name)
	}

	// An unsubscribe link opened: unsubscribed at once.
	var confirmed int
	a.Store.DB().QueryRow(`SELECT count(*) FROM alert_subscriptions WHERE confirmed_at IS NOT NULL`).Scan(&confirmed)
	if confirmed != 2 {
		t.Fatalf("%d subscriptions confirmed, want 2", confirmed)
	}
	var cat string
	a.Store.DB().QueryRow(`SELECT categories FROM alert_subscriptions WHERE street <> ''`).Scan(&cat)
	reportIn(t, s.URL, a, unit.Street, cat)
	got := rig.run()
	if len(got) == 0 {
		t.Fatal("no alert for a case in the street")
	}
	un := linkRe.FindStringSubmatch(got[0].Text)
	p.do("unsubscribe", chromedp.Navigate(s.URL+"/alerts/unsubscribe/"+un[2]), chromedp.WaitVisible(chromedp.CSS("#unsubscribe-done")))
	p.shot("alerts-unsubscribed")
	if subs() != 1 {
		t.Errorf("after one unsubscribe link: %d subscriptions, want 1", subs())
	}
	if p.eval(`String(`+fits+` && `+noKeys+`)`) != "true" {
		t.Errorf("the unsubscribe page is wider than the screen or shows a message key")
	}
}
