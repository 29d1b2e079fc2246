package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/publish"
	"github.com/xiuhua/xiuhua/internal/refdata"
	"github.com/xiuhua/xiuhua/internal/store"
)

// A resident reporting from the map: where their pin is (street and
// community), what is already reported near it, and "me too" (我也遇到) on
// one of those instead of a new report; and the board's map of every open
// public problem. Everything goes through package publish: only what the
// public rule lists, at its coarse points. Nearby answers are chosen by
// public cells, never by exact distances, so moving a pin around cannot
// find out where a case really is.

// publicRule is publish's rule as a store filter.
var publicRule = store.PublicRule{Listable: publish.Listable, VerifyFirst: publish.VerifyFirst}

// nearbyMax is how many open reports near a pin are shown.
const nearbyMax = 10

// publicMapMax bounds the board map's work: open public problems beyond it
// are counted as "more" rather than read.
const publicMapMax = 20000

// PublicPlace is the street and community of a point.
type PublicPlace struct {
	Street        string `json:"street"`
	StreetName    string `json:"street_name"`
	Community     string `json:"community"`
	CommunityName string `json:"community_name"`
}

// divisionNames maps street and community codes to their names.
func (s *Server) divisionNames(ctx context.Context) (map[string]string, error) {
	divs, err := s.app.Store.Divisions(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(divs))
	for _, d := range divs {
		out[d.Code] = d.Name
	}
	return out, nil
}

// nameViews fills the street and community names of public views.
func (s *Server) nameViews(ctx context.Context, vs []*PublicCase) error {
	names, err := s.divisionNames(ctx)
	if err != nil {
		return err
	}
	for _, v := range vs {
		v.StreetName, v.CommName = names[v.Street], names[v.Community]
	}
	return nil
}

// meToos fills the me-too counts of public views of cases.
func (s *Server) meToos(ctx context.Context, cs []caseflow.Case, vs []PublicCase) error {
	ids := make([]int64, len(cs))
	for i := range cs {
		ids[i] = cs[i].ID
	}
	n, err := s.app.Store.MeToos(ctx, ids)
	if err != nil {
		return err
	}
	for i := range vs {
		vs[i].MeToo = n[cs[i].ID]
	}
	return nil
}

// publicNearby answers a resident's pin: its street and community, and the
// open public reports in its public cell and the eight around it (about
// 1.3 × 1.7 km in Datong), nearest (by their public point) first.
func (s *Server) publicNearby(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	lon, lat, ok := lonLat(w, q.Get("lon"), q.Get("lat"))
	if !ok {
		return
	}
	cats, err := s.publicCategories(ctx)
	if err != nil {
		fail(w, r, err)
		return
	}
	cat := q.Get("category")
	if cat != "" && cats[cat] == "" {
		problem(w, http.StatusBadRequest, "invalid", "category", "residents see public categories only; unknown "+cat)
		return
	}
	out := struct {
		Place *PublicPlace `json:"place"` // null outside the district
		Cases []PublicCase `json:"cases"`
	}{Cases: []PublicCase{}}
	names, err := s.divisionNames(ctx)
	if err != nil {
		fail(w, r, err)
		return
	}
	u, err := s.app.Index().Locate(lon, lat)
	switch {
	case errors.Is(err, places.ErrOutside):
		writeJSON(w, http.StatusOK, out) // nothing is reported outside
		return
	case err != nil:
		problem(w, http.StatusBadRequest, "invalid", "lon", err.Error())
		return
	}
	out.Place = &PublicPlace{Street: u.Street, StreetName: names[u.Street], Community: u.Community, CommunityName: names[u.Community]}
	c := publish.Point(caseflow.Point{Lon: lon, Lat: lat})
	box := store.Bound{MinLon: c.Lon - 1.5*publish.GridDeg, MinLat: c.Lat - 1.5*publish.GridDeg, MaxLon: c.Lon + 1.5*publish.GridDeg, MaxLat: c.Lat + 1.5*publish.GridDeg}
	cs, _, err := s.app.Store.PublicOpen(ctx, box, cat, publicRule, 500)
	if err != nil {
		fail(w, r, err)
		return
	}
	type near struct {
		c caseflow.Case
		v PublicCase
		d float64
	}
	var ns []near
	for i := range cs {
		pv := publish.Decide(&cs[i], cats[cs[i].CategoryID] != "", publish.List)
		if !pv.Show || !pv.Place || !cs[i].State.Open() {
			continue
		}
		v := s.publicView(&cs[i], cats[cs[i].CategoryID], pv)
		v.StreetName, v.CommName = names[v.Street], names[v.Community]
		ns = append(ns, near{cs[i], v, geo.Distance(orb.Point{lon, lat}, orb.Point{*v.Lon, *v.Lat})})
	}
	slices.SortFunc(ns, func(a, b near) int {
		return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(b.c.ID, a.c.ID))
	})
	ns = ns[:min(len(ns), nearbyMax)]
	picked := make([]caseflow.Case, len(ns))
	for i, n := range ns {
		picked[i] = n.c
		out.Cases = append(out.Cases, n.v)
	}
	if err := s.meToos(ctx, picked, out.Cases); err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// meToo records that one more resident meets an open public problem (a
// repeat report without a case of its own): an overlay event on the case,
// by the resident role, with where they were when a point is given. Staff
// see it on the case; the public sees only the count.
func (s *Server) meToo(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Lon *float64 `json:"lon"`
		Lat *float64 `json:"lat"`
	}
	if !decode(w, r, &in) {
		return
	}
	var at *caseflow.Point
	if in.Lon != nil || in.Lat != nil {
		if in.Lon == nil || in.Lat == nil || places.CheckLonLat(*in.Lon, *in.Lat) != nil {
			problem(w, http.StatusBadRequest, "invalid", "lon", "lon and lat together, in degrees (WGS84)")
			return
		}
		at = &caseflow.Point{Lon: *in.Lon, Lat: *in.Lat}
	}
	ctx := r.Context()
	c, err := s.app.Store.CaseByNumber(ctx, r.PathValue("number"))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		fail(w, r, err)
		return
	}
	cats, cerr := s.publicCategories(ctx)
	if cerr != nil {
		fail(w, r, cerr)
		return
	}
	// Only what the board lists may be met again: a report nobody has
	// looked at is not shown, so it cannot be chosen.
	if err != nil || !publish.Decide(c, cats[c.CategoryID] != "", publish.List).Show {
		problem(w, http.StatusNotFound, "not_found", "", "no such case")
		return
	}
	if !c.State.Open() {
		problem(w, http.StatusConflict, "wrong_state", "", "this problem is closed; report it again if it is back")
		return
	}
	cmd := caseflow.Command{Action: caseflow.ActMeToo, Actor: caseflow.Actor{Role: caseflow.Resident}, ExpectedVersion: c.Version, Location: at}
	var n *caseflow.Case
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 100 {
		problem(w, http.StatusBadRequest, "invalid", "Idempotency-Key", "an Idempotency-Key has at most 100 characters")
		return
	}
	if key != "" {
		// Per client, as residents have no account: the same browser
		// saying "me too" on the same case again counts once.
		n, _, err = s.app.ActOnce(ctx, c.ID, cmd, 0, "me-too|"+client(r)+"|"+c.Number+"|"+key)
	} else {
		n, _, err = s.app.Act(ctx, c.ID, cmd)
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	v := s.publicView(n, cats[n.CategoryID], publish.Decide(n, true, publish.List))
	vs := []PublicCase{v}
	if err := s.meToos(ctx, []caseflow.Case{*n}, vs); err != nil {
		fail(w, r, err)
		return
	}
	if err := s.nameViews(ctx, []*PublicCase{&vs[0]}); err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, vs[0])
}

// PublicCell is the open public problems at one public point (the centre
// of a publish.GridDeg cell), with their numbers (the newest cellNumbers),
// so a tap lists or follows them; a single one also has its state.
type PublicCell struct {
	Lon     float64        `json:"lon"`
	Lat     float64        `json:"lat"`
	Count   int            `json:"count"`
	Number  string         `json:"number,omitempty"`
	State   caseflow.State `json:"state,omitempty"`
	Numbers []string       `json:"numbers"`
}

const cellNumbers = 20

var districtBox = sync.OnceValues(func() (store.Bound, error) {
	o, err := places.ParseOutline(refdata.Outline())
	if err != nil {
		return store.Bound{}, err
	}
	b := o.Bound()
	return store.Bound{MinLon: b.Min.Lon(), MinLat: b.Min.Lat(), MaxLon: b.Max.Lon(), MaxLat: b.Max.Lat()}, nil
})

// publicMap is every open public problem of the district for the board's
// map, counted per public cell.
func (s *Server) publicMap(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	box, err := districtBox()
	if err != nil {
		fail(w, r, err)
		return
	}
	ns, more, err := s.app.Store.PublicMarkers(ctx, box, publicRule, publicMapMax)
	if err != nil {
		fail(w, r, err)
		return
	}
	cells := map[caseflow.Point]*PublicCell{}
	var order []caseflow.Point
	for _, n := range ns {
		p := publish.Point(caseflow.Point{Lon: n.Lon, Lat: n.Lat})
		c := cells[p]
		if c == nil {
			c = &PublicCell{Lon: p.Lon, Lat: p.Lat}
			cells[p] = c
			order = append(order, p)
		}
		c.Count++
		c.Number, c.State = n.Number, n.State
		c.Numbers = append(c.Numbers, n.Number)
	}
	out := struct {
		Total int          `json:"total"`
		More  bool         `json:"more"` // more than the map reads; the total is a lower bound
		Cells []PublicCell `json:"cells"`
	}{Total: len(ns), More: more, Cells: make([]PublicCell, 0, len(order))}
	for _, p := range order {
		c := *cells[p]
		if c.Count > 1 {
			c.Number, c.State = "", ""
		}
		slices.Sort(c.Numbers) // numbers grow with time: the newest last
		slices.Reverse(c.Numbers)
		c.Numbers = c.Numbers[:min(len(c.Numbers), cellNumbers)]
		out.Cells = append(out.Cells, c)
	}
	slices.SortFunc(out.Cells, func(a, b PublicCell) int {
		return cmp.Or(cmp.Compare(a.Lat, b.Lat), cmp.Compare(a.Lon, b.Lon))
	})
	writeJSON(w, http.StatusOK, out)
}
