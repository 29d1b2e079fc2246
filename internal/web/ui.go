package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"math"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/refdata"
)

// The browser UI is plain HTML, CSS and JavaScript modules in ui/,
// embedded in the binary: no build step, no CDN. Apache ECharts is the one
// vendored library (ui/vendor, with its licence), loaded only by the
// dashboard.

//go:embed ui
var uiFiles embed.FS

// asset is an embedded file ready to serve: its bytes, a gzip copy when
// that is smaller, and an ETag.
type asset struct {
	body, gz []byte
	ctype    string
	etag     string
}

func newAsset(name string, b []byte) *asset {
	sum := sha256.Sum256(b)
	a := &asset{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: mime.TypeByExtension(path.Ext(name))}
	if a.ctype == "" {
		a.ctype = "application/octet-stream"
	}
	if path.Ext(name) == ".js" || path.Ext(name) == ".json" {
		a.ctype = map[string]string{".js": "text/javascript; charset=utf-8", ".json": "application/json; charset=utf-8"}[path.Ext(name)]
	}
	if len(b) > 1024 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		if buf.Len() < len(b) {
			a.gz = buf.Bytes()
		}
	}
	return a
}

// serve writes the asset, compressed when the client takes gzip, and
// answers 304 to a matching If-None-Match.
func (a *asset) serve(w http.ResponseWriter, r *http.Request, cache string) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", cache)
	h.Add("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	w.Write(body)
}

// assets caches the embedded files as assets.
var assets sync.Map // name → *asset

func uiAsset(name string) (*asset, bool) {
	if a, ok := assets.Load(name); ok {
		return a.(*asset), true
	}
	b, err := fs.ReadFile(uiFiles, "ui/"+name)
	if err != nil {
		return nil, false
	}
	a, _ := assets.LoadOrStore(name, newAsset(name, b))
	return a.(*asset), true
}

// uiFile serves /ui/{file...}: scripts, styles, message catalogs.
func (s *Server) uiFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if strings.HasSuffix(name, ".html") || strings.Contains(name, "..") {
		http.NotFound(w, r)
		return
	}
	a, ok := uiAsset(name)
	if !ok {
		http.NotFound(w, r)
		return
	}
	a.serve(w, r, "no-cache")
}

// page serves one of the HTML shells; the scripts do the rest.
func page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := uiAsset(name)
		if !ok {
			http.NotFound(w, r)
			return
		}
		a.serve(w, r, "no-cache")
	}
}

// placeLayer is the map's vector data: the district outline, the street,
// community and grid names, and every unit grid as a ring of integer
// offsets (1e-5 degrees, about a metre) from the previous point.
type placeLayer struct {
	Bbox        [4]float64    `json:"bbox"`
	Tiles       string        `json:"tiles,omitempty"` // raster tile template, {z}/{x}/{y}
	Outline     [][][]float64 `json:"outline"`         // rings of [lon, lat]
	Streets     []named       `json:"streets"`
	Communities []named       `json:"communities"`
	Grids       []named       `json:"grids"`
	Scale       float64       `json:"scale"`
	// Cells: [grid index, lon0, lat0, dlon1, dlat1, ...] in 1/scale degrees.
	Cells [][]int64 `json:"cells"`
}

type named struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Street    string `json:"street,omitempty"`
	Community string `json:"community,omitempty"`
}

type layerCache struct {
	mu  sync.Mutex
	ix  *places.Index
	day string
	a   *asset
}

// placesMap serves the map layer, built once per grid layer and day.
func (s *Server) placesMap(w http.ResponseWriter, r *http.Request) {
	ix := s.app.Index()
	now := s.app.Now()
	day := now.In(calendar.Shanghai).Format("2006-01-02")
	s.layer.mu.Lock()
	defer s.layer.mu.Unlock()
	if s.layer.ix != ix || s.layer.day != day || s.layer.a == nil {
		b, err := s.buildLayer(r, ix, now)
		if err != nil {
			fail(w, r, err)
			return
		}
		s.layer.ix, s.layer.day, s.layer.a = ix, day, newAsset("layer.json", b)
	}
	s.layer.a.serve(w, r, "no-cache")
}

func (s *Server) buildLayer(r *http.Request, ix *places.Index, now time.Time) ([]byte, error) {
	const scale = 1e5
	l := placeLayer{Scale: scale, Tiles: s.tileURL, Streets: []named{}, Communities: []named{}, Grids: []named{}, Cells: [][]int64{}}
	outline, err := places.ParseOutline(refdata.Outline())
	if err != nil {
		return nil, err
	}
	b := outline.Bound()
	l.Bbox = [4]float64{b.Min.Lon(), b.Min.Lat(), b.Max.Lon(), b.Max.Lat()}
	round := func(v float64) float64 { return math.Round(v*scale) / scale }
	for _, poly := range outline {
		for _, ring := range poly {
			var out [][]float64
			for _, p := range ring {
				out = append(out, []float64{round(p.Lon()), round(p.Lat())})
			}
			l.Outline = append(l.Outline, out)
		}
	}
	divs, err := s.app.Store.Divisions(r.Context())
	if err != nil {
		return nil, err
	}
	for _, d := range divs {
		switch d.Level {
		case places.LevelStreet:
			l.Streets = append(l.Streets, named{Code: d.Code, Name: d.Name})
		case places.LevelCommunity:
			l.Communities = append(l.Communities, named{Code: d.Code, Name: d.Name, Street: d.ParentCode})
		}
	}
	grids, err := s.app.Store.Grids(r.Context(), now)
	if err != nil {
		return nil, err
	}
	gridIdx := map[string]int64{}
	for _, g := range grids {
		gridIdx[g.Code] = int64(len(l.Grids))
		l.Grids = append(l.Grids, named{Code: g.Code, Name: g.Name, Street: g.Street, Community: g.Community})
	}
	for _, u := range ix.Units() {
		gi, ok := gridIdx[u.Grid]
		if !ok {
			gi = -1
		}
		for _, poly := range u.Geometry {
			if len(poly) == 0 {
				continue
			}
			cell := []int64{gi}
			var px, py int64
			for i, p := range poly[0] {
				x, y := int64(math.Round(p.Lon()*scale)), int64(math.Round(p.Lat()*scale))
				if i == 0 {
					cell = append(cell, x, y)
				} else {
					cell = append(cell, x-px, y-py)
				}
				px, py = x, y
			}
			l.Cells = append(l.Cells, cell)
		}
	}
	return json.Marshal(l)
}

// CategoryView is a catalog entry as forms show it.
type CategoryView struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Class  string `json:"class"`
	Name   string `json:"name"`
	Public bool   `json:"public"`
	// Attributes are the questions the category asks.
	Attributes []catalog.Attribute `json:"attributes,omitempty"`
}

// categories lists the catalog: every category for staff forms, the
// public ones marked for residents.
func (s *Server) categories(w http.ResponseWriter, r *http.Request) {
	cs, err := s.app.Store.Categories(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]CategoryView, 0, len(cs))
	for _, c := range cs {
		if r.URL.Query().Get("public") == "true" && !c.Public {
			continue
		}
		out = append(out, CategoryView{ID: c.ID, Kind: string(c.Kind), Class: c.MajorClass, Name: c.Name, Public: c.Public, Attributes: c.Attributes})
	}
	slices.SortFunc(out, func(a, b CategoryView) int { return strings.Compare(a.ID, b.ID) })
	writeJSON(w, http.StatusOK, map[string]any{"categories": out})
}

// units lists the departments and offices, for dispatch forms and names.
func (s *Server) units(w http.ResponseWriter, r *http.Request) {
	us, err := s.app.Store.Units(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"units": us})
}

// placeNames names a case's street, community and grid for people.
func (s *Server) placeNames(ctx context.Context, p caseflow.Place) (map[string]string, error) {
	divs, err := s.app.Store.Divisions(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, d := range divs {
		switch d.Code {
		case p.Street:
			out["street"] = d.Name
		case p.Community:
			out["community"] = d.Name
		}
	}
	grids, err := s.app.Store.Grids(ctx, s.app.Now())
	if err != nil {
		return nil, err
	}
	for _, g := range grids {
		if g.Code == p.Grid {
			out["grid"] = g.Name
		}
	}
	return out, nil
}
