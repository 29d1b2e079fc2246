package places

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// TestLayoutCoversOutline: the generated layer covers the whole district, so
// a report anywhere inside the outline finds its unit grid, and every cell
// is a valid polygon that an outside GIS can read.
func TestLayoutCoversOutline(t *testing.T) {
	lay, outline := pingcheng(t)
	// Planar areas in square degrees: the pieces of a clipped polygon sum
	// to the whole exactly (up to float rounding), which the spherical
	// area of split edges does not.
	var cells float64
	for _, u := range lay.Units {
		cells += planar.Area(u.Geometry)
		if msg := selfIntersection(u.Geometry); msg != "" {
			t.Errorf("unit grid %s: %s", u.Code, msg)
		}
	}
	whole := planar.Area(outline)
	t.Logf("outline %.0f m², %d unit grids, uncovered %.7f %%", geo.Area(outline), len(lay.Units), (whole-cells)/whole*100)
	if d := math.Abs(whole-cells) / whole; d > 1e-9 {
		t.Errorf("unit grids cover %.9f of the outline's area", cells/whole)
	}
	ix := NewIndex(lay.Units)
	// Points near the border are where slivers hide: sample along every
	// outline edge, just inside it, and random points in the bounding box.
	rng := rand.New(rand.NewPCG(7, 7))
	missed := 0
	try := func(p orb.Point) {
		if !planar.MultiPolygonContains(outline, p) {
			return
		}
		if _, err := ix.Locate(p[0], p[1]); err != nil {
			missed++
			if missed < 5 {
				t.Errorf("point %v inside the outline has no unit grid", p)
			}
		}
	}
	for _, poly := range outline {
		r := poly[0]
		for i := 1; i < len(r); i++ {
			a, b := r[i-1], r[i]
			for k := 0; k < 4; k++ {
				f := rng.Float64()
				m := orb.Point{a[0] + (b[0]-a[0])*f, a[1] + (b[1]-a[1])*f}
				// a few metres to either side of the edge
				nx, ny := -(b[1] - a[1]), b[0]-a[0]
				l := math.Hypot(nx, ny)
				if l == 0 {
					continue
				}
				for _, d := range []float64{-3e-5, -5e-6, 5e-6, 3e-5} {
					try(orb.Point{m[0] + nx/l*d, m[1] + ny/l*d})
				}
			}
		}
	}
	bb := outline.Bound()
	for i := 0; i < 20000; i++ {
		try(orb.Point{bb.Min.Lon() + rng.Float64()*(bb.Max.Lon()-bb.Min.Lon()), bb.Min.Lat() + rng.Float64()*(bb.Max.Lat()-bb.Min.Lat())})
	}
	if missed > 0 {
		t.Errorf("%d sampled points inside the outline have no unit grid", missed)
	}
}

// TestLocateJustOutside: a point rounded to just outside the district's
// edge belongs to the cell on that edge; a point clearly outside does not.
func TestLocateJustOutside(t *testing.T) {
	lay, outline := pingcheng(t)
	ix := NewIndex(lay.Units)
	r := outline[0][0]
	near, far := 0, 0
	step := max(1, len(r)/300)
	for i := 1; i < len(r); i += step {
		a, b := r[i-1], r[i]
		m := orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
		nx, ny := -(b[1] - a[1]), b[0]-a[0]
		l := math.Hypot(nx, ny)
		if l == 0 {
			continue
		}
		for _, d := range []float64{4e-6, -4e-6} { // about 40 cm to either side
			p := orb.Point{m[0] + nx/l*d, m[1] + ny/l*d}
			if planar.MultiPolygonContains(outline, p) {
				continue
			}
			near++
			if _, err := ix.Locate(p[0], p[1]); err != nil {
				t.Errorf("point %v, 40 cm outside the edge, refused: %v", p, err)
			}
		}
		for _, d := range []float64{5e-4, -5e-4} { // about 50 m
			p := orb.Point{m[0] + nx/l*d, m[1] + ny/l*d}
			if planar.MultiPolygonContains(outline, p) || boundaryDistance(outline, p) < 4e-4 {
				continue
			}
			far++
			if u, err := ix.Locate(p[0], p[1]); err == nil {
				t.Errorf("point %v, 50 m outside the district, located in %s", p, u.Code)
			}
		}
	}
	if near < 20 || far < 20 {
		t.Fatalf("only %d near and %d far points tried", near, far)
	}
}

// TestLayerRejectsFoldedCells: rings that touch or fold back on themselves
// are refused at import with the feature named, as an outside GIS would
// refuse them.
func TestLayerRejectsFoldedCells(t *testing.T) {
	for name, ring := range map[string]string{
		"spike":      `[[113.30,40.10],[113.31,40.10],[113.32,40.10],[113.31,40.10],[113.31,40.11],[113.30,40.11],[113.30,40.10]]`,
		"self-touch": `[[113.30,40.10],[113.32,40.10],[113.31,40.11],[113.32,40.12],[113.30,40.12],[113.31,40.11],[113.30,40.10]]`,
		"bow-tie":    `[[113.30,40.10],[113.31,40.11],[113.31,40.10],[113.30,40.11],[113.30,40.10]]`,
	} {
		layer := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"14021300100100101","grid":"140213001001001","community":"140213001001","street":"140213001"},"geometry":{"type":"Polygon","coordinates":[` + ring + `]}}]}`
		_, _, err := ParseLayer([]byte(layer), LayerOptions{})
		var es LayerErrors
		if !errors.As(err, &es) || len(es) != 1 || es[0].Feature != 0 || es[0].Code != "14021300100100101" {
			t.Errorf("%s: %v", name, err)
			continue
		}
		t.Logf("%s: %v", name, es[0])
	}
}
