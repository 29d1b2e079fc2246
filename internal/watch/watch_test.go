package watch_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/watch"
)

// dispatched files a case at at and dispatches it to 环卫处 ten minutes later.
func dispatched(t testing.TB, f *storetest.Fixture, at time.Time) *caseflow.Case {
	t.Helper()
	c := f.Report(t, at)
	c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: at.Add(5 * time.Minute)})
	return f.Do(t, c, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, At: at.Add(10 * time.Minute),
		Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true}}})
}

// fakeClock is a settable now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func sweep(t *testing.T, w *watch.Watcher) watch.Result {
	t.Helper()
	res, held, err := w.Sweep(context.Background())
	if err != nil || !held {
		t.Fatalf("sweep: held %v, %v", held, err)
	}
	if res.Failed > 0 {
		t.Fatalf("sweep failed on %d watches", res.Failed)
	}
	return res
}

func events(t *testing.T, s *store.Store, id int64, a caseflow.Action) []caseflow.Event {
	t.Helper()
	evs, err := s.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []caseflow.Event
	for _, e := range evs {
		if e.Action == a {
			out = append(out, e)
		}
	}
	return out
}

func inbox(t *testing.T, s *store.Store, r store.Recipient, now time.Time) store.Inbox {
	t.Helper()
	r.Scope = store.CaseScope{All: true} // what is addressed to r; whom it may show is access's (web tests)
	in, err := s.Inbox(context.Background(), r, now, 50)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func kinds(in store.Inbox) string {
	var ks []string
	for _, n := range in.New {
		ks = append(ks, n.Kind)
	}
	return strings.Join(ks, ",")
}

// The whole ladder on one task: warning at the warning time, reminder at
// the deadline, supervision order after the escalation time, and the
// order's reply deadline watched in its turn.
func TestWatcherWarnsRemindsEscalates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, s)
		c := dispatched(t, f, storetest.T0)
		task := c.Tasks[0]
		// 积存垃圾渣土: 2 working days from Monday 09:10 is Wednesday 09:10.
		if want := time.Date(2026, 3, 4, 1, 10, 0, 0, time.UTC); !task.Deadline.Equal(want) {
			t.Fatalf("deadline %s, want %s", task.Deadline, want)
		}
		warnAt := f.Policy.WarnAt(task.DispatchedAt, task.Deadline)
		escalateAt := f.Policy.EscalateAt(task.Deadline)
		if !(warnAt.After(task.DispatchedAt) && warnAt.Before(task.Deadline) && escalateAt.After(task.Deadline)) {
			t.Fatalf("warn %s, deadline %s, escalate %s out of order", warnAt, task.Deadline, escalateAt)
		}
		clock := &fakeClock{}
		w := &watch.Watcher{Store: s, Clock: f.Policy, Now: clock.Now}
		dept := store.Recipient{AccountID: f.Handler.AccountID, UnitID: f.Env.ID, Role: caseflow.Handler, Scope: store.CaseScope{All: true}}
		leader := store.Recipient{AccountID: f.Leader.AccountID, UnitID: f.Centre.ID, Role: caseflow.Leader, Scope: store.CaseScope{All: true}}

		clock.Set(warnAt.Add(-time.Minute))
		if res := sweep(t, w); res.Total() != 0 {
			t.Fatalf("before the warning time: %+v", res)
		}
		clock.Set(warnAt)
		if res := sweep(t, w); res.Warnings != 1 || res.Total() != 1 {
			t.Fatalf("at the warning time: %+v", res)
		}
		in := inbox(t, s, dept, clock.Now())
		if !strings.Contains(kinds(in), "warning") || len(in.Due) != 1 || in.Due[0].CaseNumber != c.Number {
			t.Fatalf("department inbox after warning: %s, due %+v", kinds(in), in.Due)
		}
		if res := sweep(t, w); res.Total() != 0 {
			t.Fatalf("a second sweep warned again: %+v", res)
		}
		// Reading the warning clears it from the unread count; nobody can
		// mark another unit's notification read.
		if n, err := s.MarkRead(ctx, leader, []int64{in.New[0].ID}, clock.Now()); err != nil || n != 0 {
			t.Fatalf("the leader marked the department's notification read: %d %v", n, err)
		}
		if n, err := s.MarkRead(ctx, dept, []int64{in.New[0].ID}, clock.Now()); err != nil || n != 1 {
			t.Fatalf("mark read: %d %v", n, err)
		}
		if after := inbox(t, s, dept, clock.Now()); after.Unread != in.Unread-1 || after.New[0].ReadAt.IsZero() {
			t.Fatalf("unread %d → %d, read at %v", in.Unread, after.Unread, after.New[0].ReadAt)
		}

		clock.Set(task.Deadline.Add(time.Minute))
		if res := sweep(t, w); res.Reminders != 1 || res.Total() != 1 {
			t.Fatalf("after the deadline: %+v", res)
		}
		rem := events(t, s, c.ID, caseflow.ActRemind)
		if len(rem) != 1 || rem[0].Actor.Role != caseflow.System || rem[0].Data.UnitID != f.Env.ID || rem[0].TaskID != task.ID {
			t.Fatalf("reminder events %+v", rem)
		}
		in = inbox(t, s, dept, clock.Now())
		if !strings.Contains(kinds(in), "reminder") || len(in.Overdue) != 1 {
			t.Fatalf("department inbox when overdue: %s, overdue %+v", kinds(in), in.Overdue)
		}

		// The handler signs on the version read before the reminder: an
		// overlay does not make it stale.
		if _, _, err := s.Transition(ctx, c.ID, caseflow.Command{Action: caseflow.ActSign, Actor: f.Handler,
			At: clock.Now(), ExpectedVersion: c.Version}, f.Policy); err != nil {
			t.Fatalf("sign after an automatic reminder: %v", err)
		}

		clock.Set(escalateAt)
		if res := sweep(t, w); res.Supervisions != 1 || res.Total() != 1 {
			t.Fatalf("at escalation: %+v", res)
		}
		sup := events(t, s, c.ID, caseflow.ActSupervise)
		if len(sup) != 1 || sup[0].Data.UnitID != f.Env.ID || sup[0].Data.Deadline == nil ||
			sup[0].Data.Late == nil || sup[0].Data.Late.Step != caseflow.StepHandle {
			t.Fatalf("supervision events %+v", sup)
		}
		reply := *sup[0].Data.Deadline
		if !strings.Contains(kinds(inbox(t, s, leader, clock.Now())), "supervision") {
			t.Fatal("the leader was not told of the supervision order")
		}

		clock.Set(reply.Add(time.Minute))
		if res := sweep(t, w); res.ReplyOverdue != 1 || res.Total() != 1 {
			t.Fatalf("after the reply deadline: %+v", res)
		}
		if !strings.Contains(kinds(inbox(t, s, leader, clock.Now())), "supervision_overdue") {
			t.Fatal("the leader was not told the order went unanswered")
		}
		clock.Add(30 * 24 * time.Hour)
		if res := sweep(t, w); res.Total() != 0 {
			t.Fatalf("a month later the watcher still acts: %+v", res)
		}
		if n := len(events(t, s, c.ID, caseflow.ActRemind)) + len(events(t, s, c.ID, caseflow.ActSupervise)); n != 2 {
			t.Fatalf("%d reminders and orders, want 2", n)
		}
	})
}

// Down for ten days: one sweep catches up, without a stale warning, with
// exactly one reminder and one supervision order.
func TestWatcherCatchesUpAfterDowntime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := storetest.NewFixture(t, s)
		c := dispatched(t, f, storetest.T0)
		clock := &fakeClock{t: storetest.T0.Add(10 * 24 * time.Hour)}
		w := &watch.Watcher{Store: s, Clock: f.Policy, Now: clock.Now}
		res := sweep(t, w)
		if res.Warnings != 0 || res.Reminders != 1 || res.Supervisions != 1 {
			t.Fatalf("catch-up did %+v", res)
		}
		if res := sweep(t, w); res.Total() != 0 {
			t.Fatalf("second sweep did %+v", res)
		}
		if len(events(t, s, c.ID, caseflow.ActRemind)) != 1 || len(events(t, s, c.ID, caseflow.ActSupervise)) != 1 {
			t.Fatal("catch-up did not leave one reminder and one order")
		}
	})
}

// A reply answers the order; an approved extension restarts the ladder on
// the new deadline; closing the case ends all watching.
func TestWatchesFollowTheCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, s)
		c := dispatched(t, f, storetest.T0)
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActSign, Actor: f.Handler, At: storetest.T0.Add(time.Hour)})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActSupervise, Actor: f.Leader, At: storetest.T0.Add(2 * time.Hour), Reason: "群众反映强烈"})
		ws, _ := s.CaseWatches(ctx, c.ID)
		if len(ws) != 2 || !ws[0].Supervision() && !ws[1].Supervision() {
			t.Fatalf("watches after a supervision order: %+v", ws)
		}
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActReply, Actor: f.Handler, At: storetest.T0.Add(3 * time.Hour), Note: "今日清运完毕"})
		ws, _ = s.CaseWatches(ctx, c.ID)
		if len(ws) != 1 || ws[0].Key != fmt.Sprintf("task:%d", c.Tasks[0].ID) {
			t.Fatalf("watches after the reply: %+v", ws)
		}
		old := ws[0].Deadline
		clock := &fakeClock{t: f.Policy.WarnAt(c.Tasks[0].DispatchedAt, old)}
		w := &watch.Watcher{Store: s, Clock: f.Policy, Now: clock.Now}
		if res := sweep(t, w); res.Warnings != 1 {
			t.Fatalf("warning: %+v", res)
		}
		c, _ = s.Case(ctx, c.ID)
		later := old.Add(72 * time.Hour)
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRequestExtension, Actor: f.Handler, At: clock.Now(), Reason: "需协调渣土车", Deadline: later})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActApproveExtension, Actor: f.Disp, At: clock.Now()})
		ws, _ = s.CaseWatches(ctx, c.ID)
		if len(ws) != 1 || !ws[0].Deadline.Equal(c.Tasks[0].Deadline) || ws[0].Stage != store.StageWaiting {
			t.Fatalf("after an extension the watch is %+v (task deadline %s)", ws, c.Tasks[0].Deadline)
		}
		clock.Set(old.Add(time.Minute))
		if res := sweep(t, w); res.Reminders != 0 {
			t.Fatalf("reminded on the old deadline: %+v", res)
		}
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActReportBack, Actor: f.Handler, At: clock.Now(), Note: "已清运", Photos: []string{"a.jpg"}})
		ws, _ = s.CaseWatches(ctx, c.ID)
		if len(ws) != 1 || ws[0].Step != caseflow.StepCheck {
			t.Fatalf("after report back: %+v", ws)
		}
		worker := store.Recipient{AccountID: f.Worker.AccountID, UnitID: f.Centre.ID, Role: caseflow.GridWorker}
		if !strings.Contains(kinds(inbox(t, s, worker, clock.Now())), "check") {
			t.Fatal("the grid worker was not asked to check")
		}
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActCheckPass, Actor: f.Worker, At: clock.Now()})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActClose, Actor: f.Disp, At: clock.Now()})
		if ws, _ = s.CaseWatches(ctx, c.ID); len(ws) != 0 {
			t.Fatalf("a closed case is still watched: %+v", ws)
		}
	})
}

// Four watchers sweep the same due work at once without a lease: the
// compare-and-set on each watch lets exactly one of them act.
func TestConcurrentWatchersActOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := storetest.NewFixture(t, s)
		const n = 30
		var cases []*caseflow.Case
		for i := range n {
			cases = append(cases, dispatched(t, f, storetest.T0.Add(time.Duration(i)*time.Minute)))
		}
		clock := &fakeClock{t: storetest.T0.Add(20 * 24 * time.Hour)}
		var wg sync.WaitGroup
		results := make([]watch.Result, 4)
		errs := make([]error, 4)
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := &watch.Watcher{Store: s, Clock: f.Policy, Now: clock.Now, Batch: 7}
				results[i], _, errs[i] = w.Sweep(context.Background())
			}()
		}
		wg.Wait()
		var total watch.Result
		for i, r := range results {
			if errs[i] != nil || r.Failed > 0 {
				t.Fatalf("watcher %d: %v (%d failed)", i, errs[i], r.Failed)
			}
			total.Reminders += r.Reminders
			total.Supervisions += r.Supervisions
			total.Warnings += r.Warnings
		}
		if total.Reminders != n || total.Supervisions != n || total.Warnings != 0 {
			t.Fatalf("together the watchers did %+v, want %d reminders and %d orders", total, n, n)
		}
		for _, c := range cases {
			if r, s := len(events(t, s, c.ID, caseflow.ActRemind)), len(events(t, s, c.ID, caseflow.ActSupervise)); r != 1 || s != 1 {
				t.Fatalf("case %s: %d reminders, %d orders", c.Number, r, s)
			}
		}
	})
}

// While one instance holds the lease, another does nothing; when it lapses
// the other takes over.
func TestLeaseKeepsOneSweeper(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := storetest.NewFixture(t, s)
		dispatched(t, f, storetest.T0)
		clock := &fakeClock{t: storetest.T0.Add(time.Hour)}
		a := &watch.Watcher{Store: s, Clock: f.Policy, Now: clock.Now, Holder: "a", Lease: time.Minute}
		b := &watch.Watcher{Store: s, Clock: f.Policy, Now: clock.Now, Holder: "b", Lease: time.Minute}
		if _, held, err := a.Sweep(context.Background()); err != nil || !held {
			t.Fatalf("a: %v %v", held, err)
		}
		if _, held, err := b.Sweep(context.Background()); err != nil || held {
			t.Fatalf("b swept while a held the lease: %v %v", held, err)
		}
		clock.Add(2 * time.Minute)
		if _, held, err := b.Sweep(context.Background()); err != nil || !held {
			t.Fatalf("b did not take over a lapsed lease: %v %v", held, err)
		}
	})
}
