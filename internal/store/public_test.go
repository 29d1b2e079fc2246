package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
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
