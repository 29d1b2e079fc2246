package caseflow

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// plainClock gives every step a fixed natural-time limit.
type plainClock struct{}

func (plainClock) Due(step Step, _ string, u Urgency, start time.Time) time.Time {
	d := map[Step]time.Duration{StepRegister: time.Hour, StepDispatch: time.Hour, StepHandle: 72 * time.Hour,
		StepRework: 24 * time.Hour, StepCheck: 4 * time.Hour, StepClose: 2 * time.Hour, StepReply: 8 * time.Hour,
		StepContact: 2 * time.Hour, StepCallback: 48 * time.Hour, StepReview: 24 * time.Hour}[step]
	if u == Urgent {
		d /= 2
	}
	return start.Add(d)
}

func (plainClock) Resume(deadline, pausedAt, resumedAt time.Time) time.Time {
	return deadline.Add(resumedAt.Sub(pausedAt))
}

var (
	t0         = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	gridWorker = Actor{AccountID: 1, Role: GridWorker, UnitID: 1}
	dispatcher = Actor{AccountID: 2, Role: Dispatcher, UnitID: 2}
	operator   = Actor{AccountID: 3, Role: Operator, UnitID: 2}
	handlerA   = Actor{AccountID: 10, Role: Handler, UnitID: 10}
	handlerB   = Actor{AccountID: 11, Role: Handler, UnitID: 11}
	leader     = Actor{AccountID: 4, Role: Leader, UnitID: 3}
	yes, no    = true, false
)

// run applies cmds in order to a fresh case, failing the test on any error.
type step1 struct {
	a   Action
	by  Actor
	mod func(*Command)
}

func newCase(t testing.TB) *Case {
	t.Helper()
	c := &Case{ID: 7, Number: "2026030200001", Channel: ChannelHotline, CategoryID: "M06011", Urgency: Normal,
		Description: "小区垃圾清运点多年未清理", Point: Point{Lon: 113.3, Lat: 40.08}}
	if _, err := Report(c, operator, t0, plainClock{}); err != nil {
		t.Fatal(err)
	}
	return c
}

func apply(c *Case, s step1, at time.Time) (Event, error) {
	cmd := Command{Action: s.a, Actor: s.by, At: at, ExpectedVersion: c.Version}
	if s.mod != nil {
		s.mod(&cmd)
	}
	return Apply(c, cmd, plainClock{})
}

func run(t testing.TB, steps ...step1) *Case {
	t.Helper()
	c := newCase(t)
	at := t0
	for _, s := range steps {
		at = at.Add(time.Hour)
		if _, err := apply(c, s, at); err != nil {
			t.Fatalf("setup %s by %s: %v", s.a, s.by.Role, err)
		}
	}
	return c
}

func reason(r string) func(*Command) { return func(c *Command) { c.Reason = r } }

var (
	sRegister   = step1{ActRegister, dispatcher, nil}
	sDispatch   = step1{ActDispatch, dispatcher, func(c *Command) { c.Assignments = []Assignment{{UnitID: 10, Lead: true}} }}
	sDispatch2  = step1{ActDispatch, dispatcher, func(c *Command) { c.Assignments = []Assignment{{UnitID: 10, Lead: true}, {UnitID: 11}} }}
	sSign       = step1{ActSign, handlerA, nil}
	sSignB      = step1{ActSign, handlerB, nil}
	sReportBack = step1{ActReportBack, handlerA, func(c *Command) { c.Note = "已清理"; c.Photos = []string{"p1"} }}
	sReportB    = step1{ActReportBack, handlerB, func(c *Command) { c.Note = "已配合"; c.Photos = []string{"p2"} }}
	sReqSusp    = step1{ActRequestSuspension, handlerA, reason("需协调产权单位")}
	sApprSusp   = step1{ActApproveSuspension, dispatcher, func(c *Command) { c.TaskID = 0; c.Actor = dispatcher }}
	sCheckPass  = step1{ActCheckPass, gridWorker, nil}
	sClose      = step1{ActClose, dispatcher, nil}
)

// pathTo builds a case in each state.
func pathTo(s State) []step1 {
	base := map[State][]step1{
		Reported:     {},
		Registered:   {sRegister},
		Dispatched:   {sRegister, sDispatch},
		InProgress:   {sRegister, sDispatch, sSign},
		PendingCheck: {sRegister, sDispatch, sSign, sReportBack},
		PendingClose: {sRegister, sDispatch, sSign, sReportBack, sCheckPass},
		Closed:       {sRegister, sDispatch, sSign, sReportBack, sCheckPass, sClose},
		Voided:       {step1{ActVoid, dispatcher, reason("不属于城管范围")}},
	}
	return base[s]
}

// caseIn builds a case in state s; suspended needs a task id known only after dispatch.
func caseIn(t testing.TB, s State) *Case {
	t.Helper()
	if s == Suspended {
		c := run(t, sRegister, sDispatch, sSign, sReqSusp)
		if _, err := apply(c, step1{ActApproveSuspension, dispatcher, func(cm *Command) { cm.TaskID = c.Tasks[0].ID }}, t0.Add(10*time.Hour)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	return run(t, pathTo(s)...)
}

func TestEveryRuleRefusesWrongRoles(t *testing.T) {
	all := append(slices.Clone(StaffRoles), Resident, System)
	for _, r := range Rules {
		for _, role := range all {
			if slices.Contains(r.Roles, role) {
				continue
			}
			t.Run(fmt.Sprintf("%s_by_%s", r.Action, role), func(t *testing.T) {
				c := caseIn(t, r.From[0])
				before := *c
				_, err := apply(c, step1{r.Action, Actor{AccountID: 99, Role: role, UnitID: 10}, nil}, t0.Add(20*time.Hour))
				if !errors.Is(err, ErrWrongRole) {
					t.Fatalf("want wrong_role, got %v", err)
				}
				if c.Version != before.Version || c.State != before.State {
					t.Fatalf("refused transition changed the case: %+v", c)
				}
			})
		}
	}
}

func TestEveryRuleRefusesWrongStates(t *testing.T) {
	for _, r := range Rules {
		for _, s := range States {
			if slices.Contains(r.From, s) {
				continue
			}
			t.Run(fmt.Sprintf("%s_from_%s", r.Action, s), func(t *testing.T) {
				c := caseIn(t, s)
				v := c.Version
				_, err := apply(c, step1{r.Action, Actor{AccountID: 99, Role: r.Roles[0], UnitID: 10}, nil}, t0.Add(20*time.Hour))
				if !errors.Is(err, ErrWrongState) {
					t.Fatalf("want wrong_state, got %v", err)
				}
				if c.Version != v || c.State != s {
					t.Fatal("refused transition changed the case")
				}
			})
		}
	}
}

func TestStaleVersionIsRefused(t *testing.T) {
	c := caseIn(t, Reported)
	// Two dispatchers read version 1; the first registers, the second voids.
	if _, err := Apply(c, Command{Action: ActRegister, Actor: dispatcher, At: t0.Add(time.Hour), ExpectedVersion: 1}, plainClock{}); err != nil {
		t.Fatal(err)
	}
	_, err := Apply(c, Command{Action: ActVoid, Actor: dispatcher, At: t0.Add(time.Hour), ExpectedVersion: 1, Reason: "重复"}, plainClock{})
	if !errors.Is(err, ErrStale) {
		t.Fatalf("want stale, got %v", err)
	}
	if c.State != Registered || c.Version != 2 {
		t.Fatalf("state %s version %d", c.State, c.Version)
	}
}

// TestAllowedTransitions walks each transition of PRODUCT.md §4 from a case
// in the right state and checks where it lands and what it records.
func TestAllowedTransitions(t *testing.T) {
	type tc struct {
		name  string
		from  []step1
		do    step1
		want  State
		check func(t *testing.T, c *Case, ev Event)
	}
	tests := []tc{
		{"verify found", nil, step1{ActVerify, gridWorker, func(c *Command) { c.Found = &yes }}, Reported,
			func(t *testing.T, c *Case, ev Event) {
				if !c.Verified || ev.Data.Found == nil {
					t.Error("not marked verified")
				}
			}},
		{"register", nil, sRegister, Registered, func(t *testing.T, c *Case, _ Event) {
			if c.RegisteredAt.IsZero() || !c.Deadline.After(c.RegisteredAt) {
				t.Error("no registration time or dispatch deadline")
			}
		}},
		{"void", nil, step1{ActVoid, dispatcher, reason("非城管问题")}, Voided, nil},
		{"comment keeps the state", []step1{sRegister, sDispatch}, step1{ActComment, operator, func(c *Command) { c.Note = "群众补充：晚上更严重" }}, Dispatched,
			func(t *testing.T, c *Case, ev Event) {
				if ev.Data.Note == "" || !ev.Action.Overlay() || len(c.Tasks) != 1 {
					t.Error("a comment is a note on the case and changes nothing else")
				}
			}},
		{"me too keeps the state and the deadline", []step1{sRegister, sDispatch}, step1{ActMeToo, Actor{Role: Resident}, func(c *Command) { c.Location = &Point{Lon: 113.3, Lat: 40.08} }}, Dispatched,
			func(t *testing.T, c *Case, ev Event) {
				if !ev.Action.Overlay() || ev.Data.Location == nil || len(c.Tasks) != 1 || c.Deadline != c.Tasks[0].Deadline {
					t.Error("a resident's me-too is one more event on the case, with where they were, and changes nothing else")
				}
			}},
		{"void registered", []step1{sRegister}, step1{ActVoid, dispatcher, reason("重复")}, Voided, nil},
		{"merge", nil, step1{ActMerge, operator, func(c *Command) { c.DuplicateOf = 3 }}, Voided,
			func(t *testing.T, c *Case, ev Event) {
				if c.DuplicateOf != 3 || ev.Data.DuplicateOf != 3 {
					t.Error("duplicate link not kept")
				}
			}},
		{"dispatch one", []step1{sRegister}, sDispatch, Dispatched, func(t *testing.T, c *Case, _ Event) {
			if len(c.Tasks) != 1 || !c.Tasks[0].Lead || c.Deadline != c.Tasks[0].Deadline {
				t.Errorf("tasks %+v", c.Tasks)
			}
		}},
		{"dispatch several", []step1{sRegister}, sDispatch2, Dispatched, func(t *testing.T, c *Case, _ Event) {
			if len(c.Tasks) != 2 || c.Tasks[1].Lead {
				t.Errorf("tasks %+v", c.Tasks)
			}
		}},
		{"sign", []step1{sRegister, sDispatch}, sSign, InProgress, func(t *testing.T, c *Case, _ Event) {
			if c.Tasks[0].HandlerID != handlerA.AccountID || c.Tasks[0].SignedAt.IsZero() {
				t.Error("signer not recorded")
			}
		}},
		{"assisting signs", []step1{sRegister, sDispatch2}, sSignB, InProgress, nil},
		{"report back", []step1{sRegister, sDispatch, sSign}, sReportBack, PendingCheck, nil},
		{"report back lead while assisting works", []step1{sRegister, sDispatch2, sSign, sSignB}, sReportBack, InProgress, nil},
		{"last department reports back", []step1{sRegister, sDispatch2, sSign, sSignB, sReportBack}, sReportB, PendingCheck, nil},
		{"request return", []step1{sRegister, sDispatch}, step1{ActRequestReturn, handlerA, reason("不属本单位职责")}, Dispatched,
			func(t *testing.T, c *Case, _ Event) {
				if c.Tasks[0].Request != RequestReturn {
					t.Error("request not pending")
				}
			}},
		{"request extension", []step1{sRegister, sDispatch, sSign}, step1{ActRequestExtension, handlerA, func(c *Command) {
			c.Reason = "需采购材料"
			c.Deadline = t0.Add(30 * 24 * time.Hour)
		}}, InProgress, nil},
		{"request suspension", []step1{sRegister, sDispatch, sSign}, sReqSusp, InProgress, nil},
		{"check pass", []step1{sRegister, sDispatch, sSign, sReportBack}, sCheckPass, PendingClose, nil},
		{"check fail is rework", []step1{sRegister, sDispatch, sSign, sReportBack}, step1{ActCheckFail, gridWorker, reason("仍有垃圾")}, InProgress,
			func(t *testing.T, c *Case, _ Event) {
				if c.Reworks != 1 || c.Tasks[0].State != TaskSigned || c.Deadline != c.Tasks[0].Deadline {
					t.Errorf("reworks %d task %+v", c.Reworks, c.Tasks[0])
				}
			}},
		{"close on time", []step1{sRegister, sDispatch, sSign, sReportBack, sCheckPass}, sClose, Closed,
			func(t *testing.T, c *Case, ev Event) {
				if c.CloseType != CloseNormal || ev.Data.CloseType != CloseNormal || c.ClosedAt.IsZero() {
					t.Errorf("close type %s", c.CloseType)
				}
			}},
		{"close special", []step1{sRegister, sDispatch, sSign, sReportBack, sCheckPass},
			step1{ActClose, dispatcher, func(c *Command) { c.Special = true; c.Reason = "领导批准特殊结案" }}, Closed,
			func(t *testing.T, c *Case, _ Event) {
				if c.CloseType != CloseSpecial {
					t.Errorf("close type %s", c.CloseType)
				}
			}},
		{"callback satisfied", pathTo(Closed), step1{ActCallback, operator, func(c *Command) { c.Satisfied = &yes; c.Solved = &yes }}, Closed,
			func(t *testing.T, c *Case, _ Event) {
				if c.Satisfied == nil || !*c.Satisfied {
					t.Error("satisfaction not kept")
				}
			}},
		{"callback dissatisfied then reopen", append(pathTo(Closed), step1{ActCallback, operator, func(c *Command) { c.Satisfied = &no }}),
			step1{ActReopen, operator, reason("居民不满意，垃圾又堆起来了")}, InProgress,
			func(t *testing.T, c *Case, _ Event) {
				if c.Reopens != 1 || !c.ClosedAt.IsZero() || c.CloseType != "" || c.Tasks[0].State != TaskSigned {
					t.Errorf("reopen left %+v", c)
				}
			}},
		{"remind", []step1{sRegister, sDispatch}, step1{ActRemind, leader, nil}, Dispatched, nil},
		{"supervise", []step1{sRegister, sDispatch}, step1{ActSupervise, leader, reason("群众反映强烈")}, Dispatched,
			func(t *testing.T, c *Case, ev Event) {
				// The order goes to the lead department with a reply deadline.
				if ev.Data.UnitID != c.Tasks[0].UnitID || ev.TaskID != c.Tasks[0].ID {
					t.Errorf("order to unit %d task %d, want the lead %+v", ev.Data.UnitID, ev.TaskID, c.Tasks[0])
				}
				if ev.Data.Deadline == nil || !ev.Data.Deadline.Equal(ev.At.Add(8*time.Hour)) {
					t.Errorf("reply deadline %v", ev.Data.Deadline)
				}
			}},
		{"supervise before dispatch goes to the centre", []step1{sRegister}, step1{ActSupervise, leader, reason("尽快派遣")}, Registered,
			func(t *testing.T, c *Case, ev Event) {
				if ev.Data.UnitID != 0 || ev.Data.Deadline == nil {
					t.Errorf("event %+v", ev)
				}
			}},
		{"remind a named task", []step1{sRegister, sDispatch}, step1{ActRemind, Actor{Role: System}, func(cm *Command) { cm.TaskUnit = handlerA.UnitID }}, Dispatched,
			func(t *testing.T, c *Case, ev Event) {
				if ev.Data.UnitID != handlerA.UnitID {
					t.Errorf("reminder to %d", ev.Data.UnitID)
				}
			}},
		{"reply to supervision", []step1{sRegister, sDispatch, sSign, {ActSupervise, leader, reason("超期督办")}},
			step1{ActReply, handlerA, func(cm *Command) { cm.Note = "已安排人员今日清运" }}, InProgress,
			func(t *testing.T, c *Case, ev Event) {
				if ev.Data.UnitID != handlerA.UnitID || ev.Data.Note == "" {
					t.Errorf("reply %+v", ev)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := run(t, tt.from...)
			v := c.Version
			from := c.State
			ev, err := apply(c, tt.do, t0.Add(50*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if c.State != tt.want {
				t.Fatalf("state %s, want %s", c.State, tt.want)
			}
			if c.Version != v+1 || ev.Seq != c.Version || ev.FromState != from || ev.ToState != tt.want || ev.Action != tt.do.a {
				t.Fatalf("event %+v for version %d", ev, c.Version)
			}
			if tt.check != nil {
				tt.check(t, c, ev)
			}
		})
	}
}

func TestReturnAndRedispatch(t *testing.T) {
	c := run(t, sRegister, sDispatch, step1{ActRequestReturn, handlerA, reason("不属本单位")})
	tid := c.Tasks[0].ID
	if _, err := apply(c, step1{ActApproveReturn, dispatcher, func(cm *Command) { cm.TaskID = tid }}, t0.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c.State != Registered || c.Tasks[0].State != TaskReturned {
		t.Fatalf("after return: %s %s", c.State, c.Tasks[0].State)
	}
	// Re-dispatch (改派) to another department; the returned one may not sign.
	if _, err := apply(c, step1{ActDispatch, dispatcher, func(cm *Command) { cm.Assignments = []Assignment{{UnitID: 11, Lead: true}} }}, t0.Add(6*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := apply(c, sSign, t0.Add(7*time.Hour)); !errors.Is(err, ErrNotYours) {
		t.Fatalf("returned department signed: %v", err)
	}
	if _, err := apply(c, sSignB, t0.Add(7*time.Hour)); err != nil {
		t.Fatal(err)
	}
}

func TestRefusedRequests(t *testing.T) {
	for _, tt := range []struct {
		ask, refuse Action
		mod         func(*Command)
	}{
		{ActRequestReturn, ActRefuseReturn, reason("不属本单位")},
		{ActRequestExtension, ActRefuseExtension, func(c *Command) { c.Reason = "材料未到"; c.Deadline = t0.Add(40 * 24 * time.Hour) }},
		{ActRequestSuspension, ActRefuseSuspension, reason("待拆迁")},
	} {
		t.Run(string(tt.refuse), func(t *testing.T) {
			c := run(t, sRegister, sDispatch, sSign, step1{tt.ask, handlerA, tt.mod})
			tid := c.Tasks[0].ID
			due := c.Tasks[0].Deadline
			// Refusing without a reason is itself refused.
			if _, err := apply(c, step1{tt.refuse, dispatcher, func(cm *Command) { cm.TaskID = tid }}, t0.Add(9*time.Hour)); !errors.Is(err, ErrRequired) {
				t.Fatalf("refusal without reason: %v", err)
			}
			if _, err := apply(c, step1{tt.refuse, dispatcher, func(cm *Command) { cm.TaskID = tid; cm.Reason = "理由不充分" }}, t0.Add(9*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if c.State != InProgress || c.Tasks[0].Request != RequestNone || c.Tasks[0].Deadline != due {
				t.Fatalf("after refusal: %s %+v", c.State, c.Tasks[0])
			}
		})
	}
}

func TestExtensionMovesDeadline(t *testing.T) {
	want := t0.Add(20 * 24 * time.Hour)
	c := run(t, sRegister, sDispatch, sSign, step1{ActRequestExtension, handlerA, func(cm *Command) { cm.Reason = "需采购"; cm.Deadline = want }})
	if _, err := apply(c, step1{ActApproveExtension, dispatcher, func(cm *Command) { cm.TaskID = c.Tasks[0].ID }}, t0.Add(9*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !c.Tasks[0].Deadline.Equal(want) || !c.Deadline.Equal(want) || c.Tasks[0].Extensions != 1 {
		t.Fatalf("deadline %s, case %s, extensions %d", c.Tasks[0].Deadline, c.Deadline, c.Tasks[0].Extensions)
	}
}

func TestSuspensionPausesTheClock(t *testing.T) {
	c := caseIn(t, Suspended)
	if c.State != Suspended || c.SuspendedFrom != InProgress {
		t.Fatalf("state %s from %s", c.State, c.SuspendedFrom)
	}
	due := c.Tasks[0].Deadline
	paused := c.SuspendedAt
	resumeAt := paused.Add(48 * time.Hour)
	if _, err := apply(c, step1{ActResume, dispatcher, nil}, resumeAt); err != nil {
		t.Fatal(err)
	}
	if c.State != InProgress || !c.Tasks[0].Deadline.Equal(due.Add(48*time.Hour)) || !c.Deadline.Equal(c.Tasks[0].Deadline) {
		t.Fatalf("after resume: %s deadline %s (was %s)", c.State, c.Tasks[0].Deadline, due)
	}
}

func TestLateWorkClosesOverdue(t *testing.T) {
	c := run(t, sRegister, sDispatch, sSign)
	late := c.Tasks[0].Deadline.Add(time.Hour)
	for _, s := range []step1{sReportBack, sCheckPass, sClose} {
		late = late.Add(time.Hour)
		if _, err := apply(c, s, late); err != nil {
			t.Fatal(err)
		}
	}
	if c.CloseType != CloseOverdue {
		t.Fatalf("close type %s", c.CloseType)
	}
}

func TestRequirements(t *testing.T) {
	for _, tt := range []struct {
		name  string
		from  []step1
		do    step1
		code  error
		field string
	}{
		{"void without reason", nil, step1{ActVoid, dispatcher, nil}, ErrRequired, "reason"},
		{"comment without a note", nil, step1{ActComment, operator, nil}, ErrRequired, "note"},
		{"merge into itself", nil, step1{ActMerge, dispatcher, func(c *Command) { c.DuplicateOf = 7 }}, ErrInvalid, "duplicate_of"},
		{"verify without finding", nil, step1{ActVerify, gridWorker, nil}, ErrRequired, "found"},
		{"dispatch to nobody", []step1{sRegister}, step1{ActDispatch, dispatcher, nil}, ErrRequired, "assignments"},
		{"dispatch without lead", []step1{sRegister}, step1{ActDispatch, dispatcher, func(c *Command) { c.Assignments = []Assignment{{UnitID: 10}} }}, ErrInvalid, "assignments"},
		{"dispatch two leads", []step1{sRegister}, step1{ActDispatch, dispatcher, func(c *Command) {
			c.Assignments = []Assignment{{UnitID: 10, Lead: true}, {UnitID: 11, Lead: true}}
		}}, ErrInvalid, "assignments"},
		{"dispatch same unit twice", []step1{sRegister}, step1{ActDispatch, dispatcher, func(c *Command) {
			c.Assignments = []Assignment{{UnitID: 10, Lead: true}, {UnitID: 10}}
		}}, ErrInvalid, "assignments"},
		{"sign another department's task", []step1{sRegister, sDispatch}, sSignB, ErrNotYours, "task"},
		{"report back before signing", []step1{sRegister, sDispatch2, sSign}, sReportB, ErrWrongState, "task"},
		{"report back without photo", []step1{sRegister, sDispatch, sSign}, step1{ActReportBack, handlerA, func(c *Command) { c.Note = "done" }}, ErrRequired, "photos"},
		{"report back without note", []step1{sRegister, sDispatch, sSign}, step1{ActReportBack, handlerA, func(c *Command) { c.Photos = []string{"p"} }}, ErrRequired, "note"},
		{"return without reason", []step1{sRegister, sDispatch}, step1{ActRequestReturn, handlerA, nil}, ErrRequired, "reason"},
		{"extension to an earlier date", []step1{sRegister, sDispatch, sSign}, step1{ActRequestExtension, handlerA, func(c *Command) { c.Reason = "x"; c.Deadline = t0 }}, ErrInvalid, "deadline"},
		{"approve a return nobody asked for", []step1{sRegister, sDispatch}, step1{ActApproveReturn, dispatcher, func(c *Command) { c.TaskID = 0 }}, ErrRequired, "task"},
		{"second request while one is pending", []step1{sRegister, sDispatch, sSign, sReqSusp}, step1{ActRequestReturn, handlerA, reason("x")}, ErrWrongState, "task"},
		{"check fail without reason", pathTo(PendingCheck), step1{ActCheckFail, gridWorker, nil}, ErrRequired, "reason"},
		{"special close without reason", pathTo(PendingClose), step1{ActClose, dispatcher, func(c *Command) { c.Special = true }}, ErrRequired, "reason"},
		{"callback without answer", pathTo(Closed), step1{ActCallback, operator, nil}, ErrRequired, "rating"},
		{"reopen without reason", pathTo(Closed), step1{ActReopen, operator, nil}, ErrRequired, "reason"},
		{"supervise without reason", pathTo(Registered), step1{ActSupervise, leader, nil}, ErrRequired, "reason"},
		{"reply without note", pathTo(InProgress), step1{ActReply, handlerA, nil}, ErrRequired, "note"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := run(t, tt.from...)
			snap := *c
			snapTasks := slices.Clone(c.Tasks)
			_, err := apply(c, tt.do, t0.Add(30*time.Hour))
			var ce *Error
			if !errors.Is(err, tt.code) || !errors.As(err, &ce) || ce.Field != tt.field {
				t.Fatalf("want %v on %s, got %v", tt.code, tt.field, err)
			}
			if c.Version != snap.Version || c.State != snap.State || !slices.Equal(c.Tasks, snapTasks) {
				t.Fatal("refused transition changed the case")
			}
		})
	}
}

func TestReportValidation(t *testing.T) {
	for _, tt := range []struct {
		name  string
		mod   func(*Case)
		by    Actor
		field string
	}{
		{"no description", func(c *Case) { c.Description = "  " }, operator, "description"},
		{"no category", func(c *Case) { c.CategoryID = "" }, operator, "category"},
		{"bad channel", func(c *Case) { c.Channel = "fax" }, operator, "channel"},
		{"bad urgency", func(c *Case) { c.Urgency = "whenever" }, operator, "urgency"},
		{"handler may not report", func(*Case) {}, handlerA, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &Case{Channel: ChannelWeb, CategoryID: "M07001", Urgency: Normal, Description: "野广告"}
			tt.mod(c)
			_, err := Report(c, tt.by, t0, plainClock{})
			var ce *Error
			if !errors.As(err, &ce) || ce.Field != tt.field {
				t.Fatalf("got %v", err)
			}
			if c.State != "" {
				t.Fatal("refused report got a state")
			}
		})
	}
}

// TestEveryActionIsCovered keeps the rules table and the tests above in step.
func TestEveryActionIsCovered(t *testing.T) {
	if len(Rules) != 38 {
		t.Fatalf("rules changed (%d); add tests for the new transitions", len(Rules))
	}
}

// A new holiday file moves running deadlines: the event records each old
// and new time, and a deadline that moved meanwhile is not overwritten.
func TestRetimeMovesRunningDeadlines(t *testing.T) {
	c := run(t, sRegister, sDispatch2, sSign)
	c.Tasks[0].ID, c.Tasks[1].ID = 101, 102 // as the store numbers them
	system := Actor{Role: System}
	old := c.Tasks[0].Deadline
	later := old.Add(48 * time.Hour)
	cmd := Command{Action: ActRetime, Actor: system, At: t0.Add(5 * time.Hour), ExpectedVersion: c.Version,
		Retimes: []Retime{{TaskID: c.Tasks[0].ID, From: old, To: later}, {From: c.Deadline, To: later}}}
	ev, err := Apply(c, cmd, plainClock{})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Tasks[0].Deadline.Equal(later) || !c.Deadline.Equal(later) || !c.Tasks[1].Deadline.Equal(old) || c.State != InProgress {
		t.Fatalf("task deadlines %s and %s, case %s, state %s", c.Tasks[0].Deadline, c.Tasks[1].Deadline, c.Deadline, c.State)
	}
	if len(ev.Data.Retimed) != 2 || ev.FromState != ev.ToState || !ActRetime.Overlay() {
		t.Fatalf("event %+v", ev)
	}
	// The same move again: the deadline is no longer where it was.
	cmd.ExpectedVersion = c.Version
	var ce *Error
	if _, err := Apply(c, cmd, plainClock{}); !errors.As(err, &ce) || ce.Code != CodeStale || ce.Field != "retimes" {
		t.Fatalf("a stale retime: %v", err)
	}
	cmd.Retimes = nil
	if _, err := Apply(c, cmd, plainClock{}); !errors.As(err, &ce) || ce.Code != CodeRequired {
		t.Fatalf("an empty retime: %v", err)
	}
	cmd.Retimes, cmd.Actor = []Retime{{TaskID: c.Tasks[1].ID, From: old, To: later}}, dispatcher
	if _, err := Apply(c, cmd, plainClock{}); !errors.As(err, &ce) || ce.Code != CodeWrongRole {
		t.Fatalf("a dispatcher retimed: %v", err)
	}
}
