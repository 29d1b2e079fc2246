package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/deadline"
	"github.com/xiuhua/xiuhua/internal/store"
)

// A caller said 垃圾 but it is 毁绿, and the place was a street away: the
// dispatcher corrects both at registration. The case, its place, its
// deadline and the ledgers follow; bad corrections are refused and change
// nothing. When the department the table chose returns the case, the
// suggestion and the automatic dispatch pass it over.
func TestRegistrationCorrectsAndRedispatchAvoidsWhoReturned(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1000})
	from, to := all[0], all[0]
	for _, c := range all {
		if c.Place.Street != from.Place.Street {
			to = c
			break
		}
	}
	if to.Place.Street == from.Place.Street {
		t.Fatal("the demo's cases are all in one street")
	}
	op, disp := tokenOf(t, a, "operator1"), tokenOf(t, a, "dispatcher1")
	j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "绿地被占用堆放杂物", "lon": from.Point.Lon, "lat": from.Point.Lat})
	code, body, _ := send(t, "POST", s.URL+"/api/v1/cases", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
	var made struct{ Number string }
	if code != 201 || json.Unmarshal([]byte(body), &made) != nil {
		t.Fatalf("report: %d %s", code, body)
	}
	n := made.Number
	post := func(token, action string, in map[string]any) (int, string) {
		t.Helper()
		_, view, _ := getAs(t, s.URL+"/api/v1/cases/"+n, token)
		var v struct{ Version int }
		json.Unmarshal([]byte(view), &v)
		in["version"] = v.Version
		j, _ := json.Marshal(in)
		code, body, _ := send(t, "POST", s.URL+"/api/v1/cases/"+n+"/actions/"+action, token, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		return code, body
	}
	for _, bad := range []struct {
		in    map[string]any
		field string
	}{
		{map[string]any{"category": "M99999"}, "category"},
		{map[string]any{"lon": 116.39, "lat": 39.9}, "location"},
		{map[string]any{"lon": to.Point.Lon}, "lon"},
	} {
		if code, body := post(disp, "register", bad.in); code < 400 || code >= 500 || !strings.Contains(body, `"field":"`+bad.field+`"`) {
			t.Errorf("register with %v: %d %s", bad.in, code, body)
		}
	}
	if c, _ := a.Store.CaseByNumber(ctx, n); c.State != caseflow.Reported || c.CategoryID != "M06011" || c.Version != 1 {
		t.Fatalf("a refused correction changed the case: %s %s v%d", c.State, c.CategoryID, c.Version)
	}
	if code, body := post(disp, "register", map[string]any{"category": "M06045", "lon": to.Point.Lon, "lat": to.Point.Lat}); code != 200 {
		t.Fatalf("register with a correction: %d %s", code, body)
	}
	c, _ := a.Store.CaseByNumber(ctx, n)
	if c.CategoryID != "M06045" || c.Place.Street != to.Place.Street || c.Point != to.Point {
		t.Fatalf("after the correction: %s at %+v", c.CategoryID, c.Place)
	}
	evs, _ := a.Store.Events(ctx, c.ID)
	if k := evs[len(evs)-1].Data.Corrected; k == nil || k.FromCategory != "M06011" || k.FromPlace.Street != from.Place.Street {
		t.Fatalf("the registration does not record what it corrected: %+v", k)
	}
	// The ledgers count it under its new category and street, as a recount does.
	for _, f := range []store.CaseFilter{{Category: "M06045"}, {Category: "M06011"}, {Street: to.Place.Street}, {Street: from.Place.Street}} {
		q := "category=" + f.Category
		if f.Street != "" {
			q = "street=" + f.Street
		}
		_, body, _ := get(t, s.URL+"/api/v1/ledger?"+q)
		var l struct{ Counts store.LedgerCounts }
		json.Unmarshal([]byte(body), &l)
		f.Recount, f.Now = true, a.Now()
		want, err := a.Store.Ledger(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if l.Counts.Total != want.Total || l.Counts.Open != want.Open {
			t.Errorf("ledger %s: %d total, %d open; recounted %d, %d", q, l.Counts.Total, l.Counts.Open, want.Total, want.Open)
		}
	}

	// Dispatched by the table, returned, dispatched again: not to the same.
	if code, body := post(disp, "dispatch", map[string]any{"auto": true}); code != 200 {
		t.Fatalf("auto dispatch: %d %s", code, body)
	}
	c, _ = a.Store.CaseByNumber(ctx, n)
	first := c.Tasks[0].UnitID
	// The file shows the task's working time against its limit: the limit
	// is the table's for 非法占绿毁绿, counted from the dispatch.
	var limit deadline.Limit
	for _, scope := range []string{"M06045", "M06", "*"} {
		for _, l := range deadline.DefaultLimits() {
			if limit.Amount == 0 && l.Scope == scope && l.Step == caseflow.StepHandle && (l.Urgency == "" || l.Urgency == caseflow.Normal) {
				limit = l
			}
		}
	}
	wantAllowed := limit.Amount * 60
	if limit.Unit == deadline.WorkingDays {
		wantAllowed = limit.Amount * int(a.Policy.Calendar().DayLength()/time.Minute)
	}
	_, body, _ = getAs(t, s.URL+"/api/v1/cases/"+n, disp)
	var fileView struct {
		Tasks []struct {
			Allowed *int `json:"work_allowed_minutes"`
			Taken   *int `json:"work_taken_minutes"`
		}
	}
	if json.Unmarshal([]byte(body), &fileView); len(fileView.Tasks) != 1 || fileView.Tasks[0].Allowed == nil || *fileView.Tasks[0].Allowed != wantAllowed ||
		fileView.Tasks[0].Taken == nil || *fileView.Tasks[0].Taken != 0 {
		t.Fatalf("the task's time against its limit (%d %s = %d working minutes): %s", limit.Amount, limit.Unit, wantAllowed, body)
	}
	units, _ := a.Store.Units(ctx)
	code1 := ""
	for _, u := range units {
		if u.ID == first {
			code1 = u.Code
		}
	}
	accts, _ := a.Store.Accounts(ctx)
	handler := ""
	for _, ac := range accts {
		if ac.Role == caseflow.Handler && ac.Active && ac.UnitID == first {
			handler = ac.Username
		}
	}
	if handler == "" {
		t.Fatalf("no handler in unit %s", code1)
	}
	if code, body := post(tokenOf(t, a, handler), "request_return", map[string]any{"reason": "不属于本单位职责"}); code != 200 {
		t.Fatalf("request return: %d %s", code, body)
	}
	if code, body := post(disp, "approve_return", map[string]any{"task_unit": code1}); code != 200 {
		t.Fatalf("approve return: %d %s", code, body)
	}
	_, body, _ = get(t, s.URL+fmt.Sprintf("/api/v1/route?lon=%f&lat=%f&category=M06045&case=%s", c.Point.Lon, c.Point.Lat, n))
	var rt struct {
		Decision struct {
			Lead struct{ Code string }
		}
	}
	if json.Unmarshal([]byte(body), &rt); rt.Decision.Lead.Code == "" || rt.Decision.Lead.Code == code1 {
		t.Fatalf("the suggestion after %s returned the case: %s", code1, body)
	}
	if code, body := post(disp, "dispatch", map[string]any{"auto": true}); code != 200 {
		t.Fatalf("auto dispatch again: %d %s", code, body)
	}
	c, _ = a.Store.CaseByNumber(ctx, n)
	for _, tk := range c.Tasks {
		if tk.Lead && tk.State != caseflow.TaskReturned && tk.UnitID == first {
			t.Fatalf("dispatched again to %s, which returned it", code1)
		}
	}
}
