package caseflow

import (
	"errors"
	"testing"
	"time"
)

// Most 12345 calls end at the desk: an enquiry answered there is closed
// as answered, a fire transferred to 119 as transferred, neither ever
// registered (so no department's or street's figures count them); a call
// that is not the hotline's is declined, and a caller may withdraw before
// dispatch; each step needs its words and changes nothing without them.
func TestDeskOutcomes(t *testing.T) {
	at := t0.Add(10 * time.Minute)
	for _, tt := range []struct {
		a     Action
		mod   func(*Command)
		state State
		close CloseType
	}{
		{ActAnswer, func(c *Command) { c.Note = "垃圾清运时间为每日 6:00 和 18:00" }, Closed, CloseAnswered},
		{ActTransfer, reason("燃气泄漏，已转 119"), Closed, CloseTransferred},
		{ActDecline, reason("民事纠纷，请向法院起诉"), Voided, ""},
		{ActWithdraw, reason("来电人已自行解决"), Voided, ""},
	} {
		c := newCase(t)
		if _, err := apply(c, step1{tt.a, operator, nil}, at); !errors.As(err, new(*Error)) || c.State != Reported {
			t.Errorf("%s without its words: %v, state %s", tt.a, err, c.State)
		}
		ev, err := apply(c, step1{tt.a, operator, tt.mod}, at)
		if err != nil || c.State != tt.state || c.CloseType != tt.close || !c.RegisteredAt.IsZero() || !c.Deadline.IsZero() {
			t.Fatalf("%s: %v, %s %s", tt.a, err, c.State, c.CloseType)
		}
		if tt.state == Closed && (!c.ClosedAt.Equal(at) || ev.Data.CloseType != tt.close) {
			t.Errorf("%s: closed at %s, event %s", tt.a, c.ClosedAt, ev.Data.CloseType)
		}
		if _, err := apply(run(t), step1{tt.a, dispatcher, tt.mod}, at); !errors.As(err, new(*Error)) {
			t.Errorf("%s by a dispatcher: %v", tt.a, err)
		}
	}
	// Withdrawn after registration, but not once dispatched.
	c := run(t, sRegister)
	if _, err := apply(c, step1{ActWithdraw, operator, reason("不需要了")}, at.Add(time.Hour)); err != nil || c.State != Voided {
		t.Fatalf("a registered order withdrawn: %v %s", err, c.State)
	}
	d := run(t, sRegister, sDispatch)
	if _, err := apply(d, step1{ActWithdraw, operator, reason("不需要了")}, at.Add(3*time.Hour)); !errors.As(err, new(*Error)) || d.State != Dispatched {
		t.Fatalf("a dispatched order withdrawn: %v %s", err, d.State)
	}
	// An answered enquiry takes a callback like any closed order.
	e := newCase(t)
	apply(e, step1{ActAnswer, operator, func(c *Command) { c.Note = "已告知办理地点" }}, at)
	if _, err := apply(e, step1{ActCallback, operator, func(c *Command) { c.Satisfied = &yes }}, at.Add(time.Hour)); err != nil {
		t.Fatalf("a callback on an answered enquiry: %v", err)
	}
}
