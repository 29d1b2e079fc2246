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
		{"M06001", caseflow.Urgent, "4 工作时"},    // 私搭乱建: stop work
		{"M06001", caseflow.Normal, "20 工作日"},   // 私搭乱建: demolish
		{"M09006", caseflow.Normal, "1 工作日"},    // class M09
		{"M09004", caseflow.Normal, "10 工作日"},   // category beats class
		{"M05002", caseflow.Urgent, "4 工作时"},    // "*" for urgent
		{"M05002", caseflow.Normal, "3 工作日"},    // "*"
		{"M05002", caseflow.Immediate, "2 小时"},  // "*" for immediate: clock hours
		{"M01001", caseflow.Immediate, "2 小时"},  // a lid's urgent limit, never longer for 特急
		{"M06001", caseflow.Immediate, "4 工作时"}, // the category's urgent limit before "*" for immediate
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

// Warning and escalation times, worked out by hand on the 08:30–12:00,
// 14:30–18:00 day.
func TestWarnAndEscalate(t *testing.T) {
	p := policy(t)
	loc := calendar.Shanghai
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, loc) }
	for _, tt := range []struct {
		name             string
		start, due, want time.Time
	}{
		// 2 working days from Monday 09:10 = Wednesday 09:10 (14 h). 80 %
		// = 11 h 12 m: 6 h 20 m on Monday, 3 h 30 m Tuesday morning, 1 h 22 m
		// after 14:30 = Tuesday 15:52; 2 h before would be 16:40, later.
		{"long limit warns at 80 %", at(2, 9, 10), at(4, 9, 10), at(3, 15, 52)},
		// 4 working hours from 09:10 = 15:40. 80 % = 14:52; 2 h left = 11:10,
		// earlier.
		{"short limit warns 2 h before", at(2, 9, 10), at(2, 15, 40), at(2, 11, 10)},
		// 2 natural hours at night, no working time inside: 80 % of 2 h.
		{"night limit in natural time", at(2, 22, 0), at(3, 0, 0), at(2, 23, 36)},
	} {
		if got := p.WarnAt(tt.start.UTC(), tt.due.UTC()); !got.Equal(tt.want) {
			t.Errorf("%s: warn at %s, want %s", tt.name, got.In(loc), tt.want)
		}
	}
	// Escalation one working day (7 h) after Wednesday 09:10: Thursday 09:10.
	if got := p.EscalateAt(at(4, 9, 10)); !got.Equal(at(5, 9, 10)) {
		t.Errorf("escalate at %s", got.In(loc))
	}
	off, err := p.WithAlerts(Alerts{WarnShare: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if !off.EscalateAt(at(4, 9, 10)).IsZero() {
		t.Error("escalation off still escalates")
	}
	for _, bad := range []Alerts{{WarnShare: 0}, {WarnShare: 1}, {WarnShare: 0.8, WarnBefore: -time.Hour}, {WarnShare: 0.8, EscalateAfter: -1}} {
		if _, err := p.WithAlerts(bad); err == nil {
			t.Errorf("alerts %+v accepted", bad)
		}
	}
}
