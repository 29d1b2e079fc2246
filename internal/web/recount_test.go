package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Every street's published figures for a month are counted again here from
// the raw cases, and each rate divided again from those counts; the
// evaluation API, its .xlsx, the monthly report and the ranking all say
// the same numbers.
func TestPublishedStreetFiguresRecounted(t *testing.T) {
	s, a := serverWith(t, 2000)
	ctx := context.Background()
	var all []caseflow.Case
	for before := int64(0); ; {
		page, err := a.Store.Cases(ctx, store.CaseFilter{Limit: 1000, Before: before})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		before = page[len(page)-1].ID
	}
	for _, month := range []string{"2026-08", "2026-10"} {
		p, _ := app.ParsePeriod(month)
		asOf := p.To // past months: as of their end
		// The counts, by street, by their documented definitions.
		want := map[string]map[string]int64{}
		inc := func(street, k string) {
			if want[street] == nil {
				want[street] = map[string]int64{}
			}
			want[street][k]++
		}
		for _, c := range all {
			if c.RegisteredAt.IsZero() || c.RegisteredAt.Before(p.From) || !c.RegisteredAt.Before(p.To) {
				continue
			}
			if c.State == caseflow.Voided || c.State == caseflow.Suspended {
				continue
			}
			inc(c.Place.Street, "due")
			if !c.ClosedAt.IsZero() && c.ClosedAt.Before(asOf) {
				inc(c.Place.Street, "closed")
				if c.CloseType == caseflow.CloseNormal {
					inc(c.Place.Street, "closed_on_time")
				}
			}
			if c.Reworks > 0 || c.Reopens > 0 {
				inc(c.Place.Street, "reworked")
			}
			if c.State != caseflow.Closed && !c.Deadline.IsZero() && c.Deadline.Before(asOf) {
				inc(c.Place.Street, "overdue_open")
			}
		}
		rate := func(st, num, den string) *float64 {
			if want[st][den] == 0 {
				return nil
			}
			v := float64(want[st][num]) / float64(want[st][den])
			return &v
		}
		checked := []string{"close_rate", "on_time_close_rate", "rework_rate"}
		rateOf := map[string]ledger.Rate{}
		for _, r := range ledger.Rates {
			rateOf[r.Key] = r
		}

		// 1. The API, ranking every street with a sample of one or more.
		_, body, _ := get(t, s.URL+"/api/v1/evaluations?group=street&min_sample=1&period="+month)
		var e app.Evaluation
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatal(err)
		}
		compared := 0
		names := map[string]string{}
		for _, r := range e.Rows {
			names[r.Key] = r.Name
			for _, k := range []string{"due", "closed", "closed_on_time", "reworked", "overdue_open"} {
				if r.Counts[k] != want[r.Key][k] {
					t.Errorf("%s %s %s: API %d, recounted %d", month, r.Name, k, r.Counts[k], want[r.Key][k])
				}
			}
			for _, k := range checked {
				got, w := r.Rates[k], rate(r.Key, rateOf[k].Num, rateOf[k].Den)
				if (got == nil) != (w == nil) || (got != nil && math.Abs(*got-*w) > 1e-12) {
					t.Errorf("%s %s %s: API %v, recounted %v", month, r.Name, k, deref(got), deref(w))
				}
				if w != nil {
					compared++
				}
			}
			if r.Sample != want[r.Key]["due"] {
				t.Errorf("%s %s: sample %d, due %d", month, r.Name, r.Sample, want[r.Key]["due"])
			}
		}
		if compared < 10 {
			t.Fatalf("%s: only %d rates to compare", month, compared)
		}
		// The ranking: scored rows by score, best first, ties sharing a rank.
		scored := []ledger.Row{}
		for _, r := range e.Rows {
			if r.Score != nil && r.Sample >= 1 {
				scored = append(scored, r)
			}
		}
		sort.SliceStable(scored, func(i, j int) bool { return *scored[i].Score > *scored[j].Score })
		for i, r := range scored {
			wantRank := i + 1
			if i > 0 && *scored[i-1].Score == *r.Score {
				wantRank = scored[i-1].Rank
			}
			if r.Rank != wantRank {
				t.Errorf("%s %s: rank %d with score %.2f, want %d", month, r.Name, r.Rank, *r.Score, wantRank)
			}
		}

		// 2. The .xlsx: the same counts and rates, cell by cell.
		_, body, _ = get(t, s.URL+"/api/v1/evaluations?group=street&min_sample=1&format=xlsx&period="+month)
		x, err := excelize.OpenReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows(x.GetSheetName(0))
		col := map[string]int{}
		for i, h := range rows[1] {
			col[h] = i
		}
		xlsxRows := 0
		for _, row := range rows[2:] {
			key := row[col["代码"]]
			if key == "" {
				continue // the totals
			}
			xlsxRows++
			for _, c := range ledger.Counts {
				if c.Key != "due" && c.Key != "closed" && c.Key != "closed_on_time" && c.Key != "reworked" && c.Key != "overdue_open" {
					continue
				}
				if got := cell(row, col[c.Name]); got != strconv.FormatInt(want[key][c.Key], 10) {
					t.Errorf("%s xlsx %s %s: %q, recounted %d", month, key, c.Name, got, want[key][c.Key])
				}
			}
			for _, k := range checked {
				w := rate(key, rateOf[k].Num, rateOf[k].Den)
				wantText := ""
				if w != nil {
					wantText = fmt.Sprintf("%.2f%%", *w*100)
				}
				if got := cell(row, col[rateOf[k].Name]); got != wantText {
					t.Errorf("%s xlsx %s %s: %q, recounted %q", month, key, rateOf[k].Name, got, wantText)
				}
			}
		}
		if xlsxRows != len(e.Rows) {
			t.Errorf("%s: the xlsx has %d streets, the API %d", month, xlsxRows, len(e.Rows))
		}

		// 3. The monthly report's street table: due, the three rates and
		// the overdue count, as printed.
		_, page, _ := get(t, s.URL+"/reports/monthly?period="+month)
		tr := regexp.MustCompile(`(?s)<tr><td>[^<]*</td><td>([^<]+)</td><td class="n">[^<]*</td><td class="n">(\d+)</td><td class="n">([^<]+)</td><td class="n">([^<]+)</td><td class="n">([^<]+)</td><td class="n">(\d+)</td></tr>`)
		byName := map[string]string{}
		for k, n := range names {
			byName[n] = k
		}
		printed := 0
		for _, m := range tr.FindAllStringSubmatch(page, -1) {
			key, ok := byName[html.UnescapeString(m[1])]
			if !ok {
				continue // the departments' table
			}
			printed++
			pct := func(w *float64) string {
				if w == nil {
					return "—"
				}
				return strconv.FormatFloat(*w*100, 'f', 1, 64) + "%"
			}
			got := []string{m[2], m[3], m[4], m[5], m[6]}
			wantRow := []string{strconv.FormatInt(want[key]["due"], 10), pct(rate(key, "closed", "due")), pct(rate(key, "closed_on_time", "due")),
				pct(rate(key, "reworked", "due")), strconv.FormatInt(want[key]["overdue_open"], 10)}
			if strings.Join(got, " ") != strings.Join(wantRow, " ") {
				t.Errorf("%s monthly report, %s: %v, recounted %v", month, m[1], got, wantRow)
			}
		}
		if printed != len(e.Rows) {
			t.Errorf("%s: the monthly report prints %d streets, the API has %d", month, printed, len(e.Rows))
		}
	}
}

func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}
