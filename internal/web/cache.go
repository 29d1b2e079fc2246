package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/xiuhua/xiuhua/internal/caseflow"
)

// The read cache keeps the answers of hot reads — case lists and map
// boxes, which command-centre screens and phones ask for again and again —
// for the current second of the app's clock. A reader is given a kept
// answer only if it was worked out after the reader's own last write
// through this process (store.Generation then), and never while one of
// their writes is in flight: whoever acts sees the result of the action in
// the next list. Other people's writes, like another instance's (PostgreSQL
// behind a load balancer, a CLI import), show at the latest one second
// later — so a write no longer makes every reader's answers be worked out
// again.
//
// Keys carry everything that decides what a reader may see (role, unit,
// street, grids; a grid worker's account too, since they also see the cases
// they reported), so an answer reaches only readers who would be given the
// same one: every dispatcher on duty shares the centre's lists and boxes,
// and no department sees another's.

// maxCachedAnswers and maxCachedBody bound the cache: past them answers
// are served uncached.
const (
	maxCachedAnswers = 4096
	maxCachedBody    = 1 << 20
)

type cachedAnswer struct {
	gen    int64
	header http.Header // what the handler set
	status int
	body   []byte
}

type readCache struct {
	flight singleflight.Group
	mu     sync.Mutex
	second int64
	m      map[string]*cachedAnswer
	writes map[int64]*writeMark // by account: their writes through this process
}

type writeMark struct {
	inflight int   // writes begun and not yet answered
	after    int64 // store.Generation when the last one was answered
}

// writeStart and writeEnd bracket a signed-in write request.
func (c *readCache) writeStart(account int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writes == nil {
		c.writes = map[int64]*writeMark{}
	}
	m := c.writes[account]
	if m == nil {
		m = &writeMark{}
		c.writes[account] = m
	}
	m.inflight++
}

func (c *readCache) writeEnd(account, gen int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.writes[account]
	m.inflight--
	m.after = max(m.after, gen)
}

// since is the generation an answer for the account must have been worked
// out at or after; ok is false while one of its writes is in flight.
func (c *readCache) since(account int64) (gen int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.writes[account]; m != nil {
		return m.after, m.inflight == 0
	}
	return 0, true
}

func (c *readCache) get(second int64, key string) *cachedAnswer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.second != second {
		return nil
	}
	return c.m[key]
}

func (c *readCache) put(second int64, key string, a *cachedAnswer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.second != second {
		if second < c.second {
			return // computed in a second already gone
		}
		c.second, c.m = second, map[string]*cachedAnswer{}
		// A write answered before this second began is older than any
		// answer this second can keep: its mark is no longer needed.
		for a, m := range c.writes {
			if m.inflight == 0 {
				delete(c.writes, a)
			}
		}
	}
	if len(c.m) < maxCachedAnswers {
		c.m[key] = a
	}
}

// WithReadCache turns the read cache on or off (on by default).
func WithReadCache(on bool) Option {
	return func(s *Server) { s.noCache = !on }
}

// cached serves h's answers from the read cache. It runs after the
// reader is known (inside staff or wide).
func (s *Server) cached(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.noCache || r.Method != http.MethodGet {
			h(w, r)
			return
		}
		p := principal(r)
		account := int64(0)
		if p.Role == caseflow.GridWorker {
			account = p.AccountID
		}
		key := strings.Join([]string{strconv.FormatInt(account, 10), string(p.Role), strconv.FormatInt(p.UnitID, 10),
			p.Street, strings.Join(p.Grids, ","), r.URL.RequestURI()}, "\x00")
		since, ok := s.cache.since(p.AccountID)
		if !ok { // the reader's own write is in flight: answer from the store
			h(w, r)
			return
		}
		second := s.app.Now().Unix()
		gen := s.app.Store.Generation() // before reading: what the answer surely includes
		if a := s.cache.get(second, key); a != nil && a.gen >= since {
			replay(w, a)
			return
		}
		// Readers asking the same at once wait for the first one's answer
		// (a second's first requests would otherwise all work it out).
		first := false
		v, _, _ := s.cache.flight.Do(key+"\x00"+strconv.FormatInt(second, 10)+"\x00"+strconv.FormatInt(gen, 10), func() (any, error) {
			first = true
			before := map[string]bool{}
			for k := range w.Header() {
				before[k] = true
			}
			rec := &recorder{ResponseWriter: w}
			h(rec, r)
			if rec.status != http.StatusOK || rec.over {
				return (*cachedAnswer)(nil), nil
			}
			a := &cachedAnswer{gen: gen, header: http.Header{}, status: rec.status, body: rec.buf.Bytes()}
			for k, v := range w.Header() {
				if !before[k] {
					a.header[k] = v
				}
			}
			s.cache.put(second, key, a)
			return a, nil
		})
		if first {
			return
		}
		if a := v.(*cachedAnswer); a != nil {
			replay(w, a)
			return
		}
		h(w, r) // the first answer was not one to keep: work it out
	}
}

func replay(w http.ResponseWriter, a *cachedAnswer) {
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.Header().Set("X-Cache", "hit")
	w.WriteHeader(a.status)
	w.Write(a.body)
}

// recorder passes an answer through and keeps a copy of it.
type recorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
	over   bool // too big to keep
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if !r.over {
		if r.buf.Len()+len(b) > maxCachedBody {
			r.over = true
			r.buf = bytes.Buffer{}
		} else {
			r.buf.Write(b)
		}
	}
	return r.ResponseWriter.Write(b)
}
