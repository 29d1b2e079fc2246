package web

import (
	"net"
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

// WithTrustedProxies names the reverse proxies (IP addresses) whose
// X-Forwarded-For is believed: behind them, the client address — for rate
// limits and the audit log — is the nearest address in that header that
// is not itself a trusted proxy. Without it the header is ignored.
func WithTrustedProxies(ips []string) Option {
	return func(s *Server) {
		for _, ip := range ips {
			if p := net.ParseIP(strings.TrimSpace(ip)); p != nil {
				if s.trusted == nil {
					s.trusted = map[string]bool{}
				}
				s.trusted[p.String()] = true
			}
		}
	}
}

// realClient rewrites RemoteAddr from X-Forwarded-For when the peer is a
// trusted proxy.
func (s *Server) realClient(r *http.Request) {
	if s.trusted == nil {
		return
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || !s.trusted[host] {
		return
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		ip := net.ParseIP(strings.TrimSpace(hops[i]))
		if ip == nil {
			return
		}
		if !s.trusted[ip.String()] {
			r.RemoteAddr = net.JoinHostPort(ip.String(), "0")
			return
		}
	}
}
