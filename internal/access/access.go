// Package access is the one place that decides who may see and do what:
// the role a transition allows (caseflow.Rules) and the scope of the
// person — a department sees its own tasks, a street office its street, a
// grid worker its grids, the centre and leaders everything.
package access

import (
	"slices"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/org"
)

// Principal is a signed-in person.
type Principal struct {
	AccountID int64         `json:"account_id"`
	Username  string        `json:"username"`
	Name      string        `json:"name"`
	Role      caseflow.Role `json:"role"`
	UnitID    int64         `json:"unit_id"`
	UnitKind  org.UnitKind  `json:"unit_kind"`
	Street    string        `json:"street,omitempty"` // a street office's street
	Grids     []string      `json:"grids,omitempty"`  // a grid worker's grids
	// Scope narrows what an API token may reach: ScopeScreen reads the
	// command display's figures and nothing else; "" acts as the account.
	Scope string `json:"scope,omitempty"`
}

// ScopeScreen is the scope of a wall's kiosk token (大屏): it reads the
// command display's figures, which carry no personal data, and nothing else.
const ScopeScreen = "screen"

// ScopeAlarms is the scope of a camera platform's or AI box's token: it
// only pushes alarms (POST /api/v1/alarms), and reads nothing.
const ScopeAlarms = "alarms"

// Scopes are the scopes a token may be narrowed to.
var Scopes = []string{ScopeScreen, ScopeAlarms}

// Actor is the principal as the case loop sees it.
func (p Principal) Actor() caseflow.Actor {
	return caseflow.Actor{AccountID: p.AccountID, Role: p.Role, UnitID: p.UnitID}
}

// wide roles see every case.
var wide = []caseflow.Role{caseflow.Admin, caseflow.Dispatcher, caseflow.Operator, caseflow.Leader}

// Scope is the set of cases a person may see, in a form a store can
// apply as a filter: a case is in it when All is set, or its grid is one
// of Grids, its street is Street, it has a task (in any state) of
// TaskUnit, or the account Reporter filed it. The zero Scope holds no
// case. CanSee is Scope's Holds, so a filter and a lookup cannot drift.
type Scope struct {
	All      bool
	Grids    []string
	Street   string
	TaskUnit int64
	Reporter int64
}

// ScopeOf is p's scope: the centre and leaders everything; a department
// its tasks, a street office also its street; a grid worker their grids
// and the cases they reported.
func ScopeOf(p Principal) Scope {
	switch {
	case slices.Contains(wide, p.Role):
		return Scope{All: true}
	case p.Role == caseflow.Handler:
		sc := Scope{TaskUnit: p.UnitID}
		if p.UnitKind == org.KindStreet {
			sc.Street = p.Street
		}
		return sc
	case p.Role == caseflow.GridWorker:
		return Scope{Grids: slices.Clone(p.Grids), Reporter: p.AccountID}
	}
	return Scope{}
}

// Holds reports whether c is in the scope.
func (s Scope) Holds(c *caseflow.Case) bool {
	switch {
	case s.All:
		return true
	case s.Street != "" && c.Place.Street == s.Street:
		return true
	case slices.Contains(s.Grids, c.Place.Grid):
		return true
	case s.Reporter != 0 && c.Reporter.AccountID == s.Reporter:
		return true
	case s.TaskUnit != 0:
		for _, t := range c.Tasks {
			if t.UnitID == s.TaskUnit {
				return true
			}
		}
	}
	return false
}

// CanSee reports whether p may see a case's staff view.
func CanSee(p Principal, c *caseflow.Case) bool { return ScopeOf(p).Holds(c) }

// Refuse is a permission refusal, in the case loop's error type so the
// HTTP layer maps it like the loop's own (403).
func refuse(a caseflow.Action, s caseflow.State, code caseflow.Code, msg string) error {
	return &caseflow.Error{Code: code, Action: a, State: s, Msg: msg}
}

// CanAct says whether p may take action on c: the role must be one the
// transition allows, and the case must be in p's scope; a grid worker
// verifies and checks only in their own grids. (A handler acting on
// another department's task is refused by the loop itself: not_yours.)
func CanAct(p Principal, c *caseflow.Case, a caseflow.Action) error {
	rule, ok := caseflow.RuleFor(a)
	if !ok {
		return refuse(a, c.State, caseflow.CodeInvalid, "unknown action "+string(a))
	}
	if !slices.Contains(rule.Roles, p.Role) {
		return refuse(a, c.State, caseflow.CodeWrongRole, "role "+string(p.Role)+" may not "+string(a))
	}
	if !CanSee(p, c) {
		return refuse(a, c.State, caseflow.CodeNotYours, "case "+c.Number+" is outside your scope")
	}
	if p.Role == caseflow.GridWorker && !slices.Contains(p.Grids, c.Place.Grid) {
		return refuse(a, c.State, caseflow.CodeNotYours, "case "+c.Number+" is not in your grids")
	}
	return nil
}

// CanReport says whether p may file a case at a place.
func CanReport(p Principal, place caseflow.Place) error {
	if !slices.Contains(caseflow.ReportRoles, p.Role) {
		return refuse(caseflow.ActReport, "", caseflow.CodeWrongRole, "role "+string(p.Role)+" may not report a case")
	}
	if p.Role == caseflow.GridWorker && !slices.Contains(p.Grids, place.Grid) {
		return refuse(caseflow.ActReport, "", caseflow.CodeNotYours, "the point is in grid "+place.Grid+", not one of yours")
	}
	return nil
}

// Actions lists what p may do to c now: the role and scope rules of
// CanAct, the case's state, and for task actions the state of the task
// they need (a department signs a dispatched task and reports back on a
// signed one; a dispatcher answers only a pending request). The UI offers
// these; the case loop still checks each command when it arrives.
func Actions(p Principal, c *caseflow.Case) []caseflow.Action {
	var out []caseflow.Action
	for _, rule := range caseflow.Rules {
		if !slices.Contains(rule.From, c.State) || CanAct(p, c, rule.Action) != nil {
			continue
		}
		if rule.Task && !taskReady(p, c, rule.Action) {
			continue
		}
		if !caseReady(c, rule.Action) {
			continue
		}
		out = append(out, rule.Action)
	}
	return out
}

// caseReady says whether a hotline step has what it follows: a callback
// an order not yet rated, a review a dissatisfied rating waiting for it.
func caseReady(c *caseflow.Case, a caseflow.Action) bool {
	switch a {
	case caseflow.ActCallback:
		return c.Rating == "" && (c.State == caseflow.Closed || c.DuplicateOf != 0 && !c.AnsweredAt.IsZero())
	case caseflow.ActReview:
		return c.Review == caseflow.ReviewPending
	}
	return true
}

func taskReady(p Principal, c *caseflow.Case, a caseflow.Action) bool {
	pending := map[caseflow.Action]caseflow.RequestKind{
		caseflow.ActApproveReturn: caseflow.RequestReturn, caseflow.ActRefuseReturn: caseflow.RequestReturn,
		caseflow.ActApproveExtension: caseflow.RequestExtension, caseflow.ActRefuseExtension: caseflow.RequestExtension,
		caseflow.ActApproveSuspension: caseflow.RequestSuspension, caseflow.ActRefuseSuspension: caseflow.RequestSuspension,
	}
	for _, t := range c.Tasks {
		if !t.State.Active() {
			continue
		}
		if kind, ok := pending[a]; ok {
			if t.Request == kind {
				return true
			}
			continue
		}
		if t.UnitID != p.UnitID {
			continue
		}
		switch a {
		case caseflow.ActSign:
			return t.State == caseflow.TaskDispatched
		case caseflow.ActReportBack:
			// A hotline order's lead answers the requester instead.
			return t.State == caseflow.TaskSigned && !(t.Lead && c.Channel == caseflow.ChannelHotline)
		case caseflow.ActContact:
			return t.State == caseflow.TaskSigned && t.Lead && c.Channel == caseflow.ChannelHotline && t.ContactedAt.IsZero()
		case caseflow.ActCallerAnswer:
			return t.State == caseflow.TaskSigned && t.Lead && c.Channel == caseflow.ChannelHotline && !t.ContactedAt.IsZero()
		case caseflow.ActReply:
			return t.State != caseflow.TaskDone
		default: // requests
			return t.State != caseflow.TaskDone && t.Request == caseflow.RequestNone
		}
	}
	return false
}

// reachers are the roles that call reporters back: the 12345 operators
// (callbacks, 回访) and the centre's dispatchers (checking a report with
// the person who made it).
var reachers = []caseflow.Role{caseflow.Operator, caseflow.Dispatcher}

// CanReachReporter says whether p may see the reporter's name and phone
// on c: a role that calls reporters back, on a case it may see.
func CanReachReporter(p Principal, c *caseflow.Case) bool {
	return slices.Contains(reachers, p.Role) && CanSee(p, c)
}

// keepers keep the hotline's knowledge base: the 12345 centre (its
// operators, who learn what callers ask, and its dispatchers) and the
// administrators.
var keepers = []caseflow.Role{caseflow.Operator, caseflow.Dispatcher, caseflow.Admin}

// MayKeepKnowledge says whether p may add, change, import or delete
// knowledge points (every member of staff may read them).
func MayKeepKnowledge(p Principal) bool { return slices.Contains(keepers, p.Role) }

// SeesDistrict says whether a role reads district-wide figures (the
// centre, leaders and administrators).
func SeesDistrict(r caseflow.Role) bool { return slices.Contains(wide, r) }
