package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/store"
)

// A dispatch dispute (派单争议) through the API: a department returns an
// order, the centre disputes the return, the leader finds it on the list
// to arbitrate and decides the lead and assisting departments, adding the
// dispatch rule the decision implies; the dispatch table then routes the
// same matter in that street to the decided lead. A decision without its
// words changes nothing, and the dispatcher cannot arbitrate.
func TestDispatchDisputeArbitrated(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	op, disp, leader, hwc := tokenOf(t, a, "operator1"), tokenOf(t, a, "dispatcher1"), tokenOf(t, a, "leader"), tokenOf(t, a, "h-hwc")
	seed, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	j, _ := json.Marshal(map[string]any{"category": "M06036", "description": "小区门口乱堆杂物", "lon": seed[0].Point.Lon, "lat": seed[0].Point.Lat,
		"request_type": "complaint", "caller": map[string]any{"phone": "13912349999"}})
	code, out, _ := send(t, "POST", s.URL+"/api/v1/cases", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
	var c struct {
		Number  string
		Version int
	}
	if code != 201 || json.Unmarshal([]byte(out), &c) != nil {
		t.Fatalf("the call: %d %s", code, out)
	}
	act := func(token, action string, body map[string]any) (int, string) {
		t.Helper()
		cur, _ := a.Store.CaseByNumber(ctx, c.Number)
		body["version"] = cur.Version
		j, _ := json.Marshal(body)
		code, out, _ := send(t, "POST", s.URL+"/api/v1/cases/"+c.Number+"/actions/"+action, token, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		return code, out
	}
	for _, st := range []struct {
		token, action string
		body          map[string]any
	}{
		{disp, "register", map[string]any{}},
		{disp, "dispatch", map[string]any{"assignments": []map[string]any{{"unit": "hwc", "lead": true}}}},
		{hwc, "request_return", map[string]any{"reason": "杂物属建筑垃圾，不属环卫职责"}},
		{disp, "dispute", map[string]any{"task_unit": "hwc", "reason": "生活杂物由环卫清运"}},
	} {
		if code, out := act(st.token, st.action, st.body); code != 200 {
			t.Fatalf("%s: %d %s", st.action, code, out)
		}
	}
	count := func(token, queue string) int {
		_, body, _ := getAs(t, s.URL+"/api/v1/queues", token)
		var q struct {
			Queues []struct {
				ID    string
				Count int
			}
		}
		json.Unmarshal([]byte(body), &q)
		for _, x := range q.Queues {
			if x.ID == queue {
				return x.Count
			}
		}
		return -1
	}
	_, list, _ := getAs(t, s.URL+"/api/v1/cases?queue=disputes", leader)
	if count(leader, "disputes") < 1 || !strings.Contains(list, c.Number) {
		t.Fatalf("the leader's list to arbitrate: %d, %s", count(leader, "disputes"), list)
	}
	if _, reqs, _ := getAs(t, s.URL+"/api/v1/cases?queue=requests", disp); strings.Contains(reqs, c.Number) {
		t.Error("a disputed return still waits on the dispatcher's requests list")
	}
	before, _ := a.Store.CaseByNumber(ctx, c.Number)
	decision := map[string]any{"task_unit": "hwc", "assignments": []map[string]any{{"unit": "jddd", "lead": true}, {"unit": "hwc"}}}
	// Decisions that decide nothing: each refused naming its field, in
	// the reader's language, and the case left as it was.
	for _, bad := range []struct {
		what, field string
		body        map[string]any
	}{
		{"without its words", "reason", decision},
		{"without a lead", "assignments", map[string]any{"task_unit": "hwc", "reason": "由环卫处配合", "assignments": []map[string]any{{"unit": "hwc"}}}},
		{"without any unit", "assignments", map[string]any{"task_unit": "hwc", "reason": "无"}},
		{"with two leads", "assignments", map[string]any{"task_unit": "hwc", "reason": "共同牵头",
			"assignments": []map[string]any{{"unit": "jddd", "lead": true}, {"unit": "hwc", "lead": true}}}},
		{"naming an unknown unit", "assignments[1].unit", map[string]any{"task_unit": "hwc", "reason": "由不存在的单位协办",
			"assignments": []map[string]any{{"unit": "jddd", "lead": true}, {"unit": "no-such-unit"}}}},
		{"with the lead also assisting", "assignments", map[string]any{"task_unit": "hwc", "reason": "既牵头又协办",
			"assignments": []map[string]any{{"unit": "jddd", "lead": true}, {"unit": "jddd"}}}},
	} {
		code, out := act(leader, "arbitrate", bad.body)
		if code != 400 && code != 422 || !strings.Contains(out, `"field":"`+bad.field+`"`) {
			t.Errorf("a decision %s: %d %s", bad.what, code, out)
		}
		if now, _ := a.Store.CaseByNumber(ctx, c.Number); now.Version != before.Version || len(now.Tasks) != len(before.Tasks) {
			t.Fatalf("a decision %s changed the case", bad.what)
		}
	}
	// The same through the application, naming a unit by an id that does
	// not exist: refused as the decision's field, not a server error.
	cmd := caseflow.Command{Action: caseflow.ActArbitrate, Actor: caseflow.Actor{Role: caseflow.Leader, AccountID: 1}, ExpectedVersion: before.Version,
		TaskUnit: before.Tasks[0].UnitID, Reason: "由不存在的单位牵头", Assignments: []caseflow.Assignment{{UnitID: 999999, Lead: true}}}
	var ce *caseflow.Error
	if _, _, err := a.Act(ctx, before.ID, cmd); !errors.As(err, &ce) || ce.Field != "assignments" {
		t.Errorf("a decision naming unit 999999: %v", err)
	}
	if now, _ := a.Store.CaseByNumber(ctx, c.Number); now.Version != before.Version {
		t.Fatal("a decision naming a unit that does not exist changed the case")
	}
	if code, _ := act(disp, "arbitrate", map[string]any{"task_unit": "hwc", "reason": "x", "assignments": decision["assignments"]}); code != 403 {
		t.Errorf("the dispatcher arbitrating their own dispute: %d", code)
	}
	decision["reason"] = "建筑垃圾由环境治理监督大队牵头，环卫处配合清运"
	decision["add_rule"] = true
	if code, out := act(leader, "arbitrate", decision); code != 200 {
		t.Fatalf("arbitrate: %d %s", code, out)
	}
	after, _ := a.Store.CaseByNumber(ctx, c.Number)
	var lead, assist string
	units, _ := a.Store.Units(ctx)
	name := map[int64]string{}
	for _, u := range units {
		name[u.ID] = u.Code
	}
	for _, k := range after.Tasks {
		if k.State.Active() && k.Lead {
			lead = name[k.UnitID]
		} else if k.State.Active() {
			assist = name[k.UnitID]
		}
	}
	if lead != "jddd" || assist != "hwc" || after.State != caseflow.Dispatched {
		t.Fatalf("after the decision: lead %s, assist %s, %s", lead, assist, after.State)
	}
	_, route, _ := getAs(t, s.URL+"/api/v1/route?category=M06036&lon="+f6(seed[0].Point.Lon)+"&lat="+f6(seed[0].Point.Lat), disp)
	if !strings.Contains(route, `"code":"jddd"`) || !strings.Contains(route, "仲裁 "+c.Number) {
		t.Errorf("the dispatch table after the decision: %s", route)
	}
}

// The return disputes' figures as the evaluation publishes them, for the
// department that asked to return and for the street: a return upheld, one
// refused, disputes decided for another lead and for the same department,
// on time and late, and one still waiting, all in the current month
// through the API with the clock moved between the steps; the API and the
// .xlsx agree with the recount from the raw rows (recount_test.go).
func TestDisputeFiguresRecounted(t *testing.T) {
	s, a := serverWith(t, 400)
	var clock atomic.Int64
	a.Now = func() time.Time { return time.UnixMilli(clock.Load()).UTC() }
	ctx := context.Background()
	op, disp, leader, hwc := tokenOf(t, a, "operator1"), tokenOf(t, a, "dispatcher1"), tokenOf(t, a, "leader"), tokenOf(t, a, "h-hwc")
	seed, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	monday := time.Date(2026, 11, 9, 9, 0, 0, 0, calendar.Shanghai)
	at := func(day int, hour float64) {
		clock.Store(monday.AddDate(0, 0, day).Add(time.Duration(hour * float64(time.Hour))).UnixMilli())
	}
	decide := func(action string, body map[string]any) map[string]any {
		return map[string]any{"action": action, "body": body}
	}
	away := map[string]any{"task_unit": "hwc", "reason": "由环境治理监督大队牵头，环卫处配合", "assignments": []map[string]any{{"unit": "jddd", "lead": true}, {"unit": "hwc"}}}
	back := map[string]any{"task_unit": "hwc", "reason": "属环卫处职责，由环卫处办理", "assignments": []map[string]any{{"unit": "hwc", "lead": true}}}
	for i, steps := range [][]map[string]any{
		{decide("approve_return", map[string]any{"task_unit": "hwc"})},
		{decide("refuse_return", map[string]any{"task_unit": "hwc", "reason": "属本单位职责"})},
		{decide("dispute", map[string]any{"task_unit": "hwc", "reason": "退单理由不充分"}), decide("arbitrate", away)},
		{decide("dispute", map[string]any{"task_unit": "hwc", "reason": "退单理由不充分"}), nil, decide("arbitrate", back)},
		{decide("dispute", map[string]any{"task_unit": "hwc", "reason": "退单理由不充分"}), nil, nil, decide("arbitrate", away)},
		{decide("dispute", map[string]any{"task_unit": "hwc", "reason": "退单理由不充分"})},
	} {
		at(0, float64(i)/2)
		j, _ := json.Marshal(map[string]any{"category": "M06036", "description": "小区门口乱堆杂物", "lon": seed[0].Point.Lon, "lat": seed[0].Point.Lat,
			"request_type": "complaint", "caller": map[string]any{"phone": "1391234000" + strconv.Itoa(i)}})
		code, out, _ := send(t, "POST", s.URL+"/api/v1/cases", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		var c struct{ Number string }
		if code != 201 || json.Unmarshal([]byte(out), &c) != nil {
			t.Fatalf("the call: %d %s", code, out)
		}
		at(0, float64(i)/2+0.1)
		act(t, s.URL, disp, c.Number, "register", map[string]any{})
		act(t, s.URL, disp, c.Number, "dispatch", map[string]any{"assignments": []map[string]any{{"unit": "hwc", "lead": true}}})
		at(0, float64(i)/2+0.2)
		act(t, s.URL, hwc, c.Number, "request_return", map[string]any{"reason": "杂物属建筑垃圾，不属环卫职责"})
		// Each step a day later: the third and fourth days are past the
		// two working days an arbitration has.
		for d, st := range steps {
			if st == nil {
				continue
			}
			at(1+d*2, float64(i)/2)
			token := disp
			if st["action"] == "arbitrate" {
				token = leader
			}
			act(t, s.URL, token, c.Number, st["action"].(string), st["body"].(map[string]any))
		}
	}
	at(11, 0) // Friday 20 November
	r := loadRaw(t, a.Store.DB())
	p, _ := app.ParsePeriod("2026-11")
	keys := []string{"returned", "return_refused", "disputed", "arbitrated_away", "arbitrated_back", "arbitrated_late"}
	for _, group := range []string{"department", "street"} {
		want := r.recount(group, p.From, p.To, a.Now(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
		_, body, _ := get(t, s.URL+"/api/v1/evaluations?min_sample=1&group="+group+"&period=2026-11")
		var e app.Evaluation
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("%s: %v", group, err)
		}
		_, xb, _ := get(t, s.URL+"/api/v1/evaluations?min_sample=1&format=xlsx&group="+group+"&period=2026-11")
		x, err := excelize.OpenReader(strings.NewReader(xb))
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
		sheet := map[string][]string{}
		for _, row := range rows[2:] {
			sheet[cell(row, col["代码"])] = row
		}
		seen := 0
		for _, row := range e.Rows {
			for _, k := range keys {
				if row.Counts[k] != want[row.Key][k] {
					t.Errorf("%s %s %s: API %d, recounted %d", group, row.Name, k, row.Counts[k], want[row.Key][k])
				}
				if got := cell(sheet[row.Key], col[name[k]]); got != strconv.FormatInt(want[row.Key][k], 10) {
					t.Errorf("%s %s %s: xlsx %q, recounted %d", group, row.Name, k, got, want[row.Key][k])
				}
				seen += int(want[row.Key][k])
			}
		}
		// At least this test's own: the department that asked to return
		// (环卫处) had one return upheld, one refused, four disputed, of
		// which two were arbitrated to another lead and one back to it,
		// two of the three late.
		if h := want["hwc"]; group == "department" && (h["returned"] < 1 || h["return_refused"] < 1 || h["disputed"] < 4 ||
			h["arbitrated_away"] < 2 || h["arbitrated_back"] < 1 || h["arbitrated_late"] < 2) {
			t.Errorf("环卫处's return disputes recounted: %v", h)
		}
		if group == "department" {
			// The monthly report prints each department's disputes and late
			// arbitrations beside its returns and extensions.
			_, report, _ := get(t, s.URL+"/reports/monthly?period=2026-11")
			var hwcName string
			for _, row := range e.Rows {
				if row.Key == "hwc" {
					hwcName = row.Name
				}
			}
			h := want["hwc"]
			cells := fmt.Sprintf(`<td>%s</td>.*<td class="n">%d</td><td class="n">%d</td><td class="n">%d</td><td class="n">%d</td></tr>`,
				regexp.QuoteMeta(html.EscapeString(hwcName)), h["returned"], h["extended"], h["disputed"], h["arbitrated_late"])
			if hwcName == "" || !regexp.MustCompile(cells).MatchString(report) {
				t.Errorf("the monthly report's row of %q does not end in %d returns, %d extensions, %d disputes, %d late arbitrations",
					hwcName, h["returned"], h["extended"], h["disputed"], h["arbitrated_late"])
			}
		}
		t.Logf("%s: %d dispute figures compared; 环卫处's: %v", group, seen, want["hwc"])
		if seen < 11 {
			t.Errorf("%s: only %d dispute figures compared", group, seen)
		}
	}
}
