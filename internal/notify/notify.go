// Package notify owns who is told what. Its rules table maps a case event
// or a deadline's stage to the people it concerns (a unit, its leaders, the
// grid's workers, the centre, the requester) and the kind of message with
// its parameters; its catalogs word each kind in the reader's language.
// It decides and renders; the store writes the notices it is given in the
// transaction of the change they announce, and the channels carry them.
package notify

import (
	"slices"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
)

// Audience is who a notice is for.
type Audience string

const (
	Centre      Audience = "centre"       // the command centre's inbox
	Unit        Audience = "unit"         // a unit's inbox (the notice's UnitID; 0 is the centre)
	Leaders     Audience = "leaders"      // the leaders of UnitID, or the district's when it has none of its own
	GridWorkers Audience = "grid_workers" // the workers of the case's grid
	Requester   Audience = "requester"    // the person who reported, when they can be reached and agreed
)

// Level says how pressing a notice is: channels colour it, and outside
// working time only Urgent is sent at once.
type Level string

const (
	Info    Level = "info"
	Warning Level = "warning"
	Urgent  Level = "urgent"
)

// Params are a message's parameters. Times are RFC 3339 (rendered in
// Beijing time); the values of role, request, verdict and step are codes
// the catalogs word.
type Params map[string]string

// Notice is one message for one audience about a case.
type Notice struct {
	Kind   string    `json:"kind"`
	To     Audience  `json:"to"`
	UnitID int64     `json:"unit_id,omitempty"`
	Params Params    `json:"params,omitempty"`
	Due    time.Time `json:"due,omitzero"`
	Level  Level     `json:"level"`
	// Ladder: when nobody acts on it, the notice climbs the escalation
	// ladder through the unit's channels (robot, liaison, leader).
	Ladder bool `json:"ladder,omitempty"`
}

// Stage is how far a running deadline has gone.
type Stage string

const (
	Warned    Stage = "warning"   // before the deadline (预警)
	Overdue   Stage = "overdue"   // the deadline passed (超期)
	Escalated Stage = "escalated" // still late after the escalation delay
)

// Deadline is a running time limit the watcher follows.
type Deadline struct {
	Step        caseflow.Step
	UnitID      int64 // the unit that must meet it; 0 for the case's own steps
	Due         time.Time
	Supervision bool // the reply to a supervision order (督办)
}

// Trigger is what a rule answers: a case event ("case.dispatch") or a
// deadline's stage ("deadline.warning", "supervision.overdue").
type Trigger string

// Rule is one line of the table: on a trigger, when a condition holds,
// the audience gets a message of a kind.
type Rule struct {
	On     Trigger  `json:"on"`
	When   string   `json:"when,omitempty"` // the condition, in words
	To     Audience `json:"to"`
	Kind   string   `json:"kind"`
	Level  Level    `json:"level"`
	Ladder bool     `json:"ladder,omitempty"`
	// build makes the rule's notices for a case (nil when the condition
	// does not hold).
	build func(in *input) []Notice
}

// input is what a rule looks at: a case with its event, or with a deadline
// at a stage.
type input struct {
	c     *caseflow.Case
	ev    *caseflow.Event
	d     Deadline
	stage Stage
}

func event(a caseflow.Action) Trigger { return Trigger("case." + string(a)) }

func stageTrigger(d Deadline, s Stage) Trigger {
	switch {
	case d.Supervision:
		return Trigger("supervision." + string(s))
	case s != Warned && (d.Step == caseflow.StepCallback || d.Step == caseflow.StepReview || d.Step == caseflow.StepArbitrate):
		return Trigger(string(d.Step) + "." + string(s))
	}
	return Trigger("deadline." + string(s))
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// due is the deadline of unit's active task on c, or zero.
func due(c *caseflow.Case, unit int64) time.Time {
	for _, t := range c.Tasks {
		if t.UnitID == unit && t.State.Active() {
			return t.Deadline
		}
	}
	return time.Time{}
}

// one is a notice of the rule r for a single unit.
func (r *Rule) one(unit int64, p Params, d time.Time) Notice {
	return Notice{Kind: r.Kind, To: r.To, UnitID: unit, Params: p, Due: d, Level: r.Level, Ladder: r.Ladder}
}

// Rules is the table, in the order notices are written.
var Rules = []Rule{
	{On: event(caseflow.ActReport), To: Centre, Kind: "new_case", Level: Info,
		build: func(in *input) []Notice {
			return []Notice{{Kind: "new_case", To: Centre, Params: Params{"number": in.c.Number}, Due: in.c.Deadline, Level: levelOf(in.c, Info)}}
		}},
	{On: event(caseflow.ActDispatch), When: "each department dispatched to", To: Unit, Kind: "task", Level: Info,
		build: func(in *input) []Notice {
			var ns []Notice
			for _, a := range in.ev.Data.Assignments {
				role := "assist"
				if a.Lead {
					role = "lead"
				}
				d := due(in.c, a.UnitID)
				ns = append(ns, Notice{Kind: "task", To: Unit, UnitID: a.UnitID, Level: levelOf(in.c, Info), Due: d,
					Params: Params{"number": in.c.Number, "role": role, "due": ts(d)}})
			}
			return ns
		}},
	{On: event(caseflow.ActRequestReturn), To: Centre, Kind: "request", Level: Info, build: request("return")},
	{On: event(caseflow.ActRequestExtension), To: Centre, Kind: "request", Level: Info, build: request("extension")},
	{On: event(caseflow.ActRequestSuspension), To: Centre, Kind: "request", Level: Info, build: request("suspension")},
	{On: event(caseflow.ActApproveReturn), To: Unit, Kind: "answer", Level: Info, build: verdict("return", "approved")},
	{On: event(caseflow.ActRefuseReturn), To: Unit, Kind: "answer", Level: Info, build: verdict("return", "refused")},
	{On: event(caseflow.ActApproveExtension), To: Unit, Kind: "answer", Level: Info, build: verdict("extension", "approved")},
	{On: event(caseflow.ActRefuseExtension), To: Unit, Kind: "answer", Level: Info, build: verdict("extension", "refused")},
	{On: event(caseflow.ActApproveSuspension), To: Unit, Kind: "answer", Level: Info, build: verdict("suspension", "approved")},
	{On: event(caseflow.ActRefuseSuspension), To: Unit, Kind: "answer", Level: Info, build: verdict("suspension", "refused")},
	{On: event(caseflow.ActReportBack), When: "the case waits for its check on site", To: GridWorkers, Kind: "check", Level: Info,
		build: func(in *input) []Notice {
			if in.c.State != caseflow.PendingCheck {
				return nil
			}
			return []Notice{{Kind: "check", To: GridWorkers, Params: Params{"number": in.c.Number}, Due: in.c.Deadline, Level: levelOf(in.c, Info)}}
		}},
	{On: event(caseflow.ActCallback), When: "a 不满意 waits for its review", To: Centre, Kind: "review", Level: Warning,
		build: func(in *input) []Notice {
			if in.c.Review != caseflow.ReviewPending {
				return nil
			}
			return []Notice{{Kind: "review", To: Centre, Params: Params{"number": in.c.Number, "due": ts(in.c.ReviewDue)}, Due: in.c.ReviewDue, Level: Warning}}
		}},
	{On: event(caseflow.ActCheckFail), When: "each department still working", To: Unit, Kind: "rework", Level: Warning, build: active("rework")},
	{On: event(caseflow.ActReopen), When: "each department still working", To: Unit, Kind: "reopen", Level: Warning, build: active("reopen")},
	{On: event(caseflow.ActReview), When: "the review found the rating justified (the order reopens)", To: Unit, Kind: "reopen", Level: Warning,
		build: func(in *input) []Notice {
			if in.c.State != caseflow.InProgress {
				return nil
			}
			return active("reopen")(in)
		}},
	{On: event(caseflow.ActRemind), To: Unit, Kind: "reminder", Level: Warning,
		build: func(in *input) []Notice {
			u := in.ev.Data.UnitID
			p := Params{"number": in.c.Number, "note": in.ev.Data.Note}
			kind := "reminder"
			if l := in.ev.Data.Late; l != nil {
				kind, p = "reminder_auto", Params{"number": in.c.Number, "step": string(l.Step), "due": ts(l.Due)}
			}
			// The system's own reminder (a deadline passed) climbs the
			// ladder like the warning before it; a person's is one line.
			return []Notice{{Kind: kind, To: Unit, UnitID: u, Params: p, Due: due(in.c, u), Level: levelOf(in.c, Warning), Ladder: kind == "reminder_auto"}}
		}},
	{On: event(caseflow.ActSupervise), To: Unit, Kind: "supervision", Level: Urgent, Ladder: true, build: supervision(Unit)},
	{On: event(caseflow.ActSupervise), To: Leaders, Kind: "supervision", Level: Urgent, build: supervision(Leaders)},
	{On: event(caseflow.ActReply), To: Centre, Kind: "reply", Level: Info, build: reply(Centre)},
	{On: event(caseflow.ActReply), To: Leaders, Kind: "reply", Level: Info, build: reply(Leaders)},

	// The requester who agreed to hear how their report goes.
	{On: event(caseflow.ActRegister), When: "the requester agreed to hear of progress", To: Requester, Kind: "requester_registered", Level: Info, build: requester("requester_registered")},
	{On: event(caseflow.ActAnswer), When: "the requester agreed to hear of progress", To: Requester, Kind: "requester_answered", Level: Info, build: requester("requester_answered")},
	{On: event(caseflow.ActCallerAnswer), When: "the requester agreed to hear of progress", To: Requester, Kind: "requester_answered", Level: Info, build: requester("requester_answered")},
	{On: event(caseflow.ActClose), When: "the requester agreed to hear of progress", To: Requester, Kind: "requester_closed", Level: Info, build: requester("requester_closed")},
	{On: event(caseflow.ActFollow), When: "a merged order closed with its parent, the requester agreed", To: Requester, Kind: "requester_closed", Level: Info, build: requester("requester_closed")},

	// Deadlines the watcher follows. A warning goes to whoever must meet
	// the deadline: the grid's workers for a check, else the unit (the
	// centre for the case's own steps).
	{On: "deadline.warning", When: "a check on site", To: GridWorkers, Kind: "warning", Level: Warning,
		build: func(in *input) []Notice {
			if in.d.Step != caseflow.StepCheck {
				return nil
			}
			return []Notice{warning(in, GridWorkers)}
		}},
	{On: "deadline.warning", When: "an arbitration (the district's leaders decide)", To: Leaders, Kind: "warning", Level: Warning,
		build: func(in *input) []Notice {
			if in.d.Step != caseflow.StepArbitrate {
				return nil
			}
			return []Notice{warning(in, Leaders)}
		}},
	{On: "deadline.warning", When: "any other step", To: Unit, Kind: "warning", Level: Warning, Ladder: true,
		build: func(in *input) []Notice {
			if in.d.Step == caseflow.StepCheck || in.d.Step == caseflow.StepArbitrate {
				return nil
			}
			n := warning(in, Unit)
			n.Ladder = in.d.UnitID != 0
			return []Notice{n}
		}},
	{On: "supervision.overdue", To: Unit, Kind: "supervision_overdue", Level: Urgent, Ladder: true, build: supervisionLate(Unit)},
	{On: "supervision.overdue", To: Leaders, Kind: "supervision_overdue", Level: Urgent, build: supervisionLate(Leaders)},
	{On: "callback.overdue", To: Centre, Kind: "callback_overdue", Level: Warning, build: late(Centre)},
	{On: "callback.escalated", To: Leaders, Kind: "callback_overdue", Level: Warning, build: late(Leaders)},
	{On: "review.overdue", To: Centre, Kind: "review_overdue", Level: Warning, build: late(Centre)},
	{On: "review.escalated", To: Leaders, Kind: "review_overdue", Level: Warning, build: late(Leaders)},
	{On: "arbitrate.overdue", To: Centre, Kind: "arbitrate_overdue", Level: Warning, build: late(Centre)},
	{On: "arbitrate.overdue", To: Leaders, Kind: "arbitrate_overdue", Level: Warning, build: late(Leaders)},
}

// levelOf raises a notice about an urgent case: a 特急 order is always
// urgent, a 紧急 one at least a warning.
func levelOf(c *caseflow.Case, l Level) Level {
	switch {
	case c.Urgency == caseflow.Immediate:
		return Urgent
	case c.Urgency == caseflow.Urgent && l == Info:
		return Warning
	}
	return l
}

// requester tells the person who reported, when they agreed and left a
// way to reach them; the message carries the case's number only (the
// follow link is added when it is sent).
func requester(kind string) func(in *input) []Notice {
	return func(in *input) []Notice {
		r := in.c.Reporter
		if !r.Updates || (r.Phone == "" && r.Email == "") {
			return nil
		}
		return []Notice{{Kind: kind, To: Requester, Params: Params{"number": in.c.Number}, Level: Info}}
	}
}

func request(kind string) func(in *input) []Notice {
	return func(in *input) []Notice {
		return []Notice{{Kind: "request", To: Centre, Params: Params{"number": in.c.Number, "request": kind}, Level: levelOf(in.c, Info)}}
	}
}

func verdict(kind, v string) func(in *input) []Notice {
	return func(in *input) []Notice {
		u := in.ev.Data.UnitID
		d := due(in.c, u)
		return []Notice{{Kind: "answer", To: Unit, UnitID: u, Due: d, Level: levelOf(in.c, Info),
			Params: Params{"number": in.c.Number, "request": kind, "verdict": v}}}
	}
}

func active(kind string) func(in *input) []Notice {
	return func(in *input) []Notice {
		var ns []Notice
		for _, t := range in.c.Tasks {
			if t.State.Active() {
				ns = append(ns, Notice{Kind: kind, To: Unit, UnitID: t.UnitID, Due: t.Deadline, Level: levelOf(in.c, Warning),
					Params: Params{"number": in.c.Number, "due": ts(t.Deadline)}})
			}
		}
		return ns
	}
}

func supervision(to Audience) func(in *input) []Notice {
	return func(in *input) []Notice {
		var reply time.Time
		if in.ev.Data.Deadline != nil {
			reply = *in.ev.Data.Deadline
		}
		p := Params{"number": in.c.Number, "reason": in.ev.Reason, "due": ts(reply)}
		kind := "supervision"
		if l := in.ev.Data.Late; l != nil {
			kind, p = "supervision_auto", Params{"number": in.c.Number, "step": string(l.Step), "missed": ts(l.Due), "due": ts(reply)}
		}
		return []Notice{{Kind: kind, To: to, UnitID: in.ev.Data.UnitID, Params: p, Due: reply, Level: Urgent, Ladder: to == Unit}}
	}
}

func reply(to Audience) func(in *input) []Notice {
	return func(in *input) []Notice {
		n := Notice{Kind: "reply", To: to, Params: Params{"number": in.c.Number}, Level: Info}
		if to == Leaders {
			n.UnitID = in.ev.Data.UnitID
		}
		return []Notice{n}
	}
}

func warning(in *input, to Audience) Notice {
	return Notice{Kind: "warning", To: to, UnitID: in.d.UnitID, Due: in.d.Due, Level: levelOf(in.c, Warning),
		Params: Params{"number": in.c.Number, "step": string(in.d.Step), "due": ts(in.d.Due)}}
}

func supervisionLate(to Audience) func(in *input) []Notice {
	return func(in *input) []Notice {
		return []Notice{{Kind: "supervision_overdue", To: to, UnitID: in.d.UnitID, Due: in.d.Due, Level: Urgent, Ladder: to == Unit,
			Params: Params{"number": in.c.Number, "due": ts(in.d.Due)}}}
	}
}

func late(to Audience) func(in *input) []Notice {
	return func(in *input) []Notice {
		return []Notice{{Kind: string(in.d.Step) + "_overdue", To: to, Due: in.d.Due, Level: Warning,
			Params: Params{"number": in.c.Number, "step": string(in.d.Step), "due": ts(in.d.Due)}}}
	}
}

func plan(t Trigger, in *input) []Notice {
	var ns []Notice
	for i := range Rules {
		if Rules[i].On == t {
			ns = append(ns, Rules[i].build(in)...)
		}
	}
	return ns
}

// ForEvent is who an event on c (already applied) must be told of.
func ForEvent(c *caseflow.Case, ev *caseflow.Event) []Notice {
	return plan(event(ev.Action), &input{c: c, ev: ev})
}

// ForStage is who must be told that a deadline of c reached a stage.
func ForStage(c *caseflow.Case, d Deadline, s Stage) []Notice {
	return plan(stageTrigger(d, s), &input{c: c, d: d, stage: s})
}

// Kinds lists every message kind the rules can write.
func Kinds() []string {
	var ks []string
	for _, r := range Rules {
		if !slices.Contains(ks, r.Kind) {
			ks = append(ks, r.Kind)
		}
	}
	for _, k := range []string{"reminder_auto", "supervision_auto", "digest", "digest_week"} {
		if !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	return ks
}
