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

// Merged orders follow their parent: two callers about the same matter,
// the second merged into the first; when the first is answered at the
// desk, the second gets the same answer on its own file and waits on the
// callback list, and its caller is called back and rated there.
func TestMergedOrdersFollowTheirParent(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	op := tokenOf(t, a, "operator1")
	seed, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	call := func(phone string) string {
		j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "垃圾清运点几点收垃圾", "lon": seed[0].Point.Lon, "lat": seed[0].Point.Lat,
			"request_type": "enquiry", "caller": map[string]any{"phone": phone, "callback": true}})
		code, out, _ := send(t, "POST", s.URL+"/api/v1/cases", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		var c struct{ Number string }
		if code != 201 || json.Unmarshal([]byte(out), &c) != nil {
			t.Fatalf("call: %d %s", code, out)
		}
		return c.Number
	}
	act := func(number, action string, body map[string]any) (int, string) {
		cur, _ := a.Store.CaseByNumber(ctx, number)
		body["version"] = cur.Version
		j, _ := json.Marshal(body)
		code, out, _ := send(t, "POST", s.URL+"/api/v1/cases/"+number+"/actions/"+action, op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		return code, out
	}
	first, second := call("13911110001"), call("13911110002")
	if code, out := act(second, "merge", map[string]any{"duplicate_of": first}); code != 200 {
		t.Fatalf("merge: %d %s", code, out)
	}
	if code, _ := act(second, "callback", map[string]any{"rating": "satisfied"}); code < 400 {
		t.Error("a merged order called back before its parent is answered")
	}
	if code, out := act(first, "answer", map[string]any{"note": "每日 6:00 和 18:00 清运"}); code != 200 {
		t.Fatalf("answer: %d %s", code, out)
	}
	m, _ := a.Store.CaseByNumber(ctx, second)
	evs, _ := a.Store.Events(ctx, m.ID)
	last := evs[len(evs)-1]
	if last.Action != caseflow.ActFollow || last.Data.Answer == nil || last.Data.Answer.Reply != "每日 6:00 和 18:00 清运" || m.CallbackDue.IsZero() {
		t.Fatalf("the merged order after its parent's answer: %s %+v due %v", last.Action, last.Data.Answer, m.CallbackDue)
	}
	_, list, _ := getAs(t, s.URL+"/api/v1/cases?queue=callback&limit=500", op)
	if !strings.Contains(list, second) || !strings.Contains(list, first) {
		t.Errorf("both callers wait on the callback list")
	}
	_, file, _ := getAs(t, s.URL+"/api/v1/cases/"+second, op)
	if !strings.Contains(file, `"callback"`) || !strings.Contains(file, "每日 6:00 和 18:00 清运") {
		t.Errorf("the merged order's file offers its callback and shows the answer: %.400s", file)
	}
	if code, out := act(second, "callback", map[string]any{"reach": "reached", "rating": "satisfied", "solved": true}); code != 200 {
		t.Fatalf("the merged caller's callback: %d %s", code, out)
	}
	if m, _ = a.Store.CaseByNumber(ctx, second); m.Rating != caseflow.RatingSatisfied || !m.CallbackDue.IsZero() {
		t.Errorf("rated: %s, due %v", m.Rating, m.CallbackDue)
	}
}
