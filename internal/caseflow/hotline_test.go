package caseflow

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// A hotline order's department contacts the requester within its own
// limit and then answers them; the answer closes the order and schedules
// the callback, whose 不满意 opens a review: justified sends the order
// back for rework (a second answer and callback follow), not justified
// keeps it closed.
func TestHotlineContactAnswerCallbackReview(t *testing.T) {
	c := newCase(t)
	c.Reporter.Phone = "13912345678"
	at := t0
	do := func(s step1) Event {
		t.Helper()
		at = at.Add(time.Hour)
		ev, err := apply(c, s, at)
		if err != nil {
			t.Fatalf("%s: %v", s.a, err)
		}
		return ev
	}
	do(sRegister)
	do(sDispatch2)
	lead := c.Tasks[0]
	if !lead.ContactDue.Equal(at.Add(2*time.Hour)) || !c.Tasks[1].ContactDue.IsZero() {
		t.Fatalf("contact due %s on the lead, %s on the assistant", lead.ContactDue, c.Tasks[1].ContactDue)
	}
	do(sSign)
	do(sSignB)
	contacted := at.Add(-10 * time.Minute)
	ev := do(step1{ActContact, handlerA, func(c *Command) {
		c.ContactedAt, c.Method, c.Note = contacted, ContactPhone, "电话联系，约定明早上门"
	}})
	if !c.Tasks[0].ContactedAt.Equal(contacted) || c.Tasks[0].ContactMethod != ContactPhone || ev.Data.Contact == nil || c.State != InProgress {
		t.Fatalf("contact: %+v, event %+v", c.Tasks[0], ev.Data.Contact)
	}
	ans := func(c *Command) {
		c.Reply, c.Note, c.Solved = "已清运小区垃圾，今后每日清运两次", "调派清运车 2 台", &yes
	}
	ev = do(step1{ActCallerAnswer, handlerA, ans})
	if c.State != InProgress || c.Tasks[0].State != TaskDone || c.AnsweredAt.IsZero() || ev.Data.Answer.Reply == "" || ev.Data.Note != "调派清运车 2 台" {
		t.Fatalf("answered with an assistant still working: %s %s", c.State, c.Tasks[0].State)
	}
	ev = do(sReportB)
	if c.State != Closed || c.CloseType != CloseNormal || !c.CallbackDue.Equal(at.Add(48*time.Hour)) || ev.Data.CloseType != CloseNormal {
		t.Fatalf("the last report-back after the answer: %s %s, callback due %s", c.State, c.CloseType, c.CallbackDue)
	}
	// Not reached: tried again later; the callback stays due.
	ev = do(step1{ActCallback, operator, func(c *Command) { c.Reach = NotReached }})
	if c.CallbackDue.IsZero() || c.Rating != "" || c.Satisfied != nil || ev.Data.Reach != NotReached {
		t.Fatalf("an attempt not reached: due %s, rating %q", c.CallbackDue, c.Rating)
	}
	do(step1{ActCallback, operator, func(c *Command) { c.Rating, c.Solved = RatingDissatisfied, &no }})
	if c.Rating != RatingDissatisfied || c.Review != ReviewPending || !c.CallbackDue.IsZero() || *c.Satisfied || !c.ReviewDue.Equal(at.Add(24*time.Hour)) {
		t.Fatalf("不满意: rating %q review %q due %s", c.Rating, c.Review, c.ReviewDue)
	}
	if _, err := apply(c, step1{ActCallback, operator, func(c *Command) { c.Rating = RatingSatisfied }}, at); !errors.Is(err, ErrWrongState) {
		t.Fatalf("a second rating on a rated order: %v", err)
	}
	do(step1{ActReview, dispatcher, func(c *Command) { c.Justified, c.Reason = &yes, "垃圾仍未清完，来电人所述属实" }})
	if c.State != InProgress || c.Reopens != 1 || c.Rating != "" || c.Review != ReviewNone || !c.ReviewDue.IsZero() || !c.AnsweredAt.IsZero() || c.Tasks[0].State != TaskSigned {
		t.Fatalf("justified: %s, reopens %d, lead %s", c.State, c.Reopens, c.Tasks[0].State)
	}
	// Rework: the first contact stands; the lead answers again.
	do(step1{ActCallerAnswer, handlerA, ans})
	do(sReportB)
	if c.State != Closed || c.CallbackDue.IsZero() {
		t.Fatalf("after rework: %s, callback due %s", c.State, c.CallbackDue)
	}
	do(step1{ActCallback, operator, func(c *Command) { c.Rating, c.Solved = RatingSatisfied, &yes }})
	if c.Rating != RatingSatisfied || c.Review != ReviewNone || !*c.Satisfied {
		t.Fatalf("second callback: %q %q", c.Rating, c.Review)
	}
	if _, err := apply(c, step1{ActReview, dispatcher, func(c *Command) { c.Justified, c.Reason = &no, "x" }}, at); !errors.Is(err, ErrWrongState) {
		t.Fatalf("a review with no dissatisfied rating: %v", err)
	}

	// Not justified: kept closed, the review recorded.
	d := run(t, sRegister, sDispatch, sSign,
		step1{ActContact, handlerA, func(c *Command) { c.ContactedAt, c.Method = t0.Add(3*time.Hour), ContactVisit }},
		step1{ActCallerAnswer, handlerA, func(c *Command) {
			c.Reply, c.Solved, c.Reason = "属规划问题，已向上反映", &no, "需区政府统筹"
		}},
		step1{ActCallback, operator, func(c *Command) { c.Rating = RatingDissatisfied }})
	ev, err := apply(d, step1{ActReview, dispatcher, func(c *Command) { c.Justified, c.Reason = &no, "诉求超出政策范围，已解释到位" }}, t0.Add(10*time.Hour))
	if err != nil || d.State != Closed || d.Review != ReviewNone || !d.ReviewDue.IsZero() || d.Rating != RatingDissatisfied || ev.Data.Justified == nil || *ev.Data.Justified {
		t.Fatalf("not justified: %v %s %q", err, d.State, d.Review)
	}
}

// Each new step refuses what it cannot do, naming the field, and
// changes nothing.
func TestHotlineStepsRefuse(t *testing.T) {
	signed := []step1{sRegister, sDispatch2, sSign, sSignB}
	contact := step1{ActContact, handlerA, func(c *Command) { c.ContactedAt, c.Method = t0.Add(3*time.Hour), ContactPhone }}
	contacted := append(slices.Clone(signed), contact)
	answered := append(slices.Clone(contacted),
		step1{ActCallerAnswer, handlerA, func(c *Command) { c.Reply, c.Solved = "已处理", &yes }}, sReportB)
	rated := append(slices.Clone(answered), step1{ActCallback, operator, func(c *Command) { c.Rating = RatingDissatisfied }})
	for _, tt := range []struct {
		name  string
		from  []step1
		do    step1
		code  error
		field string
	}{
		{"contact without a time", signed, step1{ActContact, handlerA, func(c *Command) { c.Method = ContactPhone }}, ErrRequired, "contacted_at"},
		{"contact in the future", signed, step1{ActContact, handlerA, func(c *Command) { c.ContactedAt, c.Method = t0.Add(99*time.Hour), ContactPhone }}, ErrInvalid, "contacted_at"},
		{"contact before dispatch", signed, step1{ActContact, handlerA, func(c *Command) { c.ContactedAt, c.Method = t0, ContactPhone }}, ErrInvalid, "contacted_at"},
		{"contact without a method", signed, step1{ActContact, handlerA, func(c *Command) { c.ContactedAt = t0.Add(3 * time.Hour) }}, ErrRequired, "method"},
		{"contact by fax", signed, step1{ActContact, handlerA, func(c *Command) { c.ContactedAt, c.Method = t0.Add(3*time.Hour), "fax" }}, ErrInvalid, "method"},
		{"contact twice", contacted, contact, ErrWrongState, "contacted_at"},
		{"contact by the assistant", signed, step1{ActContact, handlerB, func(c *Command) { c.ContactedAt, c.Method = t0.Add(3*time.Hour), ContactPhone }}, ErrInvalid, "task"},
		{"answer before contact", signed, step1{ActCallerAnswer, handlerA, func(c *Command) { c.Reply, c.Solved = "已处理", &yes }}, ErrRequired, "contacted_at"},
		{"answer without a reply", contacted, step1{ActCallerAnswer, handlerA, func(c *Command) { c.Solved = &yes }}, ErrRequired, "reply"},
		{"answer without solved", contacted, step1{ActCallerAnswer, handlerA, func(c *Command) { c.Reply = "已处理" }}, ErrRequired, "solved"},
		{"unsolved without why", contacted, step1{ActCallerAnswer, handlerA, func(c *Command) { c.Reply, c.Solved = "暂无法处理", &no }}, ErrRequired, "reason"},
		{"callback on an unanswered order", contacted, step1{ActCallback, operator, func(c *Command) { c.Rating = RatingSatisfied }}, ErrWrongState, "answer"},
		{"rating outside the scale", answered, step1{ActCallback, operator, func(c *Command) { c.Rating = "very_satisfied" }}, ErrInvalid, "rating"},
		{"unknown attempt", answered, step1{ActCallback, operator, func(c *Command) { c.Reach = "busy" }}, ErrInvalid, "reach"},
		{"rating without reaching", answered, step1{ActCallback, operator, func(c *Command) { c.Reach, c.Rating = NotReached, RatingSatisfied }}, ErrInvalid, "rating"},
		{"review without a reason", rated, step1{ActReview, dispatcher, func(c *Command) { c.Justified = &yes }}, ErrRequired, "reason"},
		{"review without a decision", rated, step1{ActReview, dispatcher, reason("x")}, ErrRequired, "justified"},
		{"review of an open order", contacted, step1{ActReview, dispatcher, func(c *Command) { c.Justified, c.Reason = &yes, "x" }}, ErrWrongState, "rating"},
		{"review of a good rating", answered, step1{ActReview, dispatcher, func(c *Command) { c.Justified, c.Reason = &yes, "x" }}, ErrWrongState, "rating"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCase(t)
			c.Reporter.Phone = "13912345678"
			at := t0
			for _, s := range tt.from {
				at = at.Add(time.Hour)
				if _, err := apply(c, s, at); err != nil {
					t.Fatalf("setup %s: %v", s.a, err)
				}
			}
			snap := *c
			snapTasks := slices.Clone(c.Tasks)
			_, err := apply(c, tt.do, at.Add(time.Hour))
			var ce *Error
			if !errors.Is(err, tt.code) || !errors.As(err, &ce) || ce.Field != tt.field {
				t.Fatalf("want %v on %s, got %v", tt.code, tt.field, err)
			}
			if c.Version != snap.Version || c.State != snap.State || c.Rating != snap.Rating || !slices.Equal(c.Tasks, snapTasks) {
				t.Fatal("a refused step changed the case")
			}
		})
	}
	// A non-hotline case has no requester to contact.
	w := run(t, sRegister, sDispatch, sSign)
	w.Channel = ChannelWeb
	if _, err := apply(w, contact, t0.Add(5*time.Hour)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("contact on a web report: %v", err)
	}
}

// A caller who declined callbacks at intake is not put on the callback
// list when the order is answered, at the desk or by the department.
func TestNoCallbackWhenDeclined(t *testing.T) {
	c := newCase(t)
	c.Reporter.Phone = "13912345678"
	if _, err := apply(c, step1{ActAnswer, operator, func(c *Command) { c.Note, c.NoCallback = "已告知", true }}, t0.Add(time.Hour)); err != nil || c.State != Closed || !c.CallbackDue.IsZero() {
		t.Fatalf("answered at the desk: %v, callback due %s", err, c.CallbackDue)
	}
	d := newCase(t)
	d.Reporter.Phone = "13912345678"
	at := t0
	for _, s := range []step1{sRegister, sDispatch, sSign,
		{ActContact, handlerA, func(c *Command) { c.ContactedAt, c.Method = t0.Add(3*time.Hour), ContactPhone }},
		{ActCallerAnswer, handlerA, func(c *Command) { c.Reply, c.Solved, c.NoCallback = "已处理", &yes, true }}} {
		at = at.Add(time.Hour)
		if _, err := apply(d, s, at); err != nil {
			t.Fatalf("%s: %v", s.a, err)
		}
	}
	if d.State != Closed || !d.CallbackDue.IsZero() {
		t.Fatalf("answered by the department: %s, callback due %s", d.State, d.CallbackDue)
	}
}

// Orders kept before the glossary's names read as the glossary's: an
// event written with "consult" or "tip" is an enquiry or a tip-off.
func TestRequestTypesReadTheirOldNames(t *testing.T) {
	var in struct{ Intake Intake }
	if err := json.Unmarshal([]byte(`{"Intake":{"type":"consult"}}`), &in); err != nil || in.Intake.Type != Enquiry {
		t.Errorf("consult: %v %v", in.Intake.Type, err)
	}
	if err := json.Unmarshal([]byte(`{"Intake":{"type":"tip"}}`), &in); err != nil || in.Intake.Type != TipOff {
		t.Errorf("tip: %v %v", in.Intake.Type, err)
	}
	if err := json.Unmarshal([]byte(`{"Intake":{"type":"complaint"}}`), &in); err != nil || in.Intake.Type != Complaint {
		t.Errorf("complaint: %v %v", in.Intake.Type, err)
	}
	if b, _ := json.Marshal(Intake{Type: Enquiry}); !strings.Contains(string(b), `"type":"enquiry"`) {
		t.Errorf("written as %s", b)
	}
}
