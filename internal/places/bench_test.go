package places

import (
	"math/rand/v2"
	"testing"
)

// Point → unit grid on the Pingcheng demo layer (~23,000 cells).
func BenchmarkLocatePingcheng(b *testing.B) {
	lay, _ := pingcheng(b)
	ix := NewIndex(lay.Units)
	r := rand.New(rand.NewPCG(1, 1))
	pts := make([][2]float64, 4096)
	for i := range pts {
		u := lay.Units[r.IntN(len(lay.Units))]
		c := innerPoint(u.Geometry)
		pts[i] = [2]float64{c[0], c[1]}
	}
	i := 0
	for b.Loop() {
		p := pts[i&4095]
		i++
		if _, err := ix.Locate(p[0], p[1]); err != nil {
			b.Fatal(err)
		}
	}
}
