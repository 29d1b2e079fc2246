package web_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/ledger"
)

// The published figures are counted again here, from the raw rows of
// cases, tasks and events by plain SQL and the definitions written out
// below (not the ledger's or the store's own code), for every street and
// every department and for a day, a week, two months, a range crossing a
// month's end and the current month; each rate is divided again from those
// counts and each score weighed again. The evaluation API, its .xlsx, the
// monthly report, the ranking and the dashboard's figures all say the same
// numbers.

// recountRates are the published rates as documented: numerator and
// denominator.
var recountRates = []struct{ key, num, den string }{
	{"close_rate", "closed", "due"},
	{"on_time_close_rate", "closed_on_time", "due"},
	{"on_time_handle_rate", "handled_on_time", "tasks"},
	{"rework_rate", "reworked", "due"},
	{"response_rate", "contacted_on_time", "contact_due"},
	{"solve_rate", "solved", "callbacks"},
	{"satisfaction_rate", "satisfied", "callbacks"},
}

// recountKeys are the counts of a street or a department.
var recountKeys = []string{"registered", "due", "closed", "closed_on_time", "tasks", "handled", "handled_on_time", "reworked",
	"overdue_open", "returned", "extended", "suspended", "hotline", "contact_due", "contacted_on_time", "callbacks", "solved", "satisfied",
	"fully_satisfied", "unjustified", "return_refused", "disputed", "arbitrated_away", "arbitrated_back", "arbitrated_late"}

type rawCase struct {
	id                                            int64
	street, state, closeType, channel             string
	reported, registered, dispatched, closed, due sql.NullInt64
	duplicate                                     sql.NullInt64
	leads                                         map[int64]bool // units of its lead tasks not returned
	reworked                                      bool           // a check failed, the resident's reopen or a 不满意 found justified, ever
}

type rawTask struct {
	id, caseID, unit int64
	lead             bool
	state            string
	dispatched       int64
	done, deadline   sql.NullInt64
	contactDue       sql.NullInt64 // a hotline order's first-contact limit
	contacted        sql.NullInt64
}

type rawEvent struct {
	caseID, seq  int64
	task         sql.NullInt64
	action, data string
	at           int64
}

type raw struct {
	cases  map[int64]*rawCase
	tasks  map[int64]*rawTask
	events []rawEvent
	units  map[int64]string // id → code
}

func loadRaw(t *testing.T, db *sql.DB) *raw {
	t.Helper()
	r := &raw{cases: map[int64]*rawCase{}, tasks: map[int64]*rawTask{}, units: map[int64]string{}}
	q := func(query string, each func(*sql.Rows) error) {
		rows, err := db.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	q(`SELECT id, code FROM units`, func(rs *sql.Rows) error {
		var id int64
		var code string
		err := rs.Scan(&id, &code)
		r.units[id] = code
		return err
	})
	q(`SELECT id, street, state, close_type, channel, reported_at, registered_at, dispatched_at, closed_at, deadline, duplicate_of FROM cases`,
		func(rs *sql.Rows) error {
			c := &rawCase{leads: map[int64]bool{}}
			err := rs.Scan(&c.id, &c.street, &c.state, &c.closeType, &c.channel, &c.reported, &c.registered, &c.dispatched, &c.closed, &c.due, &c.duplicate)
			r.cases[c.id] = c
			return err
		})
	q(`SELECT id, case_id, unit_id, lead, state, dispatched_at, done_at, deadline, contact_due, contacted_at FROM tasks`, func(rs *sql.Rows) error {
		k := &rawTask{}
		err := rs.Scan(&k.id, &k.caseID, &k.unit, &k.lead, &k.state, &k.dispatched, &k.done, &k.deadline, &k.contactDue, &k.contacted)
		r.tasks[k.id] = k
		if k.lead && k.state != "returned" {
			r.cases[k.caseID].leads[k.unit] = true
		}
		return err
	})
	q(`SELECT case_id, seq, task_id, action, data, at FROM events ORDER BY case_id, seq`, func(rs *sql.Rows) error {
		var e rawEvent
		err := rs.Scan(&e.caseID, &e.seq, &e.task, &e.action, &e.data, &e.at)
		r.events = append(r.events, e)
		if e.action == "check_fail" || e.action == "reopen" || e.action == "review" && strings.Contains(e.data, `"justified":true`) {
			r.cases[e.caseID].reworked = true
		}
		return err
	})
	return r
}

// recount counts every figure of a group for [from, to): as of asOf,
// with closes, reports back and dispatches counted before cut.
func (r *raw) recount(group string, from, to, asOf, cut time.Time) map[string]map[string]int64 {
	f, tt, as, ct := from.UnixMilli(), to.UnixMilli(), asOf.UnixMilli(), cut.UnixMilli()
	in := func(v sql.NullInt64) bool { return v.Valid && v.Int64 >= f && v.Int64 < tt }
	before := func(v sql.NullInt64, limit int64) bool { return v.Valid && v.Int64 < limit }
	out := map[string]map[string]int64{}
	inc := func(key, count string) {
		if out[key] == nil {
			out[key] = map[string]int64{}
		}
		out[key][count]++
	}
	// A case belongs to its street, or to each department leading it.
	owners := func(c *rawCase) []string {
		if group == "street" {
			return []string{c.street}
		}
		var ks []string
		for u := range c.leads {
			ks = append(ks, r.units[u])
		}
		return ks
	}
	// A task belongs to its case's street, or to its own department.
	taskOwner := func(k *rawTask) string {
		if group == "street" {
			return r.cases[k.caseID].street
		}
		return r.units[k.unit]
	}
	for _, c := range r.cases {
		for _, k := range owners(c) {
			if in(c.registered) {
				inc(k, "registered")
				open := c.state != "closed" && c.state != "voided"
				if open && c.state != "suspended" && before(c.due, as) {
					inc(k, "overdue_open")
				}
				if c.state != "voided" && c.state != "suspended" {
					inc(k, "due")
					if before(c.closed, ct) {
						inc(k, "closed")
						if c.closeType == "normal" {
							inc(k, "closed_on_time")
						}
					}
					if c.reworked {
						inc(k, "reworked")
					}
				}
			}
			if c.channel == "hotline" && !c.duplicate.Valid && in(c.reported) {
				inc(k, "hotline")
			}
		}
	}
	for _, k := range r.tasks {
		c := r.cases[k.caseID]
		if k.state == "returned" || c.state == "voided" || c.state == "suspended" || k.dispatched < f || k.dispatched >= tt {
			continue
		}
		o := taskOwner(k)
		inc(o, "tasks")
		if before(k.done, ct) {
			inc(o, "handled")
			if k.deadline.Valid && k.done.Int64 <= k.deadline.Int64 {
				inc(o, "handled_on_time")
			}
		}
	}
	// 响应率: a lead task's first contact, by the day its limit falls;
	// contacted in time when contacted by the limit.
	for _, k := range r.tasks {
		c := r.cases[k.caseID]
		if !k.lead || k.state == "returned" || c.state == "voided" || !in(k.contactDue) {
			continue
		}
		inc(taskOwner(k), "contact_due")
		if k.contacted.Valid && k.contacted.Int64 <= k.contactDue.Int64 {
			inc(taskOwner(k), "contacted_on_time")
		}
	}
	// 解决率 and 满意率: each case's callbacks with an answer, in order; a
	// review that finds a 不满意 not justified takes that one out.
	type rating struct {
		at                                   int64
		solved, satisfied, full, unjustified bool
	}
	byCase := map[int64][]rating{}
	for _, e := range r.events {
		var d struct {
			Solved, Satisfied, Justified *bool
			Rating                       string
		}
		json.Unmarshal([]byte(e.data), &d)
		switch {
		case e.action == "callback" && d.Satisfied != nil:
			byCase[e.caseID] = append(byCase[e.caseID], rating{at: e.at, solved: d.Solved != nil && *d.Solved, satisfied: *d.Satisfied,
				full: d.Rating == "satisfied" || d.Rating == "" && *d.Satisfied})
		case e.action == "review" && d.Justified != nil && !*d.Justified:
			if rs := byCase[e.caseID]; len(rs) > 0 && !rs[len(rs)-1].satisfied {
				rs[len(rs)-1].unjustified = true
			}
		}
	}
	for id, rs := range byCase {
		c := r.cases[id]
		if c.channel != "hotline" {
			continue
		}
		for _, x := range rs {
			if x.at < f || x.at >= tt {
				continue
			}
			for _, k := range owners(c) {
				if x.unjustified {
					inc(k, "unjustified")
					continue
				}
				inc(k, "callbacks")
				for count, yes := range map[string]bool{"solved": x.solved, "satisfied": x.satisfied, "fully_satisfied": x.full} {
					if yes {
						inc(k, count)
					}
				}
			}
		}
	}
	// Approvals, refused returns and disputes count for the task's unit (the
	// one that asked) or the case's street on the day they happen; an
	// arbitration by whom its decision names to lead, and as late when
	// decided after the deadline its dispute carried.
	approvals := map[string]string{"approve_return": "returned", "approve_extension": "extended", "approve_suspension": "suspended",
		"refuse_return": "return_refused", "dispute": "disputed"}
	disputeDue := map[int64]string{} // by task: the last dispute's deadline
	for _, e := range r.events {
		var d struct {
			Deadline    string
			Assignments []struct {
				UnitID int64 `json:"unit_id"`
				Lead   bool
			}
		}
		if e.action == "dispute" || e.action == "arbitrate" {
			json.Unmarshal([]byte(e.data), &d)
		}
		if e.action == "dispute" && e.task.Valid {
			disputeDue[e.task.Int64] = d.Deadline
		}
		if e.at < f || e.at >= tt {
			continue
		}
		c := r.cases[e.caseID]
		owner := c.street
		if group != "street" {
			if !e.task.Valid {
				continue
			}
			owner = r.units[r.tasks[e.task.Int64].unit]
		}
		if count, ok := approvals[e.action]; ok {
			inc(owner, count)
		}
		if e.action != "arbitrate" {
			continue
		}
		count := "arbitrated_away"
		for _, as := range d.Assignments {
			if as.Lead && as.UnitID == r.tasks[e.task.Int64].unit {
				count = "arbitrated_back"
			}
		}
		inc(owner, count)
		if due, err := time.Parse(time.RFC3339Nano, disputeDue[e.task.Int64]); err == nil && e.at > due.UnixMilli() {
			inc(owner, "arbitrated_late")
		}
	}
	return out
}

func recountRate(counts map[string]int64, num, den string) *float64 {
	if counts[den] == 0 {
		return nil
	}
	v := float64(counts[num]) / float64(counts[den])
	return &v
}

// recountScore weighs the rates by the default weights; a lower-is-better
// rate (返工率) enters as 1 − rate.
func recountScore(counts map[string]int64) *float64 {
	var sum, weight float64
	weights := ledger.DefaultWeights()
	for _, rt := range recountRates { // in the published order, so the sums add up alike
		w, v := weights[rt.key], recountRate(counts, rt.num, rt.den)
		if v == nil || w == 0 {
			continue // no denominator, or no weight
		}
		g := *v
		if rt.key == "rework_rate" {
			g = 1 - g
		}
		sum += w * g
		weight += w
	}
	if weight == 0 {
		return nil
	}
	s := math.Round(sum/weight*10000) / 100
	return &s
}

func TestPublishedFiguresRecounted(t *testing.T) {
	s, a := serverWith(t, 2000)
	r := loadRaw(t, a.Store.DB())
	now := a.Now()
	pct1 := func(w *float64) string { // as the monthly report prints
		if w == nil {
			return "—"
		}
		return strconv.FormatFloat(*w*100, 'f', 1, 64) + "%"
	}
	score2 := func(f *float64) string {
		if f == nil {
			return "—"
		}
		return strconv.FormatFloat(*f, 'f', 2, 64)
	}
	hot := map[string]int64{} // the hotline's figures seen, so that the comparison proves something there
	for _, period := range []string{"2026-10-15..2026-10-15", "2026-W42", "2026-08", "2026-10", "2026-09-24..2026-10-06", "2026-Q3", "2026-11"} {
		p, err := app.ParsePeriod(period)
		if err != nil {
			t.Fatal(err)
		}
		asOf, cut := now, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) // the current period: everything so far
		if now.After(p.To) {
			asOf, cut = p.To, p.To // a past one: as of its end
		}
		report := ""
		if len(period) == 7 {
			_, report, _ = get(t, s.URL+"/reports/monthly?period="+period)
			// The month at a glance: cases reported in it, by their state now
			// and overdue as of its end.
			var want [8]int64
			f, to, as := p.From.UnixMilli(), p.To.UnixMilli(), asOf.UnixMilli()
			for _, c := range r.cases {
				if c.reported.Int64 < f || c.reported.Int64 >= to {
					continue
				}
				open := c.state != "closed" && c.state != "voided"
				for i, yes := range []bool{true, open, c.state == "closed", open && c.state != "suspended" && c.due.Valid && c.due.Int64 < as,
					c.reworked, c.state == "suspended", c.state == "voided", c.duplicate.Valid} {
					if yes {
						want[i]++
					}
				}
			}
			m := regexp.MustCompile(`<tr class="n">((?:<td class="n">\d+</td>){8})</tr>`).FindStringSubmatch(report)
			if m == nil {
				t.Fatalf("%s: no overview in the monthly report", period)
			}
			got := regexp.MustCompile(`\d+`).FindAllString(m[1], -1)
			if strings.Join(got, " ") != strings.Trim(fmt.Sprint(want), "[]") {
				t.Errorf("%s monthly report overview (reported, open, closed, overdue, reworked, suspended, voided, duplicates): %v, recounted %v", period, got, want)
			}
		}
		for _, group := range []string{"street", "department"} {
			want := r.recount(group, p.From, p.To, asOf, cut)
			what := period + " " + group
			// 1. The API, every member ranked from a sample of one.
			_, body, _ := get(t, s.URL+"/api/v1/evaluations?min_sample=1&group="+group+"&period="+period)
			var e app.Evaluation
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("%s: %v: %s", what, err, body)
			}
			seen := map[string]bool{}
			compared := 0
			for _, row := range e.Rows {
				seen[row.Key] = true
				w := want[row.Key]
				for _, k := range recountKeys {
					if row.Counts[k] != w[k] {
						t.Errorf("%s %s %s: API %d, recounted %d", what, row.Name, k, row.Counts[k], w[k])
					}
				}
				for _, rt := range recountRates {
					got, wr := row.Rates[rt.key], recountRate(w, rt.num, rt.den)
					if (got == nil) != (wr == nil) || (got != nil && math.Abs(*got-*wr) > 1e-12) {
						t.Errorf("%s %s %s: API %v, recounted %v", what, row.Name, rt.key, deref(got), deref(wr))
					}
					if wr != nil {
						compared++
					}
				}
				if ws := recountScore(w); fmt.Sprint(deref(ws)) != fmt.Sprint(deref(row.Score)) {
					t.Errorf("%s %s: score %v, weighed again %v", what, row.Name, deref(row.Score), deref(ws))
				}
				for _, k := range []string{"contact_due", "contacted_on_time", "satisfied", "fully_satisfied", "unjustified", "callbacks"} {
					hot[k] += w[k]
				}
				if row.Sample != w["due"] {
					t.Errorf("%s %s: sample %d, due %d", what, row.Name, row.Sample, w["due"])
				}
			}
			for k, w := range want {
				if !seen[k] && len(w) > 0 {
					t.Errorf("%s: %q has figures %v but no row", what, k, w)
				}
			}
			if compared < 5 {
				t.Fatalf("%s: only %d rates to compare", what, compared)
			}
			t.Logf("%s: %d rows, %d rates compared", what, len(e.Rows), compared)
			checkRanking(t, what, e.Rows, 1)

			// 2. The .xlsx: the same counts and rates, cell by cell, and the
			// totals row their sums.
			_, body, _ = get(t, s.URL+"/api/v1/evaluations?min_sample=1&format=xlsx&group="+group+"&period="+period)
			x, err := excelize.OpenReader(strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := x.GetRows(x.GetSheetName(0))
			col := map[string]int{}
			for i, h := range rows[1] {
				col[h] = i
			}
			name := map[string]string{}
			for _, c := range ledger.Counts {
				name[c.Key] = c.Name
			}
			for _, rt := range ledger.Rates {
				name[rt.Key] = rt.Name
			}
			xlsxRows, totals := 0, map[string]int64{}
			small := map[string]bool{}
			for _, row := range e.Rows {
				small[row.Key] = row.SmallSample
			}
			for _, row := range rows[2:] {
				key := cell(row, col["代码"])
				w := want[key]
				if key == "" { // the totals
					w = totals
				} else {
					xlsxRows++
					note := cell(row, col["备注"])
					if small[key] != (note != "") || (note != "" && !strings.Contains(note, "少于 1）")) {
						t.Errorf("%s xlsx %q: note %q, small sample %v under the minimum of 1", what, key, note, small[key])
					}
					for _, k := range recountKeys {
						totals[k] += w[k]
					}
				}
				for _, k := range recountKeys {
					if got := cell(row, col[name[k]]); got != strconv.FormatInt(w[k], 10) {
						t.Errorf("%s xlsx %q %s: %q, recounted %d", what, key, name[k], got, w[k])
					}
				}
				for _, rt := range recountRates {
					wantText := ""
					if v := recountRate(w, rt.num, rt.den); v != nil {
						// As the sheet's 0.00% shows it: a half rounds up (29 of 32 is 90.63%).
						wantText = fmt.Sprintf("%.2f%%", math.Round(*v*10000)/100)
					}
					if got := cell(row, col[name[rt.key]]); got != wantText {
						t.Errorf("%s xlsx %q %s: %q, recounted %q", what, key, name[rt.key], got, wantText)
					}
				}
			}
			if xlsxRows != len(e.Rows) {
				t.Errorf("%s: the xlsx has %d rows, the API %d", what, xlsxRows, len(e.Rows))
			}

			// 3. The monthly report's tables, as printed, ranked by the
			// default minimum sample.
			if report == "" {
				continue
			}
			_, body, _ = get(t, s.URL+"/api/v1/evaluations?group="+group+"&period="+period)
			var def app.Evaluation
			if err := json.Unmarshal([]byte(body), &def); err != nil {
				t.Fatal(err)
			}
			checkRanking(t, what+" (default minimum)", def.Rows, def.MinSample)
			streets, depts, _ := strings.Cut(report, "<h2>部门排名")
			table := streets
			if group == "department" {
				table = depts
			}
			byName := map[string]ledger.Row{}
			for _, row := range def.Rows {
				byName[row.Name] = row
			}
			tr := regexp.MustCompile(`<tr><td>([^<]*)</td><td>([^<]+)</td><td class="n">([^<]*)</td><td class="n">(\d+)</td><td class="n">([^<]+)</td><td class="n">([^<]+)</td><td class="n">([^<]+)</td><td class="n">(\d+)</td>(?:<td class="n">(\d+)</td><td class="n">(\d+)</td>)?</tr>`)
			printed := 0
			for _, m := range tr.FindAllStringSubmatch(table, -1) {
				row, ok := byName[html.UnescapeString(m[2])]
				if !ok {
					t.Errorf("%s monthly report: %q is not in the evaluation", what, m[2])
					continue
				}
				printed++
				w := want[row.Key]
				rank := "—"
				switch {
				case row.Rank > 0:
					rank = strconv.Itoa(row.Rank)
				case row.SmallSample:
					rank = "样本不足"
				}
				wantRow := []string{rank, score2(recountScore(w)), strconv.FormatInt(w["due"], 10), pct1(recountRate(w, "closed", "due")),
					pct1(recountRate(w, "closed_on_time", "due")), pct1(recountRate(w, "reworked", "due")), strconv.FormatInt(w["overdue_open"], 10)}
				if group == "department" {
					wantRow = []string{rank, score2(recountScore(w)), strconv.FormatInt(w["tasks"], 10), pct1(recountRate(w, "handled_on_time", "tasks")),
						pct1(recountRate(w, "closed_on_time", "due")), strconv.FormatInt(w["returned"], 10), strconv.FormatInt(w["extended"], 10),
						strconv.FormatInt(w["disputed"], 10), strconv.FormatInt(w["arbitrated_late"], 10)}
				}
				got := []string{m[1], m[3], m[4], m[5], m[6], m[7], m[8]}
				if group == "department" {
					got = append(got, m[9], m[10])
				}
				if strings.Join(got, " ") != strings.Join(wantRow, " ") {
					t.Errorf("%s monthly report, %s: %v, recounted %v", what, m[2], got, wantRow)
				}
			}
			wantPrinted := 0
			for _, row := range def.Rows {
				if group == "street" || want[row.Key]["tasks"] > 0 || want[row.Key]["registered"] > 0 {
					wantPrinted++
				}
			}
			if printed != wantPrinted {
				t.Errorf("%s: the monthly report prints %d rows, want %d", what, printed, wantPrinted)
			}
		}
	}
	// The demo's hotline has late first contacts, 基本满意 ratings and 不满意
	// ones found not justified: each part of the three rates was compared.
	if hot["contact_due"] == 0 || hot["contacted_on_time"] >= hot["contact_due"] || hot["fully_satisfied"] >= hot["satisfied"] ||
		hot["unjustified"] == 0 || hot["callbacks"] == 0 {
		t.Errorf("the hotline's figures compared prove little: %v", hot)
	}
	t.Logf("hotline figures compared: %v", hot)
}

// checkRanking: the rows with a score and a sample of at least min are
// ranked by score, best first, ties sharing a rank; the others are not.
func checkRanking(t *testing.T, what string, rows []ledger.Row, min int64) {
	t.Helper()
	var scored []ledger.Row
	for _, r := range rows {
		if r.Score != nil && r.Sample >= min {
			scored = append(scored, r)
		} else if r.Rank != 0 {
			t.Errorf("%s %s: ranked %d with score %v and sample %d (minimum %d)", what, r.Name, r.Rank, deref(r.Score), r.Sample, min)
		}
	}
	sort.SliceStable(scored, func(i, j int) bool { return *scored[i].Score > *scored[j].Score })
	for i, r := range scored {
		wantRank := i + 1
		if i > 0 && *scored[i-1].Score == *r.Score {
			wantRank = scored[i-1].Rank
		}
		if r.Rank != wantRank {
			t.Errorf("%s %s: rank %d with score %.2f, want %d", what, r.Name, r.Rank, *r.Score, wantRank)
		}
	}
}

// The dashboard's cards say what the raw cases say, and what the
// centre's tabs and the ledger say.
func TestDashboardFiguresRecounted(t *testing.T) {
	s, a := serverWith(t, 2000)
	db := a.Store.DB()
	now := a.Now().UnixMilli()
	count := func(q string, args ...any) int64 {
		var n int64
		if err := db.QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	total := count(`SELECT count(*) FROM cases`)
	closed := count(`SELECT count(*) FROM cases WHERE state = 'closed'`)
	open := count(`SELECT count(*) FROM cases WHERE state NOT IN ('closed', 'voided')`)
	overdue := count(`SELECT count(*) FROM cases WHERE state NOT IN ('closed', 'voided', 'suspended') AND deadline < $1`, now)

	var stats struct {
		Total   int64            `json:"total"`
		ByState map[string]int64 `json:"by_state"`
	}
	_, body, _ := get(t, s.URL+"/api/v1/stats")
	json.Unmarshal([]byte(body), &stats)
	var sumOpen int64
	for st, n := range stats.ByState {
		if st != "closed" && st != "voided" {
			sumOpen += n
		}
	}
	var queues struct {
		Queues []struct {
			ID    string `json:"id"`
			Count int64  `json:"count"`
		} `json:"queues"`
	}
	_, body, _ = get(t, s.URL+"/api/v1/queues")
	json.Unmarshal([]byte(body), &queues)
	var tab int64 = -1
	for _, q := range queues.Queues {
		if q.ID == "overdue" {
			tab = q.Count
		}
	}
	var z struct {
		OpenNow int64 `json:"open_now"`
	}
	_, body, _ = get(t, s.URL+"/api/v1/zeroing?days=1")
	json.Unmarshal([]byte(body), &z)
	var l struct {
		Counts struct{ Total, Open, Closed, Overdue int64 } `json:"counts"`
	}
	_, body, _ = get(t, s.URL+"/api/v1/ledger")
	json.Unmarshal([]byte(body), &l)
	for _, c := range []struct {
		what      string
		got, want int64
	}{
		{"total card (stats)", stats.Total, total}, {"closed card (stats)", stats.ByState["closed"], closed},
		{"open card (stats)", sumOpen, open}, {"open now (zeroing)", z.OpenNow, open},
		{"overdue card (the centre's overdue tab)", tab, overdue},
		{"ledger total", l.Counts.Total, total}, {"ledger open", l.Counts.Open, open}, {"ledger closed", l.Counts.Closed, closed},
		{"ledger overdue", l.Counts.Overdue, overdue},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, recounted %d", c.what, c.got, c.want)
		}
	}
	if overdue == 0 || open == 0 {
		t.Fatalf("nothing to compare: %d open, %d overdue", open, overdue)
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

// jsFixed1 is a number as JavaScript's toFixed(1) writes it: the nearest
// tenth of its exact value, a tie going up.
func jsFixed1(x float64) string {
	v := new(big.Float).SetPrec(256).SetFloat64(x)
	v.Mul(v, big.NewFloat(10))
	n, _ := v.Int(nil)
	frac := new(big.Float).Sub(v, new(big.Float).SetInt(n))
	if frac.Cmp(big.NewFloat(0.5)) >= 0 {
		n.Add(n, big.NewInt(1))
	}
	q, m := new(big.Int).QuoRem(n, big.NewInt(10), new(big.Int))
	return q.String() + "." + m.String()
}

// The leader's dashboard, in Chromium: its cards are the raw cases'
// counts, and its ranking table — rank, score, sample and close rate of
// each department for the period it shows — is what the raw rows give.
func TestBrowserDashboardFiguresRecounted(t *testing.T) {
	bctx := browser(t)
	s, a := serverWith(t, 2000)
	r := loadRaw(t, a.Store.DB())
	db := a.Store.DB()
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	// The page's clock is the server's (the demo's day), so that its
	// default period, the last full month, holds the demo's cases.
	p.do("the page's clock", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: fmt.Sprintf(`Date.now = () => %d;`, a.Now().UnixMilli())})
		return chromedp.Void{}, err
	})
	p.login("leader")
	p.do("the dashboard", chromedp.Navigate(s.URL+"/app#dashboard"))
	p.wait("the cards and the ranking", `document.querySelector('#cards b[data-n=overdue]') && document.querySelectorAll('#ranking tr[data-unit]').length > 0`)
	p.shot("dashboard-recounted")
	count := func(q string, args ...any) string {
		var n int64
		if err := db.QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return strconv.FormatInt(n, 10)
	}
	now := a.Now().UnixMilli()
	for card, want := range map[string]string{
		"total":   count(`SELECT count(*) FROM cases`),
		"open":    count(`SELECT count(*) FROM cases WHERE state NOT IN ('closed', 'voided')`),
		"closed":  count(`SELECT count(*) FROM cases WHERE state = 'closed'`),
		"overdue": count(`SELECT count(*) FROM cases WHERE state NOT IN ('closed', 'voided', 'suspended') AND deadline < $1`, now),
		"zero":    count(`SELECT count(*) FROM cases WHERE state <> 'voided' AND closed_at IS NULL AND reported_at <= $1`, now),
	} {
		if got := p.text(`#cards b[data-n=` + card + `]`); got != want {
			t.Errorf("the %s card says %s, the raw cases %s", card, got, want)
		}
	}
	period := p.eval(`document.querySelector('#period').value`)
	pr, err := app.ParsePeriod(period)
	if err != nil {
		t.Fatal(err)
	}
	asOf, cut := a.Now(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if asOf.After(pr.To) {
		asOf, cut = pr.To, pr.To
	}
	want := r.recount("department", pr.From, pr.To, asOf, cut)
	// Ranks by the default minimum sample, from the recounted scores.
	var scores []float64
	for _, w := range want {
		if sc := recountScore(w); sc != nil && w["due"] >= ledger.DefaultMinSample {
			scores = append(scores, *sc)
		}
	}
	rankOf := func(sc float64) int {
		n := 1
		for _, o := range scores {
			if o > sc {
				n++
			}
		}
		return n
	}
	var shown []struct{ Unit, Rank, Name, Score, Sample, Rate string }
	if err := json.Unmarshal([]byte(p.eval(`JSON.stringify([...document.querySelectorAll('#ranking tr[data-unit]')].map(tr => { const c = [...tr.cells].map(td => td.textContent);
		return { Unit: tr.dataset.unit, Rank: c[0], Name: c[1], Score: c[2], Sample: c[3], Rate: c[4] }; }))`)), &shown); err != nil {
		t.Fatal(err)
	}
	ranked := 0
	for _, row := range shown {
		w := want[row.Unit]
		sc := recountScore(w)
		rank, score, rate := "—", "—", "—"
		switch {
		case sc != nil && w["due"] >= ledger.DefaultMinSample:
			rank = strconv.Itoa(rankOf(*sc))
			ranked++
		case sc != nil:
			rank = "样本不足"
		}
		if sc != nil {
			score = jsFixed1(*sc)
		}
		if v := recountRate(w, "closed", "due"); v != nil {
			rate = jsFixed1(*v*100) + "%"
		}
		got := []string{row.Rank, row.Score, row.Sample, row.Rate}
		if exp := []string{rank, score, strconv.FormatInt(w["due"], 10), rate}; strings.Join(got, " ") != strings.Join(exp, " ") {
			t.Errorf("%s dashboard ranking, %s: %v, recounted %v", period, row.Name, got, exp)
		}
	}
	if ranked < 3 {
		t.Errorf("%s: only %d ranked departments on the dashboard", period, ranked)
	}
	t.Logf("%s: %d departments on the dashboard, %d ranked", period, len(shown), ranked)
}
