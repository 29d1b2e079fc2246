package web

import (
	"net/http"
	"strings"
	"time"
)

// WithMaxInFlight bounds the requests the server works on at once. A
// request that finds every slot taken waits up to wait for one, then gets
// 503 with Retry-After: overload sheds load instead of queueing without
// bound. Health checks are never shed. n <= 0: no bound.
func WithMaxInFlight(n int, wait time.Duration) Option {
	return func(s *Server) {
		if n > 0 {
			s.slots = make(chan struct{}, n)
			s.slotWait = wait
		}
	}
}

// shed applies the in-flight bound.
func (s *Server) shed(next http.Handler) http.Handler {
	if s.slots == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || strings.HasPrefix(r.URL.Path, "/ui/") {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case s.slots <- struct{}{}:
		default:
			t := time.NewTimer(s.slotWait)
			select {
			case s.slots <- struct{}{}:
				t.Stop()
			case <-t.C:
				w.Header().Set("Retry-After", "1")
				problem(w, http.StatusServiceUnavailable, "overloaded", "", "the server is busy; try again in a second")
				return
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		defer func() { <-s.slots }()
		next.ServeHTTP(w, r)
	})
}
