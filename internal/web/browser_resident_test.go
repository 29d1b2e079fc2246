package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

// geolocate grants the page its location and puts the browser at a point,
// as a phone's GPS would answer.
func geolocate(base string, lon, lat float64) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: base}); err != nil {
			return chromedp.Void{}, err
		}
		acc := 12.0
		_, err := cdp.Call(ctx, tg, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lon, Accuracy: &acc})
		return chromedp.Void{}, err
	}
}

// A resident's report from the map, at a desk and on a phone: the board's
// map counts every open public problem and, on a phone, sits above the
// list; an address search pins a community by name; "use my location"
// pins the resident's street and community; choosing the category shows
// the open report of that category nearby, and "me too" adds the resident
// to it instead of filing a new one; the follow page then says in plain
// words, in Beijing time, where the case is and that one more resident
// met it. Nowhere a message key, nowhere wider than the screen.
func TestBrowserResidentReportsFromTheMap(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	cats, _ := a.Store.Categories(ctx)
	public := map[string]string{}
	for _, c := range cats {
		if c.Public {
			public[c.ID] = c.Name
		}
	}
	var target caseflow.Case
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{State: caseflow.Dispatched, Limit: 200})
	for _, c := range cs {
		if public[c.CategoryID] != "" && c.DuplicateOf == 0 {
			target = c
			break
		}
	}
	if target.ID == 0 {
		t.Fatal("no dispatched public case in the demo")
	}
	divs, _ := a.Store.Divisions(ctx)
	name := map[string]string{}
	for _, d := range divs {
		name[d.Code] = d.Name
	}
	community := strings.TrimSuffix(strings.TrimSuffix(name[target.Place.Community], "居民委员会"), "村民委员会") // as pages show it
	var open int
	a.Store.DB().QueryRow(`SELECT count(*) FROM cases WHERE state NOT IN ('closed', 'voided') AND duplicate_of IS NULL
		AND (verified OR state <> 'reported') AND category_id IN (SELECT id FROM categories WHERE public)`).Scan(&open)
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	noKeys := `!/\b(state|public|board|phone|case)\.[a-z_]+/.test(document.body.innerText)`
	fits := `document.documentElement.scrollWidth <= innerWidth`

	for i, size := range []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{{"desktop", 1400, 900, nil}, {"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateScale(2)}}} {
		p.do(size.name+" viewport", chromedp.EmulateViewport(size.w, size.h, size.opts...))
		// The board: every open public problem on the map.
		p.do(size.name+" board", chromedp.Navigate(s.URL+"/board"), chromedp.WaitVisible(chromedp.CSS(`#board-rows tr`)))
		p.wait(size.name+" map counted", `document.querySelector('#board-map').dataset.total !== undefined`)
		if n := p.eval(`document.querySelector('#board-map').dataset.total`); n != strconv.Itoa(open) {
			t.Errorf("%s: the board map shows %s open problems, the rule lists %d", size.name, n, open)
		}
		if shown := p.eval(`document.querySelector('#board-map').dataset.shown`); shown != strconv.Itoa(open) {
			t.Errorf("%s: the board map draws %s problems (points and counts), not the %d open ones", size.name, shown, open)
		}
		if !strings.Contains(p.text("#map-total"), strconv.Itoa(open)) {
			t.Errorf("%s: the map's caption %q does not say %d", size.name, p.text("#map-total"), open)
		}
		if size.name == "phone" {
			if top := p.eval(`String(Math.round(document.querySelector('#board-map').getBoundingClientRect().top))`); atoi(top) > 844/2 {
				t.Errorf("on a phone the board's map starts %s px down, below half the screen", top)
			}
		}
		if p.eval(`String(`+fits+`)`) != "true" {
			t.Errorf("%s: the board is wider than the screen: %s > %d", size.name, p.eval(`String(document.documentElement.scrollWidth)`), size.w)
		}
		p.shot("resident-board-" + size.name)

		// Report: an address search first, then my location.
		// Each size is another resident (their own browser).
		p.eval(`localStorage.removeItem('xiuhua.metoo'); localStorage.removeItem('xiuhua.browser'); 'ok'`)
		p.do(size.name+" report", chromedp.Navigate(s.URL+"/board#report"), chromedp.WaitVisible(chromedp.CSS(`#r-place`)))
		p.wait(size.name+" report ready", `document.querySelector('#main').dataset.page === 'report'`)
		p.do(size.name+" address", chromedp.SendKeys(chromedp.CSS("#r-place"), strings.TrimSuffix(community, "社区")),
			chromedp.WaitVisible(chromedp.CSS(`#r-place-list li[data-place="`+target.Place.Community+`"]`)),
			chromedp.Click(chromedp.CSS(`#r-place-list li[data-place="`+target.Place.Community+`"]`)))
		p.wait(size.name+" address pinned", `document.querySelector('#r-where').className === 'where-ok'`)
		if w := p.text("#r-where"); !strings.Contains(w, community) {
			t.Errorf("%s: the searched place pins %q, want %s", size.name, w, community)
		}
		p.do(size.name+" my location", geolocate(s.URL, target.Point.Lon, target.Point.Lat), chromedp.Click(chromedp.CSS("#use-location")))
		p.wait(size.name+" located", `/^您的位置：/.test(document.querySelector('#r-where').textContent)`)
		if w := p.text("#r-where"); !strings.Contains(w, community) || !strings.Contains(w, name[target.Place.Street]) {
			t.Errorf("%s: my location names %q, want %s · %s", size.name, w, community, name[target.Place.Street])
		}
		// The category: the open report of it nearby, and "me too".
		catName := public[target.CategoryID]
		p.do(size.name+" category", chromedp.SendKeys(chromedp.CSS("#r-category"), catName),
			chromedp.WaitVisible(chromedp.CSS(`#r-category-list li[data-category="`+target.CategoryID+`"]`)),
			chromedp.Click(chromedp.CSS(`#r-category-list li[data-category="`+target.CategoryID+`"]`)))
		sel := fmt.Sprintf(`#r-nearby li[data-number="%s"]`, target.Number)
		p.wait(size.name+" nearby found", `!!document.querySelector('`+sel+`') && document.querySelector('#r-nearby h2').textContent.includes('`+catName+`')`)
		p.do(size.name+" see nearby", chromedp.ScrollIntoView(chromedp.CSS(sel)))
		p.shot("resident-nearby-" + size.name)
		if p.eval(`String(`+fits+`)`) != "true" || p.eval(`String(`+noKeys+`)`) != "true" {
			t.Errorf("%s: the report page is wider than the screen or shows a message key", size.name)
		}
		p.do(size.name+" me too", chromedp.Click(chromedp.CSS(sel+` button[data-metoo]`)), chromedp.WaitVisible(chromedp.CSS(`#metoo-done`)))
		if n := p.text("#metoo-number"); n != target.Number {
			t.Fatalf("%s: me too answered %q, want %s", size.name, n, target.Number)
		}
		if txt := p.text("#metoo-done"); !strings.Contains(txt, fmt.Sprintf("共 %d 位居民也遇到", i+1)) {
			t.Errorf("%s: after me too: %q", size.name, txt)
		}
		p.shot("resident-metoo-" + size.name)
		// Follow it.
		p.do(size.name+" follow", chromedp.Click(chromedp.CSS(`#metoo-follow`)), chromedp.WaitVisible(chromedp.CSS(`#follow-case`)))
		txt := p.text("#follow-case")
		for _, want := range []string{"已派给部门", "负责的部门", "已收到反映", fmt.Sprintf("%d 位居民也遇到", i+1), community, "北京时间"} {
			if !strings.Contains(txt, want) {
				t.Errorf("%s: the follow page lacks %q:\n%s", size.name, want, txt)
			}
		}
		reported := target.ReportedAt.In(calendar.Shanghai).Format("2006/01/02 15:04")
		if !strings.Contains(txt, reported) {
			t.Errorf("%s: the follow page does not show the report time %s in Beijing time:\n%s", size.name, reported, txt)
		}
		if p.eval(`String(`+noKeys+`)`) != "true" || p.eval(`String(`+fits+`)`) != "true" {
			t.Errorf("%s: the follow page shows a message key or is wider than the screen:\n%s", size.name, txt)
		}
		p.shot("resident-follow-" + size.name)
	}
	// The case itself: two residents' me-too events, its state unchanged;
	// no new case at the pin.
	evs, _ := a.Store.Events(ctx, target.ID)
	n := 0
	for _, e := range evs {
		if e.Action == caseflow.ActMeToo {
			n++
		}
	}
	after, _ := a.Store.Case(ctx, target.ID)
	if n != 2 || after.State != caseflow.Dispatched {
		t.Errorf("the case has %d me-too events and is %s; want 2, dispatched", n, after.State)
	}

	// The command centre sees the residents on the case.
	p.do("desktop again", chromedp.EmulateViewport(1400, 900))
	p.login("dispatcher1")
	p.do("centre", chromedp.WaitVisible(chromedp.CSS(`#q`)), chromedp.SendKeys(chromedp.CSS("#q"), target.Number), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+target.Number+`"]`)), chromedp.Click(chromedp.CSS(`tr[data-number="`+target.Number+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-me-too]`)))
	if txt := p.text(`[data-me-too]`); !strings.Contains(txt, "2 位居民") {
		t.Errorf("the centre's case says %q about the residents' me-too", txt)
	}
	if tl := p.text(`#detail .timeline, .timeline`); strings.Count(tl, "我也遇到") != 2 {
		t.Errorf("the centre's timeline shows %d me-too steps, want 2:\n%s", strings.Count(tl, "我也遇到"), tl)
	}
	p.shot("resident-metoo-centre")

	// A resident who reported it again anyway: once the centre merges
	// their report, their number leads to the case it went into.
	anon := &user{t: t, base: s.URL, c: &http.Client{}}
	code, body := anon.do("POST", "/api/v1/public/reports", map[string]any{"category": target.CategoryID, "description": "又坏了", "lon": target.Point.Lon, "lat": target.Point.Lat})
	var again struct{ Number string }
	if json.Unmarshal([]byte(body), &again); code != 201 {
		t.Fatalf("report again: %d %s", code, body)
	}
	dispatcher := signIn(t, s.URL, "dispatcher1")
	if code, body := dispatcher.do("POST", "/api/v1/cases/"+again.Number+"/actions/merge", map[string]any{"version": version(t, a, again.Number), "duplicate_of": target.Number}); code != 200 {
		t.Fatalf("merge: %d %s", code, body)
	}
	p.do("merged follow", chromedp.Navigate(s.URL+"/board#follow/"+again.Number), chromedp.WaitVisible(chromedp.CSS(`#follow-merged`)))
	if txt := p.text("#follow-case"); !strings.Contains(txt, "并入案件 "+target.Number) || strings.Contains(txt, "已作废") {
		t.Errorf("the merged report's follow page: %s", txt)
	}
	p.shot("resident-follow-merged")
	p.do("follow where it went", chromedp.Click(chromedp.CSS(`#follow-merged`)), chromedp.WaitVisible(chromedp.CSS(`#follow-metoo`)))

	// English: the follow page in plain English words.
	p.eval(`localStorage.setItem('lang', 'en'); 'ok'`)
	p.do("english follow", chromedp.Navigate("about:blank"), chromedp.Navigate(s.URL+"/board#follow/"+target.Number), chromedp.WaitVisible(chromedp.CSS(`#follow-case`)))
	if txt := p.text("#follow-case"); !strings.Contains(txt, "sent to the department") || !strings.Contains(txt, "Beijing time") || !strings.Contains(txt, "2 more residents") {
		t.Errorf("the English follow page: %s", txt)
	}
	if p.eval(`String(`+noKeys+`)`) != "true" {
		t.Errorf("the English follow page shows a message key")
	}
	p.shot("resident-follow-en")
	p.eval(`localStorage.removeItem('lang'); 'ok'`)

	// Location refused: the page says so and offers the search.
	p.do("report again", chromedp.Navigate("about:blank"), chromedp.Navigate(s.URL+"/board#report"), chromedp.WaitVisible(chromedp.CSS(`#use-location`)),
		func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
				Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingDenied, Origin: s.URL})
			return chromedp.Void{}, err
		}, chromedp.Click(chromedp.CSS("#use-location")))
	p.wait("refused", `document.querySelector('#r-where').className === 'err'`)
	if w := p.text("#r-where"); !strings.Contains(w, "没有允许") || !strings.Contains(w, "搜索街道或社区") {
		t.Errorf("location refused: %q", w)
	}
	if p.eval(`document.activeElement.id`) != "r-place" {
		t.Errorf("after a refused location the search is not ready to type in")
	}
	p.shot("resident-location-refused")
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
