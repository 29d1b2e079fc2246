package store

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// naiveClusters is clusters as first written: every round asks every
// untaken case for its neighbours. The kept counts must pick the same
// centres in the same order.
func naiveClusters(cs []Nearby, radius float64, min int) [][]string {
	taken := make([]bool, len(cs))
	near := func(i int) []int {
		var out []int
		for j := range cs {
			if !taken[j] && geo.Distance(orb.Point{cs[i].Lon, cs[i].Lat}, orb.Point{cs[j].Lon, cs[j].Lat}) <= radius {
				out = append(out, j)
			}
		}
		return out
	}
	var out [][]string
	for {
		best, bestN := -1, []int(nil)
		for i := range cs {
			if !taken[i] {
				if n := near(i); len(n) > len(bestN) {
					best, bestN = i, n
				}
			}
		}
		if best < 0 || len(bestN) < min {
			return out
		}
		var ns []string
		for _, j := range bestN {
			taken[j] = true
			ns = append(ns, cs[j].Number)
		}
		out = append(out, ns)
	}
}

func TestClustersSameAsAskingEveryRound(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	found := 0
	for round := 0; round < 40; round++ {
		n, span := 50+r.IntN(400), 0.002+r.Float64()*0.01 // 200 m to 1 km squares, dense to sparse
		cs := make([]Nearby, n)
		for i := range cs {
			cs[i] = Nearby{Number: fmt.Sprint(i), Category: "M06011", Lon: 113.3 + r.Float64()*span, Lat: 40.08 + r.Float64()*span,
				ReportedAt: time.Unix(int64(i), 0)}
			if i > 0 && r.IntN(4) == 0 { // some at the very same point
				cs[i].Lon, cs[i].Lat = cs[i-1].Lon, cs[i-1].Lat
			}
		}
		radius, min := []float64{50, 100, 250}[round%3], 2+round%4
		var got [][]string
		for _, h := range clusters(cs, radius, min) {
			got = append(got, h.Cases)
		}
		want := naiveClusters(cs, radius, min)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d (%d cases, %.0f m, min %d): %d hotspots, the naive way %d\n%v\n%v", round, n, radius, min, len(got), len(want), got, want)
		}
		found += len(want)
	}
	if found < 40 {
		t.Fatalf("only %d hotspots in all: the comparison proves little", found)
	}
}
