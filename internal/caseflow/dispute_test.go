package caseflow

import (
	"errors"
	"testing"
	"time"
)

// A return the centre disputes goes to arbitration (派单争议): the leader's
// decision names the lead and the assisting departments. When it names
// another lead the returning department's task ends and the named one
// gets a task; when it names the returning department, its task stays and
// leads. Without a decision's words, or without one lead, nothing moves.
func TestDisputedReturnIsArbitrated(t *testing.T) {
	at := t0.Add(3 * time.Hour)
	disputed := func(t *testing.T) *Case {
		c := run(t, sRegister, sDispatch, step1{ActRequestReturn, handlerA, reason("不属本单位职责")})
		if _, err := apply(c, step1{ActDispute, dispatcher, nil}, at); !errors.As(err, new(*Error)) || c.Tasks[0].Request != RequestReturn {
			t.Fatalf("a dispute without a reason: %v", err)
		}
		if _, err := apply(c, step1{ActDispute, dispatcher, reason("同类问题去年由该单位处置")}, at); err != nil || c.Tasks[0].Request != RequestDispute || c.Tasks[0].RequestNote != "不属本单位职责" {
			t.Fatalf("disputed: %v %+v", err, c.Tasks[0])
		}
		return c
	}
	c := disputed(t)
	if _, err := apply(c, step1{ActApproveReturn, dispatcher, func(cm *Command) { cm.TaskUnit = 10 }}, at); !errors.As(err, new(*Error)) {
		t.Errorf("a disputed return is no longer the dispatcher's to approve: %v", err)
	}
	for _, bad := range []func(*Command){
		func(cm *Command) { cm.Assignments = []Assignment{{UnitID: 11, Lead: true}} },      // no reason
		func(cm *Command) { cm.Reason = "x"; cm.Assignments = []Assignment{{UnitID: 11}} }, // no lead
		func(cm *Command) {
			cm.Reason = "x"
			cm.Assignments = []Assignment{{UnitID: 11, Lead: true}, {UnitID: 11}}
		}, // twice
	} {
		if _, err := apply(c, step1{ActArbitrate, leader, bad}, at); !errors.As(err, new(*Error)) || c.Tasks[0].Request != RequestDispute || len(c.Tasks) != 1 {
			t.Errorf("a decision refused: %v, tasks %+v", err, c.Tasks)
		}
	}
	if _, err := apply(c, step1{ActArbitrate, dispatcher, func(cm *Command) { cm.Reason = "x"; cm.Assignments = []Assignment{{UnitID: 11, Lead: true}} }}, at); !errors.As(err, new(*Error)) {
		t.Errorf("a dispatcher arbitrating their own dispute: %v", err)
	}
	ev, err := apply(c, step1{ActArbitrate, leader, func(cm *Command) {
		cm.Reason = "按职责清单由 11 牵头，10 配合"
		cm.Assignments = []Assignment{{UnitID: 11, Lead: true}, {UnitID: 10}}
	}}, at)
	if err != nil || len(c.Tasks) != 2 || c.Tasks[0].Lead || c.Tasks[0].State != TaskDispatched || c.Tasks[0].Request != RequestNone ||
		!c.Tasks[1].Lead || c.Tasks[1].UnitID != 11 || c.State != Dispatched || len(ev.Data.Assignments) != 2 || !c.Deadline.Equal(c.Tasks[1].Deadline) {
		t.Fatalf("the decision carried out: %v %s %+v", err, c.State, c.Tasks)
	}
	// The decision names another lead alone: the returning task ends.
	d := disputed(t)
	if _, err := apply(d, step1{ActArbitrate, leader, func(cm *Command) {
		cm.Reason = "由 11 办理"
		cm.Assignments = []Assignment{{UnitID: 11, Lead: true}}
	}}, at); err != nil ||
		d.Tasks[0].State != TaskReturned || !d.Tasks[1].Lead {
		t.Fatalf("another lead alone: %v %+v", err, d.Tasks)
	}
	// The return was not justified: the department keeps leading.
	e := disputed(t)
	if _, err := apply(e, step1{ActArbitrate, leader, func(cm *Command) {
		cm.Reason = "属该单位职责"
		cm.Assignments = []Assignment{{UnitID: 10, Lead: true}}
	}}, at); err != nil ||
		len(e.Tasks) != 1 || !e.Tasks[0].Lead || e.Tasks[0].State != TaskDispatched || e.Tasks[0].Request != RequestNone {
		t.Fatalf("the return refused by the decision: %v %+v", err, e.Tasks)
	}
}
