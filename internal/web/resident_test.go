package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/publish"
	"github.com/xiuhua/xiuhua/internal/store"
)

type publicCase struct {
	Number  string   `json:"number"`
	State   string   `json:"state"`
	Street  string   `json:"street"`
	StreetN string   `json:"street_name"`
	CommN   string   `json:"community_name"`
	Lon     *float64 `json:"lon"`
	Lat     *float64 `json:"lat"`
	MeToo   int      `json:"me_too"`
	Desc    string   `json:"description"`
	Steps   []struct {
		State     string `json:"state"`
		StateName string `json:"state_name"`
	} `json:"steps"`
}

// A resident's pin names its street and community and lists the open
// public problems around it at their public points; "me too" on one adds
// to that case (an event, a count the follow page shows) instead of a new
// report; a report nobody has looked at cannot be chosen, a closed one
// cannot be met again; the follow page's steps carry state codes the page
// words in the reader's language.
func TestResidentNearbyAndMeToo(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	cats, _ := a.Store.Categories(ctx)
	public := map[string]bool{}
	for _, c := range cats {
		public[c.ID] = c.Public
	}
	var target caseflow.Case
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{State: caseflow.Dispatched, Limit: 200})
	for _, c := range cs {
		if public[c.CategoryID] && c.DuplicateOf == 0 {
			target = c
			break
		}
	}
	if target.ID == 0 {
		t.Fatal("no dispatched public case in the demo")
	}
	get := func(path string) (int, string) {
		code, body, _ := getAs(t, s.URL+path, "")
		return code, body
	}
	code, body := get(fmt.Sprintf("/api/v1/public/nearby?lon=%f&lat=%f&category=%s", target.Point.Lon, target.Point.Lat, target.CategoryID))
	var near struct {
		Place *struct {
			Street        string `json:"street"`
			CommunityName string `json:"community_name"`
		} `json:"place"`
		Cases []publicCase `json:"cases"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &near) != nil {
		t.Fatalf("nearby: %d %s", code, body)
	}
	if near.Place == nil || near.Place.Street != target.Place.Street || near.Place.CommunityName == "" {
		t.Fatalf("the pin's place: %+v, want street %s", near.Place, target.Place.Street)
	}
	snapped := publish.Point(target.Point)
	var found *publicCase
	for i, c := range near.Cases {
		if c.Lon == nil || *c.Lon != publish.Point(caseflow.Point{Lon: *c.Lon, Lat: *c.Lat}).Lon {
			t.Errorf("%s is not at a public point: %v", c.Number, c.Lon)
		}
		if c.Number == target.Number {
			found = &near.Cases[i]
		}
	}
	if found == nil || *found.Lon != snapped.Lon || found.StreetN == "" {
		t.Fatalf("the dispatched case %s at the pin is not among the nearby ones, at its public point: %s", target.Number, body)
	}
	if strings.Contains(body, target.Description) && !target.Verified {
		t.Errorf("unverified text shown near the pin")
	}
	if code, body := get("/api/v1/public/nearby?lon=200&lat=40"); code != 400 || !strings.Contains(body, `"field":"lon"`) {
		t.Errorf("a bad longitude: %d %s", code, body)
	}
	if code, body := get("/api/v1/public/nearby?lon=100&lat=20"); code != 200 || !strings.Contains(body, `"place":null`) {
		t.Errorf("outside the district: %d %s", code, body)
	}

	// Me too, twice: the case counts two residents, its state and
	// deadline stay.
	anon := &user{t: t, base: s.URL, c: &http.Client{}}
	for i := 1; i <= 2; i++ {
		code, body := anon.do("POST", "/api/v1/public/cases/"+target.Number+"/me-too", map[string]any{"lon": target.Point.Lon, "lat": target.Point.Lat})
		var v publicCase
		if code != 200 || json.Unmarshal([]byte(body), &v) != nil || v.MeToo != i || v.State != "dispatched" {
			t.Fatalf("me too #%d: %d %s", i, code, body)
		}
	}
	// The same browser again (its Idempotency-Key): counted once.
	for i := 0; i < 2; i++ {
		code, body, _ := send(t, "POST", s.URL+"/api/v1/public/cases/"+target.Number+"/me-too", "", strings.NewReader(`{}`),
			map[string]string{"Content-Type": "application/json", "Idempotency-Key": "browser-1"})
		var v publicCase
		if code != 200 || json.Unmarshal([]byte(body), &v) != nil || v.MeToo != 3 {
			t.Fatalf("me too with a key, #%d: %d %s", i+1, code, body)
		}
	}
	after, _ := a.Store.Case(ctx, target.ID)
	if after.State != target.State || !after.Deadline.Equal(target.Deadline) {
		t.Errorf("me too changed the case: %s %v → %s %v", target.State, target.Deadline, after.State, after.Deadline)
	}
	evs, _ := a.Store.Events(ctx, target.ID)
	if m := evs[len(evs)-3]; m.Action != caseflow.ActMeToo || m.Actor.Role != caseflow.Resident || m.Data.Location == nil {
		t.Errorf("a resident's me too with where they were: %+v", m)
	}
	if last := evs[len(evs)-1]; last.Action != caseflow.ActMeToo || evs[len(evs)-4].Action == caseflow.ActMeToo {
		t.Errorf("three me-too events, not %d", len(evs))
	}
	code, body = get("/api/v1/public/cases/" + target.Number)
	var f publicCase
	if code != 200 || json.Unmarshal([]byte(body), &f) != nil || f.MeToo != 3 || len(f.Steps) == 0 {
		t.Fatalf("follow after me too: %d %s", code, body)
	}
	for _, st := range f.Steps {
		if strings.HasPrefix(st.State, "待") || st.StateName == "" {
			t.Errorf("a step's state must be its code with its name beside: %+v", st)
		}
	}
	if f.Steps[0].State != "reported" || f.StreetN == "" {
		t.Errorf("follow page: %s", body)
	}

	// A report nobody has looked at, and a closed case, cannot be met.
	code, body = anon.do("POST", "/api/v1/public/reports", map[string]any{"category": target.CategoryID, "description": "路边垃圾",
		"lon": target.Point.Lon, "lat": target.Point.Lat})
	var fresh publicCase
	json.Unmarshal([]byte(body), &fresh)
	if code != 201 {
		t.Fatalf("report: %d %s", code, body)
	}
	if code, _ := anon.do("POST", "/api/v1/public/cases/"+fresh.Number+"/me-too", map[string]any{}); code != 404 {
		t.Errorf("me too on an unvetted report: %d", code)
	}
	// Merged into the case as a duplicate, the fresh report says where it
	// went, and nothing else.
	dispatcher := signIn(t, s.URL, "dispatcher1")
	if code, body := dispatcher.do("POST", "/api/v1/cases/"+fresh.Number+"/actions/merge", map[string]any{"version": version(t, a, fresh.Number), "duplicate_of": target.Number}); code != 200 {
		t.Fatalf("merge: %d %s", code, body)
	}
	code, body = get("/api/v1/public/cases/" + fresh.Number)
	if code != 200 || !strings.Contains(body, `"merged_into":"`+target.Number+`"`) || strings.Contains(body, `"lon"`) || strings.Contains(body, "路边垃圾") {
		t.Errorf("a merged report by its number: %d %s", code, body)
	}
	closed, _ := a.Store.Cases(ctx, store.CaseFilter{State: caseflow.Closed, Limit: 50})
	for _, c := range closed {
		if public[c.CategoryID] && c.DuplicateOf == 0 {
			if code, body := anon.do("POST", "/api/v1/public/cases/"+c.Number+"/me-too", map[string]any{}); code != 409 {
				t.Errorf("me too on closed %s: %d %s", c.Number, code, body)
			}
			break
		}
	}
	if code, body := anon.do("POST", "/api/v1/public/cases/"+target.Number+"/me-too", map[string]any{"lon": 113.3}); code != 400 {
		t.Errorf("a longitude without latitude: %d %s", code, body)
	}
}

// The board's map counts every open public problem, not the rows of a
// page: the counts of its cells add up to the open cases the public rule
// lists, recounted from the raw rows.
func TestPublicMapCountsEveryOpenProblem(t *testing.T) {
	s, a := server(t)
	var want int
	err := a.Store.DB().QueryRow(`SELECT count(*) FROM cases WHERE state NOT IN ('closed', 'voided') AND duplicate_of IS NULL
		AND (verified OR state <> 'reported') AND category_id IN (SELECT id FROM categories WHERE public)`).Scan(&want)
	if err != nil {
		t.Fatal(err)
	}
	code, body, _ := getAs(t, s.URL+"/api/v1/public/map", "")
	var m struct {
		Total int  `json:"total"`
		More  bool `json:"more"`
		Cells []struct {
			Lon, Lat float64
			Count    int
			Number   string
		} `json:"cells"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &m) != nil {
		t.Fatalf("public map: %d %.300s", code, body)
	}
	sum, named := 0, 0
	for _, c := range m.Cells {
		sum += c.Count
		if p := publish.Point(caseflow.Point{Lon: c.Lon, Lat: c.Lat}); p.Lon != c.Lon || p.Lat != c.Lat {
			t.Errorf("cell at %f,%f is not a public point", c.Lon, c.Lat)
		}
		if (c.Number != "") != (c.Count == 1) {
			t.Errorf("a cell names its case exactly when it holds one: %+v", c)
		}
		if c.Number != "" {
			named++
		}
	}
	if want < 3 || m.Total != want || sum != want || m.More {
		t.Fatalf("the map shows %d (cells %d), the rule lists %d open public problems", m.Total, sum, want)
	}
	t.Logf("%d open public problems in %d cells (%d single)", want, len(m.Cells), named)
}

// A resident can ask to hear how their report goes: with an e-mail or a
// mobile number it is kept (for staff only: the follow page never shows
// it); without either, or with an address that is not one, the report is
// refused naming the field and nothing is written.
func TestResidentAsksForProgress(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	anon := &user{t: t, base: s.URL, c: &http.Client{}}
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 50})
	var at caseflow.Case
	cats, _ := a.Store.Categories(ctx)
	public := map[string]bool{}
	for _, c := range cats {
		public[c.ID] = c.Public
	}
	for _, c := range all {
		if public[c.CategoryID] {
			at = c
			break
		}
	}
	base := func(extra map[string]any) map[string]any {
		m := map[string]any{"category": at.CategoryID, "description": "路灯不亮好几天了", "lon": at.Point.Lon, "lat": at.Point.Lat}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	before, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 100000})
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{base(map[string]any{"updates": true}), "updates"},
		{base(map[string]any{"updates": true, "phone": "0352-1234567"}), "updates"},
		{base(map[string]any{"email": "not an address", "updates": true}), "email"},
	} {
		if code, body := anon.do("POST", "/api/v1/public/reports", bad.body); code != 400 || !strings.Contains(body, `"field":"`+bad.field+`"`) {
			t.Errorf("%v: %d %s", bad.body, code, body)
		}
	}
	if after, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 100000}); len(after) != len(before) {
		t.Fatalf("refused reports wrote %d cases", len(after)-len(before))
	}
	code, body := anon.do("POST", "/api/v1/public/reports", base(map[string]any{"email": "wang@example.cn", "updates": true}))
	var made publicCase
	if code != 201 || json.Unmarshal([]byte(body), &made) != nil {
		t.Fatalf("report with an e-mail: %d %s", code, body)
	}
	c, err := a.Store.CaseByNumber(ctx, made.Number)
	if err != nil || c.Reporter.Email != "wang@example.cn" || !c.Reporter.Updates {
		t.Fatalf("the requester's wish was not kept: %+v %v", c.Reporter, err)
	}
	if _, page := anon.do("GET", "/api/v1/public/cases/"+made.Number, nil); strings.Contains(page, "wang@") {
		t.Errorf("the follow page shows the e-mail: %s", page)
	}
}
