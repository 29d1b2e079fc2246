package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

// A call through the department and back: dispatched to 环卫处, whose
// liaison contacts the requester (when, how) and answers them (a reply
// apart from the internal note); the answer closes the order and puts it
// on the callback list; a 不满意 waits for its review, a justified one
// goes back for rework, and the second callback is 满意. Each bad input on
// the way is a 4xx naming the field and changes nothing.
func TestHotlineStepsOverHTTP(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	op, disp, hw := tokenOf(t, a, "operator1"), tokenOf(t, a, "dispatcher1"), tokenOf(t, a, "h-hwc")
	j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "小区门口垃圾堆了一周没人清", "lon": all[0].Point.Lon, "lat": all[0].Point.Lat,
		"request_type": "complaint", "caller": map[string]any{"name": "李先生", "phone": "13912340000", "callback": true}})
	code, out, _ := send(t, "POST", s.URL+"/api/v1/cases", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
	var made struct{ Number string }
	if code != 201 || json.Unmarshal([]byte(out), &made) != nil {
		t.Fatalf("the call: %d %s", code, out)
	}
	n := made.Number
	type view struct {
		Version     int
		State       string
		Actions     []string
		Rating      string
		Review      string
		CallbackDue *time.Time `json:"callback_due"`
		ReviewDue   *time.Time `json:"review_due"`
		Tasks       []struct {
			State         string
			ContactDue    *time.Time `json:"contact_due"`
			ContactedAt   *time.Time `json:"contacted_at"`
			ContactMethod string     `json:"contact_method"`
		}
		Timeline []struct {
			Action string
			Data   caseflow.EventData
		}
	}
	read := func(token string) view {
		t.Helper()
		code, body, _ := getAs(t, s.URL+"/api/v1/cases/"+n, token)
		var v view
		if code != 200 || json.Unmarshal([]byte(body), &v) != nil {
			t.Fatalf("read %s: %d %.300s", n, code, body)
		}
		return v
	}
	has := func(v view, a string) bool { return strings.Contains(" "+strings.Join(v.Actions, " ")+" ", " "+a+" ") }
	// refused: the step is a 4xx naming the field, and the case is as it was.
	refused := func(token, action string, body map[string]any, status int, field string) {
		t.Helper()
		before := read(disp)
		body["version"] = before.Version
		j, _ := json.Marshal(body)
		code, out, _ := send(t, "POST", s.URL+"/api/v1/cases/"+n+"/actions/"+action, token, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		if code != status || !strings.Contains(out, `"field":"`+field+`"`) {
			t.Errorf("%s %v: want %d on %s, got %d %s", action, body, status, field, code, out)
		}
		if after := read(disp); after.Version != before.Version || after.State != before.State || after.Rating != before.Rating {
			t.Errorf("a refused %s changed the case: %+v → %+v", action, before, after)
		}
	}
	now := a.Now()
	act(t, s.URL, disp, n, "register", map[string]any{})
	act(t, s.URL, disp, n, "dispatch", map[string]any{"assignments": []map[string]any{{"unit": "hwc", "lead": true}}})
	v := read(hw)
	if len(v.Tasks) != 1 || v.Tasks[0].ContactDue == nil || !v.Tasks[0].ContactDue.After(now) {
		t.Fatalf("the lead's first-contact limit: %+v", v.Tasks)
	}
	act(t, s.URL, hw, n, "sign", map[string]any{})
	if v := read(hw); !has(v, "contact") || has(v, "caller_answer") || has(v, "report_back") {
		t.Fatalf("the liaison is offered %v before the contact", v.Actions)
	}
	refused(op, "callback", map[string]any{"rating": "satisfied", "solved": true}, 409, "answer")
	refused(hw, "contact", map[string]any{"method": "phone"}, 422, "contacted_at")
	refused(hw, "contact", map[string]any{"method": "fax", "contacted_at": now}, 422, "method")
	refused(hw, "contact", map[string]any{"method": "phone", "contacted_at": now.Add(time.Hour)}, 422, "contacted_at")
	act(t, s.URL, hw, n, "contact", map[string]any{"contacted_at": now, "method": "visit", "note": "上门查看，与李先生约定两日内清完"})
	if v := read(hw); v.Tasks[0].ContactedAt == nil || v.Tasks[0].ContactMethod != "visit" || !has(v, "caller_answer") || has(v, "contact") {
		t.Fatalf("after the contact: %+v, offered %v", v.Tasks[0], v.Actions)
	}
	refused(hw, "caller_answer", map[string]any{"solved": true}, 422, "reply")
	refused(hw, "caller_answer", map[string]any{"reply": "暂时无法清运", "solved": false}, 422, "reason")
	act(t, s.URL, hw, n, "caller_answer", map[string]any{"reply": "垃圾已全部清运，今后每日清运两次", "solved": true, "note": "调派清运车 2 台，费用由物业承担"})
	v = read(op)
	if v.State != "closed" || v.CallbackDue == nil || !has(v, "callback") {
		t.Fatalf("answered: %s, callback due %v, offered %v", v.State, v.CallbackDue, v.Actions)
	}
	last := v.Timeline[len(v.Timeline)-1]
	if last.Data.Answer == nil || last.Data.Answer.Reply != "垃圾已全部清运，今后每日清运两次" || last.Data.Note != "调派清运车 2 台，费用由物业承担" {
		t.Fatalf("the answer's reply and note: %+v", last.Data)
	}
	// queued reads a queue as the operator, or as the one who acted last:
	// lists are kept for a second of the app's clock, which stands still
	// here, except for whoever wrote since.
	queued := func(q string, as ...string) bool {
		t.Helper()
		token := op
		if len(as) > 0 {
			token = as[0]
		}
		_, body, _ := getAs(t, s.URL+"/api/v1/cases?limit=500&queue="+q, token)
		return strings.Contains(body, `"number":"`+n+`"`)
	}
	if !queued("callback") {
		t.Fatal("the answered order is not on the callback list")
	}
	refused(op, "callback", map[string]any{"rating": "very_satisfied"}, 422, "rating")
	refused(op, "callback", map[string]any{"reach": "busy"}, 422, "reach")
	act(t, s.URL, op, n, "callback", map[string]any{"reach": "not_reached"})
	if !queued("callback") {
		t.Fatal("an attempt not reached took the order off the callback list")
	}
	act(t, s.URL, op, n, "callback", map[string]any{"reach": "reached", "rating": "dissatisfied", "solved": false, "note": "来电人称垃圾仍有残留"})
	if v := read(disp); v.Rating != "dissatisfied" || v.Review != "pending" || v.ReviewDue == nil || !has(v, "review") || queued("callback") || !queued("review") || !queued("review", disp) {
		t.Fatalf("不满意: %q %q, offered %v", v.Rating, v.Review, v.Actions)
	}
	refused(disp, "review", map[string]any{"justified": true}, 422, "reason")
	refused(disp, "review", map[string]any{"reason": "属实"}, 422, "justified")
	act(t, s.URL, disp, n, "review", map[string]any{"justified": true, "reason": "现场核实仍有残留垃圾，退回重办"})
	if v := read(hw); v.State != "in_progress" || v.Tasks[0].State != "signed" || !has(v, "caller_answer") || queued("review", disp) {
		t.Fatalf("justified: %s, offered %v", v.State, v.Actions)
	}
	if _, body, _ := getAs(t, s.URL+"/api/v1/inbox", hw); !strings.Contains(body, `"kind":"reopen"`) || !strings.Contains(body, n) {
		t.Errorf("the department was not told the order is back for rework: %.300s", body)
	}
	act(t, s.URL, hw, n, "caller_answer", map[string]any{"reply": "残留垃圾已清理干净", "solved": true})
	act(t, s.URL, op, n, "callback", map[string]any{"rating": "satisfied", "solved": true})
	if v := read(op); v.State != "closed" || v.Rating != "satisfied" || v.Review != "" || has(v, "callback") {
		t.Fatalf("the second callback: %s %q, offered %v", v.State, v.Rating, v.Actions)
	}
}

// The definitions say what the three rates divide: 响应率 by the first
// contact's limit, not by dispatch; and which ratings count as satisfied.
func TestHotlineRatesDefined(t *testing.T) {
	s, _ := server(t)
	code, body, _ := get(t, s.URL+"/api/v1/evaluations/definitions")
	var d struct {
		Rates []struct {
			Key, Numerator, Denominator, Doc string
		}
		Hotline struct {
			Rules struct {
				SatisfiedOnly bool `json:"satisfied_only"`
			}
			Doc string
		}
	}
	if code != 200 || json.Unmarshal([]byte(body), &d) != nil {
		t.Fatalf("definitions: %d %.300s", code, body)
	}
	want := map[string][2]string{"response_rate": {"contacted_on_time", "contact_due"}, "solve_rate": {"solved", "callbacks"},
		"satisfaction_rate": {"satisfied", "callbacks"}}
	for _, r := range d.Rates {
		if w, ok := want[r.Key]; ok {
			if r.Numerator != w[0] || r.Denominator != w[1] || r.Doc == "" {
				t.Errorf("%s: %s ÷ %s", r.Key, r.Numerator, r.Denominator)
			}
			delete(want, r.Key)
		}
	}
	if len(want) > 0 || d.Hotline.Rules.SatisfiedOnly || !strings.Contains(d.Hotline.Doc, "not justified") {
		t.Fatalf("rates not defined: %v; hotline %+v", want, d.Hotline)
	}
}

// A caller who says no to a callback keeps their number on the order (for
// their history) but is not called back once the order is answered.
func TestHotlineNoCallbackWhenDeclined(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	op := tokenOf(t, a, "operator1")
	var numbers []string
	for _, accepts := range []bool{false, true} {
		j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "想问垃圾清运是几点", "lon": all[0].Point.Lon, "lat": all[0].Point.Lat,
			"request_type": "enquiry", "caller": map[string]any{"phone": "13912340001", "callback": accepts}})
		code, out, _ := send(t, "POST", s.URL+"/api/v1/cases", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		var made struct{ Number string }
		if code != 201 || json.Unmarshal([]byte(out), &made) != nil {
			t.Fatalf("the call: %d %s", code, out)
		}
		act(t, s.URL, op, made.Number, "answer", map[string]any{"note": "每日 6:00 和 18:00 清运"})
		numbers = append(numbers, made.Number)
	}
	_, body, _ := getAs(t, s.URL+"/api/v1/cases?limit=500&queue=callback", op)
	if strings.Contains(body, numbers[0]) || !strings.Contains(body, numbers[1]) {
		t.Fatalf("the callback list: declined %s listed %v, accepted %s listed %v", numbers[0], strings.Contains(body, numbers[0]), numbers[1], strings.Contains(body, numbers[1]))
	}
	if c, _ := a.Store.CaseByNumber(ctx, numbers[0]); c.Reporter.Phone != "13912340001" || !c.CallbackDue.IsZero() {
		t.Fatalf("the declined caller's order: phone %q, callback due %s", c.Reporter.Phone, c.CallbackDue)
	}
}
