package caseflow

import (
	"slices"
	"strings"
	"time"
)

// Action is a transition (or an overlay such as 督办) applied to a case.
type Action string

const (
	ActReport            Action = "report"             // 上报 (creates the case)
	ActVerify            Action = "verify"             // 核实
	ActRegister          Action = "register"           // 立案
	ActVoid              Action = "void"               // 作废
	ActMerge             Action = "merge"              // 合并为重复件
	ActDispatch          Action = "dispatch"           // 派遣 / 改派
	ActSign              Action = "sign"               // 签收
	ActReportBack        Action = "report_back"        // 处理反馈
	ActRequestReturn     Action = "request_return"     // 申请回退
	ActApproveReturn     Action = "approve_return"     // 同意回退
	ActRefuseReturn      Action = "refuse_return"      // 不同意回退
	ActRequestExtension  Action = "request_extension"  // 申请延期
	ActApproveExtension  Action = "approve_extension"  // 同意延期
	ActRefuseExtension   Action = "refuse_extension"   // 不同意延期
	ActRequestSuspension Action = "request_suspension" // 申请挂账
	ActApproveSuspension Action = "approve_suspension" // 同意挂账
	ActRefuseSuspension  Action = "refuse_suspension"  // 不同意挂账
	ActResume            Action = "resume"             // 恢复办理
	ActCheckPass         Action = "check_pass"         // 核查通过
	ActCheckFail         Action = "check_fail"         // 核查不通过, 返工
	ActClose             Action = "close"              // 结案
	ActCallback          Action = "callback"           // 回访
	ActReopen            Action = "reopen"             // 重办
	ActRemind            Action = "remind"             // 催办
	ActSupervise         Action = "supervise"          // 督办
	ActReply             Action = "reply"              // 督办回复
	ActComment           Action = "comment"            // 补充说明: a note, no change of state
	ActRetime            Action = "retime"             // 期限重算: the working calendar changed under running deadlines
	ActMeToo             Action = "me_too"             // 我也遇到: a resident meets an open public problem too, instead of reporting it again
	ActAnswer            Action = "answer"             // 直接答复: the hotline desk answers the call itself
	ActTransfer          Action = "transfer"           // 转办: to 110, 119, 120, 122 or another hotline
	ActDecline           Action = "decline"            // 不予受理: not a matter for the hotline, with the right channel
	ActWithdraw          Action = "withdraw"           // 撤单: the caller withdraws before dispatch
	ActContact           Action = "contact"            // 首次联系: the lead department reaches the requester
	ActCallerAnswer      Action = "caller_answer"      // 办理结果: the lead department answers the requester
	ActReview            Action = "review"             // 复核: is a dissatisfied rating justified?
	ActDispute           Action = "dispute"            // 提请仲裁: the centre disputes a department's return (派单争议)
	ActArbitrate         Action = "arbitrate"          // 仲裁: the decision names the lead and the assisting departments
	ActFollow            Action = "follow"             // 随主件办结: a merged order is answered with the order it was merged into
)

// Overlay reports whether an action leaves the case where it is: a reminder,
// a supervision order or its reply. A command prepared on an older version
// is not stale when only overlays happened since.
func (a Action) Overlay() bool {
	return a == ActRemind || a == ActSupervise || a == ActReply || a == ActComment || a == ActRetime || a == ActMeToo
}

// Step is a stage of the loop that has a time limit.
type Step string

const (
	StepRegister Step = "register"
	StepDispatch Step = "dispatch"
	StepHandle   Step = "handle"
	StepRework   Step = "rework"
	StepCheck    Step = "check"
	StepClose    Step = "close"
	StepReply    Step = "reply"    // answering a supervision order
	StepContact  Step = "contact"  // a hotline order's first contact, from dispatch
	StepCallback Step = "callback" // a hotline order's callback, from its answer
	StepReview   Step = "review"   // the review of a 不满意, from the callback
	// StepArbitrate is the leaders' arbitration of a disputed return (派单争议), from the dispute.
	StepArbitrate Step = "arbitrate"
)

// Steps are the steps with time limits, in loop order.
var Steps = []Step{StepRegister, StepDispatch, StepContact, StepHandle, StepArbitrate, StepRework, StepCheck, StepClose, StepCallback, StepReview, StepReply}

// Clock computes deadlines. The deadline package implements it on the
// working calendar; tests may use a plain one.
type Clock interface {
	// Due is the deadline of step for a case of this category and urgency
	// when the step starts at start. A zero time means "no limit".
	Due(step Step, categoryID string, urgency Urgency, start time.Time) time.Time
	// Resume moves a deadline that was paused at pausedAt and resumes at
	// resumedAt, so the time left when paused is left again.
	Resume(deadline, pausedAt, resumedAt time.Time) time.Time
}

// Command asks for one transition.
type Command struct {
	Action          Action
	Actor           Actor
	At              time.Time
	ExpectedVersion int // must equal the case's version

	TaskID      int64        // the task acted on, or 0: see findTask
	TaskUnit    int64        // the task of this department (for a dispatcher's decision)
	Reason      string       // required for void, return, refusals, check_fail, reopen, supervise, special close
	Note        string       // free text
	Photos      []string     // evidence (required for report_back)
	Location    *Point       // where the actor was
	Assignments []Assignment // for dispatch
	DuplicateOf int64        // for merge
	Deadline    time.Time    // for request_extension (wanted) and approve_extension (granted; zero = as asked)
	Special     bool         // close as an approved exception
	Found       *bool        // verify: was the problem there?
	Satisfied   *bool        // callback: the old yes/no answer, read as 满意 or 不满意 without a rating
	Solved      *bool        // callback, caller_answer
	Reach       Reach        // callback: how the attempt went (empty: reached)
	Rating      Rating       // callback: 满意, 基本满意 or 不满意
	Justified   *bool        // review
	ContactedAt time.Time    // contact: when the requester was reached
	Method      ContactMethod
	Reply       string // caller_answer: the public reply to the requester
	// NoCallback: the caller declined callbacks at intake (the report's
	// Intake); a step that closes the order schedules none.
	NoCallback bool
	Retimes    []Retime    // for retime: each running deadline that moves
	Correct    *Correction // register and dispatch: the report's category or place, corrected
	Knowledge  []int64     // answer: the knowledge points the answer used
	// Late: the deadline the watcher's reminder or supervision order is
	// about (the system's remind and supervise need no reason of their own).
	Late *Late
}

// Late names a time limit that passed: its step and when it was due.
type Late struct {
	Step Step      `json:"step"`
	Due  time.Time `json:"due"`
}

// Correction is what the centre puts right in a report when it registers or
// dispatches it: the category, or the place (the point with the street,
// community and grid the caller has found for it). Empty parts stay.
type Correction struct {
	CategoryID string
	Point      *Point
	Place      *Place
}

// correctable are the actions that may correct a report.
var correctable = []Action{ActRegister, ActDispatch}

// Retime is one running deadline moved because the working calendar
// changed: the case's own (TaskID 0) or a task's, or (Step arbitrate) the
// arbitration a task's disputed return waits for.
type Retime struct {
	TaskID int64     `json:"task_id,omitempty"`
	Step   Step      `json:"step,omitempty"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
}

// Rule says who may make a transition and from where.
type Rule struct {
	Action Action
	Roles  []Role
	From   []State
	Task   bool   // acts on one department's task
	Needs  string // what it requires, for people
}

// Rules is the loop as data: the API documents it and the tests walk it.
var Rules = []Rule{
	{ActVerify, []Role{GridWorker}, []State{Reported}, false, "found (whether the problem is there)"},
	{ActRegister, []Role{Dispatcher}, []State{Reported}, false, ""},
	{ActVoid, []Role{Dispatcher}, []State{Reported, Registered}, false, "reason"},
	{ActMerge, []Role{Dispatcher, Operator}, []State{Reported, Registered}, false, "duplicate_of (an earlier case)"},
	{ActDispatch, []Role{Dispatcher}, []State{Registered}, false, "assignments (one lead)"},
	{ActSign, []Role{Handler}, []State{Dispatched, InProgress}, true, ""},
	{ActReportBack, []Role{Handler}, []State{InProgress}, true, "note and at least one photo"},
	{ActRequestReturn, []Role{Handler}, []State{Dispatched, InProgress}, true, "reason"},
	{ActApproveReturn, []Role{Dispatcher}, []State{Dispatched, InProgress}, true, ""},
	{ActRefuseReturn, []Role{Dispatcher}, []State{Dispatched, InProgress}, true, "reason"},
	{ActRequestExtension, []Role{Handler}, []State{Dispatched, InProgress}, true, "reason and a later deadline"},
	{ActApproveExtension, []Role{Dispatcher}, []State{Dispatched, InProgress}, true, ""},
	{ActRefuseExtension, []Role{Dispatcher}, []State{Dispatched, InProgress}, true, "reason"},
	{ActRequestSuspension, []Role{Handler}, []State{Dispatched, InProgress}, true, "reason"},
	{ActApproveSuspension, []Role{Dispatcher}, []State{Dispatched, InProgress}, true, ""},
	{ActRefuseSuspension, []Role{Dispatcher}, []State{Dispatched, InProgress}, true, "reason"},
	{ActResume, []Role{Dispatcher}, []State{Suspended}, false, ""},
	{ActCheckPass, []Role{GridWorker}, []State{PendingCheck}, false, ""},
	{ActCheckFail, []Role{GridWorker}, []State{PendingCheck}, false, "reason"},
	{ActClose, []Role{Dispatcher}, []State{PendingClose}, false, "reason when special"},
	{ActCallback, []Role{Operator, Resident}, []State{Closed, Voided}, false, "reach; when reached, rating (or satisfied) and solved"},
	{ActReopen, []Role{Operator, Dispatcher}, []State{Closed}, false, "reason"},
	{ActRemind, []Role{Dispatcher, Leader, System}, []State{Reported, Registered, Dispatched, InProgress, Suspended, PendingCheck, PendingClose}, false, ""},
	{ActSupervise, []Role{Dispatcher, Leader, System}, []State{Reported, Registered, Dispatched, InProgress, Suspended, PendingCheck, PendingClose}, false, "reason"},
	{ActReply, []Role{Handler}, []State{Dispatched, InProgress, Suspended}, true, "note"},
	{ActComment, []Role{GridWorker, Operator, Dispatcher, Handler, Leader}, []State{Reported, Registered, Dispatched, InProgress, Suspended, PendingCheck, PendingClose, Closed}, false, "note"},
	{ActMeToo, []Role{Resident}, []State{Reported, Registered, Dispatched, InProgress, Suspended, PendingCheck, PendingClose}, false, ""},
	{ActAnswer, []Role{Operator}, []State{Reported}, false, "note (the answer given to the caller)"},
	{ActTransfer, []Role{Operator}, []State{Reported}, false, "reason (where to: 110, 119, 120, 122 or another hotline)"},
	{ActDecline, []Role{Operator}, []State{Reported}, false, "reason (why, and the right channel)"},
	{ActWithdraw, []Role{Operator}, []State{Reported, Registered}, false, "reason"},
	{ActContact, []Role{Handler}, []State{InProgress}, true, "contacted_at and method (phone, visit, sms): the lead department of a hotline order"},
	{ActCallerAnswer, []Role{Handler}, []State{InProgress}, true, "reply (public), solved, and reason when not solved; after the first contact"},
	{ActReview, []Role{Operator, Dispatcher}, []State{Closed}, false, "justified and reason, on a dissatisfied rating"},
	{ActDispute, []Role{Dispatcher}, []State{Dispatched, InProgress}, true, "reason (why the return is disputed), on a pending return"},
	{ActArbitrate, []Role{Leader}, []State{Dispatched, InProgress}, true, "assignments (the lead and the assisting departments) and reason (the decision), on a disputed return"},
	{ActFollow, []Role{System}, []State{Voided}, false, "the answer of the order it was merged into (reply, solved)"},
	{ActRetime, []Role{System}, []State{Reported, Registered, Dispatched, InProgress, PendingCheck, PendingClose}, false, "retimes (each deadline's old and new time)"},
}

// stateField is what a wrong-state refusal names when the state stands
// for something people know: a callback follows the answer, a review a
// rating.
var stateField = map[Action]string{ActCallback: "answer", ActReview: "rating"}

// ReportRoles may create a case.
var ReportRoles = []Role{GridWorker, Operator, Dispatcher, Resident, System}

// RuleFor returns the rule of an action.
func RuleFor(a Action) (Rule, bool) {
	for _, r := range Rules {
		if r.Action == a {
			return r, true
		}
	}
	return Rule{}, false
}

// Report validates a new case and returns its first event. The caller has
// already resolved the place and checked the category exists.
func Report(c *Case, actor Actor, at time.Time, clock Clock) (Event, error) {
	if !slices.Contains(ReportRoles, actor.Role) {
		return Event{}, refuse(CodeWrongRole, ActReport, "", "", "role %s may not report a case", actor.Role)
	}
	switch {
	case strings.TrimSpace(c.Description) == "":
		return Event{}, refuse(CodeRequired, ActReport, "", "description", "a description is required")
	case c.CategoryID == "":
		return Event{}, refuse(CodeRequired, ActReport, "", "category", "a category is required")
	case !slices.Contains(Channels, c.Channel):
		return Event{}, refuse(CodeInvalid, ActReport, "", "channel", "unknown channel %q", c.Channel)
	case !c.Urgency.Valid():
		return Event{}, refuse(CodeInvalid, ActReport, "", "urgency", "urgency must be normal, urgent or immediate")
	}
	at = Instant(at)
	c.State = Reported
	c.Version = 1
	c.ReportedAt = at
	c.UpdatedAt = at
	c.Deadline = clock.Due(StepRegister, c.CategoryID, c.Urgency, at)
	if actor.Role == GridWorker {
		c.Verified = true // a grid worker's own report is seen on site
	}
	return Event{CaseID: c.ID, Seq: 1, Action: ActReport, ToState: Reported, Actor: actor, At: at,
		Data: EventData{Location: &c.Point}}, nil
}

// Apply makes one transition on c. On success c holds the new state and the
// returned event describes the change; on error c is unchanged.
func Apply(c *Case, cmd Command, clock Clock) (Event, error) {
	rule, ok := RuleFor(cmd.Action)
	if !ok {
		return Event{}, refuse(CodeInvalid, cmd.Action, c.State, "action", "unknown action %q", cmd.Action)
	}
	if !slices.Contains(rule.Roles, cmd.Actor.Role) {
		return Event{}, refuse(CodeWrongRole, cmd.Action, c.State, "", "role %s may not %s; allowed: %s", cmd.Actor.Role, cmd.Action, roleList(rule.Roles))
	}
	if cmd.ExpectedVersion != c.Version {
		return Event{}, refuse(CodeStale, cmd.Action, c.State, "version", "case is at version %d, not %d; reload it", c.Version, cmd.ExpectedVersion)
	}
	if !slices.Contains(rule.From, c.State) {
		return Event{}, refuse(CodeWrongState, cmd.Action, c.State, stateField[cmd.Action], "a case that is %s cannot %s", c.State, cmd.Action)
	}
	if cmd.At.IsZero() {
		return Event{}, refuse(CodeRequired, cmd.Action, c.State, "at", "the time of the transition is required")
	}
	cmd.At = Instant(cmd.At)
	n := c.clone()
	ev := Event{CaseID: c.ID, Action: cmd.Action, FromState: c.State, Actor: cmd.Actor, At: cmd.At,
		Reason: strings.TrimSpace(cmd.Reason), Data: EventData{Note: cmd.Note, Photos: cmd.Photos, Location: cmd.Location}}
	var t *Task
	if rule.Task {
		var err error
		if t, err = n.findTask(cmd); err != nil {
			return Event{}, err
		}
		ev.TaskID = t.ID
		ev.Data.UnitID = t.UnitID
	}
	if err := step(n, t, cmd, &ev, clock); err != nil {
		return Event{}, err
	}
	n.Version++
	n.UpdatedAt = cmd.At
	ev.Seq = n.Version
	ev.ToState = n.State
	*c = *n
	return ev, nil
}

// correct applies a correction before the step, so the step's deadline
// and routing follow the corrected category and place; the event keeps
// what was there before.
func correct(n *Case, cmd Command, ev *Event) error {
	k := cmd.Correct
	if !slices.Contains(correctable, cmd.Action) {
		return refuse(CodeInvalid, cmd.Action, n.State, "category", "the category and place are corrected at registration or dispatch, not on %s", cmd.Action)
	}
	if (k.Point == nil) != (k.Place == nil) {
		return refuse(CodeInvalid, cmd.Action, n.State, "place", "a corrected place needs both its point and its street, community and grid")
	}
	c := &Corrected{}
	if k.CategoryID != "" && k.CategoryID != n.CategoryID {
		c.FromCategory, c.ToCategory = n.CategoryID, k.CategoryID
		n.CategoryID = k.CategoryID
	}
	if k.Point != nil && (*k.Point != n.Point || *k.Place != n.Place) {
		from, fromPoint := n.Place, n.Point
		c.FromPlace, c.FromPoint, c.ToPlace, c.ToPoint = &from, &fromPoint, k.Place, k.Point
		n.Point, n.Place = *k.Point, *k.Place
	}
	if c.ToCategory != "" || c.ToPlace != nil {
		ev.Data.Corrected = c
	}
	return nil
}

func step(n *Case, t *Task, cmd Command, ev *Event, clock Clock) error {
	a, at := cmd.Action, cmd.At
	if len(cmd.Knowledge) > 0 && a != ActAnswer {
		return refuse(CodeInvalid, a, n.State, "knowledge", "knowledge points are cited by an answer at the desk, not by %s", a)
	}
	need := func(field, v string) error {
		if strings.TrimSpace(v) == "" {
			return refuse(CodeRequired, a, n.State, field, "%s is required to %s", field, a)
		}
		return nil
	}
	needHandler := func() error {
		if t.UnitID != cmd.Actor.UnitID {
			return refuse(CodeNotYours, a, n.State, "task", "task %d belongs to unit %d, not to unit %d", t.ID, t.UnitID, cmd.Actor.UnitID)
		}
		return nil
	}
	needRequest := func(k RequestKind) error {
		if t.Request != k {
			return refuse(CodeWrongState, a, n.State, "task", "task %d has no pending %s request", t.ID, k)
		}
		return nil
	}
	noRequest := func() error {
		if t.Request != RequestNone {
			return refuse(CodeWrongState, a, n.State, "task", "task %d already has a pending %s request", t.ID, t.Request)
		}
		return nil
	}

	if cmd.Correct != nil {
		if err := correct(n, cmd, ev); err != nil {
			return err
		}
	}
	switch a {
	case ActVerify:
		if cmd.Found == nil {
			return refuse(CodeRequired, a, n.State, "found", "say whether the problem was found on site")
		}
		n.Verified = *cmd.Found
		ev.Data.Found = cmd.Found

	case ActRegister:
		n.State = Registered
		n.RegisteredAt = at
		n.Deadline = clock.Due(StepDispatch, n.CategoryID, n.Urgency, at)

	case ActVoid:
		if err := need("reason", cmd.Reason); err != nil {
			return err
		}
		n.State = Voided
		n.Deadline = time.Time{}

	case ActAnswer, ActTransfer:
		// Ended at the desk: closed without dispatch, so the order never
		// enters a department's or a street's figures (it was never
		// registered).
		if a == ActAnswer {
			if err := need("note", cmd.Note); err != nil {
				return err
			}
			if len(cmd.Knowledge) > 10 {
				return refuse(CodeInvalid, a, n.State, "knowledge", "an answer cites at most 10 knowledge points")
			}
			n.CloseType = CloseAnswered
			ev.Data.Knowledge = cmd.Knowledge
			n.scheduleCallback(clock, at, cmd.NoCallback)
		} else {
			if err := need("reason", cmd.Reason); err != nil {
				return err
			}
			n.CloseType = CloseTransferred
		}
		n.State = Closed
		n.ClosedAt = at
		n.Deadline = time.Time{}
		ev.Data.CloseType = n.CloseType

	case ActDecline, ActWithdraw:
		if err := need("reason", cmd.Reason); err != nil {
			return err
		}
		n.State = Voided
		n.Deadline = time.Time{}

	case ActMerge:
		if cmd.DuplicateOf <= 0 || cmd.DuplicateOf == n.ID {
			return refuse(CodeInvalid, a, n.State, "duplicate_of", "a case can only be merged into another, earlier case")
		}
		n.State = Voided
		n.DuplicateOf = cmd.DuplicateOf
		n.Deadline = time.Time{}
		ev.Data.DuplicateOf = cmd.DuplicateOf
		if ev.Reason == "" {
			ev.Reason = "duplicate"
		}

	case ActDispatch:
		if err := n.dispatch(cmd, clock); err != nil {
			return err
		}
		ev.Data.Assignments = cmd.Assignments
		d := n.Deadline
		ev.Data.Deadline = &d

	case ActSign:
		if err := needHandler(); err != nil {
			return err
		}
		if t.State != TaskDispatched {
			return refuse(CodeWrongState, a, n.State, "task", "task %d is %s, not waiting to be signed for", t.ID, t.State)
		}
		t.State = TaskSigned
		t.SignedAt = at
		t.HandlerID = cmd.Actor.AccountID
		n.State = InProgress

	case ActReportBack:
		if err := needHandler(); err != nil {
			return err
		}
		if t.State != TaskSigned {
			return refuse(CodeWrongState, a, n.State, "task", "task %d is %s; sign for it before reporting back", t.ID, t.State)
		}
		if err := need("note", cmd.Note); err != nil {
			return err
		}
		if len(cmd.Photos) == 0 {
			return refuse(CodeRequired, a, n.State, "photos", "a report-back needs at least one photo as evidence")
		}
		t.State = TaskDone
		t.DoneAt = at
		t.Request, t.RequestNote, t.RequestedDue, t.RequestedAt = RequestNone, "", time.Time{}, time.Time{}
		switch {
		case n.allDone() && !n.AnsweredAt.IsZero():
			// The lead has answered the requester already: the last
			// assisting department's report closes the order.
			n.closeAnswered(clock, at, cmd.NoCallback)
			ev.Data.CloseType = n.CloseType
		case n.allDone():
			n.State = PendingCheck
			n.Deadline = clock.Due(StepCheck, n.CategoryID, n.Urgency, at)
		}

	case ActContact:
		if err := n.leadOfHotline(t, cmd); err != nil {
			return err
		}
		if !t.ContactedAt.IsZero() {
			return refuse(CodeWrongState, a, n.State, "contacted_at", "the requester was contacted already, at %s", inBeijing(t.ContactedAt)).with("at", t.ContactedAt)
		}
		if cmd.ContactedAt.IsZero() {
			return refuse(CodeRequired, a, n.State, "contacted_at", "say when the requester was contacted")
		}
		ca := Instant(cmd.ContactedAt)
		if ca.After(at) || ca.Before(t.DispatchedAt) {
			return refuse(CodeInvalid, a, n.State, "contacted_at", "the contact must fall between the dispatch (%s) and now", inBeijing(t.DispatchedAt)).with("from", t.DispatchedAt)
		}
		if cmd.Method == "" {
			return refuse(CodeRequired, a, n.State, "method", "say how the requester was contacted")
		}
		if !slices.Contains(ContactMethods, cmd.Method) {
			return refuse(CodeInvalid, a, n.State, "method", "unknown contact method %q", cmd.Method)
		}
		t.ContactedAt, t.ContactMethod = ca, cmd.Method
		ev.Data.Contact = &Contact{At: ca, Method: cmd.Method}

	case ActCallerAnswer:
		if err := n.leadOfHotline(t, cmd); err != nil {
			return err
		}
		if t.ContactedAt.IsZero() {
			return refuse(CodeRequired, a, n.State, "contacted_at", "contact the requester before answering")
		}
		if err := need("reply", cmd.Reply); err != nil {
			return err
		}
		if cmd.Solved == nil {
			return refuse(CodeRequired, a, n.State, "solved", "say whether the matter is solved")
		}
		if !*cmd.Solved {
			if err := need("reason", cmd.Reason); err != nil {
				return err
			}
		}
		t.State = TaskDone
		t.DoneAt = at
		t.Request, t.RequestNote, t.RequestedDue, t.RequestedAt = RequestNone, "", time.Time{}, time.Time{}
		n.AnsweredAt = at
		ev.Data.Answer = &Answer{Reply: strings.TrimSpace(cmd.Reply), Solved: *cmd.Solved}
		if n.allDone() {
			n.closeAnswered(clock, at, cmd.NoCallback)
			ev.Data.CloseType = n.CloseType
		}

	case ActRequestReturn, ActRequestExtension, ActRequestSuspension:
		if err := needHandler(); err != nil {
			return err
		}
		if t.State == TaskDone {
			return refuse(CodeWrongState, a, n.State, "task", "task %d is already reported back", t.ID)
		}
		if err := noRequest(); err != nil {
			return err
		}
		if err := need("reason", cmd.Reason); err != nil {
			return err
		}
		kind := map[Action]RequestKind{ActRequestReturn: RequestReturn, ActRequestExtension: RequestExtension, ActRequestSuspension: RequestSuspension}[a]
		if kind == RequestExtension {
			if !cmd.Deadline.After(t.Deadline) {
				return refuse(CodeInvalid, a, n.State, "deadline", "an extension must ask for a deadline after the current one (%s)", inBeijing(t.Deadline)).with("deadline", t.Deadline)
			}
			t.RequestedDue = cmd.Deadline
			d := cmd.Deadline
			ev.Data.Deadline = &d
		}
		t.Request, t.RequestNote, t.RequestedAt = kind, ev.Reason, at

	case ActRefuseReturn, ActRefuseExtension, ActRefuseSuspension:
		kind := map[Action]RequestKind{ActRefuseReturn: RequestReturn, ActRefuseExtension: RequestExtension, ActRefuseSuspension: RequestSuspension}[a]
		if err := needRequest(kind); err != nil {
			return err
		}
		if err := need("reason", cmd.Reason); err != nil {
			return err
		}
		t.Request, t.RequestNote, t.RequestedDue, t.RequestedAt = RequestNone, "", time.Time{}, time.Time{}

	case ActDispute:
		if err := needRequest(RequestReturn); err != nil {
			return err
		}
		if err := need("reason", cmd.Reason); err != nil {
			return err
		}
		t.Request = RequestDispute // the department's reason stays beside it
		// The leaders decide within the arbitration limit; without one
		// the dispute is not watched.
		t.RequestedDue = clock.Due(StepArbitrate, n.CategoryID, n.Urgency, at)
		if !t.RequestedDue.IsZero() {
			d := t.RequestedDue
			ev.Data.Deadline = &d
		}

	case ActArbitrate:
		if err := needRequest(RequestDispute); err != nil {
			return err
		}
		if err := need("reason", cmd.Reason); err != nil {
			return err
		}
		if due := t.RequestedDue; !due.IsZero() {
			ev.Data.ArbitrationDue = &due
		}
		if err := n.arbitrate(t, cmd, clock); err != nil {
			return err
		}
		ev.Data.Assignments = cmd.Assignments

	case ActApproveReturn:
		if err := needRequest(RequestReturn); err != nil {
			return err
		}
		t.State = TaskReturned
		t.Request, t.RequestNote, t.RequestedAt = RequestNone, "", time.Time{}
		if n.lead() == nil {
			// Without a lead the case goes back to the dispatch queue (改派).
			n.State = Registered
			n.Deadline = clock.Due(StepDispatch, n.CategoryID, n.Urgency, at)
		} else if n.allDone() {
			n.State = PendingCheck
			n.Deadline = clock.Due(StepCheck, n.CategoryID, n.Urgency, at)
		}

	case ActApproveExtension:
		if err := needRequest(RequestExtension); err != nil {
			return err
		}
		due := t.RequestedDue
		if !cmd.Deadline.IsZero() {
			if !cmd.Deadline.After(t.Deadline) {
				return refuse(CodeInvalid, a, n.State, "deadline", "the granted deadline must be after the current one (%s)", inBeijing(t.Deadline)).with("deadline", t.Deadline)
			}
			due = cmd.Deadline
		}
		t.Deadline = due
		t.Extensions++
		t.Request, t.RequestNote, t.RequestedDue, t.RequestedAt = RequestNone, "", time.Time{}, time.Time{}
		n.syncDeadline()
		ev.Data.Deadline = &due

	case ActApproveSuspension:
		if err := needRequest(RequestSuspension); err != nil {
			return err
		}
		t.Request, t.RequestNote, t.RequestedAt = RequestNone, "", time.Time{}
		n.SuspendedFrom = n.State
		n.SuspendedAt = at
		n.State = Suspended

	case ActResume:
		for i := range n.Tasks {
			tk := &n.Tasks[i]
			if tk.State == TaskDispatched || tk.State == TaskSigned {
				tk.Deadline = clock.Resume(tk.Deadline, n.SuspendedAt, at)
			}
		}
		n.State = n.SuspendedFrom
		n.SuspendedFrom, n.SuspendedAt = "", time.Time{}
		n.syncDeadline()

	case ActCheckPass:
		n.State = PendingClose
		n.Deadline = clock.Due(StepClose, n.CategoryID, n.Urgency, at)

	case ActCheckFail:
		if err := need("reason", cmd.Reason); err != nil {
			return err
		}
		n.Reworks++
		n.State = InProgress
		n.reopenTasks(clock.Due(StepRework, n.CategoryID, n.Urgency, at))

	case ActClose:
		switch {
		case cmd.Special:
			if err := need("reason", cmd.Reason); err != nil {
				return err
			}
			n.CloseType = CloseSpecial
		case n.late():
			n.CloseType = CloseOverdue
		default:
			n.CloseType = CloseNormal
		}
		n.State = Closed
		n.ClosedAt = at
		n.Deadline = time.Time{}
		n.scheduleCallback(clock, at, cmd.NoCallback)
		ev.Data.CloseType = n.CloseType

	case ActFollow:
		// A merged order (合并件) is answered when the order it was merged
		// into is: its caller gets that answer and a callback of their own.
		if n.DuplicateOf == 0 {
			return refuse(CodeInvalid, a, n.State, "duplicate_of", "only a merged order follows the order it was merged into")
		}
		if !n.AnsweredAt.IsZero() {
			return refuse(CodeWrongState, a, n.State, "answer", "the merged order has its answer already")
		}
		solved := cmd.Solved != nil && *cmd.Solved
		n.AnsweredAt = at
		n.scheduleCallback(clock, at, cmd.NoCallback)
		ev.Data.DuplicateOf = n.DuplicateOf
		ev.Data.Answer = &Answer{Reply: strings.TrimSpace(cmd.Reply), Solved: solved}

	case ActCallback:
		if n.State == Voided && (n.DuplicateOf == 0 || n.AnsweredAt.IsZero()) {
			return refuse(CodeWrongState, a, n.State, "answer", "a voided order takes no callback; a merged one once the order it was merged into is answered")
		}
		reach := cmd.Reach
		if reach == "" {
			reach = Reached
		}
		if !slices.Contains(Reaches, reach) {
			return refuse(CodeInvalid, a, n.State, "reach", "unknown callback outcome %q", reach)
		}
		if n.Rating != "" {
			return refuse(CodeWrongState, a, n.State, "rating", "the order is rated already (%s)", n.Rating)
		}
		ev.Data.Reach = reach
		if reach != Reached {
			if cmd.Rating != "" || cmd.Satisfied != nil {
				return refuse(CodeInvalid, a, n.State, "rating", "a callback that did not reach the requester has no rating")
			}
			if reach == Refused {
				n.CallbackDue = time.Time{}
			}
			break
		}
		rating := cmd.Rating
		if rating == "" && cmd.Satisfied != nil {
			rating = RatingDissatisfied
			if *cmd.Satisfied {
				rating = RatingSatisfied
			}
		}
		if rating == "" {
			return refuse(CodeRequired, a, n.State, "rating", "record the requester's rating: satisfied, fairly satisfied or dissatisfied")
		}
		if !slices.Contains(Ratings, rating) {
			return refuse(CodeInvalid, a, n.State, "rating", "unknown rating %q", rating)
		}
		s := rating != RatingDissatisfied
		n.Satisfied, n.Rating, n.CallbackDue = &s, rating, time.Time{}
		if rating == RatingDissatisfied && n.State == Closed { // a merged order's 不满意 is its parent's to act on
			n.Review = ReviewPending // 不满意 opens a review
			if n.ReviewDue = clock.Due(StepReview, n.CategoryID, n.Urgency, at); n.ReviewDue.IsZero() {
				n.ReviewDue = at
			}
		}
		ev.Data.Satisfied, ev.Data.Solved, ev.Data.Rating = &s, cmd.Solved, rating

	case ActReview:
		if n.Review != ReviewPending {
			return refuse(CodeWrongState, a, n.State, "rating", "no dissatisfied rating waits for a review")
		}
		if cmd.Justified == nil {
			return refuse(CodeRequired, a, n.State, "justified", "say whether the dissatisfied rating is justified")
		}
		if err := need("reason", cmd.Reason); err != nil {
			return err
		}
		j := *cmd.Justified
		ev.Data.Justified = &j
		n.Review, n.ReviewDue = ReviewNone, time.Time{}
		if j {
			// Justified: the order goes back to its departments for
			// rework, and the rating counts against them.
			n.reopen(clock, at)
		}

	case ActReopen:
		if err := need("reason", cmd.Reason); err != nil {
			return err
		}
		n.reopen(clock, at)

	case ActRetime:
		// An overlay: running deadlines move to where the new calendar
		// puts them; each must still be where the caller saw it.
		if len(cmd.Retimes) == 0 {
			return refuse(CodeRequired, a, n.State, "retimes", "say which deadlines move")
		}
		for _, r := range cmd.Retimes {
			d := &n.Deadline
			if r.TaskID != 0 {
				var task *Task
				for i := range n.Tasks {
					if n.Tasks[i].ID == r.TaskID {
						task = &n.Tasks[i]
					}
				}
				if task == nil || !task.State.Active() {
					return refuse(CodeInvalid, a, n.State, "retimes", "task %d is not running on this case", r.TaskID)
				}
				d = &task.Deadline
				if r.Step == StepArbitrate {
					if task.Request != RequestDispute {
						return refuse(CodeStale, a, n.State, "retimes", "task %d waits for no arbitration", r.TaskID)
					}
					d = &task.RequestedDue
				}
			}
			if d.IsZero() || !d.Equal(r.From) || r.To.IsZero() {
				return refuse(CodeStale, a, n.State, "retimes", "the deadline is %s, not %s", inBeijing(*d), inBeijing(r.From)).with("deadline", *d)
			}
			*d = r.To
		}
		n.syncDeadline()
		ev.Data.Retimed = cmd.Retimes

	case ActMeToo:
		// An overlay: the event is one more resident who meets the
		// problem (a repeat report without a case of its own), with where
		// they were when they said so.

	case ActComment:
		// An overlay: the note is the event (from staff, or an Open311
		// client's update).
		if err := need("note", cmd.Note); err != nil {
			return err
		}

	case ActRemind:
		// An overlay: the event is the reminder, to one department when a
		// task is named.
		if cmd.TaskUnit != 0 || cmd.TaskID != 0 {
			t, err := n.findTask(cmd)
			if err != nil {
				return err
			}
			ev.TaskID, ev.Data.UnitID = t.ID, t.UnitID
		}
		ev.Data.Late = systemLate(cmd)

	case ActSupervise:
		// An order to one department (task_unit, or the lead) or, before
		// dispatch, to the centre; it must be answered within the reply limit.
		if ev.Data.Late = systemLate(cmd); ev.Data.Late == nil {
			if err := need("reason", cmd.Reason); err != nil {
				return err
			}
		}
		if cmd.TaskUnit != 0 || cmd.TaskID != 0 {
			t, err := n.findTask(cmd)
			if err != nil {
				return err
			}
			ev.TaskID, ev.Data.UnitID = t.ID, t.UnitID
		} else if l := n.lead(); l != nil && (n.State == Dispatched || n.State == InProgress || n.State == Suspended) {
			ev.TaskID, ev.Data.UnitID = l.ID, l.UnitID
		}
		if due := clock.Due(StepReply, n.CategoryID, n.Urgency, at); !due.IsZero() {
			ev.Data.Deadline = &due
		}

	case ActReply:
		if err := need("note", cmd.Note); err != nil {
			return err
		}
	}
	return nil
}

// systemLate is the passed deadline a system command is about; people's
// reminders and orders carry their own words instead.
func systemLate(cmd Command) *Late {
	if cmd.Late == nil || cmd.Actor.Role != System {
		return nil
	}
	l := *cmd.Late
	l.Due = Instant(l.Due)
	return &l
}

// Instant is how the loop keeps time: UTC, to the millisecond, as stored.
func Instant(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func (c *Case) clone() *Case {
	n := *c
	n.Tasks = slices.Clone(c.Tasks)
	if c.Satisfied != nil {
		s := *c.Satisfied
		n.Satisfied = &s
	}
	return &n
}

// findTask picks the task a command acts on: by id; else by unit (a
// handler's own unit, or TaskUnit); else, for a dispatcher's decision, the one
// task whose pending request it answers.
func (c *Case) findTask(cmd Command) (*Task, error) {
	unit := cmd.TaskUnit
	if cmd.Actor.Role == Handler {
		unit = cmd.Actor.UnitID
	}
	var pending []*Task
	for i := range c.Tasks {
		t := &c.Tasks[i]
		switch {
		case cmd.TaskID != 0 && t.ID == cmd.TaskID:
			if !t.State.Active() {
				return nil, refuse(CodeWrongState, cmd.Action, c.State, "task", "task %d was returned", t.ID)
			}
			return t, nil
		case cmd.TaskID == 0 && unit != 0 && t.State.Active() && t.UnitID == unit:
			return t, nil
		case t.State.Active() && t.Request != RequestNone && t.Request == answers[cmd.Action]:
			pending = append(pending, t)
		}
	}
	switch {
	case cmd.TaskID != 0:
		return nil, refuse(CodeInvalid, cmd.Action, c.State, "task", "case %s has no task %d", c.Number, cmd.TaskID)
	case unit != 0 && cmd.Actor.Role == Handler:
		return nil, refuse(CodeNotYours, cmd.Action, c.State, "task", "case %s has no active task for unit %d", c.Number, unit)
	case unit != 0:
		return nil, refuse(CodeInvalid, cmd.Action, c.State, "task", "case %s has no active task for unit %d", c.Number, unit)
	case len(pending) == 1:
		return pending[0], nil
	}
	return nil, refuse(CodeRequired, cmd.Action, c.State, "task", "name the task to act on")
}

// answers maps a dispatcher's decision to the request it answers.
var answers = map[Action]RequestKind{
	ActApproveReturn: RequestReturn, ActRefuseReturn: RequestReturn,
	ActApproveExtension: RequestExtension, ActRefuseExtension: RequestExtension,
	ActApproveSuspension: RequestSuspension, ActRefuseSuspension: RequestSuspension,
	ActDispute: RequestReturn, ActArbitrate: RequestDispute,
}

// arbitrate carries out an arbitration of the disputed task t: the
// decision's units work the case, one of them leading. t stays if the
// decision names its unit (the return was not justified) and is returned
// otherwise; a named unit without a task gets one; a task the decision does
// not name keeps assisting, and only the named lead leads.
func (c *Case) arbitrate(t *Task, cmd Command, clock Clock) error {
	a := cmd.Action
	named := map[int64]bool{}
	leads := 0
	for _, as := range cmd.Assignments {
		if as.UnitID <= 0 {
			return refuse(CodeInvalid, a, c.State, "assignments", "unit id %d is not a department", as.UnitID)
		}
		if _, dup := named[as.UnitID]; dup {
			return refuse(CodeInvalid, a, c.State, "assignments", "unit %d is named twice", as.UnitID)
		}
		named[as.UnitID] = as.Lead
		if as.Lead {
			leads++
		}
	}
	if leads != 1 {
		return refuse(CodeRequired, a, c.State, "assignments", "the decision names exactly one lead department (%d given)", leads)
	}
	t.Request, t.RequestNote, t.RequestedAt, t.RequestedDue = RequestNone, "", time.Time{}, time.Time{}
	if _, ok := named[t.UnitID]; !ok {
		t.State = TaskReturned
	}
	has := map[int64]bool{}
	for i := range c.Tasks {
		k := &c.Tasks[i]
		if !k.State.Active() {
			continue
		}
		has[k.UnitID] = true
		k.Lead = named[k.UnitID]
	}
	var fresh []Assignment
	for _, as := range cmd.Assignments {
		if !has[as.UnitID] {
			fresh = append(fresh, as)
		}
	}
	c.addTasks(fresh, clock, cmd.At)
	if c.allDone() {
		c.State = PendingCheck
		c.Deadline = clock.Due(StepCheck, c.CategoryID, c.Urgency, cmd.At)
		return nil
	}
	c.syncDeadline()
	return nil
}

// addTasks gives each assignment a new task, due by the handling limit from
// at (a hotline lead also by the first-contact limit), and puts the case
// in the hands of its departments: in progress once any has signed.
func (c *Case) addTasks(as []Assignment, clock Clock, at time.Time) {
	due := clock.Due(StepHandle, c.CategoryID, c.Urgency, at)
	for _, a := range as {
		t := Task{UnitID: a.UnitID, Lead: a.Lead, State: TaskDispatched, DispatchedAt: at, Deadline: due}
		if a.Lead && c.Channel == ChannelHotline {
			t.ContactDue = clock.Due(StepContact, c.CategoryID, c.Urgency, at)
		}
		c.Tasks = append(c.Tasks, t)
	}
	c.State = Dispatched
	for _, t := range c.Tasks {
		if t.State == TaskSigned || t.State == TaskDone {
			c.State = InProgress
		}
	}
}

func (c *Case) dispatch(cmd Command, clock Clock) error {
	a := cmd.Action
	if len(cmd.Assignments) == 0 {
		return refuse(CodeRequired, a, c.State, "assignments", "dispatch needs at least one department")
	}
	leads := 0
	seen := map[int64]bool{}
	for _, t := range c.Tasks {
		if t.State.Active() {
			seen[t.UnitID] = true
		}
	}
	for _, as := range cmd.Assignments {
		if as.UnitID <= 0 {
			return refuse(CodeInvalid, a, c.State, "assignments", "unit id %d is not a department", as.UnitID)
		}
		if seen[as.UnitID] {
			return refuse(CodeInvalid, a, c.State, "assignments", "unit %d already has a task on this case", as.UnitID)
		}
		seen[as.UnitID] = true
		if as.Lead {
			leads++
		}
	}
	hasLead := c.lead() != nil
	switch {
	case hasLead && leads > 0:
		return refuse(CodeInvalid, a, c.State, "assignments", "the case already has a lead department")
	case !hasLead && leads != 1:
		return refuse(CodeInvalid, a, c.State, "assignments", "exactly one department must lead (%d given)", leads)
	}
	c.addTasks(cmd.Assignments, clock, cmd.At)
	if c.DispatchedAt.IsZero() {
		c.DispatchedAt = cmd.At
	}
	c.syncDeadline()
	return nil
}

// leadOfHotline checks that t is the actor's signed lead task of a hotline
// order: the department that contacts and answers the requester.
func (c *Case) leadOfHotline(t *Task, cmd Command) error {
	a := cmd.Action
	switch {
	case t.UnitID != cmd.Actor.UnitID:
		return refuse(CodeNotYours, a, c.State, "task", "task %d belongs to unit %d, not to unit %d", t.ID, t.UnitID, cmd.Actor.UnitID)
	case c.Channel != ChannelHotline:
		return refuse(CodeInvalid, a, c.State, "channel", "only hotline orders have a requester to contact and answer")
	case !t.Lead:
		return refuse(CodeInvalid, a, c.State, "task", "the lead department contacts and answers the requester")
	case t.State != TaskSigned:
		return refuse(CodeWrongState, a, c.State, "task", "task %d is %s; sign for it first", t.ID, t.State)
	}
	return nil
}

// closeAnswered closes a hotline order once its lead has answered and
// every department is done, and schedules the callback.
func (c *Case) closeAnswered(clock Clock, at time.Time, noCallback bool) {
	c.CloseType = CloseNormal
	if c.late() {
		c.CloseType = CloseOverdue
	}
	c.State = Closed
	c.ClosedAt = at
	c.Deadline = time.Time{}
	c.scheduleCallback(clock, at, noCallback)
}

// scheduleCallback sets when a closed order's callback (回访) is due: a
// hotline order whose requester left a number and did not decline
// callbacks, within the callback limit (at once without one).
func (c *Case) scheduleCallback(clock Clock, at time.Time, noCallback bool) {
	c.CallbackDue = time.Time{}
	if c.Channel != ChannelHotline || c.Reporter.Phone == "" || noCallback {
		return
	}
	c.CallbackDue = clock.Due(StepCallback, c.CategoryID, c.Urgency, at)
	if c.CallbackDue.IsZero() {
		c.CallbackDue = at
	}
}

// reopen sends a closed case back to its departments (重办).
func (c *Case) reopen(clock Clock, at time.Time) {
	c.Reopens++
	c.State = InProgress
	c.reopenTasks(clock.Due(StepRework, c.CategoryID, c.Urgency, at))
	c.CloseType = ""
	c.ClosedAt = time.Time{}
	c.Satisfied = nil
	c.Rating, c.Review, c.ReviewDue = "", ReviewNone, time.Time{}
	c.AnsweredAt, c.CallbackDue = time.Time{}, time.Time{}
}

func (c *Case) lead() *Task {
	for i := range c.Tasks {
		if c.Tasks[i].Lead && c.Tasks[i].State.Active() {
			return &c.Tasks[i]
		}
	}
	return nil
}

func (c *Case) allDone() bool {
	any := false
	for _, t := range c.Tasks {
		if t.State.Active() {
			if t.State != TaskDone {
				return false
			}
			any = true
		}
	}
	return any
}

// late reports whether any active task was reported back after its deadline.
func (c *Case) late() bool {
	for i := range c.Tasks {
		if c.Tasks[i].State == TaskDone && c.Tasks[i].Overdue(c.Tasks[i].DoneAt) {
			return true
		}
	}
	return false
}

// reopenTasks sends the done tasks back to work with a fresh deadline.
func (c *Case) reopenTasks(due time.Time) {
	for i := range c.Tasks {
		t := &c.Tasks[i]
		if t.State == TaskDone {
			t.State = TaskSigned
			t.DoneAt = time.Time{}
			t.Deadline = due
		}
	}
	c.syncDeadline()
}

// syncDeadline sets the case deadline to its lead task's while departments work.
func (c *Case) syncDeadline() {
	if l := c.lead(); l != nil && (c.State == Dispatched || c.State == InProgress) {
		c.Deadline = l.Deadline
	}
}

func roleList(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// ReturnedBy are the departments whose return of the case was approved:
// a new dispatch should not send it back to them.
func (c *Case) ReturnedBy() []int64 {
	var out []int64
	for _, t := range c.Tasks {
		if t.State == TaskReturned && !slices.Contains(out, t.UnitID) {
			out = append(out, t.UnitID)
		}
	}
	return out
}
