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

// A call's five elements and a 特急 order: when, who and the matter kept on
// the order's first event for staff (the case file's timeline), never on
// its public page; a 特急 order gets the quarter hour to be dispatched
// counted on the clock; an element too long is refused naming it.
func TestIntakeFiveElementsAndImmediate(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	op := tokenOf(t, a, "operator1")
	call := func(extra map[string]any) (int, string) {
		body := map[string]any{"category": "M01001", "description": "路口井盖没了，有人差点掉进去", "lon": all[0].Point.Lon, "lat": all[0].Point.Lat,
			"request_type": "help", "caller": map[string]any{"phone": "13912340000"}}
		for k, v := range extra {
			body[k] = v
		}
		j, _ := json.Marshal(body)
		code, out, _ := send(t, "POST", s.URL+"/api/v1/cases", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		return code, out
	}
	before, _ := a.Store.CountCases(ctx)
	for field, extra := range map[string]map[string]any{
		"elements.who": {"elements": map[string]any{"who": strings.Repeat("人", 101)}},
		"urgency":      {"urgency": "whenever"},
	} {
		if code, out := call(extra); code != 400 || !strings.Contains(out, `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", field, code, out)
		}
	}
	if after, _ := a.Store.CountCases(ctx); sum(after) != sum(before) {
		t.Fatal("refused calls filed cases")
	}
	code, out := call(map[string]any{"urgency": "immediate", "elements": map[string]any{"when": " 今天早上七点 ", "who": "三岔路口", "matter": "井盖缺失"}})
	var made struct{ Number string }
	if code != 201 || json.Unmarshal([]byte(out), &made) != nil {
		t.Fatalf("the call: %d %s", code, out)
	}
	c, _ := a.Store.CaseByNumber(ctx, made.Number)
	evs, _ := a.Store.Events(ctx, c.ID)
	e := evs[0].Data.Intake.Elements
	if c.Urgency != caseflow.Immediate || e == nil || e.When != "今天早上七点" || e.Who != "三岔路口" || e.Matter != "井盖缺失" {
		t.Fatalf("the order: %s %+v", c.Urgency, e)
	}
	code, file, _ := getAs(t, s.URL+"/api/v1/cases/"+made.Number, op)
	if code != 200 || !strings.Contains(file, `"matter":"井盖缺失"`) || !strings.Contains(file, `"urgency":"immediate"`) {
		t.Errorf("the case file: %d", code)
	}
	// Registered at once: 15 minutes on the clock to dispatch, at any hour.
	j, _ := json.Marshal(map[string]any{"version": c.Version})
	dispatcher := tokenOf(t, a, "dispatcher1")
	if code, out, _ := send(t, "POST", s.URL+"/api/v1/cases/"+made.Number+"/actions/register", dispatcher, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"}); code != 200 {
		t.Fatalf("register: %d %s", code, out)
	}
	c, _ = a.Store.CaseByNumber(ctx, made.Number)
	if got := c.Deadline.Sub(c.RegisteredAt).Minutes(); got != 15 {
		t.Errorf("a 特急 order's dispatch deadline: %.0f minutes after registration, want 15", got)
	}
	_, pub, _ := getAs(t, s.URL+"/api/v1/public/cases/"+made.Number, "")
	for _, private := range []string{"三岔路口", "今天早上七点", "井盖缺失", "13912340000"} {
		if strings.Contains(pub, private) {
			t.Errorf("the public page shows %q", private)
		}
	}
}
