package places

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Layout is a generated grid layer: the real outline cut into unit grids,
// grouped into plausible street and community areas and into grids. The
// real street polygons of Pingcheng are not public, so these areas are
// generated (compact regions sized by how many communities and villages each
// street has) and must be presented as such.
type Layout struct {
	Grids []Grid
	Units []UnitGrid
}

// LayoutOptions tune the generator.
type LayoutOptions struct {
	CellMetres float64   // unit grid size, default 100
	GridCells  int       // unit grids per grid, default 40
	Seed       uint64    // random seed; the same seed gives the same layout
	ValidFrom  time.Time // effective date of the layer
}

// GenerateLayout builds a layer over outline for the streets and
// communities in divs.
func GenerateLayout(outline Polygonal, divs []Division, o LayoutOptions) (*Layout, error) {
	if o.CellMetres == 0 {
		o.CellMetres = 100
	}
	if o.GridCells == 0 {
		o.GridCells = 40
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5869756875610000))
	var streets []Division
	comms := map[string][]Division{}
	for _, d := range divs {
		switch d.Level {
		case LevelStreet:
			streets = append(streets, d)
		case LevelCommunity:
			comms[d.ParentCode] = append(comms[d.ParentCode], d)
		}
	}
	if len(streets) == 0 {
		return nil, fmt.Errorf("places: no streets to lay out")
	}
	// Every piece of a border cell is kept, however small: a dropped sliver
	// is a place inside the district where no report can be made.
	cells := Lattice(outline, o.CellMetres, 0)
	if len(cells) < len(streets)*4 {
		return nil, fmt.Errorf("places: outline too small for %d streets", len(streets))
	}
	// Villages (村) are rural and much larger than urban communities.
	weight := func(d Division) float64 {
		if strings.Contains(d.Name, "村") {
			return 6
		}
		return 1
	}
	pts := make([]orb.Point, len(cells))
	for i, c := range cells {
		pts[i] = c.Center
	}
	center, _ := planar.CentroidArea(outline)
	// Urban streets (few villages) near the centre, rural ones further out.
	byDist := make([]int, len(cells))
	for i := range byDist {
		byDist[i] = i
	}
	sort.Slice(byDist, func(a, b int) bool {
		return planar.DistanceSquared(pts[byDist[a]], center) < planar.DistanceSquared(pts[byDist[b]], center)
	})
	seeds := make([]orb.Point, len(streets))
	targets := make([]float64, len(streets))
	for i, s := range streets {
		w, v := 0.0, 0.0
		for _, c := range comms[s.Code] {
			w += weight(c)
			if weight(c) > 1 {
				v += weight(c)
			}
		}
		if w == 0 {
			w = 1
		}
		targets[i] = w
		lo, hi := 0.0, 0.35
		if v/w > 0.5 {
			lo, hi = 0.5, 1.0
		}
		k := int((lo + rng.Float64()*(hi-lo)) * float64(len(cells)-1))
		seeds[i] = pts[byDist[k]]
	}
	streetOf := Partition(pts, seeds, targets)

	lay := &Layout{}
	for si, s := range streets {
		var sIdx []int
		for i, a := range streetOf {
			if a == si {
				sIdx = append(sIdx, i)
			}
		}
		cs := comms[s.Code]
		if len(cs) == 0 {
			cs = []Division{{Code: s.Code + "000", Name: s.Name, Level: LevelCommunity, ParentCode: s.Code}}
		}
		commOf := partitionSub(pts, sIdx, len(cs), func(i int) float64 { return weight(cs[i]) }, rng)
		for ci, c := range cs {
			var cIdx []int
			for k, a := range commOf {
				if a == ci {
					cIdx = append(cIdx, sIdx[k])
				}
			}
			if len(cIdx) == 0 {
				continue
			}
			n := max(1, int(math.Round(float64(len(cIdx))/float64(o.GridCells))))
			gridOf := partitionSub(pts, cIdx, n, func(int) float64 { return 1 }, rng)
			for g := 0; g < n; g++ {
				var gIdx []int
				for k, a := range gridOf {
					if a == g {
						gIdx = append(gIdx, cIdx[k])
					}
				}
				if len(gIdx) == 0 {
					continue
				}
				slices.SortFunc(gIdx, func(a, b int) int {
					if cells[a].Row != cells[b].Row {
						return cells[a].Row - cells[b].Row
					}
					return cells[a].Col - cells[b].Col
				})
				gcode := fmt.Sprintf("%s%02d", c.Code, len(lay.gridsOf(c.Code))+1)
				lay.Grids = append(lay.Grids, Grid{Code: gcode, Name: fmt.Sprintf("%s第%d网格", ShortName(c.Name), len(lay.gridsOf(c.Code))+1),
					Community: c.Code, Street: s.Code, ValidFrom: o.ValidFrom, Cells: len(gIdx)})
				for k, i := range gIdx {
					lay.Units = append(lay.Units, UnitGrid{Code: fmt.Sprintf("%s%03d", gcode, k+1), Grid: gcode,
						Community: c.Code, Street: s.Code, ValidFrom: o.ValidFrom, Geometry: cells[i].Geometry})
				}
			}
		}
	}
	return lay, nil
}

func (l *Layout) gridsOf(community string) []Grid {
	var out []Grid
	for _, g := range l.Grids {
		if g.Community == community {
			out = append(out, g)
		}
	}
	return out
}

// ShortName drops the legal suffix of a community: "北馨园社区居民委员会" → "北馨园社区".
func ShortName(name string) string {
	for _, suf := range []string{"居民委员会", "村民委员会", "居委会", "村委会"} {
		if s, ok := strings.CutSuffix(name, suf); ok {
			if strings.HasSuffix(suf, "村民委员会") && !strings.HasSuffix(s, "村") {
				return s + "村"
			}
			return s
		}
	}
	return name
}

func partitionSub(pts []orb.Point, idx []int, n int, weight func(int) float64, rng *rand.Rand) []int {
	sub := make([]orb.Point, len(idx))
	for k, i := range idx {
		sub[k] = pts[i]
	}
	if n == 1 {
		return make([]int, len(sub))
	}
	seeds := make([]orb.Point, n)
	targets := make([]float64, n)
	perm := rng.Perm(len(sub))
	for i := range seeds {
		seeds[i] = sub[perm[i%len(perm)]]
		targets[i] = weight(i)
	}
	return Partition(sub, seeds, targets)
}

// Partition assigns points to len(seeds) compact regions whose sizes are
// proportional to targets: a power diagram whose weights are tuned until
// the sizes fit, with the seeds moved to their regions' centroids now and
// then (Lloyd's method).
func Partition(pts []orb.Point, seeds []orb.Point, targets []float64) []int {
	k := len(seeds)
	assign := make([]int, len(pts))
	if k <= 1 {
		return assign
	}
	var sum float64
	for _, t := range targets {
		sum += t
	}
	want := make([]float64, k)
	for i, t := range targets {
		want[i] = t / sum * float64(len(pts))
	}
	b := orb.MultiPoint(pts).Bound()
	cosLat := math.Cos((b.Min.Lat() + b.Max.Lat()) / 2 * math.Pi / 180)
	xy := func(p orb.Point) (float64, float64) { return p[0] * cosLat, p[1] }
	span := math.Hypot((b.Max.Lon()-b.Min.Lon())*cosLat, b.Max.Lat()-b.Min.Lat())
	scale := span * span / float64(k)
	s := make([][2]float64, k)
	for i, p := range seeds {
		s[i][0], s[i][1] = xy(p)
	}
	w := make([]float64, k)
	size := make([]float64, k)
	for it := 0; it < 80; it++ {
		clear(size)
		for j, p := range pts {
			x, y := xy(p)
			best, bd := 0, math.Inf(1)
			for i := range s {
				d := (x-s[i][0])*(x-s[i][0]) + (y-s[i][1])*(y-s[i][1]) - w[i]
				if d < bd {
					best, bd = i, d
				}
			}
			assign[j] = best
			size[best]++
		}
		for i := range w {
			w[i] += 0.5 * scale * (want[i] - size[i]) / want[i] / float64(1+it/10)
		}
		// A region that lost all its points is re-seeded inside the most
		// over-full one, which it then splits.
		for i := range s {
			if size[i] > 0 || it >= 60 {
				continue
			}
			j := 0
			for m := range s {
				if size[m]/want[m] > size[j]/want[j] {
					j = m
				}
			}
			for n, a := range assign {
				if a == j && n%2 == it%2 {
					s[i][0], s[i][1] = xy(pts[n])
					break
				}
			}
			w[i] = w[j]
		}
		if it%10 == 9 && it < 50 {
			var cx, cy = make([]float64, k), make([]float64, k)
			for j, p := range pts {
				x, y := xy(p)
				cx[assign[j]] += x
				cy[assign[j]] += y
			}
			for i := range s {
				if size[i] > 0 {
					s[i] = [2]float64{cx[i] / size[i], cy[i] / size[i]}
				}
			}
		}
	}
	// Last resort: a region still empty takes a share of the most over-full
	// one, cut across its longer side.
	for i := range s {
		if size[i] > 0 {
			continue
		}
		j := 0
		for m := range s {
			if size[m]/want[m] > size[j]/want[j] {
				j = m
			}
		}
		var idx []int
		for n, a := range assign {
			if a == j {
				idx = append(idx, n)
			}
		}
		if len(idx) < 2 {
			continue
		}
		jb := orb.MultiPoint{}
		for _, n := range idx {
			jb = append(jb, pts[n])
		}
		bb := jb.Bound()
		axis := 1
		if (bb.Max.Lon()-bb.Min.Lon())*cosLat > bb.Max.Lat()-bb.Min.Lat() {
			axis = 0
		}
		sort.Slice(idx, func(a, b int) bool { return pts[idx[a]][axis] < pts[idx[b]][axis] })
		take := max(1, int(float64(len(idx))*want[i]/(want[i]+want[j])))
		for _, n := range idx[:take] {
			assign[n] = i
		}
		size[i], size[j] = float64(take), size[j]-float64(take)
	}
	return assign
}
