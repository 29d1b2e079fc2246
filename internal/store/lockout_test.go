package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/lockout"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

var errNo = errors.New("refused")

func reserve(ctx context.Context, s *store.Store, user, network string, now time.Time) (bool, error) {
	keys := lockout.Keys(user, network)
	err := s.LoginCounters(ctx, keys[:], func(cs map[string]*lockout.Counter) error {
		at := lockout.Attempt{Pair: *cs[keys[0]], Account: *cs[keys[1]], Network: *cs[keys[2]]}
		if lockout.Reserve(&at, now) > 0 {
			return errNo
		}
		*cs[keys[0]], *cs[keys[1]], *cs[keys[2]] = at.Pair, at.Account, at.Network
		return nil
	})
	if errors.Is(err, errNo) {
		return false, nil
	}
	return err == nil, err
}

// Forty attempts at once, from two instances sharing the database, get
// exactly the pair's budget of checks; a success makes it whole again and
// old counters are pruned.
func TestLoginCountersHoldUnderConcurrency(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			s1, target := storetest.OpenTarget(t, d)
			s2 := storetest.OpenAgain(t, target)
			now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
			var allowed atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, 40)
			for i := range 40 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := s1
					if i%2 == 1 {
						s = s2
					}
					ok, err := reserve(ctx, s, "leader", "203.0.113.0/24", now)
					if err != nil {
						errs <- err
					}
					if ok {
						allowed.Add(1)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if n := allowed.Load(); n != int64(lockout.PairBudget.Max) {
				t.Fatalf("%d of 40 parallel attempts were let through, want the budget %d", n, lockout.PairBudget.Max)
			}
			if ok, _ := reserve(ctx, s1, "leader", "203.0.113.0/24", now.Add(time.Minute)); ok {
				t.Fatal("an attempt after the burst was let through")
			}
			if ok, _ := reserve(ctx, s2, "leader", "198.51.100.0/24", now.Add(time.Minute)); !ok {
				t.Fatal("another network is refused after one network's burst")
			}
			// A success uncounts itself and trusts the network.
			keys := lockout.Keys("leader", "198.51.100.0/24")
			err := s1.LoginCounters(ctx, keys[:], func(cs map[string]*lockout.Counter) error {
				at := lockout.Attempt{Pair: *cs[keys[0]], Account: *cs[keys[1]], Network: *cs[keys[2]]}
				lockout.Succeeded(&at, now.Add(time.Minute))
				*cs[keys[0]], *cs[keys[1]], *cs[keys[2]] = at.Pair, at.Account, at.Network
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var pair lockout.Counter
			s2.LoginCounters(ctx, keys[:1], func(cs map[string]*lockout.Counter) error { pair = *cs[keys[0]]; return errNo })
			if pair.Count != 0 || !pair.OK.Equal(now.Add(time.Minute)) {
				t.Fatalf("after a success the pair counter is %+v", pair)
			}
			// Pruning keeps a trusted pair until its trust is old too.
			n, err := s1.PruneLoginCounters(ctx, now.Add(2*time.Minute), now)
			if err != nil || n != 4 {
				t.Fatalf("pruned %d (%v), want every counter but the trusted pair", n, err)
			}
			n, err = s1.PruneLoginCounters(ctx, now.Add(2*time.Minute), now.Add(2*time.Minute))
			if err != nil || n != 1 {
				t.Fatalf("pruned %d (%v), want the trusted pair", n, err)
			}
		})
	}
}

// An account update ends the sessions and tokens it is told to, in its
// transaction, and keeps the session named.
func TestUpdateAccountRevokes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
		u := org.Unit{Code: "zhzx", Name: "指挥中心", Kind: org.KindCentre}
		if err := s.CreateUnit(ctx, &u); err != nil {
			t.Fatal(err)
		}
		a := org.Account{Username: "d1", Name: "d1", Role: caseflow.Dispatcher, UnitID: u.ID, PasswordHash: "x"}
		if err := s.CreateAccount(ctx, &a); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{"keep", "other"} {
			if err := s.CreateSession(ctx, tok, "csrf", a.ID, now, now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CreateToken(ctx, a.ID, "t", "", "xh_token", now); err != nil {
			t.Fatal(err)
		}
		a.Name = "renamed"
		if err := s.UpdateAccount(ctx, &a, now, store.Revoke{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Session(ctx, "other", now); err != nil {
			t.Fatalf("a rename ended a session: %v", err)
		}
		a.PasswordHash = "y"
		if err := s.UpdateAccount(ctx, &a, now, store.Revoke{Sessions: true, Keep: "keep", Tokens: true}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Session(ctx, "keep", now); err != nil {
			t.Fatalf("the session kept: %v", err)
		}
		if _, _, err := s.Session(ctx, "other", now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the other session: %v", err)
		}
		if _, _, err := s.TokenAccount(ctx, "xh_token"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the token: %v", err)
		}
	})
}
