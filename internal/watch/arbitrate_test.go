package watch_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/notify"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/watch"
)

// A disputed return (派单争议) waits for the leaders' arbitration on its
// own limit from the dispute: the district's leaders are warned before it;
// when it passes, the centre and the leaders are told, and no department
// is reminded (the step is the leaders' own) nor any supervision order
// issued; the decision ends the watch, and so does the disputed task
// leaving the dispute another way.
func TestWatcherFollowsArbitration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, s)
		disputed := func(at time.Time) *caseflow.Case {
			// 非法占绿毁绿: five working days to handle, so the
			// arbitration's two come first.
			c := f.ReportAt(t, "M06045", 113.30, 40.09, at)
			c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: at.Add(5 * time.Minute)})
			c = f.Do(t, c, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, At: at.Add(10 * time.Minute),
				Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true}}})
			c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRequestReturn, Actor: f.Handler, At: at.Add(30 * time.Minute), Reason: "绿地归园林处管养"})
			return f.Do(t, c, caseflow.Command{Action: caseflow.ActDispute, Actor: f.Disp, At: at.Add(time.Hour),
				TaskUnit: f.Env.ID, Reason: "占绿堆放的是垃圾，属环卫处清运"})
		}
		c := disputed(storetest.T0)
		task := c.Tasks[0]
		due := task.RequestedDue
		if want := f.Policy.Due(caseflow.StepArbitrate, c.CategoryID, c.Urgency, c.UpdatedAt); due.IsZero() || !due.Equal(want) || !due.Before(task.Deadline) {
			t.Fatalf("arbitration due %s, want %s (before the handling deadline %s)", due, want, task.Deadline)
		}
		if ev := events(t, s, c.ID, caseflow.ActDispute); len(ev) != 1 || ev[0].Data.Deadline == nil || !ev[0].Data.Deadline.Equal(due) {
			t.Fatalf("the dispute's event does not carry the arbitration's deadline: %+v", ev)
		}
		arbitration := func(c *caseflow.Case) *store.Watch {
			ws, err := s.CaseWatches(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range ws {
				if w.Step == caseflow.StepArbitrate {
					return &w
				}
			}
			return nil
		}
		w0 := arbitration(c)
		if w0 == nil || !w0.Deadline.Equal(due) || w0.UnitID != 0 || w0.TaskID() != task.ID {
			t.Fatalf("the arbitration's watch: %+v", w0)
		}
		clock := &fakeClock{}
		w := &watch.Watcher{Store: s, Clock: f.Policy, Now: clock.Now}
		// A district leader of the district government (not the centre),
		// as the demo has them.
		gov := org.Unit{Code: "qld", Name: "平城区人民政府", Kind: org.KindLeadership}
		if err := s.CreateUnit(ctx, &gov); err != nil {
			t.Fatal(err)
		}
		acc := org.Account{Username: "qz", Name: "区长", Role: caseflow.Leader, UnitID: gov.ID, PasswordHash: "x", Active: true}
		if err := s.CreateAccount(ctx, &acc); err != nil {
			t.Fatal(err)
		}
		leader := store.Recipient{AccountID: acc.ID, UnitID: gov.ID, Role: caseflow.Leader, Scope: store.CaseScope{All: true}}
		centre := store.Recipient{AccountID: f.Operator.AccountID, UnitID: f.Centre.ID, Role: caseflow.Operator, Centre: true, Scope: store.CaseScope{All: true}}
		dept := store.Recipient{AccountID: f.Handler.AccountID, UnitID: f.Env.ID, Role: caseflow.Handler, Scope: store.CaseScope{All: true}}
		about := func(in store.Inbox, kind string) int {
			n := 0
			for _, l := range in.New {
				if l.Kind == kind && strings.Contains(notify.Render("zh-CN", l.Kind, l.Params), "仲裁") {
					n++
				}
			}
			return n
		}

		clock.Set(f.Policy.WarnAt(w0.Start, due))
		if res := sweep(t, w); res.Warnings != 1 || res.Total() != 1 {
			t.Fatalf("at the arbitration's warning: %+v", res)
		}
		in := inbox(t, s, leader, clock.Now())
		if about(in, "warning") != 1 {
			t.Fatalf("the leaders were not warned of the arbitration: %+v", in.New)
		}
		if len(in.Due) != 1 || in.Due[0].Step != caseflow.StepArbitrate || !in.Due[0].Deadline.Equal(due) {
			t.Fatalf("the leaders' due list: %+v", in.Due)
		}
		if about(inbox(t, s, dept, clock.Now()), "warning") != 0 {
			t.Fatal("the department that returned the order was warned of the leaders' arbitration")
		}

		clock.Set(due.Add(time.Minute))
		if res := sweep(t, w); res.Total() != 1 {
			t.Fatalf("after the arbitration's deadline: %+v", res)
		}
		if about(inbox(t, s, leader, clock.Now()), "arbitrate_overdue") < 1 || about(inbox(t, s, centre, clock.Now()), "arbitrate_overdue") < 1 {
			t.Fatalf("the leaders and the centre were not told the arbitration is late: %s / %s",
				kinds(inbox(t, s, leader, clock.Now())), kinds(inbox(t, s, centre, clock.Now())))
		}
		if rem := events(t, s, c.ID, caseflow.ActRemind); len(rem) != 0 {
			t.Fatalf("a department was reminded of the leaders' arbitration: %+v", rem)
		}
		clock.Set(f.Policy.EscalateAt(due).Add(time.Hour))
		if res := sweep(t, w); res.Total() != 0 {
			t.Fatalf("a late arbitration was escalated: %+v", res)
		}
		if sup := events(t, s, c.ID, caseflow.ActSupervise); len(sup) != 0 {
			t.Fatalf("a supervision order on the leaders' own step: %+v", sup)
		}

		c, _ = s.Case(ctx, c.ID)
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActArbitrate, Actor: f.Leader, At: clock.Now(), TaskUnit: f.Env.ID,
			Reason: "按职责清单由园林处牵头，环卫处配合清运", Assignments: []caseflow.Assignment{{UnitID: f.Gar.ID, Lead: true}, {UnitID: f.Env.ID}}})
		if arbitration(c) != nil {
			t.Fatal("the arbitration's watch outlived the decision")
		}
		if in := inbox(t, s, leader, clock.Now()); len(in.Due)+len(in.Overdue) != 0 {
			t.Fatalf("the leaders still see the decided arbitration: %+v %+v", in.Due, in.Overdue)
		}

		// The returning department does the work after all: nothing is
		// left to arbitrate.
		d := disputed(storetest.T0.Add(24 * time.Hour))
		if arbitration(d) == nil {
			t.Fatal("the second dispute is not watched")
		}
		now := storetest.T0.Add(26 * time.Hour)
		d = f.Do(t, d, caseflow.Command{Action: caseflow.ActSign, Actor: f.Handler, At: now})
		d = f.Do(t, d, caseflow.Command{Action: caseflow.ActReportBack, Actor: f.Handler, At: now.Add(time.Hour),
			Note: "已清理", Photos: []string{"p1.jpg"}})
		if arbitration(d) != nil {
			t.Fatal("the arbitration's watch outlived the dispute")
		}
	})
}
