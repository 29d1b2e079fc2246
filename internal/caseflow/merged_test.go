package caseflow

import (
	"errors"
	"testing"
	"time"
)

// A merged order follows the order it was merged into: once that one is
// answered, the merged order gets its answer and a callback of its own,
// once; its caller's rating is recorded, a 不满意 opening no review of its
// own. An order voided for another reason follows nothing and takes no
// callback, nor does a merged one before its parent is answered.
func TestMergedOrderFollowsItsParent(t *testing.T) {
	at := t0.Add(2 * time.Hour)
	system := Actor{Role: System}
	c := newCase(t)
	c.Reporter.Phone = "13912345678"
	if _, err := apply(c, step1{ActMerge, operator, func(cm *Command) { cm.DuplicateOf = 3 }}, at); err != nil || c.State != Voided {
		t.Fatalf("merge: %v %s", err, c.State)
	}
	if _, err := apply(c, step1{ActCallback, operator, func(cm *Command) { cm.Rating = RatingSatisfied }}, at); !errors.As(err, new(*Error)) {
		t.Errorf("a callback before the parent is answered: %v", err)
	}
	yes := true
	ev, err := apply(c, step1{ActFollow, system, func(cm *Command) { cm.Reply = "已清运完毕"; cm.Solved = &yes }}, at.Add(time.Hour))
	if err != nil || c.State != Voided || c.AnsweredAt.IsZero() || c.CallbackDue.IsZero() || ev.Data.Answer == nil || ev.Data.Answer.Reply != "已清运完毕" || ev.Data.DuplicateOf != 3 {
		t.Fatalf("follow: %v %+v", err, ev.Data)
	}
	if _, err := apply(c, step1{ActFollow, system, func(cm *Command) { cm.Reply = "again" }}, at.Add(2*time.Hour)); !errors.As(err, new(*Error)) {
		t.Errorf("a second follow: %v", err)
	}
	if _, err := apply(c, step1{ActCallback, operator, func(cm *Command) { cm.Rating = RatingDissatisfied; cm.Solved = &yes }}, at.Add(3*time.Hour)); err != nil ||
		c.Rating != RatingDissatisfied || c.Review != ReviewNone || !c.CallbackDue.IsZero() {
		t.Fatalf("the merged caller's callback: %v rating %s review %s", err, c.Rating, c.Review)
	}
	d := newCase(t)
	apply(d, step1{ActDecline, operator, reason("不属本热线受理")}, at)
	if _, err := apply(d, step1{ActFollow, system, func(cm *Command) { cm.Reply = "x" }}, at); !errors.As(err, new(*Error)) {
		t.Errorf("a declined order following: %v", err)
	}
	if _, err := apply(d, step1{ActCallback, operator, func(cm *Command) { cm.Rating = RatingSatisfied }}, at); !errors.As(err, new(*Error)) {
		t.Errorf("a callback on a declined order: %v", err)
	}
}
