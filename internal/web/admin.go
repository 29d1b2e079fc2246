package web

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/places"
)

// Admin resources: accounts, the grid layer, and read views of the
// catalog's time limits, the calendar and the webhooks. Writes are for the
// administrator only; every one is in the audit log.

// admin wraps a handler for administrators.
func (s *Server) admin(h func(http.ResponseWriter, *http.Request, access.Principal)) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request, p access.Principal) {
		if p.Role != caseflow.Admin {
			s.refused(w, r, p, &caseflow.Error{Code: caseflow.CodeWrongRole, Msg: "administration is for administrators"})
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalCtx{}, p)), p)
	})
}

// AccountView is an account as the admin pages show it: no password hash,
// no phone.
type AccountView struct {
	ID       int64         `json:"id"`
	Username string        `json:"username"`
	Name     string        `json:"name"`
	Role     caseflow.Role `json:"role"`
	Unit     string        `json:"unit"`
	Grids    []string      `json:"grids,omitempty"`
	Active   bool          `json:"active"`
}

func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	accts, err := s.app.Store.Accounts(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	units, err := s.app.Store.Units(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	code := map[int64]string{}
	for _, u := range units {
		code[u.ID] = u.Code
	}
	role := caseflow.Role(r.URL.Query().Get("role"))
	out := make([]AccountView, 0, len(accts))
	for _, a := range accts {
		if role != "" && a.Role != role {
			continue
		}
		out = append(out, AccountView{ID: a.ID, Username: a.Username, Name: a.Name, Role: a.Role, Unit: code[a.UnitID], Grids: a.Grids, Active: a.Active})
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

func (s *Server) adminCreateUser(w http.ResponseWriter, r *http.Request, p access.Principal) {
	var in struct {
		Username string        `json:"username"`
		Name     string        `json:"name"`
		Role     caseflow.Role `json:"role"`
		Unit     string        `json:"unit"`
		Grids    []string      `json:"grids"`
		Password string        `json:"password"`
	}
	if !decode(w, r, &in) {
		return
	}
	ctx := r.Context()
	switch {
	case !usernameRE.MatchString(in.Username):
		problem(w, http.StatusBadRequest, "invalid", "username", "username: 2–64 lower-case letters, digits, dot, dash or underscore")
		return
	case !in.Role.Valid():
		problem(w, http.StatusBadRequest, "invalid", "role", "role must be one of grid_worker, operator, dispatcher, handler, leader, admin")
		return
	case len(in.Password) < 10:
		problem(w, http.StatusBadRequest, "invalid", "password", "the password needs at least 10 characters")
		return
	case len([]rune(in.Name)) > 50:
		problem(w, http.StatusBadRequest, "invalid", "name", "the name is longer than 50 characters")
		return
	case in.Role == caseflow.GridWorker && len(in.Grids) == 0:
		problem(w, http.StatusBadRequest, "required", "grids", "a grid worker needs at least one grid")
		return
	}
	units, err := s.app.Store.Units(ctx)
	if err != nil {
		fail(w, r, err)
		return
	}
	i := slices.IndexFunc(units, func(u org.Unit) bool { return u.Code == in.Unit })
	if i < 0 {
		problem(w, http.StatusBadRequest, "invalid", "unit", "unknown unit "+in.Unit)
		return
	}
	if len(in.Grids) > 0 {
		grids, err := s.app.Store.Grids(ctx, s.app.Now())
		if err != nil {
			fail(w, r, err)
			return
		}
		for j, g := range in.Grids {
			if !slices.ContainsFunc(grids, func(x places.Grid) bool { return x.Code == g }) {
				problem(w, http.StatusBadRequest, "invalid", "grids["+strconv.Itoa(j)+"]", "unknown grid "+g)
				return
			}
		}
	}
	if a, err := s.app.Store.AccountByUsername(ctx, in.Username); err == nil && a != nil {
		problem(w, http.StatusConflict, "exists", "username", "the username "+in.Username+" is taken")
		return
	}
	hash, err := org.HashPassword(in.Password)
	if err != nil {
		fail(w, r, err)
		return
	}
	if in.Name == "" {
		in.Name = in.Username
	}
	a := org.Account{Username: in.Username, Name: strings.TrimSpace(in.Name), Role: in.Role, UnitID: units[i].ID, PasswordHash: hash, Grids: in.Grids, Active: true}
	if err := s.app.Store.CreateAccount(ctx, &a); err != nil {
		fail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(ctx, s.app.Now(), p.Username, p.AccountID, "account_created", client(r), in.Username+" as "+string(in.Role))
	writeJSON(w, http.StatusCreated, AccountView{ID: a.ID, Username: a.Username, Name: a.Name, Role: a.Role, Unit: in.Unit, Grids: a.Grids, Active: true})
}

// adminGrids checks an uploaded grid layer (GeoJSON) and, unless
// dry_run=true, makes it the layer from ?from=YYYY-MM-DD (default now).
func (s *Server) adminGrids(w http.ResponseWriter, r *http.Request, p access.Principal) {
	from := s.app.Now()
	if v := r.URL.Query().Get("from"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, calendar.Shanghai)
		if err != nil {
			problem(w, http.StatusBadRequest, "invalid", "from", "from must be a date, YYYY-MM-DD")
			return
		}
		from = t
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<20))
	if err != nil {
		problem(w, http.StatusRequestEntityTooLarge, "too_large", "", "the layer is larger than 64 MB")
		return
	}
	commit := r.URL.Query().Get("dry_run") != "true"
	g, u, err := app.ParseGrids(r.Context(), s.app.Store, b, from)
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, "invalid", "layer", err.Error())
		return
	}
	grids, units := len(g), len(u)
	if commit {
		if _, _, err := s.app.ImportGrids(r.Context(), b, from, true); err != nil {
			fail(w, r, err)
			return
		}
	}
	if commit {
		_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "grids_imported", client(r), strconv.Itoa(units)+" unit grids from "+from.In(calendar.Shanghai).Format("2006-01-02"))
	}
	writeJSON(w, http.StatusOK, map[string]any{"grids": grids, "unit_grids": units, "valid_from": from.In(calendar.Shanghai), "imported": commit})
}

func (s *Server) adminTimeLimits(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	ls, err := s.app.Store.TimeLimits(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"limits": ls})
}

func (s *Server) adminCalendar(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	days, err := s.app.Store.CalendarDays(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	cal := s.app.Policy.Calendar()
	writeJSON(w, http.StatusOK, map[string]any{"days": days, "day_minutes": int(cal.DayLength() / time.Minute),
		"missing_holiday_years": cal.MissingYears(s.app.Now().Year(), s.app.Now().Year()+1)})
}

func (s *Server) adminWebhooks(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	hs, err := s.app.Store.Webhooks(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": hs})
}
