package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/hotline"
	"github.com/xiuhua/xiuhua/internal/routing"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Signing in and the write API of the case loop. A session is a cookie
// (HttpOnly, SameSite=Lax, Secure over TLS: setSession) and writes made with it need
// the session's CSRF token in X-CSRF-Token; integrations send
// "Authorization: Bearer <API token>" instead.

const sessionCookie = "xiuhua_session"

// maxBody bounds every JSON body.
const maxBody = 64 << 10

func client(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type principalKey struct{}

// screenRoute marks a request to a route a screen token may read.
type screenRoute struct{}

// authed resolves the principal from a bearer token or the session cookie
// (checking CSRF on writes), answering 401 or 403 itself.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, access.Principal)) http.HandlerFunc {
	inner := h
	h = func(w http.ResponseWriter, r *http.Request, p access.Principal) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			inner(w, r, p)
			return
		}
		// The writer's next read must show the write (the read cache).
		s.cache.writeStart(p.AccountID)
		defer func() { s.cache.writeEnd(p.AccountID, s.app.Store.Generation()) }()
		inner(w, r, p)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		w.Header().Set("Cache-Control", "no-store") // private answers stay out of every cache
		if auth := r.Header.Get("Authorization"); auth != "" {
			token, ok := strings.CutPrefix(auth, "Bearer ")
			p, err := s.app.TokenPrincipal(ctx, strings.TrimSpace(token))
			if !ok || err != nil {
				_ = s.app.Store.Audit(ctx, s.app.Now(), "", 0, "token_refused", client(r), r.Method+" "+r.URL.Path)
				problem(w, http.StatusUnauthorized, "unauthenticated", "Authorization", "the API token is unknown or revoked")
				return
			}
			if p.Scope != "" && !(p.Scope == access.ScopeScreen && r.Context().Value(screenRoute{}) != nil) {
				_ = s.app.Store.Audit(ctx, s.app.Now(), p.Username, p.AccountID, "forbidden", client(r), r.Method+" "+r.URL.Path+": a "+p.Scope+" token")
				problem(w, http.StatusForbidden, "token_scope", "Authorization", "this token is narrowed to the "+p.Scope+" scope and reaches only its routes (a screen token: GET /api/v1/dashboard)")
				return
			}
			h(w, r, p)
			return
		}
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			problem(w, http.StatusUnauthorized, "unauthenticated", "", "sign in first (POST /api/v1/session) or send an API token")
			return
		}
		p, csrf, err := s.app.SessionPrincipal(ctx, c.Value)
		if err != nil {
			problem(w, http.StatusUnauthorized, "unauthenticated", "", "the session has ended; sign in again")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CSRF-Token")), []byte(csrf)) != 1 {
			_ = s.app.Store.Audit(ctx, s.app.Now(), p.Username, p.AccountID, "csrf_refused", client(r), r.Method+" "+r.URL.Path)
			problem(w, http.StatusForbidden, "csrf", "X-CSRF-Token", "send the session's csrf_token in X-CSRF-Token")
			return
		}
		h(w, r.WithContext(context.WithValue(ctx, principalKey{}, c.Value)), p)
	}
}

// decode reads a JSON body strictly: size-limited, no unknown fields.
// jsonKind names a Go type as JSON does: what a client sent wrong.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "object"
}

func aJSONKind(t reflect.Type) string {
	switch k := jsonKind(t); k {
	case "array", "integer", "object":
		return "an " + k
	default:
		return "a " + k
	}
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		problem(w, http.StatusUnsupportedMediaType, "invalid", "Content-Type", "send application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var ute *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &mbe):
			problem(w, http.StatusRequestEntityTooLarge, "too_large", "", fmt.Sprintf("the body is larger than %d KB", maxBody>>10))
		case errors.As(err, &ute) && ute.Field == "":
			problem(w, http.StatusBadRequest, "invalid", "", "the body must be a JSON "+jsonKind(ute.Type))
		case errors.As(err, &ute):
			problem(w, http.StatusBadRequest, "invalid", ute.Field, fmt.Sprintf("%s must be %s, not %s", ute.Field, aJSONKind(ute.Type), ute.Value))
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			problem(w, http.StatusBadRequest, "invalid", "", "the body is not valid JSON")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			problem(w, http.StatusBadRequest, "invalid", f, "unknown field "+f)
		default:
			problem(w, http.StatusBadRequest, "invalid", "", err.Error())
		}
		return false
	}
	if dec.More() {
		problem(w, http.StatusBadRequest, "invalid", "", "one JSON object, please")
		return false
	}
	return true
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := loginCSRF.Check(r); err != nil {
		_ = s.app.Store.Audit(r.Context(), s.app.Now(), "", 0, "csrf_refused", client(r), r.Method+" "+r.URL.Path)
		problem(w, http.StatusForbidden, "csrf", "Origin", "sign in from this site's own pages")
		return
	}
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if !decode(w, r, &in) {
		return
	}
	token, csrf, p, err := s.app.Login(r.Context(), in.Username, in.Password, client(r))
	switch {
	case errors.Is(err, app.ErrThrottled):
		retryAfter(w, err)
		problem(w, http.StatusTooManyRequests, "throttled", "username", err.Error())
		return
	case errors.Is(err, app.ErrBadLogin):
		problem(w, http.StatusUnauthorized, "wrong_login", "password", err.Error())
		return
	case err != nil:
		fail(w, r, err)
		return
	}
	s.endPresentedSession(r)
	setSession(w, r, token)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"csrf_token": csrf, "me": p})
}

// retryAfter says in Retry-After how long a throttled login waits.
func retryAfter(w http.ResponseWriter, err error) {
	var te *app.ThrottledError
	if errors.As(err, &te) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(te.Wait.Seconds()))))
	}
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p access.Principal) {
	if token, ok := r.Context().Value(principalKey{}).(string); ok {
		if err := s.app.Logout(r.Context(), token, p, client(r)); err != nil {
			fail(w, r, err)
			return
		}
	}
	setSession(w, r, "")
	w.WriteHeader(http.StatusNoContent)
}

// me is the signed-in person; a browser session also gets its CSRF token
// back (a same-origin read), so a reloaded page can keep writing.
func (s *Server) me(w http.ResponseWriter, r *http.Request, p access.Principal) {
	out := struct {
		access.Principal
		CSRF string `json:"csrf_token,omitempty"`
	}{Principal: p}
	if token, ok := r.Context().Value(principalKey{}).(string); ok {
		if _, csrf, err := s.app.SessionPrincipal(r.Context(), token); err == nil {
			out.CSRF = csrf
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// refused records a permission refusal in the audit log and answers it.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, p access.Principal, err error) {
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "forbidden", client(r), r.Method+" "+r.URL.Path+": "+err.Error())
	fail(w, r, err)
}

// callerCases is a caller's earlier orders, newest first, for the hotline
// desk while the call is on (the repeats of a matter among them); every
// look is audited, a phone number being personal data.
func (s *Server) callerCases(w http.ResponseWriter, r *http.Request, p access.Principal) {
	phone, ok := caseflow.Phone(r.PathValue("phone"))
	if !ok {
		problem(w, http.StatusBadRequest, "invalid", "phone", "not a phone number: a mobile (13912345678) or a landline with its area code (0352-1234567)")
		return
	}
	f := store.CaseFilter{Phone: phone, Now: s.app.Now(), Limit: 20}
	total, err := s.app.Store.CountMatching(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	cs, err := s.app.Store.Cases(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := struct {
		Total int64      `json:"total"`
		Cases []CaseView `json:"cases"`
	}{Total: total, Cases: make([]CaseView, 0, len(cs))}
	for i := range cs {
		out.Cases = append(out.Cases, s.caseView(&cs[i], f.Now))
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "caller_history", client(r), fmt.Sprintf("%s: %d orders", phone, total))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// report files a case. An Idempotency-Key header makes a retry return the
// first case (200) instead of creating a second (201).
func (s *Server) report(w http.ResponseWriter, r *http.Request, p access.Principal) {
	var in struct {
		Category    string           `json:"category"`
		Urgency     caseflow.Urgency `json:"urgency"`
		Channel     caseflow.Channel `json:"channel"`
		Description string           `json:"description"`
		Address     string           `json:"address"`
		Lon         *float64         `json:"lon"`
		Lat         *float64         `json:"lat"`
		Photos      []string         `json:"photos"`
		// The hotline desk: the caller, what they ask for, the five elements.
		deskCall
		// Answers to the category's questions (code → value).
		Attributes map[string]string `json:"attributes"`
	}
	if !decode(w, r, &in) {
		return
	}
	if !checkReport(w, in.Category, in.Lon, in.Lat, in.Description) || !s.knownPhotos(w, r, in.Photos) {
		return
	}
	reporter := caseflow.Reporter{AccountID: p.AccountID}
	intake, no := in.deskCall.intake(p, &reporter)
	if no != nil {
		problemWith(w, http.StatusBadRequest, no.Code, no.Field, no.Params, no.Detail)
		return
	}
	if intake != nil && in.Channel == "" {
		in.Channel = caseflow.ChannelHotline
	}
	if in.Urgency != "" && !in.Urgency.Valid() {
		problem(w, http.StatusBadRequest, "invalid", "urgency", "urgency must be normal, urgent or immediate")
		return
	}
	if in.Channel != "" && (!slices.Contains(caseflow.Channels, in.Channel) || in.Channel.Machine()) {
		problem(w, http.StatusBadRequest, "invalid", "channel", "channel is one of patrol, hotline, web, open311 (import is the ledger import's, video and iot the alarm intake's)")
		return
	}
	if in.Channel == "" {
		in.Channel = caseflow.ChannelPatrol
		if p.Role == caseflow.Operator {
			in.Channel = caseflow.ChannelHotline
		}
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 {
		problem(w, http.StatusBadRequest, "invalid", "Idempotency-Key", "the key is longer than 200 characters")
		return
	}
	c, created, err := s.app.ReportAs(r.Context(), app.ReportInput{Channel: in.Channel, CategoryID: in.Category, Urgency: in.Urgency,
		Description: in.Description, Address: in.Address, Lon: *in.Lon, Lat: *in.Lat,
		Reporter: reporter, Photos: in.Photos, Intake: intake, Attributes: in.Attributes}, p, key)
	var ce *caseflow.Error
	if errors.As(err, &ce) && (ce.Code == caseflow.CodeWrongRole || ce.Code == caseflow.CodeNotYours) {
		s.refused(w, r, p, err)
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/api/v1/cases/"+c.Number)
	writeJSON(w, status, s.caseView(c, s.app.Now()))
}

// deskCall is the hotline desk's part of a report: what the caller asks
// for, the caller, and the five elements beside the place and the
// description (POST /api/v1/cases; Open311 posts it as form fields).
type deskCall struct {
	RequestType caseflow.RequestType `json:"request_type"`
	Caller      *deskCaller          `json:"caller"`
	Elements    *caseflow.Elements   `json:"elements"`
}

// deskCaller is who called: kept for staff only.
type deskCaller struct {
	Name      string `json:"name"`
	Phone     string `json:"phone"`
	Anonymous bool   `json:"anonymous"`
	Callback  *bool  `json:"callback"`
	// Updates: the caller agreed to hear by SMS when the order is
	// registered, answered and closed (a mobile number is needed).
	Updates bool `json:"updates"`
}

// refusal is a 400 to answer, naming the field.
type refusal struct {
	Code, Field, Detail string
	Params              map[string]any
}

// any says whether the report carries anything of the desk's.
func (d deskCall) any() bool { return d.Caller != nil || d.RequestType != "" || d.Elements != nil }

// intake checks the desk's part of a report by p and puts the caller on
// reporter; nil when the report has none. Only the hotline desk
// (operators, dispatchers) records a call.
func (d deskCall) intake(p access.Principal, reporter *caseflow.Reporter) (*caseflow.Intake, *refusal) {
	if !d.any() {
		return nil, nil
	}
	if p.Role != caseflow.Operator && p.Role != caseflow.Dispatcher {
		return nil, &refusal{Code: "invalid", Field: "caller", Detail: "only the hotline desk (operators, dispatchers) records a caller and a request type"}
	}
	if !slices.Contains(caseflow.RequestTypes, d.RequestType) {
		return nil, &refusal{Code: "invalid", Field: "request_type", Detail: "request_type is one of complaint, help, enquiry, tip_off, suggestion, praise"}
	}
	intake := &caseflow.Intake{Type: d.RequestType}
	if e := d.Elements; e != nil {
		e.When, e.Who, e.Matter = strings.TrimSpace(e.When), strings.TrimSpace(e.Who), strings.TrimSpace(e.Matter)
		for _, x := range []struct{ field, v string }{{"elements.when", e.When}, {"elements.who", e.Who}, {"elements.matter", e.Matter}} {
			if len([]rune(x.v)) > caseflow.MaxElement {
				return nil, &refusal{Code: "invalid", Field: x.field, Params: map[string]any{"chars": caseflow.MaxElement}, Detail: fmt.Sprintf("at most %d characters", caseflow.MaxElement)}
			}
		}
		if *e != (caseflow.Elements{}) {
			intake.Elements = e
		}
	}
	if c := d.Caller; c != nil {
		name, phone, no := c.check()
		switch {
		case no != nil:
			return nil, no
		case c.Callback != nil && *c.Callback && phone == "":
			return nil, &refusal{Code: "required", Field: "caller.phone", Detail: "a caller who accepts a callback needs a phone number"}
		case c.Updates && !caseflow.Mobile(phone):
			return nil, &refusal{Code: "invalid", Field: "caller.updates", Detail: "progress by SMS needs a mobile number"}
		}
		reporter.Updates = c.Updates
		if c.Anonymous {
			name = ""
		}
		reporter.Name, reporter.Phone = name, phone
		intake.Anonymous, intake.NoCallback = c.Anonymous, c.Callback != nil && !*c.Callback
	}
	return intake, nil
}

// check reads the caller's name and phone as given: a name of at most 50
// characters, a phone that is one.
func (c deskCaller) check() (name, phone string, no *refusal) {
	name = strings.TrimSpace(c.Name)
	phone, valid := caseflow.Phone(c.Phone)
	switch {
	case len([]rune(name)) > 50:
		return "", "", &refusal{Code: "invalid", Field: "caller.name", Params: map[string]any{"chars": 50}, Detail: "the caller's name is longer than 50 characters"}
	case phone != "" && !valid:
		return "", "", &refusal{Code: "invalid", Field: "caller.phone", Detail: "not a phone number: a mobile (13912345678) or a landline with its area code (0352-1234567)"}
	}
	return name, phone, nil
}

// checkReport answers 400 for what every report needs: a category, a
// point and a description of bounded length.
func checkReport(w http.ResponseWriter, category string, lon, lat *float64, description string) bool {
	switch {
	case category == "":
		problem(w, http.StatusBadRequest, "required", "category", "category is required, e.g. M06011")
	case lon == nil || lat == nil:
		problem(w, http.StatusBadRequest, "required", "lon", "lon and lat (WGS84) are required")
	case len([]rune(description)) > 2000:
		problemWith(w, http.StatusBadRequest, "invalid", "description", map[string]any{"chars": 2000}, "description is longer than 2,000 characters")
	default:
		return true
	}
	return false
}

// actionInput is a transition's body; units are named by code and cases by
// number, as people know them.
type actionInput struct {
	Version     int        `json:"version"`
	Reason      string     `json:"reason"`
	Note        string     `json:"note"`
	Photos      []string   `json:"photos"`
	TaskUnit    string     `json:"task_unit"`
	DuplicateOf string     `json:"duplicate_of"`
	Deadline    *time.Time `json:"deadline"`
	Special     bool       `json:"special"`
	Found       *bool      `json:"found"`
	Satisfied   *bool      `json:"satisfied"`
	Solved      *bool      `json:"solved"`
	// The hotline's steps: first contact (when, how), the answer's public
	// reply, a callback's attempt and rating, a review's decision.
	ContactedAt *time.Time             `json:"contacted_at"`
	Method      caseflow.ContactMethod `json:"method"`
	Reply       string                 `json:"reply"`
	Reach       caseflow.Reach         `json:"reach"`
	Rating      caseflow.Rating        `json:"rating"`
	Justified   *bool                  `json:"justified"`
	Assignments []struct {
		Unit string `json:"unit"`
		Lead bool   `json:"lead"`
	} `json:"assignments"`
	Auto bool `json:"auto"` // dispatch by the dispatch table
	// Register and dispatch: the report's category or place, corrected.
	Category string   `json:"category"`
	Lon      *float64 `json:"lon"`
	Lat      *float64 `json:"lat"`
	// Answer: the knowledge points the answer used (their ids).
	Knowledge []int64 `json:"knowledge"`
	// Arbitrate: also add the dispatch rule the decision implies.
	AddRule bool `json:"add_rule"`
}

// act makes one transition of the case loop; a stale version gets 409.
func (s *Server) act(w http.ResponseWriter, r *http.Request, p access.Principal) {
	ctx := r.Context()
	a := caseflow.Action(r.PathValue("action"))
	if _, ok := caseflow.RuleFor(a); !ok || a == caseflow.ActReport {
		problem(w, http.StatusNotFound, "not_found", "action", "no action "+string(a))
		return
	}
	c, err := s.app.Store.CaseByNumber(ctx, r.PathValue("number"))
	if err != nil {
		fail(w, r, err)
		return
	}
	if !access.CanSee(p, c) {
		// Out of scope looks like absent: no leak of what exists.
		_ = s.app.Store.Audit(ctx, s.app.Now(), p.Username, p.AccountID, "forbidden", client(r), r.Method+" "+r.URL.Path+": out of scope")
		problem(w, http.StatusNotFound, "not_found", "", "no such case")
		return
	}
	if err := access.CanAct(p, c, a); err != nil {
		s.refused(w, r, p, err)
		return
	}
	var in actionInput
	if !decode(w, r, &in) {
		return
	}
	if in.Version < 1 {
		problem(w, http.StatusBadRequest, "required", "version", "version is required: the case version you acted on")
		return
	}
	if !s.knownPhotos(w, r, in.Photos) {
		return
	}
	if len(in.Knowledge) > 0 {
		var pe *hotline.PointError
		if err := s.app.KnownKnowledge(ctx, in.Knowledge); errors.As(err, &pe) {
			problem(w, http.StatusUnprocessableEntity, "invalid", pe.Field, pe.Msg)
			return
		} else if err != nil {
			fail(w, r, err)
			return
		}
	}
	cmd := caseflow.Command{Action: a, Actor: p.Actor(), At: s.app.Now(), ExpectedVersion: in.Version, Reason: in.Reason,
		Note: in.Note, Photos: in.Photos, Special: in.Special, Found: in.Found, Satisfied: in.Satisfied, Solved: in.Solved,
		Knowledge: in.Knowledge, Method: in.Method, Reply: in.Reply, Reach: in.Reach, Rating: in.Rating, Justified: in.Justified}
	if in.ContactedAt != nil {
		cmd.ContactedAt = *in.ContactedAt
	}
	if in.Deadline != nil {
		cmd.Deadline = *in.Deadline
	}
	units, err := s.app.Store.Units(ctx)
	if err != nil {
		fail(w, r, err)
		return
	}
	unitID := func(code, field string) (int64, bool) {
		for _, u := range units {
			if u.Code == code {
				return u.ID, true
			}
		}
		problem(w, http.StatusBadRequest, "invalid", field, "unknown unit "+code)
		return 0, false
	}
	if in.TaskUnit != "" {
		id, ok := unitID(in.TaskUnit, "task_unit")
		if !ok {
			return
		}
		cmd.TaskUnit = id
	}
	for i, as := range in.Assignments {
		id, ok := unitID(as.Unit, fmt.Sprintf("assignments[%d].unit", i))
		if !ok {
			return
		}
		cmd.Assignments = append(cmd.Assignments, caseflow.Assignment{UnitID: id, Lead: as.Lead, Rule: "manual: " + p.Username})
	}
	if cmd.Correct, err = s.app.Correction(ctx, a, strings.TrimSpace(in.Category), in.Lon, in.Lat); err != nil {
		fail(w, r, err)
		return
	}
	if a == caseflow.ActDispatch && in.Auto {
		if len(in.Assignments) > 0 {
			problem(w, http.StatusBadRequest, "invalid", "auto", "auto dispatch takes no assignments")
			return
		}
		cat, place := c.CategoryID, c.Place // routed as corrected
		if k := cmd.Correct; k != nil && k.CategoryID != "" {
			cat = k.CategoryID
		}
		if k := cmd.Correct; k != nil && k.Place != nil {
			place = *k.Place
		}
		d, err := s.app.Routes().RouteAvoiding(cat, place, "", c.ReturnedBy())
		if errors.Is(err, routing.ErrAllReturned) {
			problem(w, http.StatusConflict, "all_returned", "auto", "every department the dispatch table names has returned this case: choose the departments by hand")
			return
		}
		if err != nil {
			fail(w, r, err)
			return
		}
		cmd.Assignments = d.Assignments()
	}
	if in.DuplicateOf != "" {
		first, err := s.app.Store.CaseByNumber(ctx, in.DuplicateOf)
		if errors.Is(err, store.ErrNotFound) {
			problem(w, http.StatusBadRequest, "invalid", "duplicate_of", "no case "+in.DuplicateOf)
			return
		}
		if err != nil {
			fail(w, r, err)
			return
		}
		cmd.DuplicateOf = first.ID
	}
	if in.AddRule && a != caseflow.ActArbitrate {
		problem(w, http.StatusBadRequest, "invalid", "add_rule", "only an arbitration adds a dispatch rule")
		return
	}
	if in.AddRule {
		// The rule is checked before the decision is recorded, so a refused
		// one changes nothing.
		var ce *caseflow.Error
		if _, err := s.app.RuleFromDecision(ctx, c, cmd.Assignments, cmd.Reason, false); errors.As(err, &ce) {
			problem(w, http.StatusUnprocessableEntity, "invalid", "add_rule", ce.Msg)
			return
		} else if err != nil {
			fail(w, r, err)
			return
		}
	}
	n, _, err := s.app.Act(ctx, c.ID, cmd)
	var ce *caseflow.Error
	if errors.As(err, &ce) && (ce.Code == caseflow.CodeWrongRole || ce.Code == caseflow.CodeNotYours) {
		s.refused(w, r, p, err)
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	if in.AddRule {
		// Checked above: only a rule added meanwhile by someone else can
		// refuse it now, which is said (the decision stands).
		rule, err := s.app.RuleFromDecision(ctx, n, cmd.Assignments, cmd.Reason, true)
		if errors.As(err, &ce) {
			problem(w, http.StatusConflict, "rule_refused", "add_rule", "the decision is recorded; its dispatch rule was not added: "+ce.Msg)
			return
		}
		if err != nil {
			fail(w, r, err)
			return
		}
		_ = s.app.Store.Audit(ctx, s.app.Now(), p.Username, p.AccountID, "dispatch_rule_added", client(r), rule.String())
	}
	writeJSON(w, http.StatusOK, s.caseView(n, s.app.Now()))
}

var loginTmpl = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>登录 · 绣花</title><style>body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2rem;max-width:24rem}
label{display:block;margin:.6rem 0}input{width:100%;padding:.3rem}.err{color:#b00}</style></head><body>
<h1>登录 Sign in</h1>{{if .}}<p class="err">{{.}}</p>{{end}}
<form method="post" action="/login"><label>用户名 Username <input name="username" autocomplete="username" required></label>
<label>密码 Password <input name="password" type="password" autocomplete="current-password" required></label>
<button>登录 Sign in</button></form></body></html>`))

func (s *Server) loginPage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	loginTmpl.Execute(w, "")
}

// loginForm signs a browser in from the login page's form. A form posted
// from another site is refused (loginCSRF), so nobody can sign a visitor
// into an account of their own choosing.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := loginCSRF.Check(r); err != nil {
		_ = s.app.Store.Audit(r.Context(), s.app.Now(), "", 0, "csrf_refused", client(r), r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusForbidden)
		loginTmpl.Execute(w, "请从本站的登录页登录 Sign in from this site's own page")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		loginTmpl.Execute(w, "表单无效 Bad form")
		return
	}
	token, _, _, err := s.app.Login(r.Context(), r.PostForm.Get("username"), r.PostForm.Get("password"), client(r))
	switch {
	case errors.Is(err, app.ErrThrottled):
		retryAfter(w, err)
		w.WriteHeader(http.StatusTooManyRequests)
		loginTmpl.Execute(w, "失败次数过多，请稍后再试 Too many failed logins; try again later")
		return
	case err != nil:
		w.WriteHeader(http.StatusUnauthorized)
		loginTmpl.Execute(w, "用户名或密码错误 Wrong username or password")
		return
	}
	s.endPresentedSession(r)
	setSession(w, r, token)
	http.Redirect(w, r, "/app", http.StatusSeeOther)
}
