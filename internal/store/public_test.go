package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/publish"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// A resident's "me too" sent again with its key, also several at once,
// is one event; another key is another; MeToos counts them.
func TestTransitionOnceIsOneEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		c := f.Report(t, t0)
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: t0.Add(time.Hour)})
		meToo := caseflow.Command{Action: caseflow.ActMeToo, Actor: caseflow.Actor{Role: caseflow.Resident}, At: t0.Add(2 * time.Hour), ExpectedVersion: c.Version}
		var wg sync.WaitGroup
		applied := make([]bool, 6)
		errs := make([]error, 6)
		for i := range applied {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, applied[i], errs[i] = s.TransitionOnce(ctx, c.ID, meToo, f.Policy, 0, "me-too|10.0.0.1|browser-1")
			}(i)
		}
		wg.Wait()
		n := 0
		for i := range applied {
			if errs[i] != nil {
				t.Fatalf("me too #%d: %v", i, errs[i])
			}
			if applied[i] {
				n++
			}
		}
		if _, ok, err := s.TransitionOnce(ctx, c.ID, meToo, f.Policy, 0, "me-too|10.0.0.1|browser-2"); err != nil || !ok {
			t.Fatalf("another browser: %v %v", ok, err)
		}
		counts, err := s.MeToos(ctx, []int64{c.ID})
		got, _ := s.Case(ctx, c.ID)
		if n != 1 || err != nil || counts[c.ID] != 2 || got.State != caseflow.Registered {
			t.Fatalf("%d applied, %d counted (%v), state %s; want 1, 2, registered", n, counts[c.ID], err, got.State)
		}
	})
}

// The public place queries keep to the public rule: open cases of public
// categories, not merged away, verified while only reported; a limit
// says there are more.
func TestPublicOpenKeepsToTheRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		rule := store.PublicRule{Listable: publish.Listable, VerifyFirst: publish.VerifyFirst}
		box := store.Bound{MinLon: 113.30, MinLat: 40.08, MaxLon: 113.32, MaxLat: 40.10}
		listed := f.Report(t, t0) // a grid worker's own report: verified
		registered := f.Do(t, f.Report(t, t0.Add(time.Minute)), caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: t0.Add(time.Hour)})
		f.Do(t, f.Report(t, t0.Add(2*time.Minute)), caseflow.Command{Action: caseflow.ActVoid, Actor: f.Disp, At: t0.Add(time.Hour), Reason: "非城管问题"})
		f.Do(t, f.Report(t, t0.Add(3*time.Minute)), caseflow.Command{Action: caseflow.ActMerge, Actor: f.Disp, At: t0.Add(time.Hour), DuplicateOf: listed.ID})
		hidden := f.ReportAt(t, "M06045", 113.31, 40.09, t0.Add(4*time.Minute))
		if _, err := s.DB().ExecContext(ctx, `UPDATE categories SET public = FALSE WHERE id = 'M06045'`); err != nil {
			t.Fatal(err)
		}
		f.ReportAt(t, "M06011", 113.5, 40.5, t0.Add(5*time.Minute)) // outside the box
		ns, more, err := s.PublicMarkers(ctx, box, rule, 10)
		if err != nil || more || len(ns) != 2 {
			t.Fatalf("markers: %v, more %v, %d: %+v", err, more, len(ns), ns)
		}
		for _, n := range ns {
			if n.ID != listed.ID && n.ID != registered.ID || n.ID == hidden.ID {
				t.Errorf("marker %s is not a public open case", n.Number)
			}
		}
		if _, more, err := s.PublicMarkers(ctx, box, rule, 1); err != nil || !more {
			t.Errorf("a limit of 1 for 2 markers: more %v, %v", more, err)
		}
		cs, more, err := s.PublicOpen(ctx, box, "M06011", rule, 10)
		if err != nil || more || len(cs) != 2 {
			t.Fatalf("open public cases of M06011: %v, %d", err, len(cs))
		}
		if cs, _, err := s.PublicOpen(ctx, box, "M06045", rule, 10); err != nil || len(cs) != 0 {
			t.Errorf("a hidden category: %v, %d", err, len(cs))
		}
	})
}
