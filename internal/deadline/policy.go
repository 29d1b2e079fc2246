// Package deadline owns time limits (时限) as data and turns them into
// deadlines on the working calendar. It implements caseflow.Clock.
package deadline

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
)

// Unit is how a limit's amount is counted.
type Unit string

const (
	Minutes      Unit = "minutes"       // natural minutes
	Hours        Unit = "hours"         // natural hours
	WorkingHours Unit = "working_hours" // 工作时
	WorkingDays  Unit = "working_days"  // 工作日
)

// Limit is one row of the time-limit table. Scope is a category id
// ("M06011"), a major class prefix ("M06"), or "*" for every category.
type Limit struct {
	Scope   string           `json:"scope"`
	Urgency caseflow.Urgency `json:"urgency"` // empty: both
	Step    caseflow.Step    `json:"step"`
	Amount  int              `json:"amount"`
	Unit    Unit             `json:"unit"`
	Note    string           `json:"note,omitempty"` // e.g. 私搭乱建: 停工 4 工作时
}

// LimitError is a limit refused, naming its field (scope, urgency, step,
// amount or unit).
type LimitError struct {
	Field string
	Msg   string
}

func (e *LimitError) Error() string { return "deadline: " + e.Msg }

// MaxAmount is the largest amount a limit may have, in any unit.
const MaxAmount = 10000

// Validate says what is wrong with a limit.
func (l Limit) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &LimitError{Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case l.Scope == "":
		return bad("scope", "limit needs a scope (category, class prefix or *)")
	case l.Amount <= 0:
		return bad("amount", "limit %s/%s: amount must be positive", l.Scope, l.Step)
	case l.Amount > MaxAmount:
		return bad("amount", "limit %s/%s: amount is over %d", l.Scope, l.Step, MaxAmount)
	}
	switch l.Unit {
	case Minutes, Hours, WorkingHours, WorkingDays:
	default:
		return bad("unit", "limit %s/%s: unknown unit %q", l.Scope, l.Step, l.Unit)
	}
	if !slices.Contains(caseflow.Steps, l.Step) {
		return bad("step", "limit %s: unknown step %q", l.Scope, l.Step)
	}
	if l.Urgency != "" && !l.Urgency.Valid() {
		return bad("urgency", "limit %s/%s: unknown urgency %q", l.Scope, l.Step, l.Urgency)
	}
	if len([]rune(l.Note)) > 100 {
		return bad("note", "limit %s/%s: the note is longer than 100 characters", l.Scope, l.Step)
	}
	return nil
}

// Policy picks the most specific limit for a case step and applies it on a
// calendar.
type Policy struct {
	cal    *calendar.Calendar
	limits map[key]Limit
	alerts Alerts
}

// Alerts says when the watcher warns (预警) before a deadline and escalates
// (督办) after it.
type Alerts struct {
	// WarnShare: warn once this share of the allowed working time has
	// passed (0.8 = at 80 %).
	WarnShare float64
	// WarnBefore: or once this much working time is left, whichever
	// comes first. Zero: by share only.
	WarnBefore time.Duration
	// EscalateAfter: working time after an overdue reminder (催办) before
	// the watcher issues a supervision order (督办). Zero: never.
	EscalateAfter time.Duration
}

// DefaultAlerts warn at 80 % or 2 working hours before, and escalate one
// working day (7 working hours) after the deadline.
func DefaultAlerts() Alerts {
	return Alerts{WarnShare: 0.8, WarnBefore: 2 * time.Hour, EscalateAfter: 7 * time.Hour}
}

// Validate says what is wrong with alert settings.
func (a Alerts) Validate() error {
	switch {
	case a.WarnShare <= 0 || a.WarnShare >= 1:
		return fmt.Errorf("deadline: warn share must be between 0 and 1 (exclusive), not %v", a.WarnShare)
	case a.WarnBefore < 0:
		return fmt.Errorf("deadline: warn-before must not be negative")
	case a.EscalateAfter < 0:
		return fmt.Errorf("deadline: escalate-after must not be negative")
	}
	return nil
}

// WithAlerts returns a copy of the policy with other alert settings.
func (p *Policy) WithAlerts(a Alerts) (*Policy, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	n := *p
	n.alerts = a
	return &n, nil
}

// Alerts are the policy's alert settings.
func (p *Policy) Alerts() Alerts { return p.alerts }

// WarnAt is when a deadline that started at start deserves a warning: the
// earlier of WarnShare of the allowed working time and WarnBefore working
// time left. Limits shorter than a working window (natural hours at night)
// are shared in natural time.
func (p *Policy) WarnAt(start, due time.Time) time.Time {
	if !due.After(start) {
		return due
	}
	total := p.cal.Between(start, due)
	if total <= 0 {
		return start.Add(time.Duration(float64(due.Sub(start)) * p.alerts.WarnShare)).UTC()
	}
	at := p.cal.Add(start, time.Duration(float64(total)*p.alerts.WarnShare))
	if b := p.alerts.WarnBefore; b > 0 && b < total {
		if early := p.cal.Add(start, total-b); early.Before(at) {
			at = early
		}
	}
	return at.UTC()
}

// EscalateAt is when an overdue deadline is escalated to a supervision
// order; zero when escalation is off.
func (p *Policy) EscalateAt(due time.Time) time.Time {
	if p.alerts.EscalateAfter <= 0 {
		return time.Time{}
	}
	return p.cal.Add(due, p.alerts.EscalateAfter).UTC()
}

type key struct {
	scope   string
	urgency caseflow.Urgency
	step    caseflow.Step
}

// NewPolicy validates limits; a later duplicate replaces an earlier one.
func NewPolicy(cal *calendar.Calendar, limits []Limit) (*Policy, error) {
	p := &Policy{cal: cal, limits: make(map[key]Limit, len(limits)), alerts: DefaultAlerts()}
	for _, l := range limits {
		if err := l.Validate(); err != nil {
			return nil, err
		}
		p.limits[key{l.Scope, l.Urgency, l.Step}] = l
	}
	return p, nil
}

// Calendar is the policy's working calendar.
func (p *Policy) Calendar() *calendar.Calendar { return p.cal }

// Lookup finds the limit for a step: category before class before "*", and
// a limit for the urgency before one for every urgency. A 特急 case without
// a limit of its own at a scope takes that scope's 紧急 limit: it is never
// given longer than an urgent one.
func (p *Policy) Lookup(step caseflow.Step, categoryID string, u caseflow.Urgency) (Limit, bool) {
	scopes := [3]string{categoryID, "", "*"}
	if len(categoryID) >= 3 {
		scopes[1] = categoryID[:3]
	}
	urgencies := []caseflow.Urgency{u, ""}
	if u == caseflow.Immediate {
		urgencies = []caseflow.Urgency{u, caseflow.Urgent, ""}
	}
	for _, s := range scopes {
		if s == "" {
			continue
		}
		for _, v := range urgencies {
			if l, ok := p.limits[key{s, v, step}]; ok {
				return l, true
			}
		}
	}
	return Limit{}, false
}

// Due implements caseflow.Clock.
func (p *Policy) Due(step caseflow.Step, categoryID string, u caseflow.Urgency, start time.Time) time.Time {
	l, ok := p.Lookup(step, categoryID, u)
	if !ok {
		return time.Time{}
	}
	return p.Apply(l, start).UTC()
}

// Apply adds a limit to start.
func (p *Policy) Apply(l Limit, start time.Time) time.Time {
	switch l.Unit {
	case Minutes:
		return start.Add(time.Duration(l.Amount) * time.Minute)
	case Hours:
		return start.Add(time.Duration(l.Amount) * time.Hour)
	case WorkingHours:
		return p.cal.Add(start, time.Duration(l.Amount)*time.Hour)
	default:
		return p.cal.AddDays(start, l.Amount)
	}
}

// Resume implements caseflow.Clock: the working time left when paused is
// left again from the moment of resuming.
func (p *Policy) Resume(deadline, pausedAt, resumedAt time.Time) time.Time {
	if deadline.IsZero() {
		return deadline
	}
	left := p.cal.Between(pausedAt, deadline)
	if left <= 0 {
		return p.cal.Next(resumedAt).UTC()
	}
	return p.cal.Add(resumedAt, left).UTC()
}

// Describe is a limit in words, Chinese first: "3 工作日".
func (l Limit) Describe() string {
	u := map[Unit]string{Minutes: "分钟", Hours: "小时", WorkingHours: "工作时", WorkingDays: "工作日"}[l.Unit]
	return strings.TrimSpace(fmt.Sprintf("%d %s", l.Amount, u))
}

// DefaultLimits are the demo's time limits, modelled on published 数字城管
// practice: register and dispatch within working hours, most matters handled
// in 1–5 working days, urgent work within hours.
func DefaultLimits() []Limit {
	ls := []Limit{
		{Scope: "*", Step: caseflow.StepRegister, Amount: 1, Unit: WorkingHours},
		{Scope: "*", Step: caseflow.StepDispatch, Amount: 1, Unit: WorkingHours},
		{Scope: "*", Step: caseflow.StepHandle, Amount: 3, Unit: WorkingDays},
		{Scope: "*", Urgency: caseflow.Urgent, Step: caseflow.StepHandle, Amount: 4, Unit: WorkingHours},
		// 特急: dispatched within the quarter hour and handled within two
		// hours, nights and holidays included.
		{Scope: "*", Urgency: caseflow.Immediate, Step: caseflow.StepRegister, Amount: 15, Unit: Minutes, Note: "特急"},
		{Scope: "*", Urgency: caseflow.Immediate, Step: caseflow.StepDispatch, Amount: 15, Unit: Minutes, Note: "特急"},
		{Scope: "*", Urgency: caseflow.Immediate, Step: caseflow.StepHandle, Amount: 2, Unit: Hours, Note: "特急"},
		{Scope: "*", Step: caseflow.StepRework, Amount: 2, Unit: WorkingDays},
		{Scope: "*", Step: caseflow.StepCheck, Amount: 4, Unit: WorkingHours},
		{Scope: "*", Step: caseflow.StepClose, Amount: 2, Unit: WorkingHours},
		// A hotline order: the lead department contacts the requester
		// within half a working day (an urgent one within the hour), and
		// the centre calls back within two working days of the answer.
		{Scope: "*", Step: caseflow.StepContact, Amount: 4, Unit: WorkingHours, Note: "首次联系"},
		{Scope: "*", Urgency: caseflow.Urgent, Step: caseflow.StepContact, Amount: 1, Unit: WorkingHours, Note: "紧急首次联系"},
		{Scope: "*", Step: caseflow.StepCallback, Amount: 2, Unit: WorkingDays, Note: "回访"},
		{Scope: "*", Step: caseflow.StepReview, Amount: 3, Unit: WorkingDays, Note: "差评复核"},
		// A disputed return (派单争议) is arbitrated by the leaders within
		// two working days, so the order is not left without an owner.
		{Scope: "*", Step: caseflow.StepArbitrate, Amount: 2, Unit: WorkingDays, Note: "派单争议仲裁"},
		{Scope: "*", Step: caseflow.StepReply, Amount: 1, Unit: WorkingDays, Note: "督办回复"},
		{Scope: "*", Urgency: caseflow.Urgent, Step: caseflow.StepReply, Amount: 2, Unit: WorkingHours, Note: "紧急督办回复"},
		// Components: lids and lamps are quick, structures slow.
		{Scope: "C01", Step: caseflow.StepHandle, Amount: 5, Unit: WorkingDays},
		{Scope: "M01", Step: caseflow.StepHandle, Amount: 5, Unit: WorkingDays},
		{Scope: "M01001", Urgency: caseflow.Urgent, Step: caseflow.StepHandle, Amount: 2, Unit: Hours, Note: "井盖缺失，2 小时内设置警示"},
		{Scope: "M06010", Step: caseflow.StepHandle, Amount: 1, Unit: WorkingDays, Note: "暴露垃圾"},
		{Scope: "M06011", Step: caseflow.StepHandle, Amount: 2, Unit: WorkingDays, Note: "积存垃圾渣土"},
		{Scope: "M06042", Step: caseflow.StepHandle, Amount: 4, Unit: WorkingHours, Note: "垃圾满溢"},
		{Scope: "M06001", Step: caseflow.StepHandle, Amount: 20, Unit: WorkingDays, Note: "私搭乱建：拆除 20 工作日"},
		{Scope: "M06001", Urgency: caseflow.Urgent, Step: caseflow.StepHandle, Amount: 4, Unit: WorkingHours, Note: "私搭乱建：停工 4 工作时"},
		{Scope: "M06013", Step: caseflow.StepHandle, Amount: 5, Unit: WorkingDays, Note: "道路破损"},
		{Scope: "M06045", Step: caseflow.StepHandle, Amount: 5, Unit: WorkingDays, Note: "非法占绿毁绿"},
		{Scope: "M07001", Step: caseflow.StepHandle, Amount: 1, Unit: WorkingDays, Note: "非法小广告"},
		{Scope: "M09", Step: caseflow.StepHandle, Amount: 1, Unit: WorkingDays, Note: "街面秩序"},
		{Scope: "M09004", Step: caseflow.StepHandle, Amount: 10, Unit: WorkingDays, Note: "废品收购乱象"},
		{Scope: "M08", Step: caseflow.StepHandle, Amount: 3, Unit: WorkingDays, Note: "施工管理"},
	}
	return ls
}
