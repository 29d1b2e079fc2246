package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/caseflow"
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
	if code, out := act(leader, "arbitrate", decision); code != 400 && code != 422 || !strings.Contains(out, `"field":"reason"`) {
		t.Errorf("a decision without its words: %d %s", code, out)
	}
	if now, _ := a.Store.CaseByNumber(ctx, c.Number); now.Version != before.Version {
		t.Fatal("a refused decision changed the case")
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
