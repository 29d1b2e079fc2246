package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/org"
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

// changePassword sets the signed-in person's new password after checking
// the current one (app.ChangePassword); the session it is sent with stays
// open, every other session and every API token of the account ends.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, p access.Principal) {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if !decode(w, r, &in) {
		return
	}
	keep, _ := r.Context().Value(principalKey{}).(string)
	err := s.app.ChangePassword(r.Context(), p, keep, in.Current, in.New, client(r))
	var pe *org.PasswordError
	switch {
	case errors.Is(err, app.ErrThrottled):
		retryAfter(w, err)
		problem(w, http.StatusTooManyRequests, "throttled", "current_password", err.Error())
	case errors.Is(err, app.ErrBadLogin):
		problem(w, http.StatusForbidden, "wrong_password", "current_password", "the current password is wrong")
	case errors.As(err, &pe):
		problem(w, http.StatusBadRequest, "password_"+pe.Reason, "new_password", pe.Error())
	case err != nil:
		fail(w, r, err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// endPresentedSession ends the session a sign-in came with, if any: each
// sign-in gets a new session, and the one before it does not live on
// beside it.
func (s *Server) endPresentedSession(r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.app.EndSession(r.Context(), c.Value); err != nil {
			slog.Warn("ending the session before a sign-in", "err", err)
		}
	}
}
