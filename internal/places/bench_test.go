package places

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// Point → unit grid on the Pingcheng demo layer (~23,000 cells).
func BenchmarkLocatePingcheng(b *testing.B) {
	lay, _ := pingcheng(b)
	ix := NewIndex(lay.Units)
	pts := samplePoints(lay.Units, 1)
	i := 0
	for b.Loop() {
		p := pts[i&4095]
		i++
		if _, err := ix.Locate(p[0], p[1]); err != nil {
			b.Fatal(err)
		}
	}
}

// jittered is a synthetic layer of side×side irregular quadrilaterals: a
// lattice whose shared vertices are moved at random, so neighbours still
// share their edges exactly (like a city's GIS layer, unlike squares).
func jittered(side int) []UnitGrid {
	r := rand.New(rand.NewPCG(7, 7))
	const lon0, lat0, step = 113.0, 39.9, 0.001 // ~100 m cells
	vx := make([][2]float64, (side+1)*(side+1))
	for y := 0; y <= side; y++ {
		for x := 0; x <= side; x++ {
			j := [2]float64{(r.Float64() - 0.5) * step * 0.6, (r.Float64() - 0.5) * step * 0.6}
			if x == 0 || x == side {
				j[0] = 0
			}
			if y == 0 || y == side {
				j[1] = 0
			}
			vx[y*(side+1)+x] = [2]float64{lon0 + float64(x)*step + j[0], lat0 + float64(y)*step + j[1]}
		}
	}
	units := make([]UnitGrid, 0, side*side)
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			v := func(dx, dy int) [2]float64 { return vx[(y+dy)*(side+1)+x+dx] }
			ring := [][2]float64{v(0, 0), v(1, 0), v(1, 1), v(0, 1), v(0, 0)}
			code := fmt.Sprintf("14021305300101%07d", y*side+x)
			units = append(units, UnitGrid{Code: code, Grid: code[:14], Community: code[:12], Street: code[:9],
				Geometry: Polygonal{polygon([][][2]float64{ring})}})
		}
	}
	return units
}

// BenchmarkLocateMillion: point → cell on 1,000,000 irregular polygons,
// with the index's build time and heap reported once.
func BenchmarkLocateMillion(b *testing.B) {
	side := 1000
	if testing.Short() {
		side = 100
	}
	units := jittered(side)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	ix := NewIndex(units)
	build := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	pts := samplePoints(units, 2)
	i := 0
	for b.Loop() {
		p := pts[i&4095]
		i++
		if _, err := ix.Locate(p[0], p[1]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(build.Seconds(), "build-s")
	b.ReportMetric(float64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc))/(1<<20), "index-MB")
	b.ReportMetric(float64(after.HeapAlloc)/(1<<20), "heap-MB")
	runtime.KeepAlive(ix)
}

// samplePoints are 4,096 points inside cells picked at random.
func samplePoints(units []UnitGrid, seed uint64) [][2]float64 {
	r := rand.New(rand.NewPCG(1, seed))
	pts := make([][2]float64, 4096)
	for i := range pts {
		c := innerPoint(units[r.IntN(len(units))].Geometry)
		pts[i] = [2]float64{c[0], c[1]}
	}
	return pts
}
