package app_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/lockout"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// Forty parallel guesses through app.Login on each engine get the pair's
// budget of checks; the right password after them is refused; a success
// from another network opens a session.
func TestLoginBurstOnEachEngine(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u := org.Unit{Code: "zhzx", Name: "指挥中心", Kind: org.KindCentre}
		if err := st.CreateUnit(ctx, &u); err != nil {
			t.Fatal(err)
		}
		hash, _ := org.HashPassword("Quiet-River-Stone-3")
		acc := org.Account{Username: "d1", Name: "d1", Role: caseflow.Dispatcher, UnitID: u.ID, PasswordHash: hash}
		if err := st.CreateAccount(ctx, &acc); err != nil {
			t.Fatal(err)
		}
		a, err := app.New(ctx, st, app.Config{})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
		a.Now = func() time.Time { return now }
		var mu sync.Mutex
		outcomes := map[string]int{}
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, _, err := a.Login(ctx, "d1", fmt.Sprint("guess-", i), "203.0.113.7")
				k := "other: " + fmt.Sprint(err)
				switch {
				case errors.Is(err, app.ErrBadLogin):
					k = "checked"
				case errors.Is(err, app.ErrThrottled):
					k = "refused"
				}
				mu.Lock()
				outcomes[k]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if outcomes["checked"] != lockout.PairBudget.Max || outcomes["refused"] != 40-lockout.PairBudget.Max {
			t.Fatalf("40 parallel guesses: %v", outcomes)
		}
		if _, _, _, err := a.Login(ctx, "d1", "Quiet-River-Stone-3", "203.0.113.8"); !errors.Is(err, app.ErrThrottled) {
			t.Fatalf("the right password from the guessing network: %v", err)
		}
		token, _, p, err := a.Login(ctx, "d1", "Quiet-River-Stone-3", "198.51.100.1")
		if err != nil || p.Username != "d1" {
			t.Fatalf("the right password from another network: %v", err)
		}
		if _, _, err := a.SessionPrincipal(ctx, token); err != nil {
			t.Fatalf("the session: %v", err)
		}
	})
}
