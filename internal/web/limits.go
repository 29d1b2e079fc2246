package web

import (
	"hash/maphash"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/internal/lockout"
)

// Rate limits. Anonymous reads and writes are limited per client network
// (a /24 for IPv4, a /64 for IPv6: one household, office or phone, however
// many addresses it rotates through); staff writes and uploads per account
// and per network. Over a limit: 429 with Retry-After.
//
// A limiter is a fixed table of token buckets that keys are hashed into —
// each key into two cells, its bucket being the less spent of the two
// (others' keys only add to a cell), allowed while that one has a token,
// and the cells raised to its spending at least (conservative update, as
// in a count-min sketch). Its memory is
// fixed whatever the number of clients, nobody's count is ever forgotten or
// reset, and an attacker with many addresses cannot empty an innocent's
// bucket: that needs both of its cells drained, which takes accepted (so
// bounded) requests on each. A bucket is one int64, the moment it will be
// full again (GCRA): 2^16 cells are 512 KB.

// Limits are the rates, per minute; 0 turns a limit off.
type Limits struct {
	PublicReads  int // anonymous reads per client network (board, follow pages, Open311)
	PublicWrites int // anonymous reports, photos and ratings per client network
	StaffWrites  int // writes per account; a network gets ten times as many
	Uploads      int // staff photo uploads per account; a network gets ten times as many
	SignIns      int // sign-in attempts per client network, right or wrong (the lockout budgets count the wrong ones)
}

// DefaultLimits are the limits a server starts with.
var DefaultLimits = Limits{PublicReads: 120, PublicWrites: 10, StaffWrites: 120, Uploads: 30, SignIns: 120}

// WithLimits sets the rate limits.
func WithLimits(l Limits) Option {
	return func(s *Server) { s.limits = l }
}

// NetworkShare is how many times an account's rate a whole network gets
// (an office of staff behind one address).
const NetworkShare = 10

const limiterCells = 1 << 16

type limiter struct {
	mu    sync.Mutex
	every time.Duration // one token per every
	burst time.Duration // (burst - 1) × every: how far ahead of now a bucket may be
	cells []int64       // unix ns at which the cell's bucket is full again
	seed  maphash.Seed
	now   func() time.Time
}

// newLimiter allows perMinute a minute with a burst of as many; nil
// (allowing everything) for perMinute <= 0.
func newLimiter(perMinute int) *limiter {
	if perMinute <= 0 {
		return nil
	}
	every := time.Minute / time.Duration(perMinute)
	return &limiter{every: every, burst: every * time.Duration(perMinute-1), cells: make([]int64, limiterCells),
		seed: maphash.MakeSeed(), now: time.Now}
}

// allow takes a token for key, or says how long to wait for one.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	h := maphash.String(l.seed, key)
	i, j := h%limiterCells, (h>>32)%limiterCells
	if j == i {
		j = (j + 1) % limiterCells
	}
	now := l.now().UnixNano()
	l.mu.Lock()
	defer l.mu.Unlock()
	// Others' keys only ever add to a cell, so the less spent of the two
	// is the closest to this key's own bucket.
	full := max(min(l.cells[i], l.cells[j]), now)
	if ahead := time.Duration(full - now); ahead > l.burst {
		return false, ahead - l.burst
	}
	next := full + int64(l.every)
	l.cells[i], l.cells[j] = max(l.cells[i], next), max(l.cells[j], next)
	return true, 0
}

// tooMany answers 429 with Retry-After.
func tooMany(w http.ResponseWriter, wait time.Duration, what string) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	problem(w, http.StatusTooManyRequests, "rate_limited", "", "too many "+what+"; try again in "+strconv.Itoa(secs)+" s")
}

// limited answers 429 when a client network goes too fast.
func limited(l *limiter, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := l.allow(lockout.Network(client(r))); !ok {
			tooMany(w, wait, "requests from your network")
			return
		}
		h(w, r)
	}
}

// staffLimited answers 429 when a signed-in account, or its network, writes
// (or, on POST /api/v1/photos, uploads) too fast; reads pass.
func (s *Server) staffLimited(pattern string, h http.HandlerFunc) http.HandlerFunc {
	account, network, what := s.staffLimit[0], s.staffLimit[1], "writes"
	if pattern == "POST /api/v1/photos" {
		account, network, what = s.staffLimit[2], s.staffLimit[3], "photo uploads"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if ok, wait := account.allow(strconv.FormatInt(principal(r).AccountID, 10)); !ok {
				tooMany(w, wait, what+" from this account")
				return
			}
			if ok, wait := network.allow(lockout.Network(client(r))); !ok {
				tooMany(w, wait, what+" from your network")
				return
			}
		}
		h(w, r)
	}
}
