package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Every waiting list's count, for every kind of reader, is recounted from
// the raw cases, tasks and watches, and equals both the count the tabs show
// (GET /api/v1/queues) and the rows the list pages through (GET
// /api/v1/cases?queue=ID): one definition, one number.
func TestQueueCountsAgreeWithListsAndRawCases(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	// Make sure the rarer lists are not empty: a department asks for more
	// time on one task and the leader supervises another case.
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1000})
	var asked, supervised bool
	for _, c := range all {
		lead := (*caseflow.Task)(nil)
		for i := range c.Tasks {
			if c.Tasks[i].Lead && (c.Tasks[i].State == caseflow.TaskSigned || c.Tasks[i].State == caseflow.TaskDispatched) && c.Tasks[i].Request == caseflow.RequestNone {
				lead = &c.Tasks[i]
			}
		}
		switch {
		case !asked && (c.State == caseflow.InProgress || c.State == caseflow.Dispatched) && lead != nil:
			handler := ""
			accts, _ := a.Store.Accounts(ctx)
			for _, ac := range accts {
				if ac.Role == caseflow.Handler && ac.Active && ac.UnitID == lead.UnitID {
					handler = ac.Username
				}
			}
			if handler == "" {
				continue
			}
			if lead.State == caseflow.TaskDispatched {
				act(t, s.URL, tokenOf(t, a, handler), c.Number, "sign", map[string]any{})
			}
			act(t, s.URL, tokenOf(t, a, handler), c.Number, "request_extension", map[string]any{"reason": "需协调产权单位",
				"deadline": c.Tasks[0].Deadline.Add(72 * time.Hour).Format(time.RFC3339)})
			asked = true
		case !supervised && (c.State == caseflow.Reported || c.State == caseflow.Registered || c.State == caseflow.Dispatched):
			act(t, s.URL, tokenOf(t, a, "leader"), c.Number, "supervise", map[string]any{"reason": "群众反映强烈，尽快派遣"})
			supervised = true
		}
	}
	// Two new reports, one of them registered: the first two lists.
	for i, c := range all[:2] {
		j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "门前积存垃圾", "lon": c.Point.Lon, "lat": c.Point.Lat})
		code, body, _ := send(t, "POST", s.URL+"/api/v1/cases", tokenOf(t, a, "operator1"), bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		var made struct{ Number string }
		if code != 201 || json.Unmarshal([]byte(body), &made) != nil {
			t.Fatalf("report: %d %s", code, body)
		}
		if i == 0 {
			act(t, s.URL, tokenOf(t, a, "dispatcher1"), made.Number, "register", map[string]any{})
		}
	}
	// An enquiry answered at the desk waits for its callback.
	j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "咨询垃圾清运时间", "lon": all[0].Point.Lon, "lat": all[0].Point.Lat,
		"request_type": "enquiry", "caller": map[string]any{"phone": "13600001234", "callback": true}})
	code, body, _ := send(t, "POST", s.URL+"/api/v1/cases", tokenOf(t, a, "operator1"), bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
	var enquiry struct{ Number string }
	if code != 201 || json.Unmarshal([]byte(body), &enquiry) != nil {
		t.Fatalf("an enquiry: %d %s", code, body)
	}
	act(t, s.URL, tokenOf(t, a, "operator1"), enquiry.Number, "answer", map[string]any{"note": "每日 6:00、18:00 清运"})
	if !asked || !supervised {
		t.Fatalf("the demo had no case to ask for time on (%v) or to supervise (%v)", asked, supervised)
	}
	now := a.Now()
	all, _ = a.Store.Cases(ctx, store.CaseFilter{Limit: 1000, Now: now})
	if len(all) == 1000 {
		t.Fatal("the demo grew past the test's single read of every case")
	}
	// The lists recounted by hand (inQueue): states, tasks and watches as stored.
	accts, _ := a.Store.Accounts(ctx)
	readers := map[caseflow.Role]string{}
	for _, ac := range accts {
		if _, ok := readers[ac.Role]; !ok && ac.Active && ac.Role != caseflow.Resident {
			readers[ac.Role] = ac.Username
		}
	}
	nonEmpty := map[string]bool{}
	for role, user := range readers {
		acc, _ := a.Store.AccountByUsername(ctx, user)
		p, err := a.Principal(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		token := tokenOf(t, a, user)
		code, body, _ := getAs(t, s.URL+"/api/v1/queues", token)
		var qs struct {
			Queues []struct {
				ID    string
				Count int64
				List  string
			}
		}
		if code != 200 || json.Unmarshal([]byte(body), &qs) != nil || len(qs.Queues) == 0 {
			t.Fatalf("%s: queues %d %s", role, code, body)
		}
		// The bell's counts are the tabs' counts, and its unread count is
		// the inbox's.
		code, body, _ = getAs(t, s.URL+"/api/v1/inbox/counts", token)
		var bell struct {
			Unread int
			Queues []struct {
				ID    string
				Count int64
			}
		}
		if code != 200 || json.Unmarshal([]byte(body), &bell) != nil {
			t.Fatalf("%s: inbox counts %d %s", role, code, body)
		}
		_, body, _ = getAs(t, s.URL+"/api/v1/inbox?limit=500", token)
		var in store.Inbox
		if json.Unmarshal([]byte(body), &in) != nil {
			t.Fatalf("%s: inbox %s", role, body)
		}
		unread := 0
		for _, n := range in.New {
			if n.ReadAt.IsZero() {
				unread++
			}
		}
		if len(in.New) < 500 && (bell.Unread != unread || in.Unread != unread) {
			t.Errorf("%s (%s): the bell says %d unread, the inbox %d, its lines %d", role, user, bell.Unread, in.Unread, unread)
		}
		tab := map[string]int64{}
		for _, q := range qs.Queues {
			tab[q.ID] = q.Count
		}
		var bellIDs []string
		for _, q := range bell.Queues {
			bellIDs = append(bellIDs, q.ID)
			if n, ok := tab[q.ID]; !ok || q.Count != n {
				t.Errorf("%s: the bell counts %s %d, the tab %d", role, q.ID, q.Count, n)
			}
		}
		if want := map[caseflow.Role]string{caseflow.Operator: "reported callback review", caseflow.Dispatcher: "reported registered requests supervised pending_close overdue review suspected",
			caseflow.Handler: "supervised dispatched in_progress suspended overdue", caseflow.GridWorker: "pending_check", caseflow.Leader: "disputes supervised overdue",
			caseflow.Admin: ""}[role]; strings.Join(bellIDs, " ") != want {
			t.Errorf("%s: the bell counts %v, want %s", role, bellIDs, want)
		}
		if unread > 0 {
			nonEmpty["unread"] = true
		}
		for _, q := range qs.Queues {
			if q.List != "" {
				// Not cases (the alarms waiting for review): recounted from
				// the raw alarms, listed where the queue says.
				var raw int64
				if err := a.Store.DB().QueryRow(`SELECT count(*) FROM alarms WHERE status = 'suspected'`).Scan(&raw); err != nil || raw != q.Count {
					t.Errorf("%s: queue %s says %d, the alarms table %d (%v)", role, q.ID, q.Count, raw, err)
				}
				if code, _, _ := getAs(t, s.URL+q.List, token); code != 200 {
					t.Errorf("%s: queue %s's list %s answers %d", role, q.ID, q.List, code)
				}
				continue
			}
			want := int64(0)
			for i := range all {
				if access.CanSee(p, &all[i]) && inQueue(t, a, now, q.ID, &all[i]) {
					want++
				}
			}
			listed, url := int64(0), s.URL+"/api/v1/cases?limit=100&queue="+q.ID
			for url != "" {
				code, body, _ := getAs(t, url, token)
				var page struct {
					Cases      []struct{ Number string }
					NextCursor string `json:"next_cursor"`
				}
				if code != 200 || json.Unmarshal([]byte(body), &page) != nil {
					t.Fatalf("%s %s: %d %.200s", role, url, code, body)
				}
				listed += int64(len(page.Cases))
				url = ""
				if page.NextCursor != "" {
					url = s.URL + "/api/v1/cases?limit=100&queue=" + q.ID + "&cursor=" + page.NextCursor
				}
			}
			if q.Count != want || listed != want {
				t.Errorf("%s (%s), queue %s: tab says %d, list has %d, recounted %d", role, user, q.ID, q.Count, listed, want)
			}
			if want > 0 {
				nonEmpty[q.ID] = true
			}
		}
	}
	for _, id := range []string{"reported", "registered", "requests", "supervised", "in_progress", "overdue", "callback", "unread"} {
		if !nonEmpty[id] {
			t.Errorf("queue %s was empty for every reader: the comparison proves nothing there", id)
		}
	}
	if code, body, _ := get(t, s.URL+"/api/v1/cases?queue=later"); code != 400 || !strings.Contains(body, `"field":"queue"`) {
		t.Errorf("an unknown queue: %d %s", code, body)
	}
	if code, body, _ := get(t, s.URL+"/api/v1/cases?queue=overdue&state=reported"); code != 400 || !strings.Contains(body, `"field":"queue"`) {
		t.Errorf("a queue with a state: %d %s", code, body)
	}
}
