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

// The hotline desk takes a call: the caller's name and phone kept for
// staff, the request type on the case's first event, the channel 12345;
// the caller's earlier orders found by phone; bad input names the field
// and files nothing.
func TestHotlineIntake(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 10})
	op := tokenOf(t, a, "operator1")
	call := func(token string, body map[string]any) (int, string) {
		t.Helper()
		base := map[string]any{"category": "M06011", "description": "楼道里堆满杂物，消防通道被堵", "lon": all[0].Point.Lon, "lat": all[0].Point.Lat}
		for k, v := range body {
			base[k] = v
		}
		j, _ := json.Marshal(base)
		code, out, _ := send(t, "POST", s.URL+"/api/v1/cases", token, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		return code, out
	}
	before, _ := a.Store.CountCases(ctx)
	for _, bad := range []struct {
		token string
		body  map[string]any
		field string
	}{
		{op, map[string]any{"request_type": "gossip", "caller": map[string]any{"phone": "13912345678"}}, "request_type"},
		{op, map[string]any{"caller": map[string]any{"phone": "13912345678"}}, "request_type"},
		{op, map[string]any{"request_type": "complaint", "caller": map[string]any{"phone": "12345"}}, "caller.phone"},
		{op, map[string]any{"request_type": "complaint", "caller": map[string]any{"callback": true}}, "caller.phone"},
		{op, map[string]any{"request_type": "complaint", "caller": map[string]any{"name": strings.Repeat("王", 51)}}, "caller.name"},
		{tokenOf(t, a, "gw14021305300101"), map[string]any{"request_type": "complaint", "caller": map[string]any{"phone": "13912345678"}}, "caller"},
	} {
		if code, out := call(bad.token, bad.body); code != 400 || !strings.Contains(out, `"field":"`+bad.field+`"`) {
			t.Errorf("%v: %d %s", bad.body, code, out)
		}
	}
	if after, _ := a.Store.CountCases(ctx); sum(after) != sum(before) {
		t.Fatalf("refused calls filed %d cases", sum(after)-sum(before))
	}
	// Two calls from the same phone; an anonymous one keeps no name.
	var numbers []string
	for _, caller := range []map[string]any{{"name": "张女士", "phone": "139 1234 5678", "callback": true}, {"name": "张女士", "phone": "13912345678", "anonymous": true}} {
		code, out := call(op, map[string]any{"request_type": "complaint", "caller": caller})
		var made struct {
			Number  string
			Channel string
		}
		if code != 201 || json.Unmarshal([]byte(out), &made) != nil || made.Channel != "hotline" {
			t.Fatalf("a call: %d %s", code, out)
		}
		numbers = append(numbers, made.Number)
	}
	first, _ := a.Store.CaseByNumber(ctx, numbers[0])
	second, _ := a.Store.CaseByNumber(ctx, numbers[1])
	if first.Reporter.Name != "张女士" || first.Reporter.Phone != "13912345678" || second.Reporter.Name != "" || second.Reporter.Phone != "13912345678" {
		t.Fatalf("callers kept: %+v / %+v", first.Reporter, second.Reporter)
	}
	evs, _ := a.Store.Events(ctx, second.ID)
	if in := evs[0].Data.Intake; in == nil || in.Type != caseflow.Complaint || !in.Anonymous {
		t.Fatalf("the intake on the first event: %+v", in)
	}
	// The caller's history while the next call is on: both orders, newest first.
	code, out, _ := getAs(t, s.URL+"/api/v1/callers/13912345678/cases", op)
	var h struct {
		Total int
		Cases []struct{ Number string }
	}
	if json.Unmarshal([]byte(out), &h); code != 200 || h.Total != 2 || len(h.Cases) != 2 || h.Cases[0].Number != numbers[1] || strings.Contains(out, "张女士") {
		t.Fatalf("the caller's history: %d %s", code, out)
	}
	if code, out, _ := getAs(t, s.URL+"/api/v1/callers/12/cases", op); code != 400 || !strings.Contains(out, `"field":"phone"`) {
		t.Errorf("a history for a bad phone: %d %s", code, out)
	}
	if code, _, _ := getAs(t, s.URL+"/api/v1/callers/13912345678/cases", tokenOf(t, a, "gw14021305300101")); code != 403 {
		t.Errorf("a grid worker reads a caller's history: %d", code)
	}
	// The public board never shows the caller.
	for _, path := range []string{"/board", "/api/v1/public/cases/" + numbers[0], "/"} {
		_, page, _ := getAs(t, s.URL+path, "")
		if strings.Contains(page, "13912345678") || strings.Contains(page, "张女士") {
			t.Errorf("%s shows the caller", path)
		}
	}
}

func sum(m map[caseflow.State]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}
