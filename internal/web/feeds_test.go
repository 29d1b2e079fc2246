package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/alert"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/publish"
	"github.com/xiuhua/xiuhua/internal/store"
)

// atom is an Atom document read back with the elements RFC 4287 requires.
type atom struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string   `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Author  struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Links []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Summary string `xml:"summary"`
		Links   []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Category struct {
			Term string `xml:"term,attr"`
		} `xml:"category"`
	} `xml:"entry"`
}

// readAtom fetches a feed and checks what every Atom feed must have: a
// feed id, title and updated time, an author, a self link, and in each
// entry an id (a tag: URI), a title, an updated time and a link.
func readAtom(t *testing.T, u string) (atom, string) {
	t.Helper()
	code, body, h := getAs(t, u, "")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("GET %s: %d %s %.300s", u, code, h.Get("Content-Type"), body)
	}
	var f atom
	if err := xml.Unmarshal([]byte(body), &f); err != nil {
		t.Fatalf("GET %s: not XML: %v", u, err)
	}
	if _, err := time.Parse(time.RFC3339, f.Updated); err != nil || f.ID == "" || f.Title == "" || f.Author.Name == "" {
		t.Errorf("GET %s: feed id %q, title %q, updated %q, author %q", u, f.ID, f.Title, f.Updated, f.Author.Name)
	}
	if !slices.ContainsFunc(f.Links, func(l struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	}) bool {
		return l.Rel == "self"
	}) {
		t.Errorf("GET %s: no self link", u)
	}
	ids := map[string]bool{}
	for _, e := range f.Entries {
		if _, err := time.Parse(time.RFC3339, e.Updated); err != nil || !strings.HasPrefix(e.ID, "tag:") || e.Title == "" || len(e.Links) == 0 {
			t.Errorf("GET %s: entry id %q, title %q, updated %q, %d links", u, e.ID, e.Title, e.Updated, len(e.Links))
		}
		if ids[e.ID] {
			t.Errorf("GET %s: entry id %s twice", u, e.ID)
		}
		ids[e.ID] = true
	}
	if len(f.Entries) > 50 {
		t.Errorf("GET %s: %d entries, at most 50", u, len(f.Entries))
	}
	return f, h.Get("ETag")
}

// seedPublic has grid workers report n problems (verified by reporting
// them: listed at once), one in each of the first grids of the layer, and
// returns their numbers.
func seedPublic(t *testing.T, base string, a *app.App, n int) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	for _, u := range a.Index().Units() {
		if len(out) == n {
			break
		}
		if seen[u.Grid] {
			continue
		}
		seen[u.Grid] = true
		lon, lat := pointIn(t, a, u.Grid)
		j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "垃圾满溢 " + u.Grid, "lon": lon, "lat": lat})
		code, body, _ := send(t, "POST", base+"/api/v1/cases", tokenOf(t, a, "gw"+u.Grid), bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		var v struct{ Number string }
		if code != 201 || json.Unmarshal([]byte(body), &v) != nil {
			t.Fatalf("report in %s: %d %s", u.Grid, code, body)
		}
		out = append(out, v.Number)
	}
	return out
}

func numberOf(id string) string { return id[strings.LastIndex(id, "/")+1:] }

// The board's feed lists the newest open problems the board lists —
// recounted from every case with the public rule — and an area's feed the
// same cut to the area; ids stay the same from one read to the next and a
// reader that has the feed gets 304.
func TestBoardFeeds(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	seedPublic(t, s.URL, a, 60)
	all, err := a.Store.Cases(ctx, store.CaseFilter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	cats, _ := a.Store.Categories(ctx)
	public := map[string]bool{}
	for _, c := range cats {
		public[c.ID] = c.Public
	}
	// The recount: open cases the public rule lists, newest first.
	listed := func(keep func(c *caseflow.Case) bool) []string {
		var out []string
		for i := range all { // newest first already
			c := &all[i]
			if v := publish.Decide(c, public[c.CategoryID], publish.List); v.Show && v.Place && c.State.Open() && keep(c) {
				out = append(out, c.Number)
			}
		}
		return out[:min(len(out), 50)]
	}
	numbers := func(f atom) []string {
		var out []string
		for _, e := range f.Entries {
			out = append(out, numberOf(e.ID))
		}
		return out
	}
	f, etag := readAtom(t, s.URL+"/feeds/board.atom")
	if want := listed(func(*caseflow.Case) bool { return true }); !slices.Equal(numbers(f), want) || len(want) < 10 {
		t.Fatalf("the board's feed lists %v, want %v", numbers(f), want)
	}
	if f.Lang != "zh-CN" || !strings.Contains(f.Title, "问题挂牌") {
		t.Errorf("the board's feed is in Chinese: %s %q", f.Lang, f.Title)
	}
	again, _ := readAtom(t, s.URL+"/feeds/board.atom")
	if again.ID != f.ID || !slices.Equal(numbers(again), numbers(f)) || again.Entries[0].ID != f.Entries[0].ID {
		t.Errorf("the feed's ids moved between two reads")
	}
	if code, body, _ := send(t, "GET", s.URL+"/feeds/board.atom", "", nil, map[string]string{"If-None-Match": etag}); code != 304 || body != "" {
		t.Errorf("a reader with the current feed: %d, want 304", code)
	}
	// A verified case's entry has its masked text; an entry links to the
	// board's page of the case.
	e := f.Entries[0]
	if !strings.HasPrefix(e.ID, "tag:xiuhua.pingcheng,2026:case/") {
		t.Errorf("entry id %s: not the fixed tag authority (no -public-url)", e.ID)
	}
	if !strings.Contains(e.Links[0].Href, "/board#follow/"+numberOf(e.ID)) {
		t.Errorf("entry link %s", e.Links[0].Href)
	}

	street, community := all[0].Place.Street, all[0].Place.Community
	fs, _ := readAtom(t, s.URL+"/feeds/board.atom?street="+street)
	if want := listed(func(c *caseflow.Case) bool { return c.Place.Street == street }); !slices.Equal(numbers(fs), want) || len(want) == 0 {
		t.Errorf("street %s's feed: %v, want %v", street, numbers(fs), want)
	}
	fc, _ := readAtom(t, s.URL+"/feeds/board.atom?community="+community+"&lang=en")
	if want := listed(func(c *caseflow.Case) bool { return c.Place.Community == community }); !slices.Equal(numbers(fc), want) || len(want) == 0 {
		t.Errorf("community %s's feed: %v, want %v", community, numbers(fc), want)
	}
	if fc.Lang != "en" || !strings.Contains(fc.Title, "Public problem board") {
		t.Errorf("?lang=en: %s %q", fc.Lang, fc.Title)
	}
	// A circle of 800 m around a case: those whose public cell it touches.
	pt := publish.Point(all[0].Point)
	circle := alert.Area{Circle: &alert.Circle{Lon: all[0].Point.Lon, Lat: all[0].Point.Lat, Radius: 800}}
	fr, _ := readAtom(t, fmt.Sprintf("%s/feeds/board.atom?lat=%f&lon=%f&r=800", s.URL, all[0].Point.Lat, all[0].Point.Lon))
	want := listed(func(c *caseflow.Case) bool {
		return circle.Contains(alert.Case{Street: c.Place.Street, Point: publish.Point(c.Point)})
	})
	if !slices.Equal(numbers(fr), want) || len(want) == 0 {
		t.Errorf("the circle's feed (around %v): %v, want %v", pt, numbers(fr), want)
	}

	// Bad areas are refused, naming the parameter.
	for _, tt := range []struct{ q, field string }{
		{"street=140213999", "street"},
		{"community=140213999999", "community"},
		{fmt.Sprintf("lat=%f&lon=%f&r=50", pt.Lat, pt.Lon), "r"},
		{fmt.Sprintf("lat=%f&lon=%f&r=9000", pt.Lat, pt.Lon), "r"},
		{fmt.Sprintf("lat=%f&lon=%f", pt.Lat, pt.Lon), "r"},
		{"lat=39.9&lon=116.4&r=500", "lon"}, // Beijing
		{"lat=x&lon=113.3&r=500", "lat"},
		{"category=NOPE", "category"},
	} {
		code, body, _ := getAs(t, s.URL+"/feeds/board.atom?"+tt.q, "")
		var p struct{ Field string }
		json.Unmarshal([]byte(body), &p)
		if code != 400 || p.Field != tt.field {
			t.Errorf("?%s: %d %s, want 400 naming %s", tt.q, code, body, tt.field)
		}
	}
}

// A case's feed has one entry per public step, newest first, with the
// same ids each time; a case the public may not see has no feed.
func TestCaseFeed(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{State: caseflow.Closed, Limit: 20})
	var c *caseflow.Case
	for i := range cs {
		if cs[i].DuplicateOf == 0 {
			c = &cs[i]
			break
		}
	}
	f, _ := readAtom(t, s.URL+"/feeds/cases/"+c.Number+".atom")
	ups, _ := a.Store.Updates(ctx, time.Time{}, time.Time{}, []int64{c.ID}, 1000, store.PublicRule{})
	if len(f.Entries) != len(ups) || len(ups) < 3 {
		t.Fatalf("case %s: %d entries, %d public steps", c.Number, len(f.Entries), len(ups))
	}
	for i, u := range ups {
		e := f.Entries[len(ups)-1-i]
		if !strings.HasSuffix(e.ID, fmt.Sprintf("case/%s/step/%d", c.Number, u.Seq)) {
			t.Errorf("step %d: entry %s", u.Seq, e.ID)
		}
		if at, _ := time.Parse(time.RFC3339, e.Updated); !at.Equal(u.At.Truncate(time.Second)) {
			t.Errorf("step %d: updated %s, the step was at %s", u.Seq, e.Updated, u.At)
		}
	}
	if !strings.Contains(f.Entries[0].Title, "已办结") {
		t.Errorf("the newest entry of a closed case: %q", f.Entries[0].Title)
	}
	for _, n := range []string{"20990101000001", url.PathEscape("../board")} {
		if code, _, _ := getAs(t, s.URL+"/feeds/cases/"+n+".atom", ""); code != 404 {
			t.Errorf("the feed of %s: %d, want 404", n, code)
		}
	}
	// The board says where its feed is.
	_, page, _ := getAs(t, s.URL+"/board", "")
	if !strings.Contains(page, `<link rel="alternate" type="application/atom+xml"`) || !strings.Contains(page, `href="/feeds/board.atom"`) {
		t.Errorf("the board does not link its feed")
	}
}
