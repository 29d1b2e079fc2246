package web

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/internal/alert"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/publish"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Atom feeds (RFC 4287) of the public board: its newest open problems, an
// area's (a street, a community or a circle, by the same rule as the area
// alerts), and one case's public progress. They carry what the board
// shows and nothing more (package publish): category, state, street and
// community, deadlines, the masked description of a verified case.

// WithPublicURL sets the address residents reach the site at (feeds'
// links, the links in alert mails); empty: a feed links to the host it
// was asked from.
func WithPublicURL(u string) Option {
	return func(s *Server) { s.publicURL = strings.TrimSuffix(u, "/") }
}

// base is the site's address for absolute links.
func (s *Server) base(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if s.overTLS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// tagAuthority is the tag: URI authority of ids (RFC 4151): the public
// address's host name without a port, or, without one, a fixed name — not
// the host a request names, so ids stay put whichever way the site is
// reached.
func (s *Server) tagAuthority() string {
	if u, err := url.Parse(s.publicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "xiuhua.pingcheng"
}

// words are the UI's message catalogs, for text the server writes itself
// (feeds, mails).
var words = sync.OnceValue(func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, lang := range alert.Languages {
		b, err := uiFiles.ReadFile("ui/i18n/" + lang + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(err)
		}
		out[lang] = m
	}
	return out
})

// say is a message in lang (zh-CN when lang is not one of the board's),
// its {name} placeholders filled from params.
func say(lang, key string, params ...any) string {
	m, ok := words()[lang]
	if !ok {
		m = words()["zh-CN"]
	}
	s, ok := m[key]
	if !ok {
		s = key
	}
	for i := 0; i+1 < len(params); i += 2 {
		s = strings.ReplaceAll(s, "{"+params[i].(string)+"}", params[i+1].(string))
	}
	return s
}

// feedLang is the ?lang of a feed.
func feedLang(r *http.Request) string {
	if r.URL.Query().Get("lang") == "en" {
		return "en"
	}
	return "zh-CN"
}

// sayTime is an instant in Beijing time, as the board shows it.
func sayTime(t time.Time) string { return t.In(calendar.Shanghai).Format("2006-01-02 15:04") }

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID        string        `xml:"id"`
	Title     atomText      `xml:"title"`
	Updated   string        `xml:"updated"`
	Published string        `xml:"published,omitempty"`
	Links     []atomLink    `xml:"link"`
	Category  *atomCategory `xml:"category,omitempty"`
	Summary   atomText      `xml:"summary"`
}

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID      string      `xml:"id"`
	Title   atomText    `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// writeFeed answers a feed with a validator (ETag, Last-Modified) and a
// minute's caching, 304 to a matching conditional request.
func writeFeed(w http.ResponseWriter, r *http.Request, f *atomFeed, updated time.Time) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if err := xml.NewEncoder(&b).Encode(f); err != nil {
		fail(w, r, err)
		return
	}
	sum := sha256.Sum256(b.Bytes())
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	h := w.Header()
	h.Set("Content-Type", "application/atom+xml; charset=utf-8")
	h.Set("ETag", etag)
	h.Set("Last-Modified", updated.UTC().Format(http.TimeFormat))
	h.Set("Cache-Control", "public, max-age=60")
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if inm == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !updated.Truncate(time.Second).After(ims) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(b.Bytes())
}

// feedArea reads ?street=, ?community= or ?lat=&lon=&r= (none: the whole
// board); false when it answered 400.
func (s *Server) feedArea(w http.ResponseWriter, r *http.Request) (alert.Area, bool) {
	q := r.URL.Query()
	area := alert.Area{Street: q.Get("street"), Community: q.Get("community")}
	if q.Has("lat") || q.Has("lon") || q.Has("r") {
		lon, lat, ok := lonLat(w, q.Get("lon"), q.Get("lat"))
		if !ok {
			return area, false
		}
		rad, err := strconv.ParseFloat(q.Get("r"), 64)
		if err != nil {
			problemWith(w, http.StatusBadRequest, "invalid", "r", map[string]any{"min": alert.MinRadius, "max": alert.MaxRadius}, "r is the circle's radius in metres, 100 to 3000")
			return area, false
		}
		area.Circle = &alert.Circle{Lon: lon, Lat: lat, Radius: rad}
	}
	if area == (alert.Area{}) {
		return area, true
	}
	if err := s.app.CheckArea(r.Context(), area); err != nil {
		if e, ok := app.IsAlertError(err); ok {
			field := e.Field
			if field == "radius" {
				field = "r" // the feed's own name for it
			}
			problemWith(w, http.StatusBadRequest, e.Code, field, e.Params, e.Msg)
		} else {
			fail(w, r, err)
		}
		return area, false
	}
	return area, true
}

// caseSummary is what an entry says of a case: its state, place, deadline
// and, once verified on site, its masked description.
func caseSummary(lang string, c *caseflow.Case, pv publish.View, names map[string]string) string {
	parts := []string{say(lang, "case.state") + ": " + say(lang, "public.state."+string(c.State))}
	if pv.Place {
		if p := placeName(c, names); p != "" {
			parts = append(parts, say(lang, "public.where")+": "+p)
		}
	}
	parts = append(parts, say(lang, "public.reported_at")+": "+sayTime(c.ReportedAt))
	if !c.Deadline.IsZero() && c.State.Open() {
		parts = append(parts, say(lang, "public.due", "at", sayTime(c.Deadline)))
	}
	if !c.ClosedAt.IsZero() {
		parts = append(parts, say(lang, "public.closed_at", "at", sayTime(c.ClosedAt)))
	}
	if t := publish.Text(c, pv); t != "" {
		parts = append(parts, t)
	}
	return strings.Join(parts, " · ")
}

func placeName(c *caseflow.Case, names map[string]string) string {
	var ps []string
	for _, code := range []string{c.Place.Street, c.Place.Community} {
		if n := names[code]; n != "" {
			ps = append(ps, n)
		}
	}
	return strings.Join(ps, " ")
}

// FollowURL is the board's page of a case (base: the public address).
func FollowURL(base, number string) string { return base + "/board#follow/" + number }

// boardFeed is GET /feeds/board.atom: the board's newest open problems, of
// an area when one is asked for.
func (s *Server) boardFeed(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	area, ok := s.feedArea(w, r)
	if !ok {
		return
	}
	cats, err := s.publicCategories(ctx)
	if err != nil {
		fail(w, r, err)
		return
	}
	category := r.URL.Query().Get("category")
	if category != "" && cats[category] == "" && !slices.ContainsFunc(mapKeys(cats), func(id string) bool { return strings.HasPrefix(id, category) }) {
		problem(w, http.StatusBadRequest, "invalid", "category", "not a public category or class: "+category)
		return
	}
	names, err := s.divisionNames(ctx)
	if err != nil {
		fail(w, r, err)
		return
	}
	public := make(map[string]bool, len(cats))
	for id := range cats {
		public[id] = true
	}
	cs, last, err := s.app.FeedCases(ctx, area, category, public)
	if err != nil {
		fail(w, r, err)
		return
	}
	lang, base := feedLang(r), s.base(r)
	title := say(lang, "feed.board.title")
	switch {
	case area.Street != "":
		title = say(lang, "feed.area.title", "area", names[area.Street])
	case area.Community != "":
		title = say(lang, "feed.area.title", "area", names[area.Community])
	case area.Circle != nil:
		title = say(lang, "feed.circle.title", "r", strconv.Itoa(int(area.Circle.Radius)))
	}
	self := base + r.URL.RequestURI()
	f := &atomFeed{Lang: lang, Title: atomText{"text", title}, Author: atomPerson{say(lang, "feed.author")},
		// The same area is the same feed whatever the order of its parameters.
		ID:    "tag:" + s.tagAuthority() + ",2026:board" + feedKey(area, category),
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: self}, {Rel: "alternate", Type: "text/html", Href: base + "/board"}}}
	var updated time.Time
	for i := range cs {
		c := &cs[i]
		pv := publish.Decide(c, true, publish.List)
		at := cmp.Or(last[c.ID], c.ReportedAt)
		if at.After(updated) {
			updated = at
		}
		t := cats[c.CategoryID]
		if p := placeName(c, names); p != "" {
			t += " · " + p
		}
		f.Entries = append(f.Entries, atomEntry{ID: s.caseTag(c), Title: atomText{"text", t}, Updated: rfc3339(at), Published: rfc3339(c.ReportedAt),
			Links:    []atomLink{{Rel: "alternate", Type: "text/html", Href: FollowURL(base, c.Number)}, {Rel: "related", Type: "application/atom+xml", Href: base + "/feeds/cases/" + c.Number + ".atom"}},
			Category: &atomCategory{Term: c.CategoryID, Label: cats[c.CategoryID]}, Summary: atomText{"text", caseSummary(lang, c, pv, names)}})
	}
	if updated.IsZero() {
		updated = s.app.Now().Truncate(time.Hour)
	}
	f.Updated = rfc3339(updated)
	writeFeed(w, r, f, updated)
}

func mapKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// feedKey names an area and category in a feed's id.
func feedKey(a alert.Area, category string) string {
	var k string
	switch {
	case a.Street != "":
		k = "/street/" + a.Street
	case a.Community != "":
		k = "/community/" + a.Community
	case a.Circle != nil:
		k = "/circle/" + strconv.FormatFloat(a.Circle.Lon, 'f', 6, 64) + "," + strconv.FormatFloat(a.Circle.Lat, 'f', 6, 64) + "," + strconv.Itoa(int(a.Circle.Radius))
	}
	if category != "" {
		k += "/category/" + category
	}
	return k
}

// caseTag is a case's stable entry id: its number never changes.
func (s *Server) caseTag(c *caseflow.Case) string {
	return "tag:" + s.tagAuthority() + ",2026:case/" + c.Number
}

// caseFeed is GET /feeds/cases/{number}.atom: one case's public steps,
// newest first, as its follow page shows them.
func (s *Server) caseFeed(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	number, ok := strings.CutSuffix(r.PathValue("file"), ".atom")
	if !ok {
		problem(w, http.StatusNotFound, "not_found", "", "no such feed")
		return
	}
	c, err := s.app.Store.CaseByNumber(ctx, number)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		fail(w, r, err)
		return
	}
	cats, cerr := s.publicCategories(ctx)
	if cerr != nil {
		fail(w, r, cerr)
		return
	}
	// Merged-away cases and what the rule hides look absent, as on the
	// follow page; the feed of the case it went into is the one to read.
	if err != nil || !publish.Decide(c, cats[c.CategoryID] != "", publish.Lookup).Show {
		problem(w, http.StatusNotFound, "not_found", "", "no such case")
		return
	}
	pv := publish.Decide(c, true, publish.Lookup)
	names, err := s.divisionNames(ctx)
	if err != nil {
		fail(w, r, err)
		return
	}
	steps, err := s.app.PublicSteps(ctx, c.ID)
	if err != nil {
		fail(w, r, err)
		return
	}
	lang, base := feedLang(r), s.base(r)
	f := &atomFeed{Lang: lang, ID: s.caseTag(c), Title: atomText{"text", say(lang, "feed.case.title", "number", c.Number, "category", cats[c.CategoryID])},
		Author: atomPerson{say(lang, "feed.author")},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + r.URL.RequestURI()},
			{Rel: "alternate", Type: "text/html", Href: FollowURL(base, c.Number)}}}
	updated := c.ReportedAt
	summary := caseSummary(lang, c, pv, names)
	for i, st := range steps {
		if st.At.After(updated) {
			updated = st.At
		}
		e := atomEntry{ID: s.caseTag(c) + "/step/" + strconv.Itoa(st.Seq), Title: atomText{"text", say(lang, "public.state."+string(st.State))},
			Updated: rfc3339(st.At), Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: FollowURL(base, c.Number)}},
			Summary: atomText{"text", say(lang, "public.now."+string(st.State))}}
		if i == 0 {
			e.Summary.Body += " " + summary // the newest step says where the case stands
		}
		f.Entries = append(f.Entries, e)
	}
	f.Updated = rfc3339(updated)
	writeFeed(w, r, f, updated)
}
