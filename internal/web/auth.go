package web

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
)

// Transport security of sessions: whether a request came over TLS, the
// session cookie and HSTS that follow from it, and login CSRF.

// hsts is sent on every answer that went over TLS: browsers then refuse
// plain HTTP to this host for a year.
const hsts = "max-age=31536000; includeSubDomains"

type tlsKey struct{}

// overTLS says whether the request reached the client's side over TLS:
// directly, or through a trusted proxy (WithTrustedProxies) whose
// X-Forwarded-Proto says https. Anyone else's header is ignored. Call it
// before realClient rewrites the peer's address.
func (s *Server) overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if s.trusted == nil {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || !s.trusted[net.ParseIP(host).String()] {
		return false
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// secureRequest marks a request that came over TLS and answers it with
// HSTS.
func (s *Server) secureRequest(w http.ResponseWriter, r *http.Request) *http.Request {
	if !s.overTLS(r) {
		return r
	}
	w.Header().Set("Strict-Transport-Security", hsts)
	return r.WithContext(context.WithValue(r.Context(), tlsKey{}, true))
}

// setSession sets the session cookie: HttpOnly, SameSite=Lax, and Secure
// when the request came over TLS (secureRequest), so that the browser
// never sends it over plain HTTP.
func setSession(w http.ResponseWriter, r *http.Request, token string) {
	secure, _ := r.Context().Value(tlsKey{}).(bool)
	c := &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure,
		MaxAge: int(app.SessionTTL / time.Second)}
	if token == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// loginCSRF refuses a sign-in that a browser sent from another site
// (Sec-Fetch-Site, or else Origin against Host): a page elsewhere cannot
// sign a visitor into an account of its choosing. Clients that are not
// browsers send neither header and pass.
var loginCSRF = http.NewCrossOriginProtection()
