package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

// The read cache answers a repeated list from memory, never across
// readers, and never after a write: one through this server shows at
// once, one by another process (a second store on the same file) within
// the second.
func TestReadCache(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	now := a.Now()
	a.Now = func() time.Time { return now }
	list := func(token, path string) (int, []string, bool) {
		t.Helper()
		code, body, h := getAs(t, s.URL+path, token)
		var out struct {
			Cases []struct{ Number string } `json:"cases"`
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil && code == 200 {
			t.Fatalf("%s: %v in %s", path, err, body)
		}
		var ns []string
		for _, c := range out.Cases {
			ns = append(ns, c.Number)
		}
		return code, ns, h.Get("X-Cache") == "hit"
	}
	dispatcher := tokenOf(t, a, "dispatcher1")
	handler := tokenOf(t, a, "h-ylc")
	const path = "/api/v1/cases?limit=20"

	_, first, hit := list(dispatcher, path)
	if hit || len(first) == 0 {
		t.Fatalf("first read: hit %v, %d cases", hit, len(first))
	}
	_, again, hit := list(dispatcher, path)
	if !hit || strings.Join(again, ",") != strings.Join(first, ",") {
		t.Fatalf("repeated read: hit %v, %v, want %v", hit, again, first)
	}
	// Another dispatcher of the centre is given the same answer.
	if _, theirs, hit := list(tokenOf(t, a, "dispatcher2"), path); !hit || strings.Join(theirs, ",") != strings.Join(first, ",") {
		t.Fatalf("a second dispatcher: hit %v, %v, want %v", hit, theirs, first)
	}
	// Another reader with a narrower scope gets its own answer.
	code, theirs, hit := list(handler, path)
	if code != 200 || hit {
		t.Fatalf("a department's handler: %d, hit %v", code, hit)
	}
	if strings.Join(theirs, ",") == strings.Join(first, ",") {
		t.Fatalf("a department's handler got the dispatcher's list %v", theirs)
	}

	// A report through this server: the next list has it.
	w := signIn(t, s.URL, "dispatcher1")
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	c := cs[0]
	code, body := w.do("POST", "/api/v1/cases", map[string]any{"category": "M06011", "description": "缓存测试：垃圾", "lon": c.Point.Lon, "lat": c.Point.Lat})
	if code != 201 {
		t.Fatalf("report: %d %s", code, body)
	}
	var made struct{ Number string }
	json.Unmarshal([]byte(body), &made)
	_, after, hit := list(dispatcher, path)
	if hit || len(after) == 0 || after[0] != made.Number {
		t.Fatalf("after a report: hit %v, first %v, want %s", hit, after[:min(1, len(after))], made.Number)
	}

	// A report by another process: unseen within this second, seen in the next.
	var seq int
	var name, file string
	if err := a.Store.DB().QueryRowContext(ctx, `PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	other, err := store.Open(ctx, file, store.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, _, hit := list(dispatcher, path); !hit {
		t.Fatal("the list was not kept")
	}
	oc := &caseflow.Case{Channel: caseflow.ChannelPatrol, CategoryID: "M06011", Urgency: caseflow.Normal, Description: "另一进程的报告",
		Address: c.Address, Point: c.Point, Place: c.Place}
	ev, err := caseflow.Report(oc, caseflow.Actor{AccountID: 1, Role: caseflow.Dispatcher}, now, a.Policy)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.CreateCase(ctx, oc, &ev, a.Policy); err != nil {
		t.Fatal(err)
	}
	if _, ns, hit := list(dispatcher, path); !hit || ns[0] == oc.Number {
		t.Fatalf("within the second: hit %v, first %s", hit, ns[0])
	}
	now = now.Add(time.Second)
	if _, ns, hit := list(dispatcher, path); hit || ns[0] != oc.Number {
		t.Fatalf("the next second: hit %v, first %s, want %s", hit, ns[0], oc.Number)
	}

	// A co-worker's report through this server: in their next list at
	// once, in ours within the second (as another instance's would be).
	d2 := tokenOf(t, a, "dispatcher2")
	if _, _, hit := list(dispatcher, path); !hit {
		t.Fatal("the list was not kept")
	}
	code, body = signIn(t, s.URL, "dispatcher2").do("POST", "/api/v1/cases", map[string]any{"category": "M06011", "description": "同事的报告", "lon": c.Point.Lon, "lat": c.Point.Lat})
	var coworker struct{ Number string }
	if code != 201 || json.Unmarshal([]byte(body), &coworker) != nil {
		t.Fatalf("a co-worker's report: %d %s", code, body)
	}
	if _, ns, hit := list(dispatcher, path); !hit || ns[0] == coworker.Number {
		t.Fatalf("a co-worker's report, within the second: hit %v, first %s", hit, ns[0])
	}
	if _, ns, _ := list(d2, path); ns[0] != coworker.Number {
		t.Fatalf("the co-worker's own next list: first %s, want %s", ns[0], coworker.Number)
	}
	now = now.Add(time.Second)
	if _, ns, _ := list(dispatcher, path); ns[0] != coworker.Number {
		t.Fatalf("a co-worker's report, the next second: first %s, want %s", ns[0], coworker.Number)
	}

	// Many readers at once, after a write: one answer, the same for all.
	now = now.Add(time.Second)
	bodies := make(chan string, 16)
	for range 16 {
		go func() {
			code, body, _ := getAs(t, s.URL+path, dispatcher)
			bodies <- fmt.Sprint(code, body)
		}()
	}
	one := <-bodies
	for range 15 {
		if b := <-bodies; b != one {
			t.Fatalf("concurrent readers got different answers:\n%.300s\n%.300s", one, b)
		}
	}
	if !strings.HasPrefix(one, "200") {
		t.Fatalf("concurrent readers: %.300s", one)
	}

	// Map boxes too, and a refused read is never kept.
	box := "/api/v1/map?state=all&limit=5&bbox=113.2,39.9,113.5,40.2"
	if _, _, h := getAs(t, s.URL+box, dispatcher); h.Get("X-Cache") == "hit" {
		t.Fatal("first map read was a hit")
	}
	if code, body, h := getAs(t, s.URL+box, dispatcher); code != 200 || h.Get("X-Cache") != "hit" || !strings.Contains(body, `"clusters"`) {
		t.Fatalf("repeated map read: %d %s %.200s", code, h.Get("X-Cache"), body)
	}
	for range 2 {
		if code, _, h := getAs(t, s.URL+box, handler); code != 403 || h.Get("X-Cache") != "" {
			t.Fatalf("map as a department's handler: %d, %q", code, h.Get("X-Cache"))
		}
	}
}
