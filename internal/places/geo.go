package places

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// Polygonal is an area: a MultiPolygon with holes, in WGS84 lon/lat.
type Polygonal = orb.MultiPolygon

// ParseOutline reads a GeoJSON FeatureCollection (or a single Feature or
// geometry) of Polygons and MultiPolygons and returns their union as one
// MultiPolygon, after checking coordinates and rings.
func ParseOutline(b []byte) (Polygonal, error) {
	fs, err := ParseFeatures(b)
	if err != nil {
		return nil, err
	}
	var mp Polygonal
	for _, f := range fs {
		mp = append(mp, f.Geometry...)
	}
	if err := ValidatePolygonal(mp); err != nil {
		return nil, err
	}
	return mp, nil
}

// ValidatePolygonal checks coordinates are real lon/lat and rings are closed
// with at least four points.
func ValidatePolygonal(mp Polygonal) error {
	if len(mp) == 0 {
		return errors.New("places: empty geometry")
	}
	for pi, p := range mp {
		if len(p) == 0 {
			return fmt.Errorf("places: polygon %d is empty", pi)
		}
		for ri, r := range p {
			if len(r) < 4 {
				return fmt.Errorf("places: polygon %d ring %d has %d points; a ring needs at least 4", pi, ri, len(r))
			}
			if !r.Closed() {
				return fmt.Errorf("places: polygon %d ring %d is not closed", pi, ri)
			}
			for _, pt := range r {
				if err := CheckLonLat(pt[0], pt[1]); err != nil {
					return fmt.Errorf("places: polygon %d ring %d: %w", pi, ri, err)
				}
			}
		}
	}
	return nil
}

// CheckLonLat rejects NaN, infinities and out-of-range coordinates.
func CheckLonLat(lon, lat float64) error {
	switch {
	case math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0):
		return errors.New("coordinate is not a number")
	case lat < -90 || lat > 90:
		return fmt.Errorf("latitude %g is outside -90..90", lat)
	case lon < -180 || lon > 180:
		return fmt.Errorf("longitude %g is outside -180..180", lon)
	}
	return nil
}

// Cell is a generated unit grid before it is assigned to places.
type Cell struct {
	Row, Col int
	Center   orb.Point // a point inside the cell (the centre, or a point of the clipped part)
	Geometry Polygonal
	Area     float64 // square metres
}

// Lattice generates unit grids of about size metres square over the
// outline; cells on the border are clipped to it, and cells with less than
// minShare of a full cell inside are dropped.
func Lattice(outline Polygonal, size, minShare float64) []Cell {
	b := outline.Bound()
	midLat := (b.Min.Lat() + b.Max.Lat()) / 2
	dLat := size / 111_320.0
	dLon := size / (111_320.0 * math.Cos(midLat*math.Pi/180))
	full := size * size
	rows := int(math.Ceil((b.Max.Lat() - b.Min.Lat()) / dLat))
	cols := int(math.Ceil((b.Max.Lon() - b.Min.Lon()) / dLon))
	var cells []Cell
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			cb := orb.Bound{
				Min: orb.Point{b.Min.Lon() + float64(c)*dLon, b.Min.Lat() + float64(r)*dLat},
				Max: orb.Point{b.Min.Lon() + float64(c+1)*dLon, b.Min.Lat() + float64(r+1)*dLat},
			}
			center := cb.Center()
			corners := [4]orb.Point{cb.Min, cb.Max, {cb.Min.Lon(), cb.Max.Lat()}, {cb.Max.Lon(), cb.Min.Lat()}}
			inside := 0
			for _, p := range corners {
				if planar.MultiPolygonContains(outline, p) {
					inside++
				}
			}
			var g Polygonal
			if inside == 4 && !crosses(outline, cb) {
				g = Polygonal{cb.ToPolygon()}
			} else {
				g = trimToOutline(clip.MultiPolygon(cb, outline.Clone()), outline)
				if len(g) == 0 {
					continue
				}
			}
			area := geo.Area(g)
			if area < minShare*full {
				continue
			}
			if !planar.MultiPolygonContains(g, center) {
				center = innerPoint(g)
			}
			cells = append(cells, Cell{Row: r, Col: c, Center: center, Geometry: g, Area: area})
		}
	}
	return cells
}

// trimToOutline drops the vertices of clipped rings that fall outside the
// outline. orb's clip walks the box's edges where a concave outline leaves
// and re-enters the box, which adds box corners that lie outside the
// district; without them the ring follows a chord instead. Rings left with
// fewer than four points go.
func trimToOutline(g, outline Polygonal) Polygonal {
	const tol = 1e-6
	var out Polygonal
	for _, p := range g {
		var poly orb.Polygon
		for ri, r := range p {
			var ring orb.Ring
			for _, pt := range r[:max(len(r)-1, 0)] {
				if containsOrOnEdge(outline, pt) || boundaryDistance(outline, pt) <= tol {
					ring = append(ring, pt)
				}
			}
			if len(ring) < 3 {
				if ri == 0 {
					break // no outer ring: no polygon
				}
				continue
			}
			ring = append(ring, ring[0])
			poly = append(poly, ring)
		}
		if len(poly) > 0 {
			out = append(out, poly)
		}
	}
	return out
}

// crosses reports whether any outline vertex lies inside b (a concave
// outline can poke into a cell whose four corners are inside).
func crosses(outline Polygonal, b orb.Bound) bool {
	for _, p := range outline {
		for _, r := range p {
			if !r.Bound().Intersects(b) {
				continue
			}
			for _, pt := range r {
				if b.Contains(pt) {
					return true
				}
			}
		}
	}
	return false
}

// innerPoint finds a point inside a clipped cell: the centroid when it is
// inside, else the midpoint of a scan line through the cell.
func innerPoint(g Polygonal) orb.Point {
	c, _ := planar.CentroidArea(g)
	if planar.MultiPolygonContains(g, c) {
		return c
	}
	b := g.Bound()
	for i := 1; i < 20; i++ {
		y := b.Min.Lat() + (b.Max.Lat()-b.Min.Lat())*float64(i)/20
		for j := 1; j < 20; j++ {
			p := orb.Point{b.Min.Lon() + (b.Max.Lon()-b.Min.Lon())*float64(j)/20, y}
			if planar.MultiPolygonContains(g, p) {
				return p
			}
		}
	}
	return g[0][0][0]
}

// Distance is the great-circle distance in metres.
func Distance(a, b orb.Point) float64 { return geo.Distance(a, b) }
