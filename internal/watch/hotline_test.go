package watch_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/notify"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/watch"
)

// A hotline order's first contact has its own limit from the dispatch:
// the lead department is warned before it, reminded after it, and the
// watch ends once the requester is contacted; the answer starts the
// callback's limit, and a 不满意 the review's; the centre hears of
// either being late.
func TestWatcherFollowsContactAndCallback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, s)
		c := &caseflow.Case{Channel: caseflow.ChannelHotline, CategoryID: "M06011", Urgency: caseflow.Normal,
			Description: "小区门口垃圾堆了一周", Address: "鸿宾嘉苑", Point: caseflow.Point{Lon: 113.31, Lat: 40.09},
			Place:    caseflow.Place{UnitGrid: storetest.Grid + "001", Grid: storetest.Grid, Community: "140213053001", Street: "140213053"},
			Reporter: caseflow.Reporter{Name: "李先生", Phone: "13912345678"}}
		ev, err := caseflow.Report(c, f.Operator, storetest.T0, f.Policy)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateCase(ctx, c, &ev, f.Policy); err != nil {
			t.Fatal(err)
		}
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: storetest.T0.Add(5 * time.Minute)})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, At: storetest.T0.Add(10 * time.Minute),
			Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true}}})
		task := c.Tasks[0]
		// Half a working day: well before the two working days of handling.
		if task.ContactDue.IsZero() || !task.ContactDue.Before(task.Deadline) {
			t.Fatalf("contact due %s, handling due %s", task.ContactDue, task.Deadline)
		}
		watches, err := s.CaseWatches(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		keys := []string{}
		for _, w := range watches {
			keys = append(keys, w.Key+"/"+string(w.Step))
		}
		if !strings.Contains(strings.Join(keys, " "), "contact:") {
			t.Fatalf("watches %v: no first contact", keys)
		}
		clock := &fakeClock{}
		w := &watch.Watcher{Store: s, Clock: f.Policy, Now: clock.Now}
		dept := store.Recipient{AccountID: f.Handler.AccountID, UnitID: f.Env.ID, Role: caseflow.Handler, Scope: store.CaseScope{All: true}}
		clock.Set(f.Policy.WarnAt(task.DispatchedAt, task.ContactDue))
		if res := sweep(t, w); res.Warnings != 1 {
			t.Fatalf("at the contact warning: %+v", res)
		}
		in := inbox(t, s, dept, clock.Now())
		if len(in.New) == 0 || !strings.Contains(notify.Render("zh-CN", in.New[0].Kind, in.New[0].Params), "首次联系") {
			t.Fatalf("the department was not warned of the first contact: %+v", in.New)
		}
		clock.Set(task.ContactDue.Add(time.Minute))
		if res := sweep(t, w); res.Reminders != 1 {
			t.Fatalf("after the contact deadline: %+v", res)
		}
		rem := events(t, s, c.ID, caseflow.ActRemind)
		if len(rem) != 1 || rem[0].TaskID != task.ID || rem[0].Data.Late == nil || rem[0].Data.Late.Step != caseflow.StepContact ||
			!rem[0].Data.Late.Due.Equal(task.ContactDue) {
			t.Fatalf("reminders %+v", rem)
		}
		c, _ = s.Case(ctx, c.ID)
		now := clock.Now()
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActSign, Actor: f.Handler, At: now})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActContact, Actor: f.Handler, At: now.Add(time.Minute),
			ContactedAt: now, Method: caseflow.ContactPhone, Note: "已电话联系李先生"})
		if ws, _ := s.CaseWatches(ctx, c.ID); len(ws) != 1 || ws[0].Step != caseflow.StepHandle {
			t.Fatalf("after the contact the watches are %+v", ws)
		}
		yes := true
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActCallerAnswer, Actor: f.Handler, At: now.Add(time.Hour),
			Reply: "垃圾已清运", Solved: &yes, Note: "出动清运车一台"})
		if c.State != caseflow.Closed || c.CallbackDue.IsZero() {
			t.Fatalf("answered: %s, callback due %s", c.State, c.CallbackDue)
		}
		ws, _ := s.CaseWatches(ctx, c.ID)
		if len(ws) != 1 || ws[0].Step != caseflow.StepCallback || !ws[0].Deadline.Equal(c.CallbackDue) {
			t.Fatalf("after the answer the watches are %+v", ws)
		}
		clock.Set(c.CallbackDue.Add(time.Minute))
		sweep(t, w)
		centre := store.Recipient{AccountID: f.Operator.AccountID, UnitID: f.Centre.ID, Role: caseflow.Operator, Scope: store.CaseScope{All: true}}
		if k := kinds(inbox(t, s, centre, clock.Now())); !strings.Contains(k, "callback_overdue") {
			t.Fatalf("the centre's inbox after the callback deadline: %s", k)
		}
		no := false
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActCallback, Actor: f.Operator, At: clock.Now(),
			Rating: caseflow.RatingDissatisfied, Solved: &no})
		if k := kinds(inbox(t, s, centre, clock.Now())); !strings.Contains(k, "review") {
			t.Fatalf("the centre was not told of the 不满意: %s", k)
		}
		// The 不满意 waits for its review, on its own limit.
		ws, _ = s.CaseWatches(ctx, c.ID)
		if len(ws) != 1 || ws[0].Step != caseflow.StepReview || c.ReviewDue.IsZero() || !ws[0].Deadline.Equal(c.ReviewDue) {
			t.Fatalf("after the 不满意 the watches are %+v (review due %s)", ws, c.ReviewDue)
		}
		clock.Set(c.ReviewDue.Add(time.Minute))
		sweep(t, w)
		if k := kinds(inbox(t, s, centre, clock.Now())); !strings.Contains(k, "review_overdue") {
			t.Fatalf("the centre's inbox after the review deadline: %s", k)
		}
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActReview, Actor: f.Disp, At: clock.Now(), Justified: &no, Reason: "诉求超出政策范围，已解释"})
		if ws, _ := s.CaseWatches(ctx, c.ID); len(ws) != 0 || c.State != caseflow.Closed {
			t.Fatalf("after the review the watches are %+v, the order %s", ws, c.State)
		}
	})
}
