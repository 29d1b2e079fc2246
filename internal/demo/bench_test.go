package demo

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/refdata"
)

// BenchmarkRouteDecision is a routing decision as a report makes it: the
// point to its unit grid on the Pingcheng layer, then the demo's dispatch
// table (most specific rule, or 属地).
func BenchmarkRouteDecision(b *testing.B) {
	outline, _ := places.ParseOutline(refdata.Outline())
	divs, _ := places.ParseDivisions(bytes.NewReader(refdata.Divisions()))
	cats, _ := catalog.Parse(bytes.NewReader(refdata.Catalog()))
	lay, err := places.GenerateLayout(outline, divs, places.LayoutOptions{Seed: 1, ValidFrom: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	var units []org.Unit
	for i, u := range departments {
		u.ID = int64(i + 1)
		units = append(units, u)
	}
	for _, d := range divs {
		if d.Level == places.LevelStreet {
			units = append(units, org.Unit{ID: int64(len(units) + 1), Code: "jd" + d.Code, Kind: org.KindStreet, Street: d.Code})
		}
	}
	tbl, err := routeTable(units, divs, lay.Grids, cats)
	if err != nil {
		b.Fatal(err)
	}
	ix := places.NewIndex(lay.Units)
	r := rand.New(rand.NewPCG(3, 3))
	type q struct {
		lon, lat float64
		cat      string
	}
	qs := make([]q, 4096)
	for i := range qs {
		u := lay.Units[r.IntN(len(lay.Units))]
		c := u.Geometry[0][0][0]
		qs[i] = q{c[0], c[1], cats[r.IntN(len(cats))].ID}
	}
	i := 0
	for b.Loop() {
		x := qs[i&4095]
		i++
		u, err := ix.Locate(x.lon, x.lat)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tbl.Route(x.cat, caseflow.Place{UnitGrid: u.Code, Grid: u.Grid, Community: u.Community, Street: u.Street}, ""); err != nil {
			b.Fatal(err)
		}
	}
}
