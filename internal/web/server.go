// Package web is the HTTP layer: it decodes requests, calls the app and
// renders JSON or HTML. For now it serves health checks and a read-only view
// of cases; the full API, accounts and Open311 build on it.
package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/notify"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/publish"
	"github.com/xiuhua/xiuhua/internal/routing"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Server holds the routes.
type Server struct {
	app         *app.App
	mux         *http.ServeMux
	limits      Limits
	readLimit   *limiter    // public reads per client network
	writeLimit  *limiter    // public reports per client network
	signInLimit *limiter    // sign-in attempts per client network
	staffLimit  [4]*limiter // staff writes per account and network, uploads per account and network
	layer       layerCache
	tileURL     string        // a raster tile template behind the vector map; empty: none
	tileSrc     string        // its origin, for the Content-Security-Policy
	slots       chan struct{} // requests in flight (WithMaxInFlight)
	slotWait    time.Duration
	trusted     map[string]bool // reverse proxies whose X-Forwarded-For counts
	cache       readCache       // hot reads (cached)
	noCache     bool
	publicURL   string // WithPublicURL: the site's address in feeds and mails
	alertsOff   bool   // WithAlerts(false): no mail server, no subscriptions
}

// Option configures the server.
type Option func(*Server)

// WithTiles puts raster tiles behind the vector map, from a template such
// as https://t0.tianditu.gov.cn/vec_w/wmts?...&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY.
// Without it the map is vector-only and works offline.
func WithTiles(template string) Option {
	return func(s *Server) {
		u, err := url.Parse(template)
		if template == "" || err != nil || u.Host == "" {
			return
		}
		s.tileURL, s.tileSrc = template, " "+u.Scheme+"://"+u.Host
	}
}

// New builds the handler tree.
func New(a *app.App, opts ...Option) http.Handler {
	s := &Server{app: a, mux: http.NewServeMux(), limits: DefaultLimits}
	for _, o := range opts {
		o(s)
	}
	l := s.limits
	s.readLimit, s.writeLimit, s.signInLimit = newLimiter(l.PublicReads), newLimiter(l.PublicWrites), newLimiter(l.SignIns)
	s.staffLimit = [4]*limiter{newLimiter(l.StaffWrites), newLimiter(l.StaffWrites * NetworkShare), newLimiter(l.Uploads), newLimiter(l.Uploads * NetworkShare)}
	s.register()
	return s.secure(s.shed(s.mux))
}

func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		r = s.secureRequest(w, r)
		s.realClient(r)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:"+s.tileSrc+
			"; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.app.Store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
		return
	}
	if ok, err := s.app.Store.MigrationsCurrent(ctx); err != nil || !ok {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "migrations pending"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// Problem is an RFC 9457 error body.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code"`
	Field  string `json:"field,omitempty"`
	// Params are the message's arguments (a count, a limit, a day in
	// Beijing time), for the page to say it in the reader's language:
	// err.CODE in the catalogs, {name} filled from Params.
	Params map[string]any `json:"params,omitempty"`
	// Errors lists every field at fault when a request is checked whole
	// (the time-limit table); Code and Field are then the first one's.
	Errors []FieldProblem `json:"errors,omitempty"`
}

// FieldProblem is one field at fault in a request checked whole.
type FieldProblem struct {
	Code   string `json:"code"`
	Field  string `json:"field"`
	Detail string `json:"detail"`
	Other  string `json:"other,omitempty"`  // the entry it repeats
	Line   int    `json:"line,omitempty"`   // a file's row (imports), the header being 1
	Column string `json:"column,omitempty"` // and its column's header
}

// problems answers a request refused for several fields at once.
func problems(w http.ResponseWriter, status int, list []FieldProblem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	first := list[0]
	detail := first.Detail
	if len(list) > 1 {
		detail = fmt.Sprintf("%s (and %d more)", first.Detail, len(list)-1)
	}
	json.NewEncoder(w).Encode(Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail,
		Code: first.Code, Field: first.Field, Errors: list})
}

func problem(w http.ResponseWriter, status int, code, field, detail string) {
	problemWith(w, status, code, field, nil, detail)
}

// problemWith is a problem whose message has arguments.
func problemWith(w http.ResponseWriter, status int, code, field string, params map[string]any, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Code: code,
		Field: field, Params: params})
}

// beijingParams are a refusal's particulars for the page: a time as
// RFC 3339 in Beijing time (the page formats it in the reader's locale).
func beijingParams(p map[string]any) map[string]any {
	if len(p) == 0 {
		return nil
	}
	out := make(map[string]any, len(p))
	for k, v := range p {
		if t, ok := v.(time.Time); ok {
			v = t.In(calendar.Shanghai).Format(time.RFC3339)
		}
		out[k] = v
	}
	return out
}

// fail maps domain and store errors to HTTP once.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	var ce *caseflow.Error
	switch {
	case errors.As(err, &ce):
		status := http.StatusUnprocessableEntity
		switch ce.Code {
		case caseflow.CodeStale:
			status = http.StatusConflict
		case caseflow.CodeWrongRole, caseflow.CodeNotYours:
			status = http.StatusForbidden
		case caseflow.CodeWrongState:
			status = http.StatusConflict
		}
		problemWith(w, status, string(ce.Code), ce.Field, beijingParams(ce.Params), ce.Msg)
	case errors.Is(err, store.ErrNotFound):
		problem(w, http.StatusNotFound, "not_found", "", "no such case")
	default:
		slog.Error("request failed", "path", r.URL.Path, "err", err)
		problem(w, http.StatusInternalServerError, "internal", "", "internal error")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// CaseView is a case as this read-only view shows it: no reporter names or
// phone numbers.
type CaseView struct {
	Number       string           `json:"number"`
	State        caseflow.State   `json:"state"`
	Channel      caseflow.Channel `json:"channel"`
	Category     string           `json:"category"`
	Urgency      caseflow.Urgency `json:"urgency"`
	Description  string           `json:"description"`
	Address      string           `json:"address,omitempty"`
	Lon          float64          `json:"lon"`
	Lat          float64          `json:"lat"`
	Place        caseflow.Place   `json:"place"`
	ReportedAt   time.Time        `json:"reported_at"`
	RegisteredAt *time.Time       `json:"registered_at,omitempty"`
	DispatchedAt *time.Time       `json:"dispatched_at,omitempty"`
	ClosedAt     *time.Time       `json:"closed_at,omitempty"`
	Deadline     *time.Time       `json:"deadline,omitempty"`
	Overdue      bool             `json:"overdue"`
	// WorkLeft is the working time to the deadline in minutes, negative
	// when past it; absent without a running deadline.
	WorkLeft *int `json:"work_left_minutes,omitempty"`
	// DeadlineProvisional: a running deadline falls in a year without the
	// State Council's holiday file, so it counts weekends only and may
	// move when the file is imported.
	DeadlineProvisional bool               `json:"deadline_provisional,omitempty"`
	CloseType           caseflow.CloseType `json:"close_type,omitempty"`
	Reworks             int                `json:"reworks"`
	Verified            bool               `json:"verified"` // seen on site (a grid worker's own report counts)
	DuplicateOf         int64              `json:"duplicate_of,omitempty"`
	Repeats             int                `json:"repeats"` // later reports merged into this case
	MeToo               int                `json:"me_too"`  // residents who met it too on the board (我也遇到; case detail only)
	// DuplicateOfNumber is the case this one was merged into, and Merged the
	// cases merged into this one (case detail only, those the reader may see).
	DuplicateOfNumber string   `json:"duplicate_of_number,omitempty"`
	Merged            []string `json:"merged,omitempty"`
	// ReporterReachable: the reader may ask for the reporter's name and
	// phone (GET /api/v1/cases/{number}/reporter, audited) to call back.
	ReporterReachable bool `json:"reporter_reachable,omitempty"`
	// A hotline order's answer and callback (回访): when answered, when the
	// callback is due, its rating, and a review waiting.
	AnsweredAt  *time.Time           `json:"answered_at,omitempty"`
	CallbackDue *time.Time           `json:"callback_due,omitempty"`
	Rating      caseflow.Rating      `json:"rating,omitempty"`
	Review      caseflow.ReviewState `json:"review,omitempty"`
	ReviewDue   *time.Time           `json:"review_due,omitempty"`
	Version     int                  `json:"version"`
	Tasks       []TaskView           `json:"tasks,omitempty"`
	Deadlines   []DeadlineView       `json:"deadlines,omitempty"`
	Timeline    []EventView          `json:"timeline,omitempty"`
	// PlaceNames names the street, community and grid (case detail only).
	PlaceNames map[string]string `json:"place_names,omitempty"`
	// Actions are what the reader may do now (case detail only).
	Actions []caseflow.Action `json:"actions,omitempty"`
}

// DeadlineView is a running deadline and what the watcher has done on it.
type DeadlineView struct {
	Step     caseflow.Step `json:"step"`
	UnitID   int64         `json:"unit_id,omitempty"`
	Deadline time.Time     `json:"deadline"`
	Status   string        `json:"status"` // waiting, warned, overdue, escalated
	Next     *time.Time    `json:"next_check,omitempty"`
}

var stageNames = []string{"waiting", "warned", "overdue", "escalated"}

// TaskView is one department's task.
type TaskView struct {
	UnitID       int64                `json:"unit_id"`
	Lead         bool                 `json:"lead"`
	State        caseflow.TaskState   `json:"state"`
	Deadline     *time.Time           `json:"deadline,omitempty"`
	Extensions   int                  `json:"extensions"`
	Request      caseflow.RequestKind `json:"request,omitempty"` // a pending request: return, extension or suspension
	RequestNote  string               `json:"request_note,omitempty"`
	RequestedDue *time.Time           `json:"requested_due,omitempty"`
	DispatchedAt *time.Time           `json:"dispatched_at,omitempty"`
	DoneAt       *time.Time           `json:"done_at,omitempty"`
	// First contact with the requester (a hotline order's lead).
	ContactDue    *time.Time             `json:"contact_due,omitempty"`
	ContactedAt   *time.Time             `json:"contacted_at,omitempty"`
	ContactMethod caseflow.ContactMethod `json:"contact_method,omitempty"`
	// WorkTaken is the working time from dispatch to the report back (to
	// now while the task runs), WorkAllowed from dispatch to the deadline,
	// both in minutes (case detail and lists with the calendar).
	WorkTaken   *int `json:"work_taken_minutes,omitempty"`
	WorkAllowed *int `json:"work_allowed_minutes,omitempty"`
}

// EventView is one line of the timeline.
type EventView struct {
	Seq    int                `json:"seq"`
	Action caseflow.Action    `json:"action"`
	From   caseflow.State     `json:"from,omitempty"`
	To     caseflow.State     `json:"to"`
	Role   caseflow.Role      `json:"role"`
	By     string             `json:"by,omitempty"` // the staff member's name (not a resident's)
	UnitID int64              `json:"unit_id,omitempty"`
	At     time.Time          `json:"at"`
	Reason string             `json:"reason,omitempty"`
	Data   caseflow.EventData `json:"data"`
	// MovedFrom and MovedTo name the street, community and grid of a
	// place put right at registration or dispatch (codes mean nothing to
	// a reader).
	MovedFrom map[string]string `json:"moved_from,omitempty"`
	MovedTo   map[string]string `json:"moved_to,omitempty"`
}

// local shows an instant in Asia/Shanghai; the zero time stays zero.
func local(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(calendar.Shanghai)
}

func opt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	l := t.In(calendar.Shanghai)
	return &l
}

func view(c *caseflow.Case, now time.Time) CaseView {
	v := CaseView{Number: c.Number, State: c.State, Channel: c.Channel, Category: c.CategoryID, Urgency: c.Urgency,
		Description: c.Description, Address: c.Address, Lon: c.Point.Lon, Lat: c.Point.Lat, Place: c.Place,
		ReportedAt: c.ReportedAt.In(calendar.Shanghai), RegisteredAt: opt(c.RegisteredAt), DispatchedAt: opt(c.DispatchedAt),
		ClosedAt: opt(c.ClosedAt), Deadline: opt(c.Deadline), CloseType: c.CloseType, Reworks: c.Reworks,
		DuplicateOf: c.DuplicateOf, Verified: c.Verified, Version: c.Version,
		AnsweredAt: opt(c.AnsweredAt), CallbackDue: opt(c.CallbackDue), Rating: c.Rating, Review: c.Review, ReviewDue: opt(c.ReviewDue)}
	v.Overdue = c.State.Open() && c.State != caseflow.Suspended && !c.Deadline.IsZero() && now.After(c.Deadline)
	for _, t := range c.Tasks {
		v.Tasks = append(v.Tasks, TaskView{UnitID: t.UnitID, Lead: t.Lead, State: t.State, Deadline: opt(t.Deadline), Extensions: t.Extensions,
			Request: t.Request, RequestNote: t.RequestNote, RequestedDue: opt(t.RequestedDue), DispatchedAt: opt(t.DispatchedAt), DoneAt: opt(t.DoneAt),
			ContactDue: opt(t.ContactDue), ContactedAt: opt(t.ContactedAt), ContactMethod: t.ContactMethod})
	}
	return v
}

// caseView is view with the working time left on the working calendar.
func (s *Server) caseView(c *caseflow.Case, now time.Time) CaseView {
	v := view(c, now)
	if c.State.Open() && c.State != caseflow.Suspended && !c.Deadline.IsZero() {
		m := int(s.app.Policy.Calendar().Between(now, c.Deadline) / time.Minute)
		v.WorkLeft = &m
	}
	v.DeadlineProvisional = provisional(s.app.Policy.Calendar(), c)
	cal := s.app.Policy.Calendar()
	for i, t := range c.Tasks {
		if t.DispatchedAt.IsZero() || t.State == caseflow.TaskReturned {
			continue
		}
		end := t.DoneAt
		if end.IsZero() {
			end = now
		}
		taken := int(cal.Between(t.DispatchedAt, end) / time.Minute)
		v.Tasks[i].WorkTaken = &taken
		if !t.Deadline.IsZero() {
			allowed := int(cal.Between(t.DispatchedAt, t.Deadline) / time.Minute)
			v.Tasks[i].WorkAllowed = &allowed
		}
	}
	return v
}

// provisional reports whether a running deadline of c lies in a year the
// calendar has no holiday file for.
func provisional(cal *calendar.Calendar, c *caseflow.Case) bool {
	if !c.State.Open() {
		return false
	}
	ds := []time.Time{c.Deadline}
	for _, t := range c.Tasks {
		if t.State.Active() && t.State != caseflow.TaskDone {
			ds = append(ds, t.Deadline)
		}
	}
	for _, d := range ds {
		if y := d.In(calendar.Shanghai).Year(); !d.IsZero() && len(cal.MissingYears(y, y)) > 0 {
			return true
		}
	}
	return false
}

// caseFilter reads the list and ledger filters; false when it answered 400.
func (s *Server) caseFilter(w http.ResponseWriter, r *http.Request) (store.CaseFilter, bool) {
	q := r.URL.Query()
	f := store.CaseFilter{State: caseflow.State(q.Get("state")), Street: q.Get("street"), Community: q.Get("community"),
		Grid: q.Get("grid"), Category: q.Get("category"), Overdue: q.Get("overdue") == "true", Now: s.app.Now(),
		Text: strings.TrimSpace(q.Get("q"))}
	if q.Get("mine") == "true" {
		f.Reporter = principal(r).AccountID
	}
	if f.State != "" && !f.State.Valid() {
		problem(w, http.StatusBadRequest, "invalid", "state", "unknown state "+strconv.Quote(string(f.State)))
		return f, false
	}
	if ch := caseflow.Channel(q.Get("channel")); ch != "" {
		if !slices.Contains(caseflow.Channels, ch) {
			problem(w, http.StatusBadRequest, "invalid", "channel", "unknown channel "+strconv.Quote(string(ch))+": patrol, hotline, web, open311, import, video or iot")
			return f, false
		}
		f.Channel = ch
	}
	if id := q.Get("queue"); id != "" {
		qu, ok := queueByID(id)
		if !ok {
			problem(w, http.StatusBadRequest, "invalid", "queue", "unknown queue "+strconv.Quote(id)+": see GET /api/v1/queues")
			return f, false
		}
		if f.State != "" || f.Overdue {
			problem(w, http.StatusBadRequest, "invalid", "queue", "a queue comes with its own state: leave out state and overdue")
			return f, false
		}
		qu.apply(&f)
	}
	if len([]rune(f.Text)) > 100 {
		problemWith(w, http.StatusBadRequest, "invalid", "q", map[string]any{"chars": 100}, "the search text is longer than 100 characters")
		return f, false
	}
	if isCaseNumber(f.Text) { // a number, or a day's first digits, is looked up by number
		f.Number, f.Text = f.Text, ""
	} else if ledgerNumber(f.Text) {
		// An imported ledger's own number (PC2025-0001) finds its case.
		if _, err := s.app.Store.CaseByNumber(r.Context(), f.Text); err == nil {
			f.Number, f.Text = f.Text, ""
		}
	}
	if code := q.Get("unit"); code != "" {
		units, err := s.app.Store.Units(r.Context())
		if err != nil {
			fail(w, r, err)
			return f, false
		}
		for _, u := range units {
			if u.Code == code {
				f.UnitID = u.ID
			}
		}
		if f.UnitID == 0 {
			problem(w, http.StatusBadRequest, "invalid", "unit", "unknown unit "+strconv.Quote(code))
			return f, false
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
		next bool
	}{{"from", &f.From, false}, {"to", &f.To, true}} {
		if v := q.Get(d.name); v != "" {
			t, err := time.ParseInLocation(time.DateOnly, v, calendar.Shanghai)
			if err != nil {
				problem(w, http.StatusBadRequest, "invalid", d.name, d.name+" must be a day, YYYY-MM-DD")
				return f, false
			}
			if d.next {
				t = t.AddDate(0, 0, 1) // to is included
			}
			*d.dst = t
		}
	}
	return f, true
}

// isCaseNumber says whether a search is a case number or its start: 6 to
// 13 digits (case numbers are the day and a sequence, 2026112000001).
func isCaseNumber(q string) bool {
	if len(q) < 6 || len(q) > 13 {
		return false
	}
	for _, r := range q {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ledgerNumber says whether a search may be an imported case's own
// number: up to 40 letters, digits and - _ / ., a digit among them.
func ledgerNumber(q string) bool {
	if q == "" || len(q) > 40 || !strings.ContainsAny(q, "0123456789") {
		return false
	}
	for _, r := range q {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("-_/.", r)) {
			return false
		}
	}
	return true
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, ok := s.caseFilter(w, r)
	if !ok {
		return
	}
	scope(principal(r), &f)
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &f.Limit}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				problem(w, http.StatusBadRequest, "invalid", p.name, p.name+" must be a whole number from 1 to 1000")
				return
			}
			*p.dst = n
		}
	}
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			problem(w, http.StatusBadRequest, "invalid", "cursor", "cursor is the next_cursor of a previous page")
			return
		}
		f.Before = n
	}
	cs, err := s.app.Store.Cases(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := struct {
		Cases      []CaseView `json:"cases"`
		NextCursor string     `json:"next_cursor,omitempty"`
		// With count=true: how many cases the whole filter holds, and the
		// most rows its export (GET /api/v1/ledger?format=xlsx) gives.
		Total       *int64 `json:"total,omitempty"`
		ExportLimit int64  `json:"export_limit,omitempty"`
	}{Cases: make([]CaseView, 0, len(cs))}
	if q.Get("count") == "true" {
		n, err := s.app.Store.CountMatching(r.Context(), f)
		if err != nil {
			fail(w, r, err)
			return
		}
		out.Total, out.ExportLimit = &n, exportLimit.Load()
	}
	now := s.app.Now()
	for i := range cs {
		out.Cases = append(out.Cases, s.caseView(&cs[i], now))
	}
	lim := f.Limit
	if lim == 0 {
		lim = 50
	}
	if len(cs) == lim {
		out.NextCursor = strconv.FormatInt(cs[len(cs)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request) {
	c, err := s.app.Store.CaseByNumber(r.Context(), r.PathValue("number"))
	if err != nil {
		fail(w, r, err)
		return
	}
	if !access.CanSee(principal(r), c) {
		s.outOfScope(r, principal(r))
		problem(w, http.StatusNotFound, "not_found", "", "no such case")
		return
	}
	evs, err := s.app.Store.Events(r.Context(), c.ID)
	if err != nil {
		fail(w, r, err)
		return
	}
	ws, err := s.app.Store.CaseWatches(r.Context(), c.ID)
	if err != nil {
		fail(w, r, err)
		return
	}
	v := s.caseView(c, s.app.Now())
	v.Actions = access.Actions(principal(r), c)
	if v.PlaceNames, err = s.placeNames(r.Context(), c.Place); err != nil {
		fail(w, r, err)
		return
	}
	if v.Repeats, err = s.app.Store.Repeats(r.Context(), c.ID); err != nil {
		fail(w, r, err)
		return
	}
	for _, wt := range ws {
		v.Deadlines = append(v.Deadlines, DeadlineView{Step: wt.Step, UnitID: wt.UnitID, Deadline: wt.Deadline.In(calendar.Shanghai),
			Status: stageNames[min(wt.Stage, len(stageNames)-1)], Next: opt(wt.NextAt)})
	}
	names := map[int64]string{} // staff who acted, by account
	for _, e := range evs {
		by := ""
		if id := e.Actor.AccountID; id != 0 && e.Actor.Role != caseflow.Resident {
			if _, ok := names[id]; !ok {
				if acc, err := s.app.Store.AccountByID(r.Context(), id); err == nil {
					names[id] = acc.Name
				} else if !errors.Is(err, store.ErrNotFound) {
					fail(w, r, err)
					return
				}
			}
			by = names[id]
		}
		if e.Action == caseflow.ActMeToo {
			v.MeToo++
		}
		ev := EventView{Seq: e.Seq, Action: e.Action, From: e.FromState, To: e.ToState,
			Role: e.Actor.Role, By: by, UnitID: e.Actor.UnitID, At: e.At.In(calendar.Shanghai), Reason: e.Reason, Data: e.Data}
		if k := e.Data.Corrected; k != nil && k.FromPlace != nil && k.ToPlace != nil {
			if ev.MovedFrom, err = s.placeNames(r.Context(), *k.FromPlace); err == nil {
				ev.MovedTo, err = s.placeNames(r.Context(), *k.ToPlace)
			}
			if err != nil {
				fail(w, r, err)
				return
			}
		}
		v.Timeline = append(v.Timeline, ev)
	}
	if err := s.mergeTrail(r, c, &v); err != nil {
		fail(w, r, err)
		return
	}
	v.ReporterReachable = access.CanReachReporter(principal(r), c) && (c.Reporter != caseflow.Reporter{})
	writeJSON(w, http.StatusOK, v)
}

// mergeTrail names the case c was merged into and the cases merged into
// it, both ways, as far as the reader may see them.
func (s *Server) mergeTrail(r *http.Request, c *caseflow.Case, v *CaseView) error {
	p := principal(r)
	if c.DuplicateOf != 0 {
		parent, err := s.app.Store.Case(r.Context(), c.DuplicateOf)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err == nil && access.CanSee(p, parent) {
			v.DuplicateOfNumber = parent.Number
		}
	}
	if v.Repeats == 0 {
		return nil
	}
	numbers, err := s.app.Store.MergedInto(r.Context(), c.ID, 50)
	if err != nil {
		return err
	}
	for _, n := range numbers {
		child, err := s.app.Store.CaseByNumber(r.Context(), n)
		if err != nil {
			return err
		}
		if access.CanSee(p, child) {
			v.Merged = append(v.Merged, n)
		}
	}
	return nil
}

// caseReporter answers the reporter's name and phone to the roles that
// call reporters back; every answer is in the audit log. A case the reader
// may not see answers as an absent one.
func (s *Server) caseReporter(w http.ResponseWriter, r *http.Request, p access.Principal) {
	c, err := s.app.Store.CaseByNumber(r.Context(), r.PathValue("number"))
	if err != nil {
		fail(w, r, err)
		return
	}
	if !access.CanSee(p, c) {
		s.outOfScope(r, p)
		problem(w, http.StatusNotFound, "not_found", "", "no such case")
		return
	}
	if !access.CanReachReporter(p, c) {
		problem(w, http.StatusForbidden, "forbidden", "", "only 12345 operators and dispatchers, who call reporters back, see their contact")
		return
	}
	out := map[string]string{"name": c.Reporter.Name, "phone": c.Reporter.Phone}
	if id := c.Reporter.AccountID; id != 0 {
		acc, err := s.app.Store.AccountByID(r.Context(), id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			fail(w, r, err)
			return
		}
		if err == nil {
			out["name"], out["username"], out["role"] = acc.Name, acc.Username, string(acc.Role)
			if out["phone"] == "" {
				out["phone"] = acc.Phone
			}
		}
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "reporter_viewed", client(r), c.Number)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// readerLang is the language the reader asked for: ?lang= (the UI
// sends its own), else the browser's Accept-Language.
func readerLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		return notify.Lang(l)
	}
	return notify.Lang(r.Header.Get("Accept-Language"))
}

// inbox is the signed-in person's inbox: what is new, due and overdue.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			problem(w, http.StatusBadRequest, "invalid", "limit", "limit must be a whole number from 1 to 500")
			return
		}
		limit = n
	}
	in, err := s.app.Store.Inbox(r.Context(), recipient(principal(r)), s.app.Now(), limit)
	if err != nil {
		fail(w, r, err)
		return
	}
	lang := readerLang(r)
	for i := range in.New {
		n := &in.New[i]
		n.At, n.Due, n.ReadAt = local(n.At), local(n.Due), local(n.ReadAt)
		if n.Text = n.Title; n.Params != nil || n.Title == "" {
			n.Text = notify.Render(lang, n.Kind, n.Params)
		}
	}
	for _, l := range [][]store.DueItem{in.Due, in.Overdue} {
		for i := range l {
			l[i].Deadline = local(l[i].Deadline)
		}
	}
	writeJSON(w, http.StatusOK, in)
}

// recipient is whose inbox p reads. Notices go to a unit, and a unit's
// people may see less than it does (a grid worker employed by the street
// office): only lines about cases the reader may see, counted, listed and
// marked read the same way.
func recipient(p access.Principal) store.Recipient {
	return store.Recipient{AccountID: p.AccountID, UnitID: p.UnitID, Role: p.Role, Centre: p.UnitKind == org.KindCentre,
		Scope: store.CaseScope(access.ScopeOf(p))}
}

// markRead marks inbox lines read: the ids given, or every unread line
// with all; it answers how many it marked and how many stay unread.
func (s *Server) markRead(w http.ResponseWriter, r *http.Request, p access.Principal) {
	var in struct {
		IDs []int64 `json:"ids"`
		All bool    `json:"all"`
	}
	if !decode(w, r, &in) {
		return
	}
	switch {
	case len(in.IDs) == 0 && !in.All:
		problem(w, http.StatusBadRequest, "required", "ids", "name the lines to mark read in ids, or send all: true")
		return
	case len(in.IDs) > 0 && in.All:
		problem(w, http.StatusBadRequest, "invalid", "ids", "send ids or all, not both")
		return
	case len(in.IDs) > 500:
		problemWith(w, http.StatusBadRequest, "invalid", "ids", map[string]any{"items": 500}, "at most 500 ids at a time")
		return
	}
	rcp := recipient(p)
	n, err := s.app.Store.MarkRead(r.Context(), rcp, in.IDs, s.app.Now())
	if err != nil {
		fail(w, r, err)
		return
	}
	unread, err := s.app.Store.Unread(r.Context(), rcp)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"marked": n, "unread": unread})
}

// route is the dispatch table's dry run: where a report of a category at
// a point would go, by which rule, and every rule that matched.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lon, lat, ok := lonLat(w, q.Get("lon"), q.Get("lat"))
	if !ok {
		return
	}
	cat := q.Get("category")
	if cat == "" {
		problem(w, http.StatusBadRequest, "required", "category", "name the category, e.g. category=M06011")
		return
	}
	var returned []int64
	if n := q.Get("case"); n != "" { // a case dispatched again: not to those who returned it
		c, err := s.app.Store.CaseByNumber(r.Context(), n)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			fail(w, r, err)
			return
		}
		if err != nil || !access.CanSee(principal(r), c) {
			problem(w, http.StatusBadRequest, "invalid", "case", "no case "+n)
			return
		}
		returned = c.ReturnedBy()
	}
	res, err := s.app.Route(lon, lat, cat, q.Get("ownership"), returned)
	if errors.Is(err, routing.ErrAllReturned) {
		problem(w, http.StatusUnprocessableEntity, "all_returned", "case", "every department the dispatch table names has returned this case: choose the departments by hand")
		return
	}
	if errors.Is(err, places.ErrOutside) {
		problem(w, http.StatusUnprocessableEntity, "invalid", "lon", fmt.Sprintf("the point %.6f,%.6f is outside the jurisdiction", lon, lat))
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// lonLat reads coordinates, answering 400 naming the bad one.
func lonLat(w http.ResponseWriter, los, las string) (float64, float64, bool) {
	lon, err1 := strconv.ParseFloat(los, 64)
	lat, err2 := strconv.ParseFloat(las, 64)
	switch {
	case los == "" || err1 != nil || math.IsNaN(lon) || lon < -180 || lon > 180:
		problem(w, http.StatusBadRequest, "invalid", "lon", "lon must be a longitude in degrees (WGS84), -180 to 180")
	case las == "" || err2 != nil || math.IsNaN(lat) || lat < -90 || lat > 90:
		problem(w, http.StatusBadRequest, "invalid", "lat", "lat must be a latitude in degrees (WGS84), -90 to 90")
	default:
		return lon, lat, true
	}
	return 0, 0, false
}

// duplicates are the candidates for a report being written: category and
// point.
func (s *Server) duplicates(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lon, lat, ok := lonLat(w, q.Get("lon"), q.Get("lat"))
	if !ok {
		return
	}
	if q.Get("category") == "" {
		problem(w, http.StatusBadRequest, "required", "category", "name the category, e.g. category=M06011")
		return
	}
	s.writeDuplicates(w, r, q.Get("category"), lon, lat, 0)
}

// caseDuplicates are the candidates for an existing case.
func (s *Server) caseDuplicates(w http.ResponseWriter, r *http.Request) {
	c, err := s.app.Store.CaseByNumber(r.Context(), r.PathValue("number"))
	if err != nil {
		fail(w, r, err)
		return
	}
	s.writeDuplicates(w, r, c.CategoryID, c.Point.Lon, c.Point.Lat, c.ID)
}

func (s *Server) writeDuplicates(w http.ResponseWriter, r *http.Request, cat string, lon, lat float64, exclude int64) {
	ns, radius, err := s.app.Duplicates(r.Context(), cat, lon, lat, exclude)
	if errors.Is(err, sql.ErrNoRows) {
		problem(w, http.StatusBadRequest, "invalid", "category", "unknown category "+cat)
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	p := principal(r)
	f := store.CaseFilter{}
	scope(p, &f)
	visible := ns[:0]
	for _, n := range ns {
		if f.Grids != nil && !slices.Contains(f.Grids, n.UnitGrid[:min(14, len(n.UnitGrid))]) {
			continue
		}
		if f.Street != "" && n.Street != f.Street {
			continue
		}
		if f.UnitID != 0 {
			continue // departments do not compose reports
		}
		n.ReportedAt = local(n.ReportedAt)
		visible = append(visible, n)
	}
	ns = visible
	writeJSON(w, http.StatusOK, map[string]any{"radius_m": radius, "window_days": int(app.DuplicateWindow.Hours() / 24), "candidates": ns})
}

// bbox reads "min_lon,min_lat,max_lon,max_lat".
func bbox(w http.ResponseWriter, v string) (store.Bound, bool) {
	var b store.Bound
	parts := strings.Split(v, ",")
	var fs []float64
	for _, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			break
		}
		fs = append(fs, f)
	}
	if len(parts) != 4 || len(fs) != 4 {
		problem(w, http.StatusBadRequest, "invalid", "bbox", "bbox must be min_lon,min_lat,max_lon,max_lat in degrees")
		return b, false
	}
	b = store.Bound{MinLon: fs[0], MinLat: fs[1], MaxLon: fs[2], MaxLat: fs[3]}
	if err := b.Valid(); err != nil {
		problem(w, http.StatusBadRequest, "invalid", "bbox", err.Error())
		return b, false
	}
	return b, true
}

// intParam reads an optional whole number in [lo, hi].
func intParam(w http.ResponseWriter, q url.Values, name string, def, lo, hi int) (int, bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		problem(w, http.StatusBadRequest, "invalid", name, fmt.Sprintf("%s must be a whole number from %d to %d", name, lo, hi))
		return 0, false
	}
	return n, true
}

// hotspots lists recurring problems (长效): ≥ min cases of one category
// within radius metres in the last days days.
func (s *Server) hotspots(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.HotspotFilter{Street: q.Get("street"), Category: q.Get("category"), To: s.app.Now()}
	days, ok := intParam(w, q, "days", 30, 1, 366)
	if !ok {
		return
	}
	radius, ok := intParam(w, q, "radius", 100, 10, 2000)
	if !ok {
		return
	}
	if f.Min, ok = intParam(w, q, "min", 3, 2, 1000); !ok {
		return
	}
	f.From, f.Radius = f.To.Add(-time.Duration(days)*24*time.Hour), float64(radius)
	if v := q.Get("bbox"); v != "" {
		b, ok := bbox(w, v)
		if !ok {
			return
		}
		f.Box = &b
	}
	hs, err := s.app.Store.Hotspots(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	for i := range hs {
		hs[i].First, hs[i].Last = local(hs[i].First), local(hs[i].Last)
	}
	writeJSON(w, http.StatusOK, map[string]any{"days": days, "radius_m": radius, "min": f.Min, "hotspots": append([]store.Hotspot{}, hs...)})
}

// mapCases is the map layer: points in a box, or counts per unit grid when
// there are more than limit.
func (s *Server) mapCases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	b, ok := bbox(w, q.Get("bbox"))
	if !ok {
		return
	}
	limit, ok := intParam(w, q, "limit", 2000, 1, 10000)
	if !ok {
		return
	}
	f := store.MapFilter{Box: b, OpenOnly: q.Get("state") != "all", Category: q.Get("category"), Limit: limit}
	res, err := s.app.Store.Map(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	for i := range res.Points {
		res.Points[i].ReportedAt = local(res.Points[i].ReportedAt)
	}
	writeJSON(w, http.StatusOK, res)
}

// dispatchRules answers the dispatch table and the streets and
// communities its areas name, so pages can show and pick them by name.
func (s *Server) dispatchRules(w http.ResponseWriter, r *http.Request) {
	divs, err := s.app.Store.Divisions(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	areas := []places.Division{}
	for _, d := range divs {
		if d.Level == places.LevelStreet || d.Level == places.LevelCommunity {
			areas = append(areas, d)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": s.app.Routes().Rules(), "areas": areas})
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	n, err := s.app.Store.CountCases(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	var total int64
	for _, v := range n {
		total += v
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "by_state": n, "unit_grids": s.app.Index().Len()})
}

var stateNames = map[caseflow.State]string{
	caseflow.Reported: "待立案", caseflow.Registered: "待派遣", caseflow.Dispatched: "待签收", caseflow.InProgress: "处置中",
	caseflow.Suspended: "挂账", caseflow.PendingCheck: "待核查", caseflow.PendingClose: "待结案", caseflow.Closed: "已结案", caseflow.Voided: "已作废",
}

var indexTmpl = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>绣花 · 平城区城市精细化管理</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2rem;max-width:60rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;font-size:.9rem}
.n{font-variant-numeric:tabular-nums;text-align:right}.muted{color:#777}</style></head><body>
<h1>绣花 Xiuhua</h1>
<p>平城区城市精细化管理 · fine-grained city management for Pingcheng District, Datong</p>
<p><a href="/app"><b>进入工作台 Open the staff app</b></a> · <a href="/board"><b>问题挂牌 Public board</b></a> · <a href="/board#report">我要反映 Report a problem</a></p>
<p class="muted">街道、社区为国家统计局 2023 年区划；街道和社区的范围、网格为生成的示意区域，非官方边界。
Streets and communities are the NBS 2023 divisions; their areas and the grids are generated, not official boundaries.</p>
<h2>案件 Cases: {{.Total}}</h2>
<table><tr><th>状态 State</th><th class="n">数量 Count</th></tr>
{{range .States}}<tr><td>{{.Name}} <span class="muted">{{.Code}}</span></td><td class="n">{{.N}}</td></tr>{{end}}
</table>
<h2>最新公开问题 Latest public problems</h2>
<table><tr><th>编号 No.</th><th>问题 Problem</th><th>地点 Where</th><th>状态 State</th></tr>
{{range .Latest}}<tr><td><a href="/board#follow/{{.Number}}">{{.Number}}</a></td><td>{{.Text}}</td><td>{{.Where}}</td><td>{{.State}}</td></tr>{{end}}
</table>
<p class="muted">{{if .User}}已登录 Signed in: {{.User}} · <a href="/api/v1/cases">/api/v1/cases</a> · <a href="/api/v1/inbox">/api/v1/inbox</a> · <a href="/api/v1/ledger">/api/v1/ledger</a>{{if .Wide}} · <a href="/api/v1/evaluations?group=street&amp;period={{.Month}}">/api/v1/evaluations</a> · <a href="/reports/monthly?period={{.Month}}">月度报告 monthly report</a>{{end}}{{else}}<a href="/login">登录 Sign in</a> to read cases, ledgers and evaluations.{{end}}
· <a href="/api/v1/stats">/api/v1/stats</a> · <a href="/healthz">/healthz</a></p>
</body></html>`))

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	n, err := s.app.Store.CountCases(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	latest, err := s.latestPublic(r.Context(), 20)
	if err != nil {
		fail(w, r, err)
		return
	}
	type row struct {
		Name, Code string
		N          int64
	}
	data := struct {
		Total  int64
		States []row
		Latest []latestRow
		User   string
		Wide   bool
		Month  string
	}{Month: s.app.Now().In(calendar.Shanghai).AddDate(0, -1, 0).Format("2006-01")}
	if c, err := r.Cookie(sessionCookie); err == nil {
		if p, _, err := s.app.SessionPrincipal(r.Context(), c.Value); err == nil {
			w.Header().Set("Cache-Control", "no-store") // it names who is signed in
			data.User = p.Username + " (" + string(p.Role) + ")"
			data.Wide = slices.Contains([]caseflow.Role{caseflow.Admin, caseflow.Dispatcher, caseflow.Operator, caseflow.Leader}, p.Role)
		}
	}
	for _, st := range caseflow.States {
		data.States = append(data.States, row{stateNames[st], string(st), n[st]})
		data.Total += n[st]
	}
	data.Latest = latest
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := indexTmpl.Execute(w, data); err != nil {
		slog.Error("index", "err", err)
	}
}

type latestRow struct{ Number, Text, Where, State string }

// latestPublic is the home page's newest public problems, as package
// publish lets them through: verified text (masked) or the category's
// name, street and community.
func (s *Server) latestPublic(ctx context.Context, n int) ([]latestRow, error) {
	cats, err := s.publicCategories(ctx)
	if err != nil {
		return nil, err
	}
	divs, err := s.app.Store.Divisions(ctx)
	if err != nil {
		return nil, err
	}
	dn := map[string]string{}
	for _, d := range divs {
		dn[d.Code] = d.Name
	}
	var out []latestRow
	f := store.CaseFilter{Limit: 200}
	for page := 0; page < 5 && len(out) < n; page++ { // bounded: a district of hidden cases still answers fast
		cs, err := s.app.Store.Cases(ctx, f)
		if err != nil {
			return nil, err
		}
		for i := range cs {
			c := &cs[i]
			pv := publish.Decide(c, cats[c.CategoryID] != "", publish.List)
			if !pv.Show || len(out) == n {
				continue
			}
			text := publish.Text(c, pv)
			if text == "" {
				text = cats[c.CategoryID]
			}
			out = append(out, latestRow{Number: c.Number, Text: text, Where: strings.TrimSpace(dn[c.Place.Street] + " " + dn[c.Place.Community]), State: stateNames[c.State]})
		}
		if len(cs) < f.Limit {
			break
		}
		f.Before = cs[len(cs)-1].ID
	}
	return out, nil
}
