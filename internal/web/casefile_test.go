package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
)

// The case as a file for the people who call back: a 12345 operator finds a
// resident's report by its number, sees who acted at each step, reveals the
// resident's phone (the view is audited) and the merge trail both ways;
// roles that do not call back cannot reveal it, and a case out of scope
// answers as an absent one.
func TestCaseFileForCallbacks(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1000})
	var at caseflow.Case
	for _, c := range all {
		if c.CategoryID == "M06011" {
			at = c
			break
		}
	}
	resident := func(desc string) string {
		t.Helper()
		j, _ := json.Marshal(map[string]any{"category": "M06011", "description": desc, "lon": at.Point.Lon, "lat": at.Point.Lat,
			"name": "王秀兰", "phone": "13912345678"})
		code, body, _ := send(t, "POST", s.URL+"/api/v1/public/reports", "", bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		var made struct{ Number string }
		if code != 201 || json.Unmarshal([]byte(body), &made) != nil || made.Number == "" {
			t.Fatalf("resident report: %d %s", code, body)
		}
		return made.Number
	}
	first, second := resident("小区门口垃圾堆了三天"), resident("门口垃圾还没清")
	op, disp := tokenOf(t, a, "operator1"), tokenOf(t, a, "dispatcher1")
	act(t, s.URL, disp, first, "register", map[string]any{})
	act(t, s.URL, disp, second, "merge", map[string]any{"duplicate_of": first, "reason": "同一处垃圾"})

	// Found by its number, and by its day's digits.
	code, body, _ := getAs(t, s.URL+"/api/v1/cases?q="+first, op)
	var list struct{ Cases []struct{ Number string } }
	if json.Unmarshal([]byte(body), &list); code != 200 || len(list.Cases) != 1 || list.Cases[0].Number != first {
		t.Fatalf("search by number %s: %d %s", first, code, body)
	}
	day := first[:8]
	want := 0
	for _, c := range append(all, caseflow.Case{Number: first}, caseflow.Case{Number: second}) {
		if strings.HasPrefix(c.Number, day) {
			want++
		}
	}
	code, body, _ = getAs(t, s.URL+"/api/v1/cases?limit=1000&q="+day, op)
	json.Unmarshal([]byte(body), &list)
	if code != 200 || len(list.Cases) != want {
		t.Fatalf("search by the day %s: %d cases, recounted %d", day, len(list.Cases), want)
	}
	for _, c := range list.Cases {
		if !strings.HasPrefix(c.Number, day) {
			t.Errorf("search by the day %s found %s", day, c.Number)
		}
	}

	// The file: names on the timeline, the merge trail, a reporter to call.
	var v struct {
		Timeline []struct {
			Action string
			By     string
		}
		Merged            []string
		DuplicateOfNumber string `json:"duplicate_of_number"`
		ReporterReachable bool   `json:"reporter_reachable"`
	}
	_, body, _ = getAs(t, s.URL+"/api/v1/cases/"+first, op)
	json.Unmarshal([]byte(body), &v)
	dispAcc, _ := a.Store.AccountByUsername(ctx, "dispatcher1")
	named := false
	for _, e := range v.Timeline {
		named = named || (e.Action == "register" && e.By == dispAcc.Name && e.By != "")
		if e.Action == "report" && e.By != "" {
			t.Errorf("the resident's report names %q on the timeline", e.By)
		}
	}
	if !named || len(v.Merged) != 1 || v.Merged[0] != second || !v.ReporterReachable {
		t.Fatalf("the operator's view of %s: %s", first, body)
	}
	_, body, _ = getAs(t, s.URL+"/api/v1/cases/"+second, op)
	json.Unmarshal([]byte(body), &v)
	if v.DuplicateOfNumber != first {
		t.Fatalf("the merged case does not name %s: %s", first, body)
	}
	code, body, hdr := getAs(t, s.URL+"/api/v1/cases/"+first+"/reporter", op)
	if code != 200 || !strings.Contains(body, "13912345678") || !strings.Contains(body, "王秀兰") || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("the operator's reveal: %d %s %q", code, body, hdr.Get("Cache-Control"))
	}
	entries, err := a.Store.AuditEntries(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range entries {
		audited = audited || (e["event"] == "reporter_viewed" && e["detail"] == first && e["username"] == "operator1")
	}
	if !audited {
		t.Fatalf("the reveal is not in the audit log: %v", entries)
	}
	// The leader sees the case but does not call back; a department with
	// no task on it does not see it at all.
	leader := tokenOf(t, a, "leader")
	_, body, _ = getAs(t, s.URL+"/api/v1/cases/"+first, leader)
	if strings.Contains(body, `"reporter_reachable":true`) {
		t.Error("the leader is offered the reporter's contact")
	}
	if code, body, _ := getAs(t, s.URL+"/api/v1/cases/"+first+"/reporter", leader); code != 403 || strings.Contains(body, "1391234") {
		t.Errorf("the leader's reveal: %d %s", code, body)
	}
	var handler string
	accts, _ := a.Store.Accounts(ctx)
	units, _ := a.Store.Units(ctx)
	for _, ac := range accts {
		for _, u := range units {
			if handler == "" && ac.Role == caseflow.Handler && ac.Active && u.ID == ac.UnitID && u.Kind == org.KindDepartment {
				handler = ac.Username
			}
		}
	}
	ht := tokenOf(t, a, handler)
	_, absent, _ := getAs(t, s.URL+"/api/v1/cases/2026010100999/reporter", ht)
	if code, body, _ := getAs(t, s.URL+"/api/v1/cases/"+first+"/reporter", ht); code != 404 || body != absent {
		t.Errorf("a department without a task on the case: %d %s, want as absent: %s", code, body, absent)
	}
}
