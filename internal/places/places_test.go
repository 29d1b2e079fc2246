package places

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/xiuhua/xiuhua/internal/refdata"
)

func TestRealDivisions(t *testing.T) {
	ds, err := ParseDivisions(bytes.NewReader(refdata.Divisions()))
	if err != nil {
		t.Fatal(err)
	}
	n := map[Level]int{}
	names := map[string]string{}
	for _, d := range ds {
		n[d.Level]++
		names[d.Code] = d.Name
	}
	if n[LevelStreet] != 18 || n[LevelCommunity] != 202 {
		t.Fatalf("streets %d communities %d, want 18 and 202", n[LevelStreet], n[LevelCommunity])
	}
	if names["140213053"] != "迎宾街道" || names["140213053001"] != "北馨园社区居民委员会" {
		t.Fatalf("names from the seed are missing: %q %q", names["140213053"], names["140213053001"])
	}
}

func TestDivisionErrorsNameTheLine(t *testing.T) {
	in := "code,name,level,parent_code\n14,山西省,province,\n1402,大同市,city,14\n140213,平城区,county,1402\n" +
		"14021305,短代码街道,township,140213\n" + // line 5: 8 digits
		"140213099,某街道,township,140299\n" + // line 6: wrong parent
		"140213098,某街道,hamlet,140213\n" + // line 7: bad level
		"140213097,,township,140213\n" // line 8: no name
	_, err := ParseDivisions(strings.NewReader(in))
	var ie ImportErrors
	if !errors.As(err, &ie) {
		t.Fatalf("got %v", err)
	}
	lines := []int{}
	for _, e := range ie {
		lines = append(lines, e.Line)
	}
	if len(ie) != 4 || lines[0] != 5 || lines[1] != 6 || lines[2] != 7 || lines[3] != 8 {
		t.Fatalf("errors %v", ie)
	}
	if !strings.Contains(err.Error(), "line 5, column code") {
		t.Fatalf("message %q", err)
	}
	if _, err := ParseDivisions(strings.NewReader("id,name\n1,x\n")); err == nil {
		t.Fatal("wrong header accepted")
	}
}

func TestOutlineRejectsBadGeometry(t *testing.T) {
	for name, in := range map[string]string{
		"not json":      `{"type":`,
		"point":         `{"type":"Point","coordinates":[113.3,40.1]}`,
		"lat over 90":   `{"type":"Polygon","coordinates":[[[113,91],[114,91],[114,92],[113,91]]]}`,
		"unclosed ring": `{"type":"Polygon","coordinates":[[[113,40],[114,40],[114,41],[113,41]]]}`,
		"short ring":    `{"type":"Polygon","coordinates":[[[113,40],[114,40],[113,40]]]}`,
		"empty":         `{"type":"FeatureCollection","features":[]}`,
	} {
		if _, err := ParseOutline([]byte(in)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func pingcheng(t testing.TB) (*Layout, Polygonal) {
	t.Helper()
	outline, err := ParseOutline(refdata.Outline())
	if err != nil {
		t.Fatal(err)
	}
	ds, err := ParseDivisions(bytes.NewReader(refdata.Divisions()))
	if err != nil {
		t.Fatal(err)
	}
	lay, err := GenerateLayout(outline, ds, LayoutOptions{Seed: 1, ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return lay, outline
}

func TestPingchengLayout(t *testing.T) {
	lay, outline := pingcheng(t)
	// 227 km² of 100 m cells is about 22,700.
	if n := len(lay.Units); n < 21000 || n > 24500 {
		t.Fatalf("%d unit grids", n)
	}
	comm := map[string]int{}
	street := map[string]int{}
	codes := map[string]bool{}
	for _, u := range lay.Units {
		comm[u.Community]++
		street[u.Street]++
		if codes[u.Code] || len(u.Code) != 17 || !strings.HasPrefix(u.Code, u.Grid) || !strings.HasPrefix(u.Grid, u.Community) {
			t.Fatalf("bad code %s in grid %s", u.Code, u.Grid)
		}
		codes[u.Code] = true
	}
	if len(street) != 18 || len(comm) != 202 {
		t.Fatalf("%d streets and %d communities have cells", len(street), len(comm))
	}
	ix := NewIndex(lay.Units)
	// Every cell's own inner point resolves to that cell.
	for _, u := range lay.Units[:2000] {
		p := innerPoint(u.Geometry)
		got, err := ix.Locate(p[0], p[1])
		if err != nil || got.Code != u.Code {
			t.Fatalf("point %v of %s resolved to %v, %v", p, u.Code, got, err)
		}
	}
	// Datong's railway station area is inside; Beijing is not.
	if _, err := ix.Locate(113.30, 40.10); err != nil {
		t.Fatalf("central Pingcheng: %v", err)
	}
	if _, err := ix.Locate(116.40, 39.90); !errors.Is(err, ErrOutside) {
		t.Fatalf("Beijing: %v", err)
	}
	if _, err := ix.Locate(math.NaN(), 40); err == nil {
		t.Fatal("NaN accepted")
	}
	_ = outline
}

func square(x0, y0, x1, y1 float64) Polygonal {
	return Polygonal{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

func TestIndexEdgesAndHoles(t *testing.T) {
	withHole := Polygonal{{
		{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}},
		{{1, 1}, {3, 1}, {3, 3}, {1, 3}, {1, 1}},
	}}
	units := []UnitGrid{
		{Code: "B", Geometry: square(4, 0, 8, 4)},
		{Code: "A", Geometry: withHole},
		{Code: "H", Geometry: square(1, 1, 3, 3)}, // fills the hole
		{Code: "M", Geometry: Polygonal{{{{10, 0}, {11, 0}, {11, 1}, {10, 1}, {10, 0}}}, {{{12, 0}, {13, 0}, {13, 1}, {12, 1}, {12, 0}}}}},
	}
	ix := NewIndex(units)
	for _, tt := range []struct {
		p    orb.Point
		want string
	}{
		{orb.Point{0.5, 0.5}, "A"},
		{orb.Point{2, 2}, "H"},      // inside the hole: the other cell
		{orb.Point{4, 2}, "A"},      // shared edge A|B: the smaller code
		{orb.Point{1, 2}, "A"},      // on the hole's edge, shared by A and H
		{orb.Point{12.5, 0.5}, "M"}, // second part of a MultiPolygon
		{orb.Point{11.5, 0.5}, ""},  // between the parts
		{orb.Point{-1, 2}, ""},
	} {
		got, err := ix.Locate(tt.p[0], tt.p[1])
		if tt.want == "" {
			if !errors.Is(err, ErrOutside) {
				t.Errorf("%v: want outside, got %v %v", tt.p, got, err)
			}
			continue
		}
		if err != nil || got.Code != tt.want {
			t.Errorf("%v: got %v %v, want %s", tt.p, got, err, tt.want)
		}
	}
}
