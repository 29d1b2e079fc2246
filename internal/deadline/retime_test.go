package deadline

import (
	"os"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/refdata"
)

// A holiday file for 2027 arrives on 30 December: a task due on Monday 4
// January (3 working days, the Friday counted as working without a file)
// keeps its three working days and ends on Tuesday 5 January; past
// deadlines, natural-time limits and extended tasks stay where they are.
func TestRetimeKeepsTheWorkingTimeLeft(t *testing.T) {
	y2027, err := os.ReadFile("testdata/holidays-2027-test.json")
	if err != nil {
		t.Fatal(err)
	}
	build := func(files ...[]byte) *Policy {
		cal, err := calendar.New(calendar.DefaultWindows, append(refdata.Holidays(), files...)...)
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPolicy(cal, DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	old, nw := build(), build(y2027)
	dispatched := time.Date(2026, 12, 30, 9, 0, 0, 0, calendar.Shanghai)
	now := dispatched.Add(time.Hour)
	due := old.Due(caseflow.StepHandle, "M05002", caseflow.Normal, dispatched)
	if want := time.Date(2027, 1, 4, 9, 0, 0, 0, calendar.Shanghai); !due.Equal(want) {
		t.Fatalf("without a 2027 file the deadline is %s, want %s", due, want)
	}
	c := &caseflow.Case{State: caseflow.InProgress, CategoryID: "M05002", Urgency: caseflow.Normal, Deadline: due,
		Tasks: []caseflow.Task{
			{ID: 1, Lead: true, State: caseflow.TaskSigned, DispatchedAt: dispatched, Deadline: due},
			{ID: 2, State: caseflow.TaskSigned, DispatchedAt: dispatched, Deadline: due, Extensions: 1}, // a date a person granted
			{ID: 3, State: caseflow.TaskDone, DispatchedAt: dispatched, Deadline: due},                  // its work is done
			{ID: 4, State: caseflow.TaskSigned, DispatchedAt: dispatched, Deadline: now.Add(-time.Minute)},
		}}
	rs := Retime(old, nw, c, now)
	want := time.Date(2027, 1, 5, 9, 0, 0, 0, calendar.Shanghai)
	if len(rs) != 1 || rs[0].TaskID != 1 || !rs[0].From.Equal(due) || !rs[0].To.Equal(want) {
		t.Fatalf("retimes %+v, want task 1 from %s to %s", rs, due, want)
	}
	// A disputed return waits for its arbitration (2 working days from
	// the dispute on Wednesday 30 December 10:00: due Friday 1 January
	// without a file, Monday 4 January with it); its handling deadline
	// moves as well.
	arb := old.Due(caseflow.StepArbitrate, "M05002", caseflow.Normal, now)
	dc := &caseflow.Case{State: caseflow.InProgress, CategoryID: "M05002", Urgency: caseflow.Normal, Deadline: due,
		Tasks: []caseflow.Task{{ID: 5, Lead: true, State: caseflow.TaskSigned, DispatchedAt: dispatched, Deadline: due,
			Request: caseflow.RequestDispute, RequestedDue: arb}}}
	rs = Retime(old, nw, dc, now)
	if len(rs) != 2 || rs[0].Step != caseflow.StepArbitrate || rs[0].TaskID != 5 || !rs[0].From.Equal(arb) ||
		!rs[0].To.Equal(time.Date(2027, 1, 4, 10, 0, 0, 0, calendar.Shanghai)) || rs[1].Step != "" || !rs[1].To.Equal(want) {
		t.Fatalf("a disputed task (arbitration due %s): retimes %+v", arb, rs)
	}
	// The same calendar twice: nothing moves.
	if rs := Retime(nw, nw, c, now); len(rs) != 0 {
		t.Fatalf("an unchanged calendar moved %+v", rs)
	}
	// A case waiting to be checked: its own deadline moves (4 working
	// hours from Thursday 31 December 16:00: 2 h then, 2 h on the next
	// working day).
	chk := old.Due(caseflow.StepCheck, "M05002", caseflow.Normal, time.Date(2026, 12, 31, 16, 0, 0, 0, calendar.Shanghai))
	pc := &caseflow.Case{State: caseflow.PendingCheck, CategoryID: "M05002", Urgency: caseflow.Normal, Deadline: chk}
	rs = Retime(old, nw, pc, time.Date(2026, 12, 31, 16, 0, 0, 0, calendar.Shanghai))
	if len(rs) != 1 || rs[0].TaskID != 0 || !rs[0].To.Equal(time.Date(2027, 1, 4, 10, 30, 0, 0, calendar.Shanghai)) {
		t.Fatalf("check deadline %s: retimes %+v", chk, rs)
	}
	// 井盖缺失, urgent: 2 natural hours, whatever the calendar says.
	lid := &caseflow.Case{State: caseflow.InProgress, CategoryID: "M01001", Urgency: caseflow.Urgent,
		Tasks: []caseflow.Task{{ID: 9, State: caseflow.TaskSigned, Deadline: time.Date(2027, 1, 1, 1, 0, 0, 0, calendar.Shanghai)}}}
	if rs := Retime(old, nw, lid, time.Date(2026, 12, 31, 23, 0, 0, 0, calendar.Shanghai)); len(rs) != 0 {
		t.Fatalf("a natural-time limit moved: %+v", rs)
	}
}
