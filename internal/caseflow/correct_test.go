package caseflow

import (
	"errors"
	"testing"
	"time"
)

// categoryClock gives 积存垃圾渣土 (M06011) a one-hour dispatch limit and
// every other category four hours, so a correction's effect shows.
type categoryClock struct{ plainClock }

func (categoryClock) Due(step Step, cat string, u Urgency, start time.Time) time.Time {
	if step == StepDispatch && cat != "M06011" {
		return start.Add(4 * time.Hour)
	}
	return plainClock{}.Due(step, cat, u, start)
}

// The dispatcher registers a report under the right category and at the
// right place: the case takes both, the dispatch deadline follows the new
// category, and the event keeps what the report said. A correction after
// dispatch is refused and changes nothing.
func TestCorrectionAtRegistration(t *testing.T) {
	c := newCase(t)
	place := Place{UnitGrid: "140213053001010001", Grid: "14021305300101", Community: "140213053001", Street: "140213053"}
	point := Point{Lon: 113.31, Lat: 40.09}
	at := t0.Add(time.Hour)
	ev, err := Apply(c, Command{Action: ActRegister, Actor: dispatcher, At: at, ExpectedVersion: c.Version,
		Correct: &Correction{CategoryID: "M06045", Point: &point, Place: &place}}, categoryClock{})
	if err != nil {
		t.Fatal(err)
	}
	if c.CategoryID != "M06045" || c.Point != point || c.Place != place {
		t.Fatalf("the case after the correction: %s %+v %+v", c.CategoryID, c.Point, c.Place)
	}
	if want := at.Add(4 * time.Hour); !c.Deadline.Equal(want) {
		t.Fatalf("dispatch deadline %s, want %s (the corrected category's)", c.Deadline, want)
	}
	k := ev.Data.Corrected
	if k == nil || k.FromCategory != "M06011" || k.ToCategory != "M06045" || k.FromPoint == nil || k.FromPoint.Lon != 113.3 || *k.ToPlace != place {
		t.Fatalf("the event's record of the correction: %+v", k)
	}
	// A correction that changes nothing records nothing.
	d := run(t)
	ev, err = Apply(d, Command{Action: ActRegister, Actor: dispatcher, At: at, ExpectedVersion: d.Version,
		Correct: &Correction{CategoryID: d.CategoryID}}, plainClock{})
	if err != nil || ev.Data.Corrected != nil {
		t.Fatalf("a correction to the same category: %+v %v", ev.Data.Corrected, err)
	}
	// After dispatch, a handler cannot correct the report.
	e := run(t, sRegister, sDispatch)
	before := *e
	_, err = Apply(e, Command{Action: ActSign, Actor: handlerA, At: at.Add(3 * time.Hour), ExpectedVersion: e.Version,
		Correct: &Correction{CategoryID: "M06045"}}, plainClock{})
	var ce *Error
	if !errors.As(err, &ce) || ce.Field != "category" || e.CategoryID != before.CategoryID || e.Version != before.Version {
		t.Fatalf("a correction on sign: %v, case %s v%d", err, e.CategoryID, e.Version)
	}
	// A point without its place is refused.
	f := newCase(t)
	if _, err := Apply(f, Command{Action: ActRegister, Actor: dispatcher, At: at, ExpectedVersion: f.Version,
		Correct: &Correction{Point: &point}}, plainClock{}); !errors.As(err, &ce) || ce.Field != "place" {
		t.Fatalf("a point without a place: %v", err)
	}
}
