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
// data, is done). Residents: the public board's list. The p50 and p95 of
// the loads are reported per page and reader, the figures BENCHMARKS.md has.
//
// The database is $XIUHUA_BENCH_DB, as for BenchmarkInboxCounts (the
// 60,000-case and 1,000,000-case demos for BENCHMARKS.md), or the
// 10,000-case test demo.
func BenchmarkStartPages(b *testing.B) {
	bctx := browser(b)
	s, _ := benchServer(b, 10000)
	p := &page{t: b, ctx: bctx, base: s.URL, dir: shots(b)}
	// load opens url and answers the page whose ready mark came and when.
	load := func(url string) (string, float64) {
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
				p.eval(`document.body.innerText`))
		}
		got := p.eval(`(m => m.name + ' ' + m.startTime)(performance.getEntriesByType('mark').find(m => m.name.startsWith('xiuhua:ready:')))`)
		var name string
		var ms float64
		if _, err := fmt.Sscan(got, &name, &ms); err != nil {
			b.Fatalf("%s: %q", url, got)
		}
		return strings.TrimPrefix(name, "xiuhua:ready:"), ms
	}
	for _, role := range []struct{ user, path string }{
		{"dispatcher1", "/app"}, {"operator1", "/app"}, {"h-hwc", "/app"}, {"gw14021305300101", "/app"},
		{"leader", "/app"}, {"admin", "/app"}, {"", "/board"},
	} {
		if role.user != "" {
			p.login(role.user)
		}
		name, _ := load(s.URL + role.path + "?warm=1")
		var took []float64
		for i := 0; i < b.N; i++ {
			got, ms := load(fmt.Sprintf("%s%s?n=%d", s.URL, role.path, i))
			if got != name {
				b.Fatalf("%s landed on %s, then on %s", role.user, name, got)
			}
			took = append(took, ms)
		}
		slices.Sort(took)
		pct := func(q float64) float64 { return took[int(q*float64(len(took)-1)+0.5)] }
		who := role.user
		if who == "" {
			who = "resident"
		}
		b.Logf("%s lands on %s: p50 %.0f ms, p95 %.0f ms over %d loads (%v); the last load's requests, each's start and end: %s", who, name, pct(0.5), pct(0.95), len(took), took,
			p.eval(`performance.getEntriesByType('resource').filter(r => r.name.includes('/api/')).map(r => r.name.replace(location.origin, '').slice(0, 60) + ' ' + Math.round(r.startTime) + '–' + Math.round(r.responseEnd)).join(', ')`))
		b.ReportMetric(pct(0.5), "ms-p50-"+name+"-"+who)
		b.ReportMetric(pct(0.95), "ms-p95-"+name+"-"+who)
	}
}
