package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/web"
)

// A dispatcher searches the centre by street, category class, channel and
// a range of report days, all chosen by name; sees how many cases match;
// downloads the result; and the file holds exactly the cases the API's
// list gives, which are exactly the cases a plain count of the raw rows
// finds. A result over the export's limit is refused in words.
func TestBrowserCentreSearchExports(t *testing.T) {
	bctx := browser(t)
	s, a := serverWith(t, 2000)
	ctx := context.Background()
	db := a.Store.DB()
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, calendar.Shanghai)
	to := time.Date(2026, 10, 31, 0, 0, 0, 0, calendar.Shanghai).AddDate(0, 0, 1) // the last day included
	// The street and category class with the most 12345 cases in October.
	var street, streetName, class, className string
	var n int
	if err := db.QueryRow(`SELECT c.street, d.name, substr(c.category_id, 1, 3), count(*) FROM cases c JOIN divisions d ON d.code = c.street
		WHERE c.channel = 'hotline' AND c.reported_at >= $1 AND c.reported_at < $2
		GROUP BY c.street, d.name, substr(c.category_id, 1, 3) ORDER BY count(*) DESC LIMIT 1`, from.UnixMilli(), to.UnixMilli()).
		Scan(&street, &streetName, &class, &n); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT major_class FROM categories WHERE id LIKE $1 LIMIT 1`, class+"%").Scan(&className); err != nil {
		t.Fatal(err)
	}
	// The same set by plain SQL.
	rows, err := db.Query(`SELECT number FROM cases WHERE street = $1 AND channel = 'hotline' AND category_id LIKE $2
		AND reported_at >= $3 AND reported_at < $4`, street, class+"%", from.UnixMilli(), to.UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for rows.Next() {
		var num string
		rows.Scan(&num)
		want = append(want, num)
	}
	rows.Close()
	slices.Sort(want)
	if len(want) < 3 {
		t.Fatalf("only %d cases to search for", len(want))
	}
	t.Logf("searching %s (%s), %s, 12345, October: %d cases", streetName, street, className, len(want))

	dl := t.TempDir()
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	p.do("downloads", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, cdpbrowser.SetDownloadBehavior,
			cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl})
		return chromedp.Void{}, err
	})
	p.login("dispatcher1")
	p.wait("the centre's search", `document.querySelector('#f-street') && document.querySelector('#f-street').options.length > 1 && document.querySelector('#f-unit').options.length > 1`)
	// Every filter is offered in words: choose by the option's text.
	choose := func(sel, text string) {
		t.Helper()
		got := p.eval(`(() => { const s = document.querySelector('` + sel + `'); const o = [...s.options].find(o => o.text === ` + strconv.Quote(text) + `);
			if (!o) return 'missing: ' + [...s.options].slice(0, 8).map(o => o.text).join('|'); s.value = o.value; return 'ok'; })()`)
		if got != "ok" {
			t.Fatalf("%s offers no %q: %s", sel, text, got)
		}
	}
	p.do("open the filters", chromedp.Click(chromedp.CSS("#filters summary")))
	choose("#f-street", streetName)
	choose("#f-category", className+"（全部小类）")
	choose("#f-channel", "12345热线")
	if got := p.eval(`[...document.querySelector('#f-state').options].map(o => o.text).join(' ')`); !strings.Contains(got, "待派遣") || !strings.Contains(got, "已结案") {
		t.Fatalf("the state filter offers %q", got)
	}
	if got := p.eval(`[...document.querySelector('#f-unit').options].map(o => o.text).join(' ')`); !strings.Contains(got, "处") || strings.Contains(got, "undefined") {
		t.Fatalf("the unit filter offers %q", got)
	}
	p.do("report days", chromedp.SetValue(chromedp.CSS("#f-from"), "2026-10-01"), chromedp.SetValue(chromedp.CSS("#f-to"), "2026-10-31"),
		chromedp.Click(chromedp.CSS("#f-go")))
	countText := "共 " + strconv.Itoa(len(want)) + " 件"
	p.wait("the count", `(document.querySelector('[data-n=search]') || {}).textContent === `+strconv.Quote(countText))
	p.wait("the list", `document.querySelectorAll('tr[data-number]').length === `+strconv.Itoa(min(len(want), 100)))
	p.shot("centre-search")

	// The API's list of the same search, as the dispatcher.
	token, _, err := a.CreateToken(ctx, "dispatcher1", "search test")
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"street": {street}, "category": {class}, "channel": {"hotline"}, "from": {"2026-10-01"}, "to": {"2026-10-31"}}
	var listed []string
	for cursor := ""; ; {
		_, body, _ := getAs(t, s.URL+"/api/v1/cases?limit=1000&"+q.Encode()+cursor, token)
		var page struct {
			Cases []struct {
				Number string `json:"number"`
			} `json:"cases"`
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Cases {
			listed = append(listed, c.Number)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = "&cursor=" + page.NextCursor
	}
	slices.Sort(listed)
	if !slices.Equal(listed, want) {
		t.Fatalf("the API lists %d cases, the raw rows hold %d", len(listed), len(want))
	}

	// The export: exactly those rows, with names, not codes.
	p.do("export", chromedp.Click(chromedp.CSS(`a[data-export="search-xlsx"]`)))
	var file string
	for end := time.Now().Add(20 * time.Second); file == "" && time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		fs, _ := filepath.Glob(filepath.Join(dl, "*.xlsx"))
		if len(fs) > 0 {
			file = fs[0]
		}
	}
	if file == "" {
		t.Fatal("no file downloaded")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	sheet := x.GetSheetName(0)
	cells, _ := x.GetRows(sheet)
	title := cells[0][0]
	if sheet != "台账" || !strings.Contains(title, streetName) || !strings.Contains(title, className) || !strings.Contains(title, "12345热线") ||
		!strings.Contains(title, "2026-10-01 至 2026-10-31") {
		t.Fatalf("sheet %q titled %q", sheet, title)
	}
	var exported []string
	for _, r := range cells[2 : len(cells)-1] { // the title, the headers … the totals
		exported = append(exported, r[0])
		if r[2] != streetName || r[5] != "12345热线" || strings.HasPrefix(r[1], class) {
			t.Fatalf("row %q: street, category and channel should be names", r[:7])
		}
	}
	slices.Sort(exported)
	if !slices.Equal(exported, want) {
		t.Fatalf("the file has %d rows, the raw rows %d", len(exported), len(want))
	}
	if last := cells[len(cells)-1][0]; last != "合计 "+strconv.Itoa(len(want))+" 件" {
		t.Fatalf("totals %q", last)
	}

	// The CSV beside it: the same cases.
	csvText := p.eval(`fetch(document.querySelector('a[data-export="search-csv"]').href).then(r => r.text())`)
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvText, "\ufeff")))
	cr.FieldsPerRecord = -1 // the totals row is shorter
	recs, err := cr.ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("the CSV: %v, %d records", err, len(recs))
	}
	var inCSV []string
	for _, r := range recs[1 : len(recs)-1] {
		inCSV = append(inCSV, r[0])
	}
	slices.Sort(inCSV)
	if !slices.Equal(inCSV, want) || recs[0][0] != "案件编号" {
		t.Fatalf("the CSV has %d rows (header %q), the raw rows %d", len(inCSV), recs[0][0], len(want))
	}

	// Over the limit, the export is refused, in words. (A wider search:
	// the test's clock stands still, so the read cache would keep the
	// first answer.)
	var wider int
	if err := db.QueryRow(`SELECT count(*) FROM cases WHERE street = $1 AND channel = 'hotline' AND reported_at >= $2 AND reported_at < $3`,
		street, from.UnixMilli(), to.UnixMilli()).Scan(&wider); err != nil {
		t.Fatal(err)
	}
	defer web.SetExportLimit(int64(wider - 1))()
	choose("#f-category", "不限")
	p.do("search again", chromedp.Click(chromedp.CSS("#f-go")))
	p.wait("the limit", `/超过一次最多导出的 \d+ 件/.test((document.querySelector('[data-export=too-many]') || {}).textContent || '')`)
	if got := p.text(`[data-export=too-many]`); !strings.Contains(got, "结果共 "+strconv.Itoa(wider)+" 件") || strings.ContainsAny(got, "abcdefghijklmnopqrstuvwxyz") {
		t.Fatalf("the limit says %q", got)
	}
	if p.eval(`String(document.querySelectorAll('a[data-export^=search]').length)`) != "0" {
		t.Fatal("links to an export over the limit")
	}
	q.Del("category")
	code, body, _ := getAs(t, s.URL+"/api/v1/ledger?format=xlsx&"+q.Encode(), token)
	if code != 422 || !strings.Contains(body, `"too_many_rows"`) || !strings.Contains(body, `"max":`+strconv.Itoa(wider-1)) {
		t.Fatalf("over the limit: %d %s", code, body)
	}
}
