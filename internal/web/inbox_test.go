package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Reading the inbox: a department marks one line read, then the rest; a
// person of another unit cannot mark its lines; a grid worker marking
// everything read leaves the street office's lines about other grids
// unread for the colleagues who handle them; bad requests name the field.
func TestInboxMarkRead(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	inboxOf := func(token string) store.Inbox {
		t.Helper()
		code, body, _ := getAs(t, s.URL+"/api/v1/inbox?limit=500", token)
		var in store.Inbox
		if code != 200 || json.Unmarshal([]byte(body), &in) != nil {
			t.Fatalf("inbox %d %.200s", code, body)
		}
		return in
	}
	mark := func(token string, body any) (int, map[string]any, string) {
		t.Helper()
		j, _ := json.Marshal(body)
		code, out, _ := send(t, "POST", s.URL+"/api/v1/inbox/read", token, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		var m map[string]any
		json.Unmarshal([]byte(out), &m)
		return code, m, out
	}
	// Two handlers of different departments; three new tasks for the first.
	accts, _ := a.Store.Accounts(ctx)
	var handler, other string
	var unit int64
	for _, ac := range accts {
		if ac.Role != caseflow.Handler || !ac.Active {
			continue
		}
		if handler == "" {
			handler, unit = ac.Username, ac.UnitID
		} else if other == "" && ac.UnitID != unit {
			other = ac.Username
		}
	}
	units, _ := a.Store.Units(ctx)
	unitCode := ""
	for _, u := range units {
		if u.ID == unit {
			unitCode = u.Code
		}
	}
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1000})
	report := func(at caseflow.Case, unitCode string) string { return newTask(t, s.URL, a, at, unitCode) }
	for i := 0; i < 3; i++ {
		report(all[i], unitCode)
	}
	tok0 := tokenOf(t, a, handler)
	before := inboxOf(tok0)
	if before.Unread < 3 {
		t.Fatalf("%s has %d unread lines after three new tasks", handler, before.Unread)
	}
	tok, otherTok := tok0, tokenOf(t, a, other)
	var first store.Notification
	for _, n := range before.New {
		if n.ReadAt.IsZero() {
			first = n
			break
		}
	}
	for _, bad := range []struct {
		body  any
		field string
	}{
		{map[string]any{}, "ids"},
		{map[string]any{"ids": []int64{first.ID}, "all": true}, "ids"},
		{map[string]any{"ids": make([]int64, 501)}, "ids"},
		{map[string]any{"ids": "all"}, ""},
	} {
		if code, _, out := mark(tok, bad.body); code != 400 || !strings.Contains(out, `"field":"`+bad.field) {
			t.Errorf("%v: %d %s", bad.body, code, out)
		}
	}
	if after := inboxOf(tok); after.Unread != before.Unread {
		t.Fatalf("a refused request marked lines read: %d → %d", before.Unread, after.Unread)
	}
	if code, m, out := mark(otherTok, map[string]any{"ids": []int64{first.ID}}); code != 200 || m["marked"] != 0.0 {
		t.Fatalf("another department marked %s's line: %d %s", handler, code, out)
	}
	code, m, out := mark(tok, map[string]any{"ids": []int64{first.ID}})
	if code != 200 || m["marked"] != 1.0 || m["unread"] != float64(before.Unread-1) {
		t.Fatalf("mark one: %d %s (unread was %d)", code, out, before.Unread)
	}
	in := inboxOf(tok)
	if in.Unread != before.Unread-1 {
		t.Fatalf("unread %d after marking one of %d", in.Unread, before.Unread)
	}
	for _, n := range in.New {
		if n.ID == first.ID && n.ReadAt.IsZero() {
			t.Fatal("the line marked read still shows unread")
		}
	}
	if code, m, out := mark(tok, map[string]any{"all": true}); code != 200 || m["unread"] != 0.0 || m["marked"] != float64(before.Unread-1) {
		t.Fatalf("mark all: %d %s", code, out)
	}
	if in := inboxOf(tok); in.Unread != 0 {
		t.Fatalf("unread %d after marking all", in.Unread)
	}

	// A grid worker shares the street office's inbox: a case in another
	// grid of the street, dispatched to the street office.
	var worker, workerGrid string
	for _, ac := range accts {
		if ac.Role == caseflow.GridWorker && ac.Active && len(ac.Grids) == 1 {
			worker, workerGrid = ac.Username, ac.Grids[0]
			break
		}
	}
	var elsewhere *caseflow.Case
	for i, c := range all {
		if c.Place.Street == workerGrid[:9] && c.Place.Grid != workerGrid {
			elsewhere = &all[i]
			break
		}
	}
	if elsewhere == nil {
		t.Fatalf("no case in another grid of %s's street", worker)
	}
	number := report(*elsewhere, "jd"+workerGrid[:9])
	wtok := tokenOf(t, a, worker)
	if code, _, out := mark(wtok, map[string]any{"all": true}); code != 200 {
		t.Fatalf("the grid worker's mark all: %d %s", code, out)
	}
	c, err := a.Store.CaseByNumber(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := a.Store.AccountByUsername(ctx, worker)
	office, err := a.Store.Inbox(ctx, store.Recipient{AccountID: -1, UnitID: acc.UnitID, Scope: store.CaseScope{All: true}}, a.Now(), 500)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range office.New {
		if n.CaseID == c.ID {
			found = true
			if !n.ReadAt.IsZero() {
				t.Errorf("the grid worker marked read the street office's new task in another grid (%s)", fmt.Sprint(n.Title))
			}
		}
	}
	if !found {
		t.Fatal("the street office got no line about the new task")
	}
}

// newTask has the operator report a case at another case's point, and the
// dispatcher register it and dispatch it to the unit: a new task in the
// unit's inbox. It answers the new case's number.
func newTask(t *testing.T, base string, a *app.App, at caseflow.Case, unitCode string) string {
	t.Helper()
	op, disp := tokenOf(t, a, "operator1"), tokenOf(t, a, "dispatcher1")
	j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "楼道堆物", "lon": at.Point.Lon, "lat": at.Point.Lat})
	code, body, _ := send(t, "POST", base+"/api/v1/cases", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
	var made struct{ Number string }
	if code != 201 || json.Unmarshal([]byte(body), &made) != nil {
		t.Fatalf("report: %d %s", code, body)
	}
	act(t, base, disp, made.Number, "register", map[string]any{})
	act(t, base, disp, made.Number, "dispatch", map[string]any{"assignments": []map[string]any{{"unit": unitCode, "lead": true}}})
	return made.Number
}

// An inbox line is worded in the reader's language: the Chinese UI reads
// 新任务（主办）…, the English UI (lang=en, or a browser asking for English)
// "New task (lead) …", with the deadline in Beijing time in both.
func TestInboxSpeaksTheReadersLanguage(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	accts, _ := a.Store.Accounts(ctx)
	var handler string
	var unit int64
	for _, ac := range accts {
		if ac.Role == caseflow.Handler && ac.Active {
			handler, unit = ac.Username, ac.UnitID
			break
		}
	}
	units, _ := a.Store.Units(ctx)
	var code string
	for _, u := range units {
		if u.ID == unit {
			code = u.Code
		}
	}
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 10})
	number := newTask(t, s.URL, a, all[0], code)
	tok := tokenOf(t, a, handler)
	line := func(q string, header map[string]string) store.Notification {
		t.Helper()
		st, body, _ := send(t, "GET", s.URL+"/api/v1/inbox"+q, tok, nil, header)
		var in store.Inbox
		if st != 200 || json.Unmarshal([]byte(body), &in) != nil {
			t.Fatalf("inbox%s: %d %.200s", q, st, body)
		}
		for _, n := range in.New {
			if n.CaseNumber == number && n.Kind == "task" {
				return n
			}
		}
		t.Fatalf("no task line for %s in %+v", number, in.New)
		return store.Notification{}
	}
	zh, en := line("", nil), line("?lang=en", nil)
	browser := line("", map[string]string{"Accept-Language": "en-US,en;q=0.8"})
	if !strings.HasPrefix(zh.Text, "新任务（主办）：案件 "+number+"，处置时限 ") {
		t.Errorf("Chinese line %q", zh.Text)
	}
	if !strings.HasPrefix(en.Text, "New task (lead): case "+number+", due ") || browser.Text != en.Text {
		t.Errorf("English line %q, for an English browser %q", en.Text, browser.Text)
	}
	due := zh.Due.In(calendar.Shanghai).Format("01-02 15:04")
	if !strings.HasSuffix(zh.Text, due) || !strings.HasSuffix(en.Text, due) {
		t.Errorf("the deadline %s (Beijing) is not the one worded: %q / %q", due, zh.Text, en.Text)
	}
	if zh.Title != "" || zh.Params["role"] != "lead" {
		t.Errorf("a new line keeps Chinese text or lost its parameters: %+v", zh)
	}
}
