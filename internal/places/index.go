package places

import (
	"errors"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/tidwall/rtree"
)

// ErrOutside is returned for a point outside every unit grid.
var ErrOutside = errors.New("outside jurisdiction")

// Index turns a point into its unit grid. It holds every cell's polygon in
// an R-tree of bounding boxes, then tests the few candidates exactly. It is
// read-only after building and safe for concurrent use.
type Index struct {
	tree  rtree.RTreeG[int32]
	units []UnitGrid
}

// NewIndex builds an index over unit grids valid at one moment.
func NewIndex(units []UnitGrid) *Index {
	ix := &Index{units: units}
	for i, u := range units {
		b := u.Geometry.Bound()
		ix.tree.Insert([2]float64{b.Min.Lon(), b.Min.Lat()}, [2]float64{b.Max.Lon(), b.Max.Lat()}, int32(i))
	}
	return ix
}

// Len is the number of cells.
func (ix *Index) Len() int { return len(ix.units) }

// Units are the indexed cells; callers must not modify them.
func (ix *Index) Units() []UnitGrid { return ix.units }

// Locate returns the unit grid containing the point. A point on an edge
// shared by several cells resolves to the cell with the smallest code, so
// the answer never depends on load order.
func (ix *Index) Locate(lon, lat float64) (*UnitGrid, error) {
	if err := CheckLonLat(lon, lat); err != nil {
		return nil, err
	}
	p := orb.Point{lon, lat}
	best := int32(-1)
	ix.tree.Search([2]float64{lon, lat}, [2]float64{lon, lat}, func(_, _ [2]float64, i int32) bool {
		if best >= 0 && ix.units[i].Code > ix.units[best].Code {
			return true
		}
		if containsOrOnEdge(ix.units[i].Geometry, p) {
			best = i
		}
		return true
	})
	if best < 0 {
		best = ix.nearEdge(p)
	}
	if best < 0 {
		return nil, ErrOutside
	}
	return &ix.units[best], nil
}

// edgeTolerance is how far outside every cell a point may be and still be
// taken as inside (degrees, about 1 m): coordinates rounded to five
// decimals, or a phone's fix on the district's edge, land just outside the
// outline, and such a report belongs to the cell it is on the edge of.
const edgeTolerance = 1e-5

// nearEdge finds the cell whose boundary is nearest to p within
// edgeTolerance (ties broken by code), or -1.
func (ix *Index) nearEdge(p orb.Point) int32 {
	best, bd := int32(-1), math.Inf(1)
	lo := [2]float64{p[0] - edgeTolerance, p[1] - edgeTolerance}
	hi := [2]float64{p[0] + edgeTolerance, p[1] + edgeTolerance}
	ix.tree.Search(lo, hi, func(_, _ [2]float64, i int32) bool {
		d := boundaryDistance(ix.units[i].Geometry, p)
		if d <= edgeTolerance && (d < bd || d == bd && ix.units[i].Code < ix.units[best].Code) {
			best, bd = i, d
		}
		return true
	})
	return best
}

// containsOrOnEdge is planar containment that also counts the boundary, so
// a point on a shared edge belongs to every cell that has the edge and the
// tie is broken by code.
func containsOrOnEdge(mp Polygonal, p orb.Point) bool {
	if planar.MultiPolygonContains(mp, p) {
		return true
	}
	for _, poly := range mp {
		for _, r := range poly {
			for i := 1; i < len(r); i++ {
				if onSegment(r[i-1], r[i], p) {
					return true
				}
			}
		}
	}
	return false
}

func onSegment(a, b, p orb.Point) bool {
	const eps = 1e-12
	cross := (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0])
	if math.Abs(cross) > eps {
		return false
	}
	return p[0] >= math.Min(a[0], b[0])-eps && p[0] <= math.Max(a[0], b[0])+eps &&
		p[1] >= math.Min(a[1], b[1])-eps && p[1] <= math.Max(a[1], b[1])+eps
}
