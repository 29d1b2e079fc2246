package deadline

import (
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/refdata"
)

func policy(t *testing.T) *Policy {
	cal, err := calendar.New(calendar.DefaultWindows, refdata.Holidays()...)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPolicy(cal, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMostSpecificLimitWins(t *testing.T) {
	p := policy(t)
	for _, tt := range []struct {
		cat  string
		u    caseflow.Urgency
		want string
	}{
		{"M06001", caseflow.Urgent, "4 工作时"},  // 私搭乱建: stop work
		{"M06001", caseflow.Normal, "20 工作日"}, // 私搭乱建: demolish
		{"M09006", caseflow.Normal, "1 工作日"},  // class M09
		{"M09004", caseflow.Normal, "10 工作日"}, // category beats class
		{"M05002", caseflow.Urgent, "4 工作时"},  // "*" for urgent
		{"M05002", caseflow.Normal, "3 工作日"},  // "*"
	} {
		l, ok := p.Lookup(caseflow.StepHandle, tt.cat, tt.u)
		if !ok || l.Describe() != tt.want {
			t.Errorf("%s %s: %v %s, want %s", tt.cat, tt.u, ok, l.Describe(), tt.want)
		}
	}
}

// Dispatched Friday 2026-02-13 10:00 in Datong with 3 working days to
// handle: Saturday 02-14 works (调休), Spring Festival runs to 02-23.
func TestDeadlineOverSpringFestival(t *testing.T) {
	p := policy(t)
	start := time.Date(2026, 2, 13, 10, 0, 0, 0, calendar.Shanghai)
	got := p.Due(caseflow.StepHandle, "M06036", caseflow.Normal, start).In(calendar.Shanghai)
	want := time.Date(2026, 2, 25, 10, 0, 0, 0, calendar.Shanghai)
	if !got.Equal(want) {
		t.Fatalf("due %s, want %s", got, want)
	}
	// Suspended two working hours after dispatch, resumed on 03-02 at 09:00:
	// the time left is left again.
	paused := time.Date(2026, 2, 13, 12, 0, 0, 0, calendar.Shanghai)
	resumed := time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Shanghai)
	moved := p.Resume(got, paused, resumed)
	if left, again := p.Calendar().Between(paused, got), p.Calendar().Between(resumed, moved); left != again {
		t.Fatalf("left %s before, %s after resuming", left, again)
	}
}

func TestBadLimits(t *testing.T) {
	cal, _ := calendar.New(calendar.DefaultWindows)
	for _, l := range []Limit{
		{Scope: "", Step: caseflow.StepHandle, Amount: 1, Unit: WorkingDays},
		{Scope: "*", Step: caseflow.StepHandle, Amount: 0, Unit: WorkingDays},
		{Scope: "*", Step: caseflow.StepHandle, Amount: 1, Unit: "fortnights"},
		{Scope: "*", Step: "lunch", Amount: 1, Unit: Hours},
		{Scope: "*", Step: caseflow.StepHandle, Amount: 1, Unit: Hours, Urgency: "meh"},
	} {
		if _, err := NewPolicy(cal, []Limit{l}); err == nil {
			t.Errorf("%+v accepted", l)
		}
	}
}
