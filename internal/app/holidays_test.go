package app_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// The 2027 holiday file arrives on 30 December 2026 while a case is being
// handled: a preview says which deadline moves and writes nothing; the
// import puts the year in force, moves the task's deadline and its watch,
// records the move on the case, and a second import of the same file moves
// nothing again.
func TestHolidayFileImportMovesRunningDeadlines(t *testing.T) {
	body, err := os.ReadFile("testdata/holidays-2027-test.json")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dispatched := time.Date(2026, 12, 30, 9, 0, 0, 0, calendar.Shanghai)
		a, c := dispatchedTask(t, st, dispatched)
		if miss := a.Policy.Calendar().MissingYears(2027, 2027); len(miss) != 1 {
			t.Fatalf("2027 should be missing before the import: %v", miss)
		}
		// 积存垃圾渣土: 2 working days from Wednesday 09:00; without a
		// 2027 file Friday 1 January counts, so Friday 09:00.
		old := c.Tasks[0].Deadline
		if want := time.Date(2027, 1, 1, 9, 0, 0, 0, calendar.Shanghai); !old.Equal(want) {
			t.Fatalf("deadline %s, want %s", old.In(calendar.Shanghai), want)
		}
		want := time.Date(2027, 1, 4, 9, 0, 0, 0, calendar.Shanghai)

		pre, err := a.ImportHolidayFile(ctx, "admin", body, false)
		if err != nil {
			t.Fatal(err)
		}
		if pre.Imported || pre.Year != 2027 || len(pre.Moves) != 1 || pre.Moves[0].Number != c.Number || !pre.Moves[0].Retimes[0].To.Equal(want) {
			t.Fatalf("preview %+v", pre)
		}
		if got, _ := st.Case(ctx, c.ID); !got.Tasks[0].Deadline.Equal(old) {
			t.Fatal("a preview moved the deadline")
		}
		if fs, _ := st.HolidayFiles(ctx); len(fs) != 0 {
			t.Fatal("a preview saved the file")
		}

		res, err := a.ImportHolidayFile(ctx, "admin", body, true)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Imported || len(res.Moves) != 1 || len(res.Missing) != 0 {
			t.Fatalf("import %+v", res)
		}
		got, _ := st.Case(ctx, c.ID)
		if !got.Tasks[0].Deadline.Equal(want) || !got.Deadline.Equal(want) {
			t.Fatalf("task deadline %s, case %s; want %s", got.Tasks[0].Deadline.In(calendar.Shanghai), got.Deadline.In(calendar.Shanghai), want)
		}
		last := retimedTo(t, st, c.ID, want, "2027")
		evs, _ := st.Events(ctx, c.ID)
		if len(last.Data.Retimed) != 1 || !last.Data.Retimed[0].From.Equal(old) {
			t.Fatalf("last event %+v", last)
		}
		if a.Policy.Calendar().IsWorkingDay(time.Date(2027, 1, 1, 10, 0, 0, 0, calendar.Shanghai)) {
			t.Fatal("1 January 2027 is still a working day after the import")
		}
		// Another instance starting now reads the imported file.
		b, err := app.New(ctx, st, app.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Policy.Calendar().MissingYears(2027, 2027)) != 0 {
			t.Fatal("a restarted instance lost the imported year")
		}
		again, err := a.ImportHolidayFile(ctx, "admin", body, true)
		if err != nil || len(again.Moves) != 0 || !again.Replaces {
			t.Fatalf("a second import: %+v, %v", again, err)
		}
		if evs2, _ := st.Events(ctx, c.ID); len(evs2) != len(evs) {
			t.Fatal("a second import of the same file moved the case again")
		}
		// A file that is wrong names what is wrong and changes nothing.
		bad := strings.Replace(string(body), `"date":"2027-01-01"`, `"date":"2027-02-30"`, 1)
		if _, err := a.ImportHolidayFile(ctx, "admin", []byte(bad), true); err == nil || !strings.Contains(err.Error(), "2027-02-30") {
			t.Fatalf("a bad date: %v", err)
		}
	})
}

func withVersion(cmd caseflow.Command, c *caseflow.Case) caseflow.Command {
	cmd.ExpectedVersion = c.Version
	return cmd
}

// dispatchedTask is a case of 积存垃圾渣土 (2 working days) dispatched to
// 环卫处 at dispatched, with an app whose clock stands an hour later.
func dispatchedTask(t *testing.T, st *store.Store, dispatched time.Time) (*app.App, *caseflow.Case) {
	t.Helper()
	ctx := context.Background()
	f := storetest.NewFixture(t, st)
	a, err := app.New(ctx, st, app.Config{})
	if err != nil {
		t.Fatal(err)
	}
	now := dispatched.Add(time.Hour)
	a.Now = func() time.Time { return now }
	c := f.Report(t, dispatched.Add(-time.Hour))
	c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: dispatched.Add(-30 * time.Minute)})
	cmd := caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, At: dispatched,
		Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true}}}
	if c, _, err = st.Transition(ctx, c.ID, withVersion(cmd, c), a.Policy); err != nil {
		t.Fatal(err)
	}
	return a, c
}

// retimedTo checks that a case's task deadline and its watch moved to want
// by a retime event whose reason names why, and answers that event.
func retimedTo(t *testing.T, st *store.Store, caseID int64, want time.Time, why string) caseflow.Event {
	t.Helper()
	ctx := context.Background()
	ws, _ := st.CaseWatches(ctx, caseID)
	moved := false
	for _, w := range ws {
		moved = moved || (strings.HasPrefix(w.Key, "task:") && w.Deadline.Equal(want))
	}
	if !moved {
		t.Fatalf("the watcher still waits for the old deadline: %+v", ws)
	}
	evs, _ := st.Events(ctx, caseID)
	last := evs[len(evs)-1]
	if last.Action != caseflow.ActRetime || !strings.Contains(last.Reason, why) || len(last.Data.Retimed) == 0 || !last.Data.Retimed[0].To.Equal(want) {
		t.Fatalf("last event %+v", last)
	}
	return last
}

// A return disputed on 30 December waits for its arbitration on the
// working calendar too: the 2027 file moves the arbitration's limit (2
// working days: Friday 1 January without the file, Monday 4 January with
// it) and the leaders' watch with it.
func TestHolidayFileImportMovesAnArbitration(t *testing.T) {
	body, err := os.ReadFile("testdata/holidays-2027-test.json")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dispatched := time.Date(2026, 12, 30, 9, 0, 0, 0, calendar.Shanghai)
		a, c := dispatchedTask(t, st, dispatched)
		handler := caseflow.Actor{Role: caseflow.Handler, UnitID: c.Tasks[0].UnitID}
		for _, cmd := range []caseflow.Command{
			{Action: caseflow.ActRequestReturn, Actor: handler, At: dispatched.Add(20 * time.Minute), Reason: "不属本单位职责"},
			{Action: caseflow.ActDispute, Actor: caseflow.Actor{Role: caseflow.Dispatcher}, At: dispatched.Add(time.Hour), TaskUnit: handler.UnitID, Reason: "退单理由不充分"},
		} {
			if c, _, err = st.Transition(ctx, c.ID, withVersion(cmd, c), a.Policy); err != nil {
				t.Fatal(err)
			}
		}
		if due, want := c.Tasks[0].RequestedDue, time.Date(2027, 1, 1, 10, 0, 0, 0, calendar.Shanghai); !due.Equal(want) {
			t.Fatalf("arbitration due %s, want %s", due.In(calendar.Shanghai), want)
		}
		if _, err := a.ImportHolidayFile(ctx, "admin", body, true); err != nil {
			t.Fatal(err)
		}
		want := time.Date(2027, 1, 4, 10, 0, 0, 0, calendar.Shanghai)
		got, _ := st.Case(ctx, c.ID)
		if !got.Tasks[0].RequestedDue.Equal(want) || got.Tasks[0].Request != caseflow.RequestDispute {
			t.Fatalf("after the file the arbitration is due %s (%s), want %s", got.Tasks[0].RequestedDue.In(calendar.Shanghai), got.Tasks[0].Request, want)
		}
		ws, _ := st.CaseWatches(ctx, c.ID)
		moved := false
		for _, w := range ws {
			moved = moved || (w.Step == caseflow.StepArbitrate && w.Deadline.Equal(want))
		}
		if !moved {
			t.Fatalf("the leaders' watch still waits for the old limit: %+v", ws)
		}
	})
}
