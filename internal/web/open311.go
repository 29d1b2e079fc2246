package web

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/publish"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Open311 GeoReport v2 under /open311/v2/, in XML and JSON (the format is
// the file extension). Service codes are category ids, service request ids
// are case numbers. What a request shows is decided by package publish,
// like every public page: names, phones and e-mail given with a request
// are kept for staff only, the description only once verified and masked,
// the address as street and community, the point on a coarse grid.

const open311Spec = "http://wiki.open311.org/GeoReport_v2"

// o311Format splits "requests.json" into "requests" and "json".
func o311Format(w http.ResponseWriter, name string) (string, string, bool) {
	base, f, ok := strings.Cut(name, ".")
	if !ok || (f != "json" && f != "xml") {
		o311Error(w, "json", http.StatusNotFound, "unknown format: use .json or .xml")
		return "", "", false
	}
	return base, f, true
}

type o311Err struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

type o311Errors struct {
	XMLName xml.Name  `json:"-" xml:"errors"`
	Errors  []o311Err `xml:"error"`
}

func o311Error(w http.ResponseWriter, format string, status int, msg string) {
	o311Write(w, format, status, o311Errors{Errors: []o311Err{{Code: status, Description: msg}}}, []o311Err{{Code: status, Description: msg}})
}

// o311Write writes x as XML or j as JSON.
func o311Write(w http.ResponseWriter, format string, status int, x, j any) {
	if format == "xml" {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		w.Write([]byte(xml.Header))
		xml.NewEncoder(w).Encode(x)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(j)
}

type o311Service struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	Code        string   `json:"service_code" xml:"service_code"`
	Name        string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    string   `json:"keywords" xml:"keywords"`
	Group       string   `json:"group" xml:"group"`
}

type o311Request struct {
	XMLName     xml.Name       `json:"-" xml:"request"`
	ID          string         `json:"service_request_id" xml:"service_request_id"`
	Status      string         `json:"status" xml:"status"`
	StatusNotes *string        `json:"status_notes,omitempty" xml:"status_notes,omitempty"`
	ServiceName string         `json:"service_name" xml:"service_name"`
	ServiceCode string         `json:"service_code" xml:"service_code"`
	Description string         `json:"description" xml:"description"`
	Agency      *string        `json:"agency_responsible,omitempty" xml:"agency_responsible,omitempty"`
	Notice      *string        `json:"service_notice,omitempty" xml:"service_notice,omitempty"`
	Requested   string         `json:"requested_datetime" xml:"requested_datetime"`
	Updated     string         `json:"updated_datetime" xml:"updated_datetime"`
	Expected    *string        `json:"expected_datetime,omitempty" xml:"expected_datetime,omitempty"`
	Address     string         `json:"address" xml:"address"` // street and community, never the address as typed
	Lat         *float64       `json:"lat,omitempty" xml:"lat,omitempty"`
	Long        *float64       `json:"long,omitempty" xml:"long,omitempty"`
	Extended    map[string]any `json:"extended_attributes,omitempty" xml:"-"`
	ExtendedXML *o311Extended  `json:"-" xml:"extended_attributes,omitempty"`
	Notes       []o311Note     `json:"notes,omitempty" xml:"notes>note,omitempty"`
}

// o311Note is a step of the request's history (extensions=true): when and
// what state, never who or why.
type o311Note struct {
	Datetime string `json:"datetime" xml:"datetime"`
	Summary  string `json:"summary" xml:"summary"`
	Status   string `json:"status" xml:"status"`
}

type o311Extended struct {
	State          string `xml:"xiuhua_state"`
	DetailedStatus string `xml:"detailed_status"`
	Street         string `xml:"street"`
}

// detailed maps a case state to the extended status words clients know.
var detailed = map[caseflow.State]string{
	caseflow.Reported: "SUBMITTED", caseflow.Registered: "RECEIVED", caseflow.Dispatched: "OPEN", caseflow.InProgress: "IN_PROCESS",
	caseflow.Suspended: "PENDING", caseflow.PendingCheck: "PENDING", caseflow.PendingClose: "PENDING",
	caseflow.Closed: "CLOSED", caseflow.Voided: "CLOSED",
}

func o311Status(s caseflow.State) string {
	if s.Open() {
		return "open"
	}
	return "closed"
}

func o311Time(t time.Time) string { return t.In(calendar.Shanghai).Format(time.RFC3339) }

// o311Request is c as an Open311 request under pv (publish.Decide);
// divisions names streets and communities by code.
func (s *Server) o311Request(c *caseflow.Case, pv publish.View, names map[string]string, units map[int64]string, divisions map[string]string, extended bool) o311Request {
	status := o311Status(c.State)
	note := stateNames[c.State]
	r := o311Request{ID: c.Number, Status: status, StatusNotes: &note, ServiceName: names[c.CategoryID], ServiceCode: c.CategoryID,
		Description: publish.Text(c, pv), Requested: o311Time(c.ReportedAt), Updated: o311Time(c.UpdatedAt)}
	if r.Description == "" {
		r.Description = names[c.CategoryID] // the category stands for a text nobody has verified
	}
	if pv.Place {
		pt := publish.Point(c.Point)
		r.Lat, r.Long = &pt.Lat, &pt.Lon
		r.Address = strings.TrimSpace(divisions[c.Place.Street] + " " + divisions[c.Place.Community])
	}
	for _, t := range c.Tasks {
		if t.Lead && t.State.Active() {
			name := units[t.UnitID]
			r.Agency = &name
		}
	}
	if !c.Deadline.IsZero() && c.State.Open() {
		e := o311Time(c.Deadline)
		r.Expected = &e
	}
	if extended {
		street := ""
		if pv.Place {
			street = c.Place.Street
		}
		r.Extended = map[string]any{"xiuhua_state": c.State, "detailed_status": detailed[c.State], "street": street}
		r.ExtendedXML = &o311Extended{State: string(c.State), DetailedStatus: detailed[c.State], Street: street}
	}
	return r
}

func (s *Server) o311Services(w http.ResponseWriter, r *http.Request) ([]catalog.Category, map[string]string, bool) {
	cats, err := s.app.Store.Categories(r.Context())
	if err != nil {
		o311Error(w, "json", http.StatusInternalServerError, "internal error")
		return nil, nil, false
	}
	var out []catalog.Category
	names := map[string]string{}
	for _, c := range cats {
		if c.Public {
			out = append(out, c)
			names[c.ID] = c.Name
		}
	}
	return out, names, true
}

// open311Get serves discovery, services and requests by file name.
func (s *Server) open311Get(w http.ResponseWriter, r *http.Request) {
	base, f, ok := o311Format(w, r.PathValue("doc"))
	if !ok {
		return
	}
	switch base {
	case "discovery":
		type endpoint struct {
			Specification string   `json:"specification" xml:"specification"`
			URL           string   `json:"url" xml:"url"`
			Changeset     string   `json:"changeset" xml:"changeset"`
			Type          string   `json:"type" xml:"type"`
			Formats       []string `json:"formats" xml:"formats>format"`
		}
		type discovery struct {
			XMLName    xml.Name   `json:"-" xml:"discovery"`
			Changeset  string     `json:"changeset" xml:"changeset"`
			Contact    string     `json:"contact" xml:"contact"`
			KeyService string     `json:"key_service" xml:"key_service"`
			Endpoints  []endpoint `json:"endpoints" xml:"endpoints>endpoint"`
		}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		d := discovery{Changeset: "2026-11-25 00:00", Contact: "平城区城市管理指挥中心 Pingcheng city management command centre",
			KeyService: "API keys are issued by the command centre (xiuhua token create)",
			Endpoints: []endpoint{{Specification: open311Spec, URL: scheme + "://" + r.Host + "/open311/v2", Changeset: "2026-11-25 00:00",
				Type: "production", Formats: []string{"text/xml", "application/json"}}}}
		o311Write(w, f, http.StatusOK, d, d)
	case "services":
		cats, _, ok := s.o311Services(w, r)
		if !ok {
			return
		}
		list := make([]o311Service, 0, len(cats))
		for _, c := range cats {
			list = append(list, o311Service{Code: c.ID, Name: c.Name, Description: c.MajorClass + " · " + c.Name, Type: "realtime", Group: c.MajorClass, Metadata: len(c.Attributes) > 0})
		}
		o311Write(w, f, http.StatusOK, struct {
			XMLName  xml.Name      `xml:"services"`
			Services []o311Service `xml:"service"`
		}{Services: list}, list)
	case "requests":
		s.o311List(w, r, f)
	case "servicerequestupdates":
		s.o311Updates(w, r, f)
	default:
		o311Error(w, f, http.StatusNotFound, "no such document: "+base)
	}
}

// o311Attribute is a category's question as GeoReport v2 defines it.
type o311Attribute struct {
	XMLName     xml.Name         `json:"-" xml:"attribute"`
	Variable    bool             `json:"variable" xml:"variable"`
	Code        string           `json:"code" xml:"code"`
	Datatype    catalog.Datatype `json:"datatype" xml:"datatype"`
	Required    bool             `json:"required" xml:"required"`
	Description string           `json:"description" xml:"description"`
	DatatypeDsc string           `json:"datatype_description" xml:"datatype_description"`
	Order       int              `json:"order" xml:"order"`
	Values      []o311Value      `json:"values,omitempty" xml:"values>value,omitempty"`
}

type o311Value struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

// open311Service is a service definition: the category's questions as
// attributes, to be answered as attribute[code] when a request is posted.
func (s *Server) open311Service(w http.ResponseWriter, r *http.Request) {
	code, f, ok := o311Format(w, r.PathValue("code"))
	if !ok {
		return
	}
	cats, names, ok := s.o311Services(w, r)
	if !ok {
		return
	}
	if names[code] == "" {
		o311Error(w, f, http.StatusNotFound, "service_code "+code+" not found")
		return
	}
	attrs := []o311Attribute{}
	for _, c := range cats {
		if c.ID != code {
			continue
		}
		for i, a := range c.Attributes {
			oa := o311Attribute{Variable: true, Code: a.Code, Datatype: a.Datatype, Required: a.Required, Description: a.Question, DatatypeDsc: a.Help, Order: i + 1}
			if r := a.RangeText(); r != "" {
				oa.DatatypeDsc = strings.TrimSpace(a.Help + "（" + r + "）")
			}
			for _, v := range a.Values {
				oa.Values = append(oa.Values, o311Value{Key: v.Key, Name: v.Name})
			}
			attrs = append(attrs, oa)
		}
	}
	def := struct {
		XMLName    xml.Name        `json:"-" xml:"service_definition"`
		Code       string          `json:"service_code" xml:"service_code"`
		Attributes []o311Attribute `json:"attributes" xml:"attributes>attribute"`
	}{Code: code, Attributes: attrs}
	o311Write(w, f, http.StatusOK, def, def)
}

// o311Params are the Open311 names of the desk's fields, for refusals.
var o311Params = map[string]string{"caller": "api_key", "caller.name": "last_name", "caller.phone": "phone",
	"elements.when": "elements[when]", "elements.who": "elements[who]", "elements.matter": "elements[matter]"}

// o311Call reads the requester (first_name, last_name, phone) and this
// jurisdiction's extensions of a request: urgency (normal, urgent,
// immediate), and for a 12345 order taken by the desk's key its
// request_type, anonymous and callback (true or false) and the five
// elements as elements[when], elements[who] and elements[matter]. A
// request with a request_type is a 12345 order (channel hotline). bad
// names the parameter refused, "" when all is well.
func o311Call(v url.Values, p access.Principal) (in app.ReportInput, reporter caseflow.Reporter, bad string) {
	in.Channel, in.Urgency = caseflow.ChannelOpen311, caseflow.Urgency(v.Get("urgency"))
	if in.Urgency != "" && !in.Urgency.Valid() {
		return in, reporter, "urgency: one of normal, urgent, immediate"
	}
	reporter.AccountID = p.AccountID
	caller := deskCaller{Name: v.Get("last_name") + v.Get("first_name"), Phone: v.Get("phone")}
	for _, b := range []struct {
		name string
		to   func(bool)
	}{{"anonymous", func(x bool) { caller.Anonymous = x }}, {"callback", func(x bool) { caller.Callback = &x }}} {
		switch v.Get(b.name) {
		case "":
		case "true":
			b.to(true)
		case "false":
			b.to(false)
		default:
			return in, reporter, b.name + ": true or false"
		}
	}
	call := deskCall{RequestType: caseflow.RequestType(v.Get("request_type"))}
	if e := (caseflow.Elements{When: v.Get("elements[when]"), Who: v.Get("elements[who]"), Matter: v.Get("elements[matter]")}); e != (caseflow.Elements{}) {
		call.Elements = &e
	}
	say := func(no *refusal) string {
		field := no.Field
		if n, ok := o311Params[field]; ok {
			field = n
		}
		return field + ": " + no.Detail
	}
	if !call.any() && !caller.Anonymous && caller.Callback == nil {
		// A plain Open311 request: its requester, checked.
		name, phone, no := caller.check()
		if no != nil {
			return in, reporter, say(no)
		}
		reporter.Name, reporter.Phone = name, phone
		// An Open311 client that gives the requester's e-mail passes on
		// their wish to hear of the request (as FixMyStreet does).
		if e := strings.TrimSpace(v.Get("email")); e != "" {
			if a, err := mail.ParseAddress(e); err != nil || a.Address != e || len(e) > 254 {
				return in, reporter, "email: not an e-mail address"
			}
			reporter.Email, reporter.Updates = e, true
		}
		return in, reporter, ""
	}
	call.Caller = &caller
	intake, no := call.intake(p, &reporter)
	if no != nil {
		return in, reporter, say(no)
	}
	in.Intake, in.Channel = intake, caseflow.ChannelHotline
	return in, reporter, ""
}

// o311Answers reads a request's attribute[code] fields.
func o311Answers(v url.Values) map[string]string {
	var out map[string]string
	for k, vs := range v {
		if code, ok := strings.CutPrefix(k, "attribute["); ok && strings.HasSuffix(code, "]") {
			if out == nil {
				out = map[string]string{}
			}
			out[strings.TrimSuffix(code, "]")] = strings.Join(vs, ",")
		}
	}
	return out
}

func o311Date(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, v)
}

// o311MaxList bounds the service_request_id and service_code lists.
const o311MaxList = 100

// o311List is GET requests: by ids, or by code, dates and status (90 days
// and 1,000 requests by default), with page/page_size and updated_*.
func (s *Server) o311List(w http.ResponseWriter, r *http.Request, f string) {
	q := r.URL.Query()
	now := s.app.Now()
	oq := store.Open311Query{To: now, From: now.AddDate(0, 0, -90), Limit: 1000,
		Rule: store.PublicRule{Listable: publish.Listable, VerifyFirst: publish.VerifyFirst}}
	use := publish.List
	for _, l := range []struct {
		name string
		dst  *[]string
	}{{"service_request_id", &oq.Numbers}, {"service_code", &oq.Categories}} {
		v := q.Get(l.name)
		if v == "" {
			continue
		}
		// Bounded: each id is a query variable, and engines take only so many.
		if strings.Count(v, ",") >= o311MaxList {
			o311Error(w, f, http.StatusBadRequest, fmt.Sprintf("%s: at most %d comma-separated values", l.name, o311MaxList))
			return
		}
		*l.dst = strings.Split(v, ",")
	}
	if len(oq.Numbers) > 0 {
		use = publish.Lookup // asked for by number
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"start_date", &oq.From}, {"end_date", &oq.To}, {"updated_after", &oq.UpdatedAfter}, {"updated_before", &oq.UpdatedBefore}} {
		t, err := o311Date(q.Get(d.name))
		if err != nil {
			o311Error(w, f, http.StatusBadRequest, d.name+" must be a w3c datetime with a time zone, e.g. 2026-11-01T00:00:00+08:00")
			return
		}
		if !t.IsZero() {
			*d.dst = t
		}
	}
	if q.Get("start_date") != "" && q.Get("end_date") == "" {
		oq.To = oq.From.AddDate(0, 0, 90)
	}
	if q.Get("end_date") != "" && q.Get("start_date") == "" {
		oq.From = oq.To.AddDate(0, 0, -90)
	}
	for _, st := range strings.Split(q.Get("status"), ",") {
		switch st {
		case "open":
			oq.Open = true
		case "closed":
			oq.Closed = true
		case "":
		default:
			o311Error(w, f, http.StatusBadRequest, "status must be open or closed")
			return
		}
	}
	page, size := 1, 1000
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"page", &page, 1 << 20}, {"page_size", &size, 1000}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > p.max {
				o311Error(w, f, http.StatusBadRequest, fmt.Sprintf("%s must be a whole number from 1 to %d", p.name, p.max))
				return
			}
			*p.dst = n
		}
	}
	oq.Limit, oq.Offset = size, (page-1)*size
	cs, err := s.app.Store.Open311Requests(r.Context(), oq)
	if err != nil {
		o311Error(w, f, http.StatusInternalServerError, "internal error")
		return
	}
	s.o311WriteRequests(w, r, f, cs, use, q.Get("extensions") == "true")
}

func (s *Server) o311WriteRequests(w http.ResponseWriter, r *http.Request, f string, cs []caseflow.Case, use publish.Use, extended bool) {
	_, names, ok := s.o311Services(w, r)
	if !ok {
		return
	}
	views := make([]publish.View, len(cs))
	shown := cs[:0:0]
	for i := range cs {
		if pv := publish.Decide(&cs[i], names[cs[i].CategoryID] != "", use); pv.Show {
			views[len(shown)] = pv
			shown = append(shown, cs[i])
		}
	}
	cs = shown
	divs, err := s.app.Store.Divisions(r.Context())
	if err != nil {
		o311Error(w, f, http.StatusInternalServerError, "internal error")
		return
	}
	dn := map[string]string{}
	for _, d := range divs {
		dn[d.Code] = d.Name
	}
	units, _ := s.app.Store.Units(r.Context())
	un := map[int64]string{}
	for _, u := range units {
		un[u.ID] = u.Name
	}
	list := make([]o311Request, 0, len(cs))
	notes := map[int64][]o311Note{}
	if extended && len(cs) > 0 {
		ids := make([]int64, len(cs))
		for i := range cs {
			ids[i] = cs[i].ID
		}
		ups, err := s.app.Store.Updates(r.Context(), time.Time{}, time.Time{}, ids, 100_000, store.PublicRule{})
		if err != nil {
			o311Error(w, f, http.StatusInternalServerError, "internal error")
			return
		}
		for _, u := range ups {
			notes[u.CaseID] = append(notes[u.CaseID], o311Note{Datetime: o311Time(u.At), Summary: stateNames[u.State], Status: o311Status(u.State)})
		}
	}
	for i := range cs {
		req := s.o311Request(&cs[i], views[i], names, un, dn, extended)
		req.Notes = notes[cs[i].ID]
		list = append(list, req)
	}
	o311Write(w, f, http.StatusOK, struct {
		XMLName  xml.Name      `xml:"service_requests"`
		Requests []o311Request `xml:"request"`
	}{Requests: list}, list)
}

// open311Request is GET requests/{id}.
func (s *Server) open311Request(w http.ResponseWriter, r *http.Request) {
	id, f, ok := o311Format(w, r.PathValue("id"))
	if !ok {
		return
	}
	cs, err := s.app.Store.Open311Requests(r.Context(), store.Open311Query{Numbers: []string{id}, Limit: 1})
	if err != nil {
		o311Error(w, f, http.StatusInternalServerError, "internal error")
		return
	}
	_, names, ok := s.o311Services(w, r)
	if !ok {
		return
	}
	if len(cs) == 0 || !publish.Decide(&cs[0], names[cs[0].CategoryID] != "", publish.Lookup).Show {
		o311Error(w, f, http.StatusNotFound, "service_request_id "+id+" not found") // hidden looks like absent
		return
	}
	s.o311WriteRequests(w, r, f, cs, publish.Lookup, r.URL.Query().Get("extensions") == "true")
}

// open311Token is GET tokens/{token}: requests are created at once, so a
// token is the service request id itself.
func (s *Server) open311Token(w http.ResponseWriter, r *http.Request) {
	token, f, ok := o311Format(w, r.PathValue("token"))
	if !ok {
		return
	}
	_, names, ok := s.o311Services(w, r)
	if !ok {
		return
	}
	if c, err := s.app.Store.CaseByNumber(r.Context(), token); err != nil || !publish.Decide(c, names[c.CategoryID] != "", publish.Lookup).Show {
		o311Error(w, f, http.StatusNotFound, "token "+token+" not found")
		return
	}
	type tok struct {
		XMLName xml.Name `json:"-" xml:"request"`
		ID      string   `json:"service_request_id" xml:"service_request_id"`
		Token   string   `json:"token" xml:"token"`
	}
	o311Write(w, f, http.StatusOK, struct {
		XMLName xml.Name `xml:"service_requests"`
		R       []tok    `xml:"request"`
	}{R: []tok{{ID: token, Token: token}}}, []tok{{ID: token, Token: token}})
}

// open311Post is POST requests: form-encoded, api_key required.
func (s *Server) open311Post(w http.ResponseWriter, r *http.Request) {
	base, f, ok := o311Format(w, r.PathValue("doc"))
	if !ok {
		return
	}
	if base != "requests" && base != "servicerequestupdates" {
		o311Error(w, f, http.StatusNotFound, "POST only to requests or servicerequestupdates")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		o311Error(w, f, http.StatusBadRequest, "the body must be application/x-www-form-urlencoded, at most 64 KB")
		return
	}
	v := r.PostForm
	key := v.Get("api_key")
	if key == "" {
		o311Error(w, f, http.StatusForbidden, "api_key is required")
		return
	}
	p, err := s.app.TokenPrincipal(r.Context(), key)
	if err != nil {
		_ = s.app.Store.Audit(r.Context(), s.app.Now(), "", 0, "token_refused", client(r), "open311 POST requests")
		o311Error(w, f, http.StatusForbidden, "api_key is not valid")
		return
	}
	if base == "servicerequestupdates" {
		s.o311PostUpdate(w, r, f, p)
		return
	}
	_, names, ok := s.o311Services(w, r)
	if !ok {
		return
	}
	code := v.Get("service_code")
	switch {
	case code == "":
		o311Error(w, f, http.StatusBadRequest, "service_code is required")
		return
	case names[code] == "":
		o311Error(w, f, http.StatusNotFound, "service_code "+code+" not found")
		return
	case v.Get("lat") == "" || v.Get("long") == "":
		o311Error(w, f, http.StatusBadRequest, "lat and long are required (this jurisdiction does not geocode address_string or address_id)")
		return
	case len([]rune(v.Get("description"))) > 4000:
		o311Error(w, f, http.StatusBadRequest, "description is longer than 4,000 characters")
		return
	}
	lat, err1 := strconv.ParseFloat(v.Get("lat"), 64)
	lon, err2 := strconv.ParseFloat(v.Get("long"), 64)
	if err1 != nil || err2 != nil {
		o311Error(w, f, http.StatusBadRequest, "lat and long must be decimal degrees (WGS84)")
		return
	}
	desc := strings.TrimSpace(v.Get("description"))
	if m := v.Get("media_url"); m != "" {
		desc += "\n[media_url] " + m
	}
	in, reporter, bad := o311Call(v, p)
	if bad != "" {
		o311Error(w, f, http.StatusBadRequest, bad)
		return
	}
	in.CategoryID, in.Description, in.Attributes = code, desc, o311Answers(v)
	in.Address, in.Lon, in.Lat, in.Reporter = v.Get("address_string"), lon, lat, reporter
	c, _, err := s.app.ReportAs(r.Context(), in, p, "")
	var ce *caseflow.Error
	switch {
	case errors.As(err, &ce) && (ce.Code == caseflow.CodeWrongRole || ce.Code == caseflow.CodeNotYours):
		o311Error(w, f, http.StatusForbidden, "this api_key may not report: "+ce.Msg)
		return
	case errors.As(err, &ce):
		o311Error(w, f, http.StatusBadRequest, ce.Msg)
		return
	case err != nil:
		o311Error(w, f, http.StatusInternalServerError, "internal error")
		return
	}
	notice := "已受理，平城区城市管理指挥中心将立案派遣 Received; the command centre will register and dispatch it"
	type created struct {
		XMLName xml.Name `json:"-" xml:"request"`
		ID      string   `json:"service_request_id" xml:"service_request_id"`
		Notice  string   `json:"service_notice" xml:"service_notice"`
	}
	out := []created{{ID: c.Number, Notice: notice}}
	o311Write(w, f, http.StatusOK, struct {
		XMLName xml.Name  `xml:"service_requests"`
		R       []created `xml:"request"`
	}{R: out}, out)
}

// o311Updates is mySociety's servicerequestupdates: state changes of
// public requests between start_date and end_date (default: the last day).
func (s *Server) o311Updates(w http.ResponseWriter, r *http.Request, f string) {
	q := r.URL.Query()
	to, err1 := o311Date(q.Get("end_date"))
	from, err2 := o311Date(q.Get("start_date"))
	if err1 != nil || err2 != nil {
		o311Error(w, f, http.StatusBadRequest, "start_date and end_date must be w3c datetimes with a time zone")
		return
	}
	if to.IsZero() {
		to = s.app.Now()
	}
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	ups, err := s.app.Store.Updates(r.Context(), from, to, nil, 1000, store.PublicRule{Listable: publish.Listable, VerifyFirst: publish.VerifyFirst})
	if err != nil {
		o311Error(w, f, http.StatusInternalServerError, "internal error")
		return
	}
	type update struct {
		XMLName     xml.Name `json:"-" xml:"request_update"`
		UpdateID    string   `json:"update_id" xml:"update_id"`
		RequestID   string   `json:"service_request_id" xml:"service_request_id"`
		Status      string   `json:"status" xml:"status"`
		Updated     string   `json:"updated_datetime" xml:"updated_datetime"`
		Description string   `json:"description" xml:"description"`
		MediaURL    string   `json:"media_url" xml:"media_url"`
	}
	list := make([]update, 0, len(ups))
	for _, u := range ups {
		list = append(list, update{UpdateID: fmt.Sprintf("%s-%d", u.Number, u.Seq), RequestID: u.Number, Status: o311Status(u.State),
			Updated: o311Time(u.At), Description: stateNames[u.State]})
	}
	o311Write(w, f, http.StatusOK, struct {
		XMLName xml.Name `xml:"service_request_updates"`
		U       []update `xml:"request_update"`
	}{U: list}, list)
}

// o311PostUpdate takes an update from an Open311 client (mySociety's
// servicerequestupdates). Status CLOSED from the client that filed the
// request, before it is dispatched, is the requester's withdrawal (撤单):
// the order is withdrawn with the description as its reason. Any other
// update becomes a note on the case (the comment action) for the centre,
// its status in the note: a client cannot otherwise change the state. The
// answer says which it was (status and description of the update). Names
// and e-mail are not kept.
func (s *Server) o311PostUpdate(w http.ResponseWriter, r *http.Request, f string, p access.Principal) {
	v := r.PostForm
	id, desc := v.Get("service_request_id"), strings.TrimSpace(v.Get("description"))
	switch {
	case id == "":
		o311Error(w, f, http.StatusBadRequest, "service_request_id is required")
		return
	case desc == "":
		o311Error(w, f, http.StatusBadRequest, "description is required")
		return
	case len([]rune(desc)) > 4000:
		o311Error(w, f, http.StatusBadRequest, "description is longer than 4,000 characters")
		return
	}
	status := strings.ToLower(v.Get("status"))
	if status != "" && status != "open" && status != "closed" {
		o311Error(w, f, http.StatusBadRequest, "status must be open or closed")
		return
	}
	if t := v.Get("updated_datetime"); t != "" {
		if _, err := o311Date(t); err != nil {
			o311Error(w, f, http.StatusBadRequest, "updated_datetime must be a w3c datetime with a time zone")
			return
		}
	}
	c, err := s.app.Store.CaseByNumber(r.Context(), id)
	if err != nil || !access.CanSee(p, c) {
		o311Error(w, f, http.StatusNotFound, "service_request_id "+id+" not found")
		return
	}
	note := desc
	if status != "" {
		note = "[" + status + "] " + note
	}
	if m := v.Get("media_url"); m != "" {
		note += "\n[media_url] " + m
	}
	cmd := caseflow.Command{Action: caseflow.ActComment, Actor: p.Actor(), ExpectedVersion: c.Version, Note: note}
	withdrawn := status == "closed" && c.Reporter.AccountID == p.AccountID && slices.Contains(access.Actions(p, c), caseflow.ActWithdraw)
	if withdrawn {
		cmd.Action, cmd.Note, cmd.Reason = caseflow.ActWithdraw, "", "撤单（Open311）："+desc
	}
	n, ev, err := s.app.Act(r.Context(), c.ID, cmd)
	var ce *caseflow.Error
	switch {
	case errors.As(err, &ce) && (ce.Code == caseflow.CodeWrongRole || ce.Code == caseflow.CodeNotYours):
		_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "forbidden", client(r), "open311 POST servicerequestupdates: "+err.Error())
		o311Error(w, f, http.StatusForbidden, "this api_key may not update requests")
		return
	case errors.As(err, &ce):
		o311Error(w, f, http.StatusBadRequest, ce.Msg)
		return
	case err != nil:
		o311Error(w, f, http.StatusInternalServerError, "internal error")
		return
	}
	type update struct {
		XMLName     xml.Name `json:"-" xml:"request_update"`
		UpdateID    string   `json:"update_id" xml:"update_id"`
		Status      string   `json:"status" xml:"status"`
		Description string   `json:"description" xml:"description"`
	}
	u := update{UpdateID: fmt.Sprintf("%s-%d", n.Number, ev.Seq), Status: o311Status(n.State),
		Description: "已记录，转指挥中心处理 Recorded as a note for the command centre"}
	if withdrawn {
		u.Status, u.Description = "closed", "已撤单 Withdrawn by the requester"
	}
	list := []update{u}
	o311Write(w, f, http.StatusOK, struct {
		XMLName xml.Name `xml:"service_request_updates"`
		U       []update `xml:"request_update"`
	}{U: list}, list)
}
