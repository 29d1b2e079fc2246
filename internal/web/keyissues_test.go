package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

// 每月一题: a pair with a run of calls this month, three of them the same
// matter again, tops the frequent list and stands on the rising and the
// repeated ones; every count on every list, in the JSON and in the xlsx,
// is the count of the raw cases of the month (and the month before) by
// the rule the page states.
func TestKeyIssuesRecounted(t *testing.T) {
	s, a := serverWith(t, 2000)
	ctx := context.Background()
	op := tokenOf(t, a, "operator1")
	leader := tokenOf(t, a, "leader")
	now := a.Now().In(calendar.Shanghai)
	month := now.Format("2006-01")
	seed, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	var numbers []string
	for i := 0; i < 8; i++ {
		j, _ := json.Marshal(map[string]any{"category": "M06011", "description": fmt.Sprintf("第 %d 次反映：路口渣土堆了一周", i+1),
			"lon": seed[0].Point.Lon, "lat": seed[0].Point.Lat, "request_type": "complaint", "caller": map[string]any{"phone": fmt.Sprintf("1391234%04d", i)}})
		code, out, _ := send(t, "POST", s.URL+"/api/v1/cases", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		var c struct{ Number string }
		if code != 201 || json.Unmarshal([]byte(out), &c) != nil {
			t.Fatalf("call %d: %d %s", i, code, out)
		}
		numbers = append(numbers, c.Number)
	}
	for _, n := range numbers[1:4] {
		j, _ := json.Marshal(map[string]any{"version": 1, "duplicate_of": numbers[0]})
		if code, out, _ := send(t, "POST", s.URL+"/api/v1/cases/"+n+"/actions/merge", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"}); code != 200 {
			t.Fatalf("merge %s: %d %s", n, code, out)
		}
	}
	// One call declined: not a request of the month's figures (the 7 others
	// are, with any of the demo's own in the pair).
	j, _ := json.Marshal(map[string]any{"version": 1, "reason": "不属于本区，请联系市级部门"})
	if code, out, _ := send(t, "POST", s.URL+"/api/v1/cases/"+numbers[7]+"/actions/decline", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"}); code != 200 {
		t.Fatalf("decline: %d %s", code, out)
	}
	street := seed[0].Place.Street

	// The recount: every case of a month, by pair, by the stated rule.
	recount := func(from time.Time) map[[2]string][2]int {
		cs, err := a.Store.Cases(ctx, store.CaseFilter{From: from, To: from.AddDate(0, 1, 0), Limit: 100000})
		if err != nil {
			t.Fatal(err)
		}
		m := map[[2]string][2]int{}
		for _, c := range cs {
			if c.State == caseflow.Voided && c.DuplicateOf == 0 {
				continue
			}
			k := [2]string{c.CategoryID, c.Place.Street}
			v := m[k]
			v[0]++
			if c.DuplicateOf != 0 {
				v[1]++
			}
			m[k] = v
		}
		return m
	}
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, calendar.Shanghai)
	cur, prev := recount(from), recount(from.AddDate(0, -1, 0))

	code, body, _ := getAs(t, s.URL+"/api/v1/key-issues?month="+month, leader)
	var got struct {
		Lists struct {
			Requests                  int
			Frequent, Rising, Repeats []struct {
				Category, Street           string
				Count, Prev, Rise, Repeats int
				Rank                       int
				Lists                      []string
			}
		}
		Names struct{ Categories, Streets map[string]string }
	}
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("key issues: %d %s", code, body)
	}
	total := 0
	for _, v := range cur {
		total += v[0]
	}
	if got.Lists.Requests != total {
		t.Errorf("requests of the month: %d, recounted %d", got.Lists.Requests, total)
	}
	top := got.Lists.Frequent
	if len(top) == 0 || top[0].Category != "M06011" || top[0].Street != street || top[0].Count < 7 || top[0].Count != cur[[2]string{"M06011", street}][0] || top[0].Repeats != 3 ||
		strings.Join(top[0].Lists, ",") != "frequent,rising,repeats" || got.Names.Categories["M06011"] != "积存垃圾渣土" || got.Names.Streets[street] == "" {
		t.Fatalf("the pair called about: %+v names %v", top, got.Names)
	}
	lists := 0
	for name, list := range map[string]any{"frequent": got.Lists.Frequent, "rising": got.Lists.Rising, "repeats": got.Lists.Repeats} {
		b, _ := json.Marshal(list)
		var ks []struct {
			Category, Street           string
			Count, Prev, Rise, Repeats int
		}
		json.Unmarshal(b, &ks)
		for i, k := range ks {
			lists++
			key := [2]string{k.Category, k.Street}
			if k.Count != cur[key][0] || k.Repeats != cur[key][1] || k.Prev != prev[key][0] || k.Rise != k.Count-k.Prev {
				t.Errorf("%s #%d %v: %d/%d/%d, recounted %d/%d/%d", name, i+1, key, k.Count, k.Repeats, k.Prev, cur[key][0], cur[key][1], prev[key][0])
			}
			if i > 0 && name == "frequent" && ks[i-1].Count < k.Count {
				t.Errorf("frequent out of order at %d", i+1)
			}
		}
	}
	// The file: a row a pair on a list, the same numbers, names not codes.
	code, file, _ := getAs(t, s.URL+"/api/v1/key-issues?format=xlsx&month="+month, leader)
	f, err := excelize.OpenReader(strings.NewReader(file))
	if code != 200 || err != nil {
		t.Fatalf("xlsx: %d %v", code, err)
	}
	rows, _ := f.GetRows(f.GetSheetName(0))
	if len(rows) != lists+2 || rows[1][2] != "问题类别" {
		t.Fatalf("xlsx rows %d for %d list entries: %v", len(rows), lists, rows[:min(len(rows), 3)])
	}
	first := rows[2]
	if first[0] != "高频" || first[2] != "积存垃圾渣土" || first[3] != got.Names.Streets[street] || first[4] != fmt.Sprint(top[0].Count) || first[7] != "3" {
		t.Errorf("the first row: %v", first)
	}
	// Bad input names the field; a department's handler may not look.
	for q, field := range map[string]string{"month=2026-13": "month", "channel=fax": "channel", "limit=0": "limit"} {
		if code, out, _ := getAs(t, s.URL+"/api/v1/key-issues?"+q, leader); code != 400 || !strings.Contains(out, `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", q, code, out)
		}
	}
	if code, _, _ := getAs(t, s.URL+"/api/v1/key-issues", tokenOf(t, a, "h-hwc")); code != 403 {
		t.Errorf("a department's handler: %d", code)
	}
}

// The leader's 每月一题 page: the month chosen, the pair called about most
// heads the frequent list by name with the recounted figures, and the
// page fits a phone.
func TestBrowserKeyIssues(t *testing.T) {
	bctx := browser(t)
	s, a := serverWith(t, 2000)
	ctx := context.Background()
	month := a.Now().In(calendar.Shanghai).Format("2006-01")
	from, _ := time.ParseInLocation("2006-01", month, calendar.Shanghai)
	leader := tokenOf(t, a, "leader")
	_, body, _ := getAs(t, s.URL+"/api/v1/key-issues?month="+month, leader)
	var api struct {
		Lists struct {
			Requests int
			Frequent []struct {
				Category, Street string
				Count            int
			}
		}
		Names struct{ Categories, Streets map[string]string }
	}
	json.Unmarshal([]byte(body), &api)
	if len(api.Lists.Frequent) == 0 {
		t.Fatal("no pairs this month")
	}
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{From: from, To: from.AddDate(0, 1, 0), Limit: 100000})
	top := api.Lists.Frequent[0]
	n, total := 0, 0
	for _, c := range cs {
		if c.State == caseflow.Voided && c.DuplicateOf == 0 {
			continue
		}
		total++
		if c.CategoryID == top.Category && c.Place.Street == top.Street {
			n++
		}
	}
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	p.login("leader")
	p.do("the page", chromedp.Navigate(s.URL+"/app#/keyissues"), chromedp.WaitVisible(chromedp.CSS(`#ki-month`)))
	p.eval(`(() => { const m = document.querySelector('#ki-month'); m.value = '` + month + `'; m.dispatchEvent(new Event('change')); return 'ok' })()`)
	row := `#ki-frequent tbody tr:first-child`
	// The row is read in the same poll that finds it (the lists are drawn
	// again when the month is chosen).
	p.wait("the month's lists", `document.querySelector('#ki-total') && document.querySelector('#ki-total').textContent.includes('`+month+`') && !!document.querySelector('`+row+` [data-col="count"]')`)
	got := p.eval(`(() => { const r = document.querySelector('` + row + `'); return r ? r.textContent + '|' + r.querySelector('[data-col="count"]').textContent : '' })()`)
	text, count, _ := strings.Cut(got, "|")
	if !strings.Contains(text, api.Names.Categories[top.Category]) || !strings.Contains(text, api.Names.Streets[top.Street]) {
		t.Errorf("the top row: %q", text)
	}
	if count != fmt.Sprint(n) {
		t.Errorf("the top pair's requests on the page: %s, recounted %d", count, n)
	}
	if shown := p.eval(`document.querySelector('#ki-total').textContent`); !strings.Contains(shown, " "+fmt.Sprint(total)+" ") {
		t.Errorf("the month's total: %q, recounted %d (the API said %d, %s)", shown, total, api.Lists.Requests, month)
	}
	p.shot("key-issues")
	p.do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	if w := p.eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
		t.Error("the key issues page scrolls sideways at 390 px")
	}
	p.shot("key-issues-phone")
}
