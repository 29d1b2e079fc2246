package web

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/deadline"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/routing"
	"github.com/xiuhua/xiuhua/internal/store"
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

// adminUsers answers one page of accounts, searched by text (username,
// name, unit name or code) and narrowed by role and unit: offset and limit
// (1–100, default 50) page it, total says how many match.
func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	q := r.URL.Query()
	f := store.AccountFilter{Q: strings.TrimSpace(q.Get("q")), Role: caseflow.Role(q.Get("role")), Limit: 50}
	switch {
	case len([]rune(f.Q)) > 100:
		problemWith(w, http.StatusBadRequest, "invalid", "q", map[string]any{"chars": 100}, "the search text is longer than 100 characters")
		return
	case f.Role != "" && !f.Role.Valid():
		problem(w, http.StatusBadRequest, "invalid", "role", "role must be one of grid_worker, operator, dispatcher, handler, leader, admin")
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			problem(w, http.StatusBadRequest, "invalid", "limit", "limit must be 1–100")
			return
		}
		f.Limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			problem(w, http.StatusBadRequest, "invalid", "offset", "offset must be a whole number from 0")
			return
		}
		f.Offset = n
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
	if v := q.Get("unit"); v != "" {
		i := slices.IndexFunc(units, func(u org.Unit) bool { return u.Code == v })
		if i < 0 {
			problem(w, http.StatusBadRequest, "invalid", "unit", "unknown unit "+v)
			return
		}
		f.UnitID = units[i].ID
	}
	accts, total, err := s.app.Store.AccountsPage(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]AccountView, 0, len(accts))
	for _, a := range accts {
		out = append(out, AccountView{ID: a.ID, Username: a.Username, Name: a.Name, Role: a.Role, Unit: code[a.UnitID], Grids: a.Grids, Active: a.Active})
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out, "total": total, "offset": f.Offset, "limit": f.Limit})
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
	case badPassword(w, in.Username, in.Password):
		return
	}
	units, err := s.app.Store.Units(ctx)
	if err != nil {
		fail(w, r, err)
		return
	}
	unitID, ok := s.checkAccount(w, r, units, in.Role, in.Unit, in.Grids, in.Name)
	if !ok {
		return
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
	a := org.Account{Username: in.Username, Name: strings.TrimSpace(in.Name), Role: in.Role, UnitID: unitID, PasswordHash: hash, Grids: in.Grids, Active: true}
	if err := s.app.Store.CreateAccount(ctx, &a); err != nil {
		fail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(ctx, s.app.Now(), p.Username, p.AccountID, "account_created", client(r), in.Username+" as "+string(in.Role))
	writeJSON(w, http.StatusCreated, AccountView{ID: a.ID, Username: a.Username, Name: a.Name, Role: a.Role, Unit: in.Unit, Grids: a.Grids, Active: true})
}

// badPassword answers a new password the rules refuse (org.CheckNewPassword)
// and says whether it did; the code names the reason, which the web app
// shows in the reader's language.
func badPassword(w http.ResponseWriter, username, password string) bool {
	err := org.CheckNewPassword(username, password)
	var pe *org.PasswordError
	if !errors.As(err, &pe) {
		return false
	}
	problem(w, http.StatusBadRequest, "password_"+pe.Reason, "password", pe.Error())
	return true
}

// checkAccount checks what an account is given: a grid worker has grids,
// the unit and every grid exist, the name is not too long. It answers the
// request when something is wrong, and returns the unit's id.
func (s *Server) checkAccount(w http.ResponseWriter, r *http.Request, units []org.Unit, role caseflow.Role, unit string, grids []string, name string) (int64, bool) {
	ctx := r.Context()
	switch {
	case len([]rune(name)) > 50:
		problemWith(w, http.StatusBadRequest, "invalid", "name", map[string]any{"chars": 50}, "the name is longer than 50 characters")
		return 0, false
	case role == caseflow.GridWorker && len(grids) == 0:
		problem(w, http.StatusBadRequest, "required", "grids", "a grid worker needs at least one grid")
		return 0, false
	}
	i := slices.IndexFunc(units, func(u org.Unit) bool { return u.Code == unit })
	if i < 0 {
		problem(w, http.StatusBadRequest, "invalid", "unit", "unknown unit "+unit)
		return 0, false
	}
	if len(grids) > 0 {
		all, err := s.app.Store.Grids(ctx, s.app.Now())
		if err != nil {
			fail(w, r, err)
			return 0, false
		}
		for j, g := range grids {
			if !slices.ContainsFunc(all, func(x places.Grid) bool { return x.Code == g }) {
				problem(w, http.StatusBadRequest, "invalid", "grids["+strconv.Itoa(j)+"]", "unknown grid "+g)
				return 0, false
			}
		}
	}
	return units[i].ID, true
}

// adminUpdateUser changes an account: name, role, unit, grids, a new
// password, or active. A new password or active=false signs it out
// everywhere and revokes its tokens; a new role, unit or grids signs it
// out (app.UpdateAccount). Fields left out stay as they are. An administrator cannot
// deactivate or demote themselves.
func (s *Server) adminUpdateUser(w http.ResponseWriter, r *http.Request, p access.Principal) {
	var in struct {
		Name     *string        `json:"name"`
		Role     *caseflow.Role `json:"role"`
		Unit     *string        `json:"unit"`
		Grids    *[]string      `json:"grids"`
		Password *string        `json:"password"`
		Active   *bool          `json:"active"`
	}
	if !decode(w, r, &in) {
		return
	}
	ctx := r.Context()
	a, err := s.app.Store.AccountByUsername(ctx, r.PathValue("username"))
	if err == nil {
		a, err = s.app.Store.AccountByID(ctx, a.ID) // with its grids
	}
	if errors.Is(err, store.ErrNotFound) {
		problem(w, http.StatusNotFound, "not_found", "username", "no account "+r.PathValue("username"))
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	before := *a
	before.Grids = slices.Clone(a.Grids)
	units, err := s.app.Store.Units(ctx)
	if err != nil {
		fail(w, r, err)
		return
	}
	unit := ""
	for _, u := range units {
		if u.ID == a.UnitID {
			unit = u.Code
		}
	}
	if in.Name != nil {
		a.Name = strings.TrimSpace(*in.Name)
	}
	if in.Role != nil {
		if !in.Role.Valid() {
			problem(w, http.StatusBadRequest, "invalid", "role", "role must be one of grid_worker, operator, dispatcher, handler, leader, admin")
			return
		}
		a.Role = *in.Role
	}
	if in.Unit != nil {
		unit = *in.Unit
	}
	if in.Grids != nil {
		a.Grids = *in.Grids
	}
	if in.Active != nil {
		a.Active = *in.Active
	}
	if a.ID == p.AccountID && (!a.Active || a.Role != caseflow.Admin) {
		problem(w, http.StatusConflict, "conflict", "active", "you cannot deactivate your own account or take away your own administration")
		return
	}
	if a.Role != caseflow.GridWorker {
		a.Grids = nil
	}
	var ok bool
	if a.UnitID, ok = s.checkAccount(w, r, units, a.Role, unit, a.Grids, a.Name); !ok {
		return
	}
	if in.Password != nil {
		if badPassword(w, a.Username, *in.Password) {
			return
		}
		if a.PasswordHash, err = org.HashPassword(*in.Password); err != nil {
			fail(w, r, err)
			return
		}
	}
	keep := "" // an administrator changing their own password stays signed in here
	if a.ID == p.AccountID {
		keep, _ = ctx.Value(principalKey{}).(string)
	}
	if err := s.app.UpdateAccount(ctx, &before, a, keep); err != nil {
		fail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(ctx, s.app.Now(), p.Username, p.AccountID, "account_updated", client(r),
		fmt.Sprintf("%s as %s, active %v, password changed %v", a.Username, a.Role, a.Active, in.Password != nil))
	writeJSON(w, http.StatusOK, AccountView{ID: a.ID, Username: a.Username, Name: a.Name, Role: a.Role, Unit: unit, Grids: a.Grids, Active: a.Active})
}

// adminGrids checks an uploaded grid layer (GeoJSON) and, unless
// dry_run=true, makes it the layer from ?from=YYYY-MM-DD (default now).
// layerImports holds the grid layer being imported or checked, for the
// whole process.
var layerImports = make(chan struct{}, 1)

func (s *Server) adminGrids(w http.ResponseWriter, r *http.Request, p access.Principal) {
	// One layer at a time: a layer of 64 MB takes several times that to
	// parse, and two at once would double it.
	select {
	case layerImports <- struct{}{}:
		defer func() { <-layerImports }()
	default:
		w.Header().Set("Retry-After", "30")
		problem(w, http.StatusServiceUnavailable, "busy", "", "another grid layer is being imported or checked; try again when it is done")
		return
	}
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
	s.calendarView(w, r, nil)
}

// calendarView answers the district's days, the working day's length and
// the years without a holiday file; after a change, what it moved.
func (s *Server) calendarView(w http.ResponseWriter, r *http.Request, change *app.DayChange) {
	days, err := s.app.Store.CalendarDays(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	cal := s.app.Policy.Calendar()
	out := map[string]any{"days": append([]store.CalendarDay{}, days...), "day_minutes": int(cal.DayLength() / time.Minute),
		"missing_holiday_years": cal.MissingYears(s.app.Now().Year(), s.app.Now().Year()+1)}
	if change != nil {
		out["change"] = change
	}
	writeJSON(w, http.StatusOK, out)
}

// WebhookView is a subscriber on the admin pages: no secret, and how many
// of its deliveries wait to be sent and are parked.
type WebhookView struct {
	store.Webhook
	Pending int `json:"pending"`
	Parked  int `json:"parked"`
}

func (s *Server) adminWebhooks(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	hs, err := s.app.Store.Webhooks(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	waiting, err := s.app.Store.WaitingDeliveries(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]WebhookView, 0, len(hs))
	for _, h := range hs {
		out = append(out, WebhookView{Webhook: h, Pending: waiting[h.ID][store.DeliveryPending], Parked: waiting[h.ID][store.DeliveryParked]})
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

// adminSetDay makes a day a working day or a day off for the district
// (PUT /api/v1/admin/calendar/{day}); new deadlines count it at once and
// running deadlines over it move. With dry_run=true it only says which.
func (s *Server) adminSetDay(w http.ResponseWriter, r *http.Request, p access.Principal) {
	day := r.PathValue("day")
	if _, err := time.Parse("2006-01-02", day); err != nil {
		problem(w, http.StatusBadRequest, "invalid", "day", "the day must be YYYY-MM-DD")
		return
	}
	var in struct {
		Working *bool  `json:"working"`
		Note    string `json:"note"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Working == nil {
		problem(w, http.StatusBadRequest, "required", "working", "working is required: true for a working day, false for a day off")
		return
	}
	if len([]rune(in.Note)) > 100 {
		problemWith(w, http.StatusBadRequest, "invalid", "note", map[string]any{"chars": 100}, "the note is longer than 100 characters")
		return
	}
	s.changeDay(w, r, p, day, &store.CalendarDay{Working: *in.Working, Note: strings.TrimSpace(in.Note)})
}

// changeDay sets or removes a district day through the app, which moves
// the running deadlines it affects, and audits a committed change.
func (s *Server) changeDay(w http.ResponseWriter, r *http.Request, p access.Principal, day string, set *store.CalendarDay) {
	commit := r.URL.Query().Get("dry_run") != "true"
	res, err := s.app.ChangeCalendarDay(r.Context(), p.Username, day, set, commit)
	if errors.Is(err, app.ErrNoDaySetting) {
		problem(w, http.StatusNotFound, "not_found", "day", "the district has no setting for "+day)
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	if commit {
		event := "calendar_day_set"
		if set == nil {
			event = "calendar_day_unset"
		}
		_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, event, client(r),
			fmt.Sprintf("%s: %d cases retimed", day, len(res.Moves)))
	}
	s.calendarView(w, r, &res)
}

// adminUnsetDay removes the district's own setting for a day.
func (s *Server) adminUnsetDay(w http.ResponseWriter, r *http.Request, p access.Principal) {
	day := r.PathValue("day")
	if _, err := time.Parse("2006-01-02", day); err != nil {
		problem(w, http.StatusBadRequest, "invalid", "day", "the day must be YYYY-MM-DD")
		return
	}
	s.changeDay(w, r, p, day, nil)
}

// adminSetTimeLimits replaces the time-limit table (PUT, the whole table);
// it is checked whole and nothing changes when any limit is wrong.
func (s *Server) adminSetTimeLimits(w http.ResponseWriter, r *http.Request, p access.Principal) {
	var in struct {
		Limits []deadline.Limit `json:"limits"`
	}
	if !decode(w, r, &in) {
		return
	}
	if len(in.Limits) == 0 {
		problem(w, http.StatusBadRequest, "required", "limits", "send the whole table: at least one limit")
		return
	}
	if len(in.Limits) > 2000 {
		problemWith(w, http.StatusBadRequest, "invalid", "limits", map[string]any{"items": 2000}, "at most 2000 limits")
		return
	}
	cats, err := s.app.Store.Categories(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	known := map[string]bool{"*": true}
	for _, c := range cats {
		known[c.ID], known[catalog.MajorClassID(c.ID)] = true, true
	}
	var bad []FieldProblem
	seen := map[string]int{}
	for i, l := range in.Limits {
		row := fmt.Sprintf("limits[%d]", i)
		var le *deadline.LimitError
		if err := l.Validate(); errors.As(err, &le) {
			bad = append(bad, FieldProblem{Code: "invalid", Field: row + "." + le.Field, Detail: le.Msg})
			continue
		} else if err != nil {
			bad = append(bad, FieldProblem{Code: "invalid", Field: row, Detail: err.Error()})
			continue
		}
		if !known[l.Scope] {
			bad = append(bad, FieldProblem{Code: "invalid", Field: row + ".scope", Detail: fmt.Sprintf("%q is not a category, a major class or *", l.Scope)})
			continue
		}
		k := l.Scope + "|" + string(l.Urgency) + "|" + string(l.Step)
		if j, ok := seen[k]; ok {
			bad = append(bad, FieldProblem{Code: "duplicate", Field: row, Detail: fmt.Sprintf("the same scope, urgency and step as limits[%d]", j), Other: fmt.Sprintf("limits[%d]", j)})
			continue
		}
		seen[k] = i
	}
	if len(bad) > 0 {
		problems(w, http.StatusBadRequest, bad)
		return
	}
	if _, err := deadline.NewPolicy(s.app.Policy.Calendar(), in.Limits); err != nil {
		problem(w, http.StatusBadRequest, "invalid", "limits", err.Error())
		return
	}
	if err := s.app.Store.SaveTimeLimits(r.Context(), in.Limits); err != nil {
		fail(w, r, err)
		return
	}
	s.policyChanged(w, r, p, "time_limits_set", fmt.Sprintf("%d limits", len(in.Limits)))
}

// policyChanged reloads the policy after a change and answers with the
// calendar view.
func (s *Server) policyChanged(w http.ResponseWriter, r *http.Request, p access.Principal, event, detail string) {
	if err := s.app.ConfigChanged(r.Context(), app.ConfigPolicy); err != nil {
		fail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, event, client(r), detail)
	s.adminCalendar(w, r, p)
}

// adminAddRule adds a dispatch rule, checked against the catalog, the
// units and the places; the table in force changes at once.
func (s *Server) adminAddRule(w http.ResponseWriter, r *http.Request, p access.Principal) {
	var in routing.Rule
	if !decode(w, r, &in) {
		return
	}
	if in.ID != 0 {
		problem(w, http.StatusBadRequest, "invalid", "id", "a new rule has no id")
		return
	}
	ctx := r.Context()
	k, err := app.Known(ctx, s.app.Store, s.app.Now())
	if err != nil {
		fail(w, r, err)
		return
	}
	var bad error
	err = s.app.Store.AddDispatchRule(ctx, &in, s.app.Now(), func(rules []routing.Rule) error {
		_, bad = routing.New(rules, k)
		return bad
	})
	if bad != nil {
		problem(w, http.StatusBadRequest, "invalid", "rule", bad.Error())
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := s.app.ConfigChanged(ctx, app.ConfigRoutes); err != nil {
		fail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(ctx, s.app.Now(), p.Username, p.AccountID, "dispatch_rule_added", client(r), in.String())
	writeJSON(w, http.StatusCreated, in)
}

// adminDeleteRule removes a dispatch rule.
func (s *Server) adminDeleteRule(w http.ResponseWriter, r *http.Request, p access.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		problem(w, http.StatusBadRequest, "invalid", "id", "the rule id is a whole number")
		return
	}
	if err := s.app.Store.DeleteDispatchRule(r.Context(), id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			problem(w, http.StatusNotFound, "not_found", "id", fmt.Sprintf("no rule #%d", id))
			return
		}
		fail(w, r, err)
		return
	}
	if err := s.app.ConfigChanged(r.Context(), app.ConfigRoutes); err != nil {
		fail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "dispatch_rule_deleted", client(r), fmt.Sprintf("#%d", id))
	w.WriteHeader(http.StatusNoContent)
}

var unitCodeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,31}$`)

// adminCreateUnit adds a department, street office, community, property
// company or leadership unit; the routing table sees it at once.
func (s *Server) adminCreateUnit(w http.ResponseWriter, r *http.Request, p access.Principal) {
	var in org.Unit
	if !decode(w, r, &in) {
		return
	}
	ctx := r.Context()
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.ID != 0:
		problem(w, http.StatusBadRequest, "invalid", "id", "a new unit has no id")
		return
	case !unitCodeRE.MatchString(in.Code):
		problem(w, http.StatusBadRequest, "invalid", "code", "code: 2–32 lower-case letters, digits or dashes, e.g. hwc")
		return
	case in.Name == "" || len([]rune(in.Name)) > 60:
		problemWith(w, http.StatusBadRequest, "invalid", "name", map[string]any{"chars": 60}, "name: 1–60 characters")
		return
	case !slices.Contains([]org.UnitKind{org.KindCentre, org.KindDepartment, org.KindStreet, org.KindCommunity, org.KindProperty, org.KindLeadership}, in.Kind):
		problem(w, http.StatusBadRequest, "invalid", "kind", "kind must be centre, department, street, community, property or leadership")
		return
	}
	if in.Street != "" {
		divs, err := s.app.Store.Divisions(ctx)
		if err != nil {
			fail(w, r, err)
			return
		}
		if !slices.ContainsFunc(divs, func(d places.Division) bool { return d.Code == in.Street && d.Level == places.LevelStreet }) {
			problem(w, http.StatusBadRequest, "invalid", "street", "unknown street "+in.Street)
			return
		}
	}
	units, err := s.app.Store.Units(ctx)
	if err != nil {
		fail(w, r, err)
		return
	}
	if slices.ContainsFunc(units, func(u org.Unit) bool { return u.Code == in.Code }) {
		problem(w, http.StatusConflict, "exists", "code", "the unit code "+in.Code+" is taken")
		return
	}
	if in.Parent != 0 && !slices.ContainsFunc(units, func(u org.Unit) bool { return u.ID == in.Parent }) {
		problem(w, http.StatusBadRequest, "invalid", "parent", "unknown parent unit")
		return
	}
	if err := s.app.Store.CreateUnit(ctx, &in); err != nil {
		fail(w, r, err)
		return
	}
	if err := s.app.ConfigChanged(ctx, app.ConfigRoutes); err != nil {
		fail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(ctx, s.app.Now(), p.Username, p.AccountID, "unit_created", client(r), in.Code+" "+in.Name)
	writeJSON(w, http.StatusCreated, in)
}

var categoryIDRE = regexp.MustCompile(`^[CM][0-9]{5}$`)

// adminPutCategory adds a city's own category or changes one. Codes are
// never renumbered: the id is the category. New ones take the 9xxxx codes
// the standard leaves for local use; a national category keeps the name
// and major class of GB/T 47678.5, and only whether residents may report
// it and its department hint change.
func (s *Server) adminPutCategory(w http.ResponseWriter, r *http.Request, p access.Principal) {
	id := r.PathValue("id")
	if !categoryIDRE.MatchString(id) {
		problem(w, http.StatusBadRequest, "invalid", "id", "a category id is C (component) or M (matter) and 5 digits, e.g. M90001")
		return
	}
	var in struct {
		MajorClass *string `json:"major_class"`
		Name       *string `json:"name"`
		DeptHint   *string `json:"dept_hint"`
		Public     *bool   `json:"public"`
		// The questions the category asks (replaced whole; [] for none).
		Attributes *[]catalog.Attribute `json:"attributes"`
	}
	if !decode(w, r, &in) {
		return
	}
	ctx := r.Context()
	cats, err := s.app.Store.Categories(ctx)
	if err != nil {
		fail(w, r, err)
		return
	}
	i := slices.IndexFunc(cats, func(c catalog.Category) bool { return c.ID == id })
	var c catalog.Category
	status := http.StatusOK
	if i < 0 {
		status = http.StatusCreated
		c = catalog.Category{ID: id, Kind: catalog.Matter, Code: id[1:], Local: true, Public: true}
		if id[0] == 'C' {
			c.Kind = catalog.Component
		}
		if c.Code[0] != '9' {
			problem(w, http.StatusBadRequest, "invalid", "id", "a new category takes a code of 9xxxx, which GB/T 47678.5 leaves for local use; "+id+" is in the national range")
			return
		}
	} else {
		c = cats[i]
	}
	text := func(field string, v *string, to *string, most int) bool {
		if v == nil {
			return true
		}
		t := strings.TrimSpace(*v)
		if !c.Local && field != "dept_hint" && t != *to {
			problem(w, http.StatusBadRequest, "invalid", field, fmt.Sprintf("%s is in the national catalog: its %s stays %q", id, field, *to))
			return false
		}
		if (t == "" && field != "dept_hint") || len([]rune(t)) > most {
			problemWith(w, http.StatusBadRequest, "invalid", field, map[string]any{"chars": most}, fmt.Sprintf("%s: 1–%d characters", field, most))
			return false
		}
		*to = t
		return true
	}
	if !text("name", in.Name, &c.Name, 60) || !text("major_class", in.MajorClass, &c.MajorClass, 30) || !text("dept_hint", in.DeptHint, &c.DeptHint, 60) {
		return
	}
	if in.Public != nil {
		c.Public = *in.Public
	}
	switch {
	case c.Name == "":
		problem(w, http.StatusBadRequest, "invalid", "name", "a new category needs a name")
		return
	case c.MajorClass == "":
		problem(w, http.StatusBadRequest, "invalid", "major_class", "a new category needs a major class, e.g. 地方事项")
		return
	}
	if in.Attributes != nil {
		var ae *catalog.AttributeError
		if err := catalog.CheckAttributes(*in.Attributes); errors.As(err, &ae) {
			problem(w, http.StatusBadRequest, "invalid", ae.Field, ae.Msg)
			return
		}
		c.Attributes = *in.Attributes
	}
	if err := s.app.Store.SaveCategories(ctx, []catalog.Category{c}); err != nil {
		fail(w, r, err)
		return
	}
	if in.Attributes != nil {
		if err := s.app.Store.SetCategoryAttributes(ctx, c.ID, c.Attributes); err != nil {
			fail(w, r, err)
			return
		}
	}
	if err := s.app.ConfigChanged(ctx, app.ConfigRoutes); err != nil {
		fail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(ctx, s.app.Now(), p.Username, p.AccountID, "category_saved", client(r), fmt.Sprintf("%s %s public=%v", c.ID, c.Name, c.Public))
	writeJSON(w, status, c)
}

// adminHolidays lists the years with a holiday file, which were imported,
// and this year and next when they have none.
func (s *Server) adminHolidays(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	files, err := app.HolidayFiles(r.Context(), s.app.Store)
	if err != nil {
		fail(w, r, err)
		return
	}
	imported, err := s.app.Store.HolidayFiles(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	years := []int{}
	for _, b := range files {
		if f, err := calendar.ParseHolidayFile(b); err == nil {
			years = append(years, f.Year)
		}
	}
	now := s.app.Now()
	writeJSON(w, http.StatusOK, map[string]any{"years": years, "imported": append([]store.HolidayFile{}, imported...),
		"missing_years": append([]int{}, s.app.Policy.Calendar().MissingYears(now.Year(), now.Year()+1)...)})
}

// adminImportHolidays imports a year's holiday file; with dry_run=true it
// only says which running deadlines would move.
func (s *Server) adminImportHolidays(w http.ResponseWriter, r *http.Request, p access.Principal) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		problem(w, http.StatusRequestEntityTooLarge, "too_large", "file", "a holiday file is at most 64 KB")
		return
	}
	commit := r.URL.Query().Get("dry_run") != "true"
	res, err := s.app.ImportHolidayFile(r.Context(), p.Username, b, commit)
	if err != nil {
		var fe *calendar.FileError
		if errors.As(err, &fe) {
			problem(w, http.StatusUnprocessableEntity, "invalid", "file", fe.Msg)
			return
		}
		fail(w, r, err)
		return
	}
	if commit {
		_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "holidays_imported", client(r),
			fmt.Sprintf("%d: %d days, %d cases retimed", res.Year, res.Days, len(res.Moves)))
	}
	if res.Moves == nil {
		res.Moves = []app.MovedCase{}
	}
	writeJSON(w, http.StatusOK, res)
}
