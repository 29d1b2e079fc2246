package web

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/publish"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Public endpoints for residents: report a problem, follow a case by its
// number, and the public problem board (问题挂牌). What they show of a case
// is decided by package publish (the one privacy rule of every public
// page); they are rate-limited per client network (limits.go).

// PublicCase is what anyone may know of a case.
type PublicCase struct {
	Number     string         `json:"number"`
	Category   string         `json:"category"`
	Name       string         `json:"category_name"`
	State      caseflow.State `json:"state"`
	StateName  string         `json:"state_name"`
	Street     string         `json:"street,omitempty"`    // absent until a person has looked at the report
	Community  string         `json:"community,omitempty"` // (publish.View.Place)
	StreetName string         `json:"street_name,omitempty"`
	CommName   string         `json:"community_name,omitempty"`
	Lon        *float64       `json:"lon,omitempty"` // the centre of its publish.GridDeg cell
	Lat        *float64       `json:"lat,omitempty"`
	ReportedAt time.Time      `json:"reported_at"`
	Deadline   *time.Time     `json:"deadline,omitempty"`
	Overdue    bool           `json:"overdue"`
	ClosedAt   *time.Time     `json:"closed_at,omitempty"`
	Steps      []PublicStep   `json:"steps,omitempty"`
	Rated      bool           `json:"rated"`                 // the resident has rated it
	Rateable   bool           `json:"rateable"`              // closed, reported on the public site, not yet rated
	MeToo      int            `json:"me_too"`                // residents who met it too (我也遇到) instead of reporting it again
	MergedInto string         `json:"merged_into,omitempty"` // merged as a duplicate: follow that case (publish.MergedInto)
}

// PublicStep is a state change, without who or why: the state's code (the
// page words it in the reader's language) and its Chinese name.
type PublicStep struct {
	At        time.Time      `json:"at"`
	State     caseflow.State `json:"state"`
	StateName string         `json:"state_name"`
}

func (s *Server) publicCategories(ctx context.Context) (map[string]string, error) {
	cats, err := s.app.Store.Categories(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, c := range cats {
		if c.Public {
			out[c.ID] = c.Name
		}
	}
	return out, nil
}

// publicView is c as the public may see it under pv (publish.Decide).
func (s *Server) publicView(c *caseflow.Case, name string, pv publish.View) PublicCase {
	now := s.app.Now()
	v := PublicCase{Number: c.Number, Category: c.CategoryID, Name: name, State: c.State, StateName: stateNames[c.State],
		ReportedAt: local(c.ReportedAt)}
	if pv.Place {
		pt := publish.Point(c.Point)
		v.Street, v.Community, v.Lon, v.Lat = c.Place.Street, c.Place.Community, &pt.Lon, &pt.Lat
	}
	if !c.Deadline.IsZero() && c.State.Open() {
		d := local(c.Deadline)
		v.Deadline = &d
		v.Overdue = c.State != caseflow.Suspended && now.After(c.Deadline)
	}
	if !c.ClosedAt.IsZero() {
		d := local(c.ClosedAt)
		v.ClosedAt = &d
	}
	v.Rated = c.Satisfied != nil
	v.Rateable = c.State == caseflow.Closed && c.Channel == caseflow.ChannelWeb && !v.Rated
	return v
}

// followCase is a resident following their case by its number.
func (s *Server) followCase(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, err := s.app.Store.CaseByNumber(ctx, r.PathValue("number"))
	cats, cerr := s.publicCategories(ctx)
	if cerr != nil {
		fail(w, r, cerr)
		return
	}
	var pv publish.View
	if err == nil {
		pv = publish.Decide(c, cats[c.CategoryID] != "", publish.Lookup)
	}
	if err == nil && c.DuplicateOf != 0 {
		into, ierr := s.app.Store.Case(ctx, c.DuplicateOf)
		if ierr != nil && !errors.Is(ierr, store.ErrNotFound) {
			fail(w, r, ierr)
			return
		}
		if ierr == nil && publish.MergedInto(c, cats[c.CategoryID] != "", into, cats[into.CategoryID] != "") {
			writeJSON(w, http.StatusOK, PublicCase{Number: c.Number, Category: c.CategoryID, Name: cats[c.CategoryID], State: c.State,
				StateName: stateNames[c.State], ReportedAt: local(c.ReportedAt), MergedInto: into.Number})
			return
		}
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && !pv.Show) {
		problem(w, http.StatusNotFound, "not_found", "", "no such case") // hidden looks like absent
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	v := s.publicView(c, cats[c.CategoryID], pv)
	if err := s.nameViews(ctx, []*PublicCase{&v}); err != nil {
		fail(w, r, err)
		return
	}
	evs, err := s.app.Store.Events(ctx, c.ID)
	if err != nil {
		fail(w, r, err)
		return
	}
	for _, e := range evs {
		if e.Action == caseflow.ActMeToo {
			v.MeToo++
		}
		if e.FromState != e.ToState || e.Action == caseflow.ActReport {
			v.Steps = append(v.Steps, PublicStep{At: local(e.At), State: e.ToState, StateName: stateNames[e.ToState]})
		}
	}
	writeJSON(w, http.StatusOK, v)
}

// boardPages bounds the store pages one board request reads.
const boardPages = 5

// board is 问题挂牌: open public problems, newest first.
func (s *Server) board(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.CaseFilter{Street: q.Get("street"), Category: q.Get("category"), Now: s.app.Now(), Limit: 100}
	closed := false
	switch q.Get("status") {
	case "", "open":
	case "closed":
		closed, f.State = true, caseflow.Closed
	default:
		problem(w, http.StatusBadRequest, "invalid", "status", "status must be open or closed")
		return
	}
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			problem(w, http.StatusBadRequest, "invalid", "cursor", "cursor is the next_cursor of a previous page")
			return
		}
		f.Before = n
	}
	cats, err := s.publicCategories(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	out := struct {
		Cases      []PublicCase `json:"cases"`
		NextCursor string       `json:"next_cursor,omitempty"`
	}{Cases: []PublicCase{}}
	// Open states (past the first check) or closed ones; pages are by id
	// so the cursor is stable. Bounded: at most boardPages store pages a
	// request (a filter the rule hides everything of would read them all),
	// then the cursor says where to go on.
	for page := 0; page < boardPages && len(out.Cases) < 50; page++ {
		cs, err := s.app.Store.Cases(r.Context(), f)
		if err != nil {
			fail(w, r, err)
			return
		}
		for i := range cs {
			pv := publish.Decide(&cs[i], cats[cs[i].CategoryID] != "", publish.List)
			if pv.Show && (closed || cs[i].State.Open()) {
				out.Cases = append(out.Cases, s.publicView(&cs[i], cats[cs[i].CategoryID], pv))
			}
		}
		if len(cs) < f.Limit {
			out.NextCursor = "" // the end: no page after this one
			break
		}
		f.Before = cs[len(cs)-1].ID
		out.NextCursor = strconv.FormatInt(f.Before, 10)
	}
	vs := make([]*PublicCase, len(out.Cases))
	for i := range out.Cases {
		vs[i] = &out.Cases[i]
	}
	if err := s.nameViews(r.Context(), vs); err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// residentReport is a resident's report: no login, a contact kept for
// staff only, and an Idempotency-Key for retries.
func (s *Server) residentReport(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Category    string   `json:"category"`
		Description string   `json:"description"`
		Address     string   `json:"address"`
		Lon         *float64 `json:"lon"`
		Lat         *float64 `json:"lat"`
		Name        string   `json:"name"`   // kept for staff, never shown
		Phone       string   `json:"phone"`  // kept for staff, never shown
		Photos      []string `json:"photos"` // ids from POST /api/v1/public/photos
		// Answers to the category's questions (code → value).
		Attributes map[string]string `json:"attributes"`
		// Email and Updates: the resident agreed to hear how the report
		// goes, by SMS to the phone or by mail.
		Email   string `json:"email"`
		Updates bool   `json:"updates"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Email = strings.TrimSpace(in.Email); in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 254 {
			problem(w, http.StatusBadRequest, "invalid", "email", "not an e-mail address")
			return
		}
	}
	if in.Updates && in.Email == "" && !caseflow.Mobile(strings.TrimSpace(in.Phone)) {
		problem(w, http.StatusBadRequest, "required", "updates", "progress needs a mobile number or an e-mail address")
		return
	}
	if !checkReport(w, in.Category, in.Lon, in.Lat, in.Description) || !s.knownPhotos(w, r, in.Photos) {
		return
	}
	if len(in.Photos) > 4 {
		problemWith(w, http.StatusBadRequest, "invalid", "photos", map[string]any{"items": 4}, "at most 4 photos with a resident's report")
		return
	}
	if len([]rune(in.Name)) > 50 || len(in.Phone) > 20 {
		problem(w, http.StatusBadRequest, "invalid", "phone", "name (50) or phone (20) is too long")
		return
	}
	cats, err := s.publicCategories(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	if cats[in.Category] == "" {
		problem(w, http.StatusBadRequest, "invalid", "category", "residents report public categories only; unknown "+in.Category)
		return
	}
	resident := access.Principal{Role: caseflow.Resident, Username: "resident"}
	key := r.Header.Get("Idempotency-Key")
	if key != "" {
		key = client(r) + "|" + key // keys are per client, as residents have no account
	}
	c, created, err := s.app.ReportAs(r.Context(), app.ReportInput{Channel: caseflow.ChannelWeb, CategoryID: in.Category,
		Description: in.Description, Address: in.Address, Lon: *in.Lon, Lat: *in.Lat,
		Reporter: caseflow.Reporter{Name: in.Name, Phone: in.Phone, Email: in.Email, Updates: in.Updates}, Photos: in.Photos, Attributes: in.Attributes}, resident, key)
	if err != nil {
		fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/api/v1/public/cases/"+c.Number)
	writeJSON(w, status, s.publicView(c, cats[c.CategoryID], publish.Decide(c, true, publish.Lookup)))
}

// rate records a resident's satisfaction with a closed case they reported
// on the public site. The reporter's phone number proves it is theirs; a
// case is rated once. The answer is a callback (回访) by the resident.
func (s *Server) rate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Phone     string          `json:"phone"`
		Rating    caseflow.Rating `json:"rating"` // 满意, 基本满意 or 不满意, as the hotline's callback
		Satisfied *bool           `json:"satisfied"`
		Solved    *bool           `json:"solved"`
		Note      string          `json:"note"`
	}
	if !decode(w, r, &in) {
		return
	}
	switch {
	case in.Rating == "" && in.Satisfied == nil:
		problem(w, http.StatusBadRequest, "required", "rating", "say how satisfied you are: satisfied, fairly_satisfied or dissatisfied")
		return
	case in.Rating != "" && !slices.Contains(caseflow.Ratings, in.Rating):
		problem(w, http.StatusBadRequest, "invalid", "rating", "the rating is satisfied, fairly_satisfied or dissatisfied")
		return
	case len([]rune(in.Note)) > 500:
		problemWith(w, http.StatusBadRequest, "invalid", "note", map[string]any{"chars": 500}, "the note is longer than 500 characters")
		return
	}
	c, err := s.app.Store.CaseByNumber(r.Context(), r.PathValue("number"))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		fail(w, r, err)
		return
	}
	cats, cerr := s.publicCategories(r.Context())
	if cerr != nil {
		fail(w, r, cerr)
		return
	}
	if err != nil || !publish.Decide(c, cats[c.CategoryID] != "", publish.Lookup).Show {
		problem(w, http.StatusNotFound, "not_found", "", "no such case") // hidden looks like absent
		return
	}
	digits := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
	}
	if c.Channel != caseflow.ChannelWeb || c.Reporter.Phone == "" || digits(in.Phone) == "" || digits(in.Phone) != digits(c.Reporter.Phone) {
		problem(w, http.StatusForbidden, "not_yours", "phone", "only the resident who reported the case, with the phone number given then, may rate it")
		return
	}
	if c.State != caseflow.Closed {
		problem(w, http.StatusConflict, "wrong_state", "", "a case can be rated once it is closed")
		return
	}
	if c.Satisfied != nil || c.Rating != "" {
		problem(w, http.StatusConflict, "exists", "", "this case has been rated already")
		return
	}
	n, _, err := s.app.Act(r.Context(), c.ID, caseflow.Command{Action: caseflow.ActCallback, Actor: caseflow.Actor{Role: caseflow.Resident},
		ExpectedVersion: c.Version, Rating: in.Rating, Satisfied: in.Satisfied, Solved: in.Solved, Note: strings.TrimSpace(in.Note)})
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.publicView(n, cats[n.CategoryID], publish.Decide(n, cats[n.CategoryID] != "", publish.Lookup)))
}
