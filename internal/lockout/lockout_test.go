package lockout

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

// tries makes n attempts at now and says how many were let through.
func tries(a *Attempt, n int, now time.Time) (through int, wait time.Duration) {
	for range n {
		if w := Reserve(a, now); w > 0 {
			wait = w
			continue
		}
		through++
	}
	return through, wait
}

func TestPairBudgetAndBackoff(t *testing.T) {
	var a Attempt
	if n, w := tries(&a, 40, t0); n != PairBudget.Max || w != PairBudget.Window {
		t.Fatalf("first burst: %d through, wait %v", n, w)
	}
	// Each window that ends spent makes the next one twice as long.
	at := t0
	for i, want := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 16 * time.Hour, 24 * time.Hour, 24 * time.Hour} {
		at = at.Add(PairBudget.window(i))
		if n, w := tries(&a, 40, at); n != PairBudget.Max || w != want {
			t.Fatalf("burst %d: %d through, wait %v, want %v", i+2, n, w, want)
		}
	}
	// A quiet week forgets it.
	if n, w := tries(&a, 1, at.Add(Forget)); n != 1 || w != 0 {
		t.Fatalf("after a quiet week: %d through, wait %v", n, w)
	}
	if a.Pair.Strikes != 0 {
		t.Fatalf("strikes after a quiet week: %d", a.Pair.Strikes)
	}
}

// Guessing from many networks spends the account's budget, which closes
// every network but the one the user signed in from.
func TestTrustedNetworkKeepsItsBudget(t *testing.T) {
	var office Attempt
	if Reserve(&office, t0) != 0 {
		t.Fatal("first attempt refused")
	}
	Succeeded(&office, t0)
	account := office.Account
	now := t0.Add(24 * time.Hour)
	for i := 0; account.Count < AccountBudget.Max; i++ {
		a := Attempt{Account: account}
		if Reserve(&a, now) != 0 {
			t.Fatalf("attempt %d from a fresh network refused", i)
		}
		account = a.Account
	}
	stranger := Attempt{Account: account}
	if w := Reserve(&stranger, now); w == 0 {
		t.Fatal("a new network got past a spent account budget")
	}
	office.Account = account
	if w := Reserve(&office, now); w != 0 {
		t.Fatalf("the user's own network is closed too (wait %v)", w)
	}
	// Trust ends after Trusted without a success.
	office.Account = account
	office.Account.Since = t0.Add(Trusted)
	office.Account.Seen = office.Account.Since
	if w := Reserve(&office, t0.Add(Trusted+time.Minute)); w == 0 {
		t.Fatal("a network trusted long ago is spared")
	}
}

// A success gives back its own attempt, not the failures before it.
func TestSucceededGivesBackItsAttempt(t *testing.T) {
	var a Attempt
	tries(&a, PairBudget.Max, t0)
	Succeeded(&a, t0)
	if a.Pair.Count != PairBudget.Max-1 || a.Account.Count != PairBudget.Max-1 || a.Network.Count != PairBudget.Max-1 || !a.Pair.OK.Equal(t0) {
		t.Fatalf("after a success: %+v", a)
	}
	if n, _ := tries(&a, 40, t0); n != 1 {
		t.Fatalf("after four failures and a success, %d more attempts let through, want 1", n)
	}
	if n, _ := tries(&a, 40, t0.Add(PairBudget.Window)); n != PairBudget.Max {
		t.Fatalf("in the next window %d let through", n)
	}
}

func TestNetwork(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.77":            "203.0.113.0/24",
		"::ffff:203.0.113.77":     "203.0.113.0/24",
		"2001:db8:1:2:3:4:5:6":    "2001:db8:1:2::/64",
		"127.0.0.1":               "127.0.0.0/24",
		"not an address":          "not an address",
		" 198.51.100.1 ":          "198.51.100.0/24",
		"2001:db8:1:2:ffff::abcd": "2001:db8:1:2::/64",
	} {
		if got := Network(in); got != want {
			t.Errorf("Network(%q) = %q, want %q", in, got, want)
		}
	}
}
