package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BenchmarkStartPages signs in as each role in headless Chromium and loads
// the app b.N times (after one load not counted), measuring each load from
// the start of navigation to the start page's xiuhua:ready:<page> mark:
// the page's module loaded, its to-do list or first table fetched and
// drawn (app.js sets the mark when the page's render, which awaits its
// data, is done). The centre also marks its to-do list drawn
// (xiuhua:todo:centre), before its map. Residents: the public board's list. The p50 and p95 of
// the loads are reported per page and reader, the figures BENCHMARKS.md has.
//
// The database is $XIUHUA_BENCH_DB, as for BenchmarkInboxCounts (the
// 60,000-case and 1,000,000-case demos for BENCHMARKS.md), or the
// 10,000-case test demo.
func BenchmarkStartPages(b *testing.B) {
	bctx := browser(b)
	s, _ := benchServer(b, 10000)
	p := &page{t: b, ctx: bctx, base: s.URL, dir: shots(b)}
	// load opens url and answers the page whose ready mark came and when,
	// and when its to-do list was drawn where the page marks that apart
	// (the centre: its list, then its map; 0 elsewhere).
	load := func(url string) (string, float64, float64) {
		p.do("open "+url, chromedp.Navigate(url))
		var err error
		for try := 0; try < 3; try++ { // a sign-in's reload still under way replaces the page being polled
			if _, err = chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](`performance.getEntriesByType('mark').some(m => m.name.startsWith('xiuhua:ready:'))`,
				chromedp.WithPollingTimeout(25*time.Second))); err == nil || !strings.Contains(err.Error(), "Cannot find context") {
				break
			}
		}
		if err != nil {
			b.Fatalf("%s: no ready mark (%v); requests: %s; page: %.300s", url, err,
				p.eval(`performance.getEntriesByType('resource').map(r => r.name.replace(location.origin, '') + ' ' + Math.round(r.responseEnd)).join(', ')`),
				p.eval(`document.body.innerText`)+"; a new open of the phone's outbox: "+p.eval(`new Promise(r => { const q = indexedDB.open('xiuhua-phone', 1);
					q.onblocked = () => r('blocked'); q.onsuccess = () => r('ok'); q.onerror = () => r('error ' + q.error); setTimeout(() => r('no answer in 3 s'), 3000); })`))
		}
		got := p.eval(`(m => m.name + ' ' + m.startTime)(performance.getEntriesByType('mark').find(m => m.name.startsWith('xiuhua:ready:')))`)
		var list float64
		if todo := p.eval(`(performance.getEntriesByType('mark').find(m => m.name.startsWith('xiuhua:todo:')) || {startTime: ''}).startTime + ''`); todo != "" {
			fmt.Sscan(todo, &list)
		}
		var name string
		var ms float64
		if _, err := fmt.Sscan(got, &name, &ms); err != nil {
			b.Fatalf("%s: %q", url, got)
		}
		return strings.TrimPrefix(name, "xiuhua:ready:"), ms, list
	}
	for _, role := range []struct{ user, path string }{
		{"dispatcher1", "/app"}, {"operator1", "/app"}, {"h-hwc", "/app"}, {"gw14021305300101", "/app"},
		{"leader", "/app"}, {"admin", "/app"}, {"", "/board"},
	} {
		if role.user != "" {
			p.login(role.user)
		}
		name, _, _ := load(s.URL + role.path + "?warm=1")
		var took, lists []float64
		for i := 0; i < b.N; i++ {
			got, ms, list := load(fmt.Sprintf("%s%s?n=%d", s.URL, role.path, i))
			if got != name {
				b.Fatalf("%s landed on %s, then on %s", role.user, name, got)
			}
			took = append(took, ms)
			if list > 0 {
				lists = append(lists, list)
			}
		}
		slices.Sort(took)
		slices.Sort(lists)
		pctOf := func(l []float64, q float64) float64 { return l[int(q*float64(len(l)-1)+0.5)] }
		pct := func(q float64) float64 { return pctOf(took, q) }
		who := role.user
		if who == "" {
			who = "resident"
		}
		b.Logf("%s lands on %s: p50 %.0f ms, p95 %.0f ms over %d loads (%v); the last load's requests, each's start and end: %s", who, name, pct(0.5), pct(0.95), len(took), took,
			p.eval(`performance.getEntriesByType('resource').filter(r => r.name.includes('/api/')).map(r => r.name.replace(location.origin, '').slice(0, 60) + ' ' + Math.round(r.startTime) + '–' + Math.round(r.responseEnd)).join(', ')`))
		b.ReportMetric(pct(0.5), "ms-p50-"+name+"-"+who)
		b.ReportMetric(pct(0.95), "ms-p95-"+name+"-"+who)
		if len(lists) > 0 {
			b.Logf("%s: its to-do list drawn at p50 %.0f ms, p95 %.0f ms (%v)", who, pctOf(lists, 0.5), pctOf(lists, 0.95), lists)
			b.ReportMetric(pctOf(lists, 0.5), "ms-p50-list-"+name+"-"+who)
			b.ReportMetric(pctOf(lists, 0.95), "ms-p95-list-"+name+"-"+who)
		}
	}
}
