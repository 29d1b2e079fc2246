package places

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/tidwall/rtree"
)

// A grid layer as cities keep it in their GIS: one GeoJSON feature per unit
// grid with the properties code, grid, community and street (and
// optionally grid_name). ParseLayer checks it whole and reports every
// problem naming the feature; a layer with any problem imports nothing.

// LayerError is one problem of a layer, naming the feature.
type LayerError struct {
	Feature int    // index in the file
	Code    string // the unit grid's code, when it has one
	Msg     string
}

func (e LayerError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("feature %d (%s): %s", e.Feature, e.Code, e.Msg)
	}
	return fmt.Sprintf("feature %d: %s", e.Feature, e.Msg)
}

// LayerErrors lists a layer's problems; nothing of it is imported.
type LayerErrors []LayerError

func (es LayerErrors) Error() string { return summarize(es, "problems") }

// LayerOptions are what a layer is checked against.
type LayerOptions struct {
	Outline   Polygonal       // the district; cells must lie inside it (nil: not checked)
	Divisions map[string]bool // known street and community codes (nil: not checked)
	ValidFrom time.Time
}

// maxLayerErrors stops a hopeless file from producing millions of lines.
const maxLayerErrors = 200

// ParseLayer reads and checks a grid layer.
func ParseLayer(b []byte, o LayerOptions) ([]Grid, []UnitGrid, error) {
	fs, err := ParseFeatures(b)
	if err != nil {
		return nil, nil, err
	}
	var errs LayerErrors
	bad := func(i int, code, format string, args ...any) {
		if len(errs) < maxLayerErrors {
			errs = append(errs, LayerError{Feature: i, Code: code, Msg: fmt.Sprintf(format, args...)})
		}
	}
	units := make([]UnitGrid, 0, len(fs))
	seen := map[string]int{}
	grids := map[string]*Grid{}
	var gridOrder []string
	for i, f := range fs {
		prop := func(k string) string {
			v, _ := f.Properties[k].(string)
			return strings.TrimSpace(v)
		}
		u := UnitGrid{Code: prop("code"), Grid: prop("grid"), Community: prop("community"), Street: prop("street"),
			ValidFrom: o.ValidFrom, Geometry: f.Geometry}
		switch {
		case !digits(u.Code) || !digits(u.Grid) || !digits(u.Community) || !digits(u.Street):
			bad(i, u.Code, "properties code, grid, community and street must be digit codes")
		case len(u.Street) != 9 || len(u.Community) != 12 || !strings.HasPrefix(u.Community, u.Street):
			bad(i, u.Code, "community %q must be 12 digits inside street %q (9 digits)", u.Community, u.Street)
		case !strings.HasPrefix(u.Grid, u.Community) || len(u.Grid) <= len(u.Community):
			bad(i, u.Code, "grid %q must extend its community code %q", u.Grid, u.Community)
		case !strings.HasPrefix(u.Code, u.Grid) || len(u.Code) <= len(u.Grid):
			bad(i, u.Code, "unit grid code must extend its grid code %q", u.Grid)
		case o.Divisions != nil && !o.Divisions[u.Street]:
			bad(i, u.Code, "unknown street %s", u.Street)
		case o.Divisions != nil && !o.Divisions[u.Community]:
			bad(i, u.Code, "unknown community %s", u.Community)
		}
		if j, dup := seen[u.Code]; dup && u.Code != "" {
			bad(i, u.Code, "the same code as feature %d", j)
		}
		seen[u.Code] = i
		if err := ValidatePolygonal(u.Geometry); err != nil {
			bad(i, u.Code, "%s", strings.TrimPrefix(err.Error(), "places: "))
			continue
		}
		if msg := selfIntersection(u.Geometry); msg != "" {
			bad(i, u.Code, "%s", msg)
			continue
		}
		if o.Outline != nil && !within(u.Geometry, o.Outline) {
			bad(i, u.Code, "lies (partly) outside the district")
		}
		g, ok := grids[u.Grid]
		if !ok {
			name := prop("grid_name")
			if name == "" {
				name = u.Grid
			}
			g = &Grid{Code: u.Grid, Name: name, Community: u.Community, Street: u.Street, ValidFrom: o.ValidFrom}
			grids[u.Grid] = g
			gridOrder = append(gridOrder, u.Grid)
		} else if g.Community != u.Community {
			bad(i, u.Code, "grid %s is in community %s elsewhere in the file", u.Grid, g.Community)
		}
		g.Cells++
		units = append(units, u)
	}
	if len(fs) == 0 {
		bad(0, "", "the layer has no features")
	}
	if len(errs) == 0 {
		for _, pair := range overlaps(units) {
			a, b := units[pair[0]], units[pair[1]]
			bad(seen[b.Code], b.Code, "overlaps unit grid %s (feature %d)", a.Code, seen[a.Code])
		}
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	out := make([]Grid, 0, len(gridOrder))
	for _, c := range gridOrder {
		out = append(out, *grids[c])
	}
	return out, units, nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// selfIntersection names a ring that an outside GIS would call invalid:
// non-adjacent edges that cross, a vertex visited twice (the ring touches
// itself), or a spike where the ring folds back along its last edge.
func selfIntersection(mp Polygonal) string {
	for pi, p := range mp {
		for ri, r := range p {
			n := len(r) - 1 // closed: last == first
			seen := make(map[orb.Point]int, n)
			for i := 0; i < n; i++ {
				if j, ok := seen[r[i]]; ok {
					return fmt.Sprintf("polygon %d ring %d touches itself (points %d and %d are the same)", pi, ri, j, i)
				}
				seen[r[i]] = i
				a, b, c := r[(i+n-1)%n], r[i], r[i+1]
				if math.Abs(orient(a, b, c)) < 1e-18 && (b[0]-a[0])*(c[0]-b[0])+(b[1]-a[1])*(c[1]-b[1]) < 0 {
					return fmt.Sprintf("polygon %d ring %d folds back on itself at point %d", pi, ri, i)
				}
			}
			if n > 400 {
				continue // large rings: too costly to test pairwise here
			}
			for i := 0; i < n; i++ {
				for j := i + 2; j < n; j++ {
					if i == 0 && j == n-1 {
						continue // adjacent through the closing point
					}
					if properCross(r[i], r[i+1], r[j], r[j+1]) {
						return fmt.Sprintf("polygon %d ring %d crosses itself (edges %d and %d)", pi, ri, i, j)
					}
				}
			}
		}
	}
	return ""
}

func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// properCross reports whether segments ab and cd cross at a point inside
// both (touching at an end or running along each other does not count).
func properCross(a, b, c, d orb.Point) bool {
	const eps = 1e-15
	o1, o2 := orient(a, b, c), orient(a, b, d)
	o3, o4 := orient(c, d, a), orient(c, d, b)
	return ((o1 > eps && o2 < -eps) || (o1 < -eps && o2 > eps)) && ((o3 > eps && o4 < -eps) || (o3 < -eps && o4 > eps))
}

// within reports whether every vertex of g is inside outline or within
// about 10 cm of its boundary (cells clipped to the outline carry the
// rounding of the clip).
func within(g, outline Polygonal) bool {
	const tol = 1e-6 // degrees
	for _, p := range g {
		for _, pt := range p[0] {
			if !containsOrOnEdge(outline, pt) && boundaryDistance(outline, pt) > tol {
				return false
			}
		}
	}
	return true
}

// boundaryDistance is the planar distance in degrees from p to the nearest
// edge of mp.
func boundaryDistance(mp Polygonal, p orb.Point) float64 {
	best := math.Inf(1)
	for _, poly := range mp {
		for _, r := range poly {
			for i := 1; i < len(r); i++ {
				best = math.Min(best, segmentDistance(r[i-1], r[i], p))
			}
		}
	}
	return best
}

func segmentDistance(a, b, p orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l))
	}
	return math.Hypot(p[0]-(a[0]+t*dx), p[1]-(a[1]+t*dy))
}

// strictlyInside is inside the area and not on its boundary.
func strictlyInside(mp Polygonal, p orb.Point) bool {
	if !planar.MultiPolygonContains(mp, p) {
		return false
	}
	for _, poly := range mp {
		for _, r := range poly {
			for i := 1; i < len(r); i++ {
				if onSegment(r[i-1], r[i], p) {
					return false
				}
			}
		}
	}
	return true
}

// overlaps finds pairs of cells that share area (not just an edge): a
// vertex or an inner point of one strictly inside the other, or edges that
// cross. Candidates come from an R-tree of bounding boxes.
func overlaps(units []UnitGrid) [][2]int {
	var tr rtree.RTreeG[int32]
	for i, u := range units {
		b := u.Geometry.Bound()
		tr.Insert([2]float64{b.Min[0], b.Min[1]}, [2]float64{b.Max[0], b.Max[1]}, int32(i))
	}
	var out [][2]int
	for i, u := range units {
		b := u.Geometry.Bound()
		inner := innerPoint(u.Geometry)
		tr.Search([2]float64{b.Min[0], b.Min[1]}, [2]float64{b.Max[0], b.Max[1]}, func(_, _ [2]float64, j32 int32) bool {
			j := int(j32)
			if j <= i {
				return true
			}
			v := units[j]
			if strictlyInside(v.Geometry, inner) || strictlyInside(u.Geometry, innerPoint(v.Geometry)) ||
				vertexInside(u.Geometry, v.Geometry) || vertexInside(v.Geometry, u.Geometry) || edgesCross(u.Geometry, v.Geometry) {
				out = append(out, [2]int{i, j})
			}
			return true
		})
	}
	return out
}

func vertexInside(a, b Polygonal) bool {
	for _, p := range a {
		for _, r := range p {
			for _, pt := range r {
				if strictlyInside(b, pt) {
					return true
				}
			}
		}
	}
	return false
}

func edgesCross(a, b Polygonal) bool {
	bb := b.Bound()
	for _, p := range a {
		for _, r := range p {
			for i := 1; i < len(r); i++ {
				seg := orb.Bound{Min: orb.Point{math.Min(r[i-1][0], r[i][0]), math.Min(r[i-1][1], r[i][1])},
					Max: orb.Point{math.Max(r[i-1][0], r[i][0]), math.Max(r[i-1][1], r[i][1])}}
				if !seg.Intersects(bb) {
					continue
				}
				for _, q := range b {
					for _, s := range q {
						for j := 1; j < len(s); j++ {
							if properCross(r[i-1], r[i], s[j-1], s[j]) {
								return true
							}
						}
					}
				}
			}
		}
	}
	return false
}

// MarshalLayer writes unit grids as a GeoJSON FeatureCollection that
// ParseLayer reads back.
func MarshalLayer(units []UnitGrid, gridNames map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	sorted := slices.Clone(units)
	slices.SortFunc(sorted, func(a, b UnitGrid) int { return strings.Compare(a.Code, b.Code) })
	for i, u := range sorted {
		if i > 0 {
			b.WriteString(",\n")
		}
		props := map[string]any{"code": u.Code, "grid": u.Grid, "community": u.Community, "street": u.Street,
			"valid_from": u.ValidFrom.Format(time.RFC3339)}
		if n := gridNames[u.Grid]; n != "" {
			props["grid_name"] = n
		}
		f, err := MarshalFeature(props, u.Geometry)
		if err != nil {
			return nil, err
		}
		b.Write(f)
	}
	b.WriteString("]}\n")
	return b.Bytes(), nil
}
