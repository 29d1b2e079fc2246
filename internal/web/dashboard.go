package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/store"
)

// The dashboard's figures (GET /api/v1/dashboard), read by the command
// display (/screen) with a screen token, and the administrators' screen
// tokens.

// dashboard answers the dashboard's figures: stages today and in the
// period with 同比/环比 when asked, the top lists, the overdue cases, the
// supervision orders, the heat map and the focus of the last 7 days. No
// names of people, phones or reporters' words: visitors read the wall.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var dq app.DashboardQuery
	switch v := q.Get("compare"); v {
	case "", app.CompareYoY, app.CompareMoM:
		dq.Compare = v
	default:
		problem(w, http.StatusBadRequest, "invalid", "compare", "compare must be yoy (同比) or mom (环比)")
		return
	}
	switch v := q.Get("workdays"); v {
	case "", "false":
	case "true":
		dq.Workdays = true
	default:
		problem(w, http.StatusBadRequest, "invalid", "workdays", "workdays must be true or false")
		return
	}
	top, ok := intParam(w, q, "top", 5, 1, app.MaxTop)
	if !ok {
		return
	}
	dq.Top = top
	if v := q.Get("sort"); v != "" {
		if !slices.Contains(app.TopSorts, v) {
			problem(w, http.StatusBadRequest, "invalid", "sort", "sort must be one of "+strings.Join(app.TopSorts, ", "))
			return
		}
		dq.Sort = v
	}
	switch v := q.Get("only"); v {
	case "":
	case "stages":
		dq.StagesOnly = true
	default:
		problem(w, http.StatusBadRequest, "invalid", "only", "only must be stages (the stages alone, for a second comparison)")
		return
	}
	if v := q.Get("period"); v != "" {
		p, err := app.ParsePeriod(v)
		if err != nil {
			problem(w, http.StatusBadRequest, "invalid", "period", err.Error())
			return
		}
		if p.From.After(s.app.Now()) {
			problem(w, http.StatusBadRequest, "invalid", "period", "the period has not begun")
			return
		}
		dq.Period = &p
	}
	d, err := s.app.Dashboard(r.Context(), dq)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// adminTokens lists the screen tokens (never the tokens themselves).
func (s *Server) adminTokens(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	ts, err := s.app.ScreenTokens(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
}

// adminCreateToken makes a screen token for the signing administrator (or
// a leader or a member of the centre, named): the token is in this answer
// only.
func (s *Server) adminCreateToken(w http.ResponseWriter, r *http.Request, p access.Principal) {
	var in struct {
		Username string `json:"username"`
		Name     string `json:"name"`
		Scope    string `json:"scope"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Scope != access.ScopeScreen {
		problem(w, http.StatusBadRequest, "invalid", "scope", "scope must be screen: the administrators make screen tokens here, other tokens with xiuhua token create")
		return
	}
	if in.Username == "" {
		in.Username = p.Username
	}
	if in.Name = strings.TrimSpace(in.Name); in.Name == "" {
		in.Name = "大屏"
	}
	token, id, err := s.app.CreateScopedToken(r.Context(), in.Username, in.Name, in.Scope)
	switch {
	case errors.Is(err, store.ErrNotFound):
		problem(w, http.StatusBadRequest, "not_found", "username", "no account "+in.Username)
		return
	case errors.Is(err, app.ErrScope):
		problem(w, http.StatusBadRequest, "invalid", "username", err.Error())
		return
	case err != nil:
		fail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "token_created", client(r), "screen token "+strconv.FormatInt(id, 10)+" for "+in.Username)
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "token": token, "username": in.Username, "name": in.Name, "scope": in.Scope,
		"url": "/screen?token=" + token})
}

// adminRevokeToken revokes a screen token.
func (s *Server) adminRevokeToken(w http.ResponseWriter, r *http.Request, p access.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		problem(w, http.StatusNotFound, "not_found", "id", "no such token")
		return
	}
	err = s.app.RevokeScreenToken(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		problem(w, http.StatusNotFound, "not_found", "id", "no such screen token")
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "token_revoked", client(r), "screen token "+strconv.FormatInt(id, 10))
	w.WriteHeader(http.StatusNoContent)
}
