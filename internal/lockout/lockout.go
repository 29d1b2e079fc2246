// Package lockout owns the rules that bound password guessing: budgets of
// login attempts for one account from one client network, for one account
// from everywhere and for one network against every account; the longer
// windows that follow a spent budget; and the spare for a network the
// account signed in from recently, so that nobody can lock the real user
// out of their usual place.
//
// An attempt is counted before its password is checked (Reserve) and
// uncounted if it succeeds (Succeeded), so attempts in flight use the
// budget as failures do and a burst of parallel guesses gets no more
// checks than a sequence would: at most a budget's worth of wrong
// passwords are checked in a window, whatever else happens in it. The store keeps the counters and runs
// Reserve inside one transaction that holds their rows.
package lockout

import (
	"net"
	"strings"
	"time"
)

// Counter is one budget's state, as the store keeps it.
type Counter struct {
	Key     string
	Count   int       // attempts in the window that have not succeeded (failed or still being checked)
	Since   time.Time // start of the window; zero: none yet
	Strikes int       // windows in a row that ended with the budget spent
	Seen    time.Time // last attempt counted
	OK      time.Time // last success (a pair's counter only)
}

// Budget is how many attempts a counter allows in its first window.
type Budget struct {
	Max    int
	Window time.Duration
}

// The budgets.
var (
	// PairBudget is for one account from one network (/24 or /64). It is
	// the only budget of a network the account signed in from within
	// Trusted: a stranger's guesses cannot close it.
	PairBudget = Budget{Max: 5, Window: 15 * time.Minute}
	// AccountBudget is for one account from every network together: it
	// stops guessing spread over many networks, and applies to networks
	// the account has not signed in from within Trusted.
	AccountBudget = Budget{Max: 20, Window: 15 * time.Minute}
	// NetworkBudget is for one network against every account (guessing
	// one common password for many usernames); spared like AccountBudget.
	NetworkBudget = Budget{Max: 50, Window: 15 * time.Minute}
)

const (
	// Trusted is how long a network where an account signed in keeps only
	// its pair budget for that account.
	Trusted = 30 * 24 * time.Hour
	// MaxWindow caps the window, which doubles after each window that
	// ended with the budget spent.
	MaxWindow = 24 * time.Hour
	// Forget is the quiet time after which a counter starts afresh
	// (longer than MaxWindow, so that waiting out the longest window does
	// not start the doubling again from the first).
	Forget = 7 * 24 * time.Hour
	// MaxUsername is the longest username counted as typed; longer input
	// is counted under its first MaxUsername bytes.
	MaxUsername = 64
)

// window is the length of a counter's window after strikes spent ones.
func (b Budget) window(strikes int) time.Duration {
	w := b.Window
	for i := 0; i < strikes && w < MaxWindow; i++ {
		w *= 2
	}
	return min(w, MaxWindow)
}

// roll starts a new window when the current one has ended.
func (c *Counter) roll(b Budget, now time.Time) {
	if !c.Seen.IsZero() && now.Sub(c.Seen) >= Forget {
		c.Count, c.Strikes, c.Since = 0, 0, time.Time{}
	}
	if c.Since.IsZero() {
		c.Since = now
		return
	}
	if now.Sub(c.Since) < b.window(c.Strikes) {
		return
	}
	if c.Count >= b.Max {
		c.Strikes++
	} else {
		c.Strikes = 0
	}
	c.Count, c.Since = 0, now
}

// wait is how long a spent counter stays closed; 0 if it is open.
func (c *Counter) wait(b Budget, now time.Time) time.Duration {
	if c.Count < b.Max {
		return 0
	}
	return max(c.Since.Add(b.window(c.Strikes)).Sub(now), time.Second)
}

// Attempt is the three counters one login attempt is weighed against.
type Attempt struct {
	Pair, Account, Network Counter
}

// Keys names the counters of an attempt for username from network, in the
// order of Attempt's fields.
func Keys(username, network string) [3]string {
	if len(username) > MaxUsername {
		username = username[:MaxUsername]
	}
	return [3]string{"pair:" + username + " " + network, "account:" + username, "network:" + network}
}

// Reserve decides whether an attempt may be checked now. If it may, it is
// counted in a (as a failure until Succeeded says otherwise) and Reserve
// returns 0; otherwise nothing is counted and Reserve returns how long to
// wait.
func Reserve(a *Attempt, now time.Time) time.Duration {
	a.Pair.roll(PairBudget, now)
	a.Account.roll(AccountBudget, now)
	a.Network.roll(NetworkBudget, now)
	wait := a.Pair.wait(PairBudget, now)
	if !a.Pair.OK.IsZero() && now.Sub(a.Pair.OK) < Trusted {
		// The account's usual place: only its own budget counts here.
	} else {
		wait = max(wait, a.Account.wait(AccountBudget, now), a.Network.wait(NetworkBudget, now))
	}
	if wait > 0 {
		return wait
	}
	for _, c := range []*Counter{&a.Pair, &a.Account, &a.Network} {
		c.Count++
		c.Seen = now
	}
	return 0
}

// Succeeded uncounts a reserved attempt whose password was right: each
// budget gets back that one attempt, the pair's backoff is forgiven and
// its network trusted for the account. The window's failures stay
// counted, so a success — the real user's, say, in the middle of someone
// else's guessing from the same network — never buys more wrong guesses:
// at most a budget's worth of them are checked in a window.
func Succeeded(a *Attempt, now time.Time) {
	for _, c := range []*Counter{&a.Pair, &a.Account, &a.Network} {
		c.Count = max(c.Count-1, 0)
	}
	a.Pair.Strikes, a.Pair.OK = 0, now
}

// Network is the client network an address belongs to: its /24 for IPv4,
// its /64 for IPv6. Anything else stands for itself.
func Network(addr string) string {
	ip := net.ParseIP(strings.TrimSpace(addr))
	if ip == nil {
		return addr
	}
	if v4 := ip.To4(); v4 != nil {
		return (&net.IPNet{IP: v4.Mask(net.CIDRMask(24, 32)), Mask: net.CIDRMask(24, 32)}).String()
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}
