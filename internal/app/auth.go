package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/lockout"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
)

// SessionTTL is how long a session lasts.
const SessionTTL = 12 * time.Hour

// Login errors.
var (
	ErrBadLogin  = errors.New("wrong username or password")
	ErrThrottled = errors.New("too many failed logins; wait and try again")
)

// ThrottledError is a login refused before its password was checked; it
// is ErrThrottled and says how long to wait.
type ThrottledError struct{ Wait time.Duration }

func (e *ThrottledError) Error() string        { return ErrThrottled.Error() }
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// dummyHash is checked for a username without an account, so that a
// wrong username takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, err := org.HashPassword(randomToken())
	if err != nil {
		panic(err)
	}
	return h
})

// passwordChecks bounds the argon2id computations running at once in the
// process: each holds 19 MiB and a core for about 40 ms, so more at once
// than there are cores only adds memory (80 parallel sign-ins took the
// heap from 22 MB to 1.4 GB without it).
var passwordChecks = make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))

// gated runs f when a password check may run, or gives up with ctx.
func gated[T any](ctx context.Context, f func() T) (T, error) {
	select {
	case passwordChecks <- struct{}{}:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	defer func() { <-passwordChecks }()
	return f(), nil
}

// checkPassword is org.CheckPassword through the gate.
func checkPassword(ctx context.Context, phc, password string) (bool, error) {
	return gated(ctx, func() bool { return org.CheckPassword(phc, password) })
}

// errRefused makes LoginCounters save nothing.
var errRefused = errors.New("login refused")

// loginCounters runs f on the attempt's counters for username from the
// client's network, saving what it leaves in them.
func (a *App) loginCounters(ctx context.Context, username, client string, f func(*lockout.Attempt) error) error {
	keys := lockout.Keys(username, lockout.Network(client))
	return a.Store.LoginCounters(ctx, keys[:], func(cs map[string]*lockout.Counter) error {
		at := lockout.Attempt{Pair: *cs[keys[0]], Account: *cs[keys[1]], Network: *cs[keys[2]]}
		if err := f(&at); err != nil {
			return err
		}
		*cs[keys[0]], *cs[keys[1]], *cs[keys[2]] = at.Pair, at.Account, at.Network
		return nil
	})
}

// Login checks a password and opens a session; every attempt is audited.
// The attempt is counted against its budgets (package lockout) before the
// password is checked, in one transaction, so parallel guesses get no
// more checks than the budgets allow; a refused attempt is not checked.
func (a *App) Login(ctx context.Context, username, password, client string) (token, csrf string, p access.Principal, err error) {
	now := a.Now()
	if err := a.reserveAttempt(ctx, username, client, now); err != nil {
		return "", "", p, err
	}
	acc, err := a.Store.AccountByUsername(ctx, username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", "", p, err
	}
	hash := dummyHash()
	if acc != nil {
		hash = acc.PasswordHash
	}
	right, err := checkPassword(ctx, hash, password)
	if err != nil {
		return "", "", p, err
	}
	if acc == nil || !acc.Active || !right {
		_ = a.Store.Audit(ctx, now, username, 0, "login_failed", client, "")
		return "", "", p, ErrBadLogin
	}
	if err := a.attemptSucceeded(ctx, username, client, now); err != nil {
		return "", "", p, err
	}
	if p, err = a.Principal(ctx, acc.ID); err != nil {
		return "", "", p, err
	}
	token, csrf = randomToken(), randomToken()
	if err := a.Store.CreateSession(ctx, token, csrf, acc.ID, now, now.Add(SessionTTL)); err != nil {
		return "", "", p, err
	}
	_ = a.Store.Audit(ctx, now, username, acc.ID, "login", client, "")
	return token, csrf, p, nil
}

// reserveAttempt counts a password check for username from client against
// its budgets, or refuses it with a *ThrottledError.
func (a *App) reserveAttempt(ctx context.Context, username, client string, now time.Time) error {
	a.pruneLoginCounters(ctx, now)
	var wait time.Duration
	err := a.loginCounters(ctx, username, client, func(at *lockout.Attempt) error {
		if wait = lockout.Reserve(at, now); wait > 0 {
			return errRefused
		}
		return nil
	})
	if wait > 0 {
		if a.refusals.first(username+" "+lockout.Network(client), now) {
			_ = a.Store.Audit(ctx, now, username, 0, "login_throttled", client, lockout.Network(client)+" (further refusals of this minute not logged)")
		}
		return &ThrottledError{Wait: wait}
	}
	return err
}

// attemptSucceeded gives a reserved attempt back: its password was right.
func (a *App) attemptSucceeded(ctx context.Context, username, client string, now time.Time) error {
	return a.loginCounters(ctx, username, client, func(at *lockout.Attempt) error {
		lockout.Succeeded(at, now)
		return nil
	})
}

// ChangePassword gives the signed-in person p a new password once their
// current one is checked — counted against the login budgets as a sign-in
// is, so a stolen session cannot guess it faster. It ends p's other
// sessions (keep is the session to leave open, or "") and revokes p's API
// tokens. Errors: *ThrottledError, ErrBadLogin (the current password is
// wrong), *org.PasswordError (the new one breaks a rule).
func (a *App) ChangePassword(ctx context.Context, p access.Principal, keep, current, next, client string) error {
	now := a.Now()
	if err := a.reserveAttempt(ctx, p.Username, client, now); err != nil {
		return err
	}
	before, err := a.Store.AccountByID(ctx, p.AccountID)
	if err != nil {
		return err
	}
	right, err := checkPassword(ctx, before.PasswordHash, current)
	if err != nil {
		return err
	}
	if !right {
		_ = a.Store.Audit(ctx, now, p.Username, p.AccountID, "password_change_failed", client, "")
		return ErrBadLogin
	}
	if err := a.attemptSucceeded(ctx, p.Username, client, now); err != nil {
		return err
	}
	if err := org.CheckNewPassword(before.Username, next); err != nil {
		return err
	}
	after := *before
	type hashed struct {
		phc string
		err error
	}
	h, err := gated(ctx, func() hashed { phc, err := org.HashPassword(next); return hashed{phc, err} })
	if err == nil {
		err = h.err
	}
	if err != nil {
		return err
	}
	after.PasswordHash = h.phc
	if err := a.UpdateAccount(ctx, before, &after, keep); err != nil {
		return err
	}
	_ = a.Store.Audit(ctx, now, p.Username, p.AccountID, "password_changed", client, "")
	return nil
}

// refusals keeps a flood of refused sign-ins from writing one audit row
// each: the first refusal of a username from a network in a minute is
// logged, and with more than maxRefusalKeys of them in a minute, only
// the first of every username and network after that.
type refusals struct {
	mu     sync.Mutex
	minute int64
	seen   map[string]bool
	over   bool
}

const maxRefusalKeys = 10000

func (r *refusals) first(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := now.Unix() / 60; m != r.minute || r.seen == nil {
		r.minute, r.seen, r.over = m, map[string]bool{}, false
	}
	if r.seen[key] {
		return false
	}
	if len(r.seen) >= maxRefusalKeys {
		first := !r.over
		r.over = true
		return first
	}
	r.seen[key] = true
	return true
}

// pruneLoginCounters forgets, at most once an hour, the login counters
// that have nothing left to say: quiet longer than lockout.Forget and, for
// a network trusted for an account, past lockout.Trusted.
func (a *App) pruneLoginCounters(ctx context.Context, now time.Time) {
	hour := now.Unix() / 3600
	if prev := a.pruned.Load(); prev >= hour || !a.pruned.CompareAndSwap(prev, hour) {
		return
	}
	if _, err := a.Store.PruneLoginCounters(ctx, now.Add(-lockout.Forget), now.Add(-lockout.Trusted)); err != nil {
		slog.Warn("pruning login counters", "err", err)
	}
}

// EndSession ends a session without an audit entry: the one a browser
// held before it signed in again.
func (a *App) EndSession(ctx context.Context, token string) error {
	return a.Store.DeleteSession(ctx, token)
}

// Logout ends a session.
func (a *App) Logout(ctx context.Context, token string, p access.Principal, client string) error {
	_ = a.Store.Audit(ctx, a.Now(), p.Username, p.AccountID, "logout", client, "")
	return a.Store.DeleteSession(ctx, token)
}

// SessionPrincipal is who holds a session, with its CSRF token.
func (a *App) SessionPrincipal(ctx context.Context, token string) (access.Principal, string, error) {
	second, gen := a.Now().Unix(), a.Store.Generation()
	if w, ok := a.holders.get("s\x00"+token, second, gen); ok {
		return w.p, w.csrf, nil
	}
	id, csrf, err := a.Store.Session(ctx, token, a.Now())
	if err != nil {
		return access.Principal{}, "", err
	}
	p, err := a.Principal(ctx, id)
	if err == nil {
		a.holders.put("s\x00"+token, second, holder{gen, p, csrf})
	}
	return p, csrf, err
}

// TokenPrincipal is who holds an API token.
func (a *App) TokenPrincipal(ctx context.Context, token string) (access.Principal, error) {
	second, gen := a.Now().Unix(), a.Store.Generation()
	if w, ok := a.holders.get("t\x00"+token, second, gen); ok {
		return w.p, nil
	}
	id, scope, err := a.Store.TokenAccount(ctx, token)
	if err != nil {
		return access.Principal{}, err
	}
	p, err := a.Principal(ctx, id)
	p.Scope = scope
	if err == nil {
		a.holders.put("t\x00"+token, second, holder{gen, p, ""})
	}
	return p, err
}

// holders remembers who holds a token or session for the rest of the
// second of the app's clock while no write or revocation is committed
// through this process's store (store.Generation): each request would
// otherwise read the token, the account and its unit. A revocation by
// another process takes effect within the second.
type holders struct {
	mu     sync.Mutex
	second int64
	m      map[string]holder
}

type holder struct {
	gen  int64
	p    access.Principal
	csrf string
}

func (h *holders) get(key string, second, gen int64) (holder, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	w, ok := h.m[key]
	return w, ok && h.second == second && w.gen == gen
}

func (h *holders) put(key string, second int64, w holder) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.second != second {
		if second < h.second {
			return
		}
		h.second, h.m = second, map[string]holder{}
	}
	if len(h.m) < 4096 {
		h.m[key] = w
	}
}

// Principal loads an active account with its unit and grids.
func (a *App) Principal(ctx context.Context, accountID int64) (access.Principal, error) {
	acc, err := a.Store.AccountByID(ctx, accountID)
	if err != nil {
		return access.Principal{}, err
	}
	if !acc.Active {
		return access.Principal{}, fmt.Errorf("account %s is disabled: %w", acc.Username, store.ErrNotFound)
	}
	p := access.Principal{AccountID: acc.ID, Username: acc.Username, Name: acc.Name, Role: acc.Role, UnitID: acc.UnitID, Grids: acc.Grids}
	if acc.UnitID == 0 {
		return p, nil
	}
	u, err := a.Store.Unit(ctx, acc.UnitID)
	if errors.Is(err, store.ErrNotFound) {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	p.UnitKind, p.Street = u.Kind, u.Street
	return p, nil
}

// CreateToken issues an API token for an account; only its hash is kept,
// so the token is shown once.
func (a *App) CreateToken(ctx context.Context, username, name string) (string, int64, error) {
	return a.CreateScopedToken(ctx, username, name, "")
}

// ErrScope is a token scope that does not exist.
var ErrScope = errors.New("scope must be one of " + strings.Join(access.Scopes, ", ") + " (or none)")

// CreateScopedToken issues an API token narrowed to scope
// (access.ScopeScreen, or "" for the account's own reach). A screen token
// is an administrator's or a leader's: it reads district-wide figures.
func (a *App) CreateScopedToken(ctx context.Context, username, name, scope string) (string, int64, error) {
	if scope != "" && !slices.Contains(access.Scopes, scope) {
		return "", 0, ErrScope
	}
	acc, err := a.Store.AccountByUsername(ctx, username)
	if err != nil {
		return "", 0, err
	}
	if scope == access.ScopeScreen && !access.SeesDistrict(acc.Role) {
		return "", 0, fmt.Errorf("a screen token reads district-wide figures: %s is not of the centre or a leader: %w", username, ErrScope)
	}
	token := "xh_" + randomToken()
	id, err := a.Store.CreateToken(ctx, acc.ID, name, scope, token, a.Now())
	return token, id, err
}

// UpdateAccount stores a changed account (after; before is how it was)
// and ends what the change makes stale, at once in this process and
// within a second in others (holders):
//
//   - a new password or a deactivation ends every session and revokes
//     every API token of the account;
//   - a new role, unit or grids ends its sessions, so its holder signs in
//     again into the new scope; its API tokens act in the new scope from
//     the next request (each request reads the account afresh).
//
// keep is a session token to leave open (the holder changing their own
// password), or "".
func (a *App) UpdateAccount(ctx context.Context, before, after *org.Account, keep string) error {
	var end store.Revoke
	if after.PasswordHash != before.PasswordHash || !after.Active {
		end = store.Revoke{Sessions: true, Tokens: true}
	}
	if after.Role != before.Role || after.UnitID != before.UnitID || !slices.Equal(slices.Sorted(slices.Values(after.Grids)), slices.Sorted(slices.Values(before.Grids))) {
		end.Sessions = true
	}
	if end.Sessions {
		end.Keep = keep
	}
	return a.Store.UpdateAccount(ctx, after, a.Now(), end)
}
