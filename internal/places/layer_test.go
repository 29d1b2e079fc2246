package places

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// layerJSON builds a FeatureCollection from (code, geometry JSON) pairs;
// the grid is the code's first 14 digits.
func layerJSON(cells ...[2]string) []byte {
	var fs []string
	for _, c := range cells {
		code := c[0]
		fs = append(fs, `{"type":"Feature","properties":{"code":"`+code+`","grid":"`+code[:14]+`","community":"`+code[:12]+
			`","street":"`+code[:9]+`"},"geometry":`+c[1]+`}`)
	}
	return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`)
}

func sq(x0, y0, x1, y1 float64) string {
	b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}})
	return string(b)
}

const g1, g2 = "14021305300101", "14021305300102"

func TestLayerImportsPolygonsHolesAndMultiPolygons(t *testing.T) {
	withHole := `{"type":"Polygon","coordinates":[[[113.30,40.10],[113.32,40.10],[113.32,40.12],[113.30,40.12],[113.30,40.10]],` +
		`[[113.305,40.105],[113.315,40.105],[113.315,40.115],[113.305,40.115],[113.305,40.105]]]}`
	multi := `{"type":"MultiPolygon","coordinates":[[[[113.32,40.10],[113.33,40.10],[113.33,40.11],[113.32,40.11],[113.32,40.10]]],` +
		`[[[113.34,40.10],[113.35,40.10],[113.35,40.11],[113.34,40.11],[113.34,40.10]]]]}`
	b := layerJSON([2]string{g1 + "001", withHole}, [2]string{g1 + "002", sq(113.305, 40.105, 113.315, 40.115)},
		[2]string{g2 + "001", multi}, [2]string{g2 + "002", sq(113.32, 40.11, 113.33, 40.12)})
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	grids, units, err := ParseLayer(b, LayerOptions{ValidFrom: from, Outline: square(113, 40, 114, 41),
		Divisions: map[string]bool{"140213053": true, "140213053001": true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(units) != 4 || len(grids) != 2 || grids[0].Cells != 2 || !units[0].ValidFrom.Equal(from) {
		t.Fatalf("grids %+v, %d units", grids, len(units))
	}
	ix := NewIndex(units)
	for _, tt := range []struct {
		lon, lat float64
		want     string
	}{{113.301, 40.101, g1 + "001"}, {113.31, 40.11, g1 + "002"}, {113.345, 40.105, g2 + "001"}, {113.32, 40.105, g1 + "001"}} {
		if u, err := ix.Locate(tt.lon, tt.lat); err != nil || u.Code != tt.want {
			t.Errorf("%v,%v: %v %v, want %s", tt.lon, tt.lat, u, err, tt.want)
		}
	}
	if _, err := ix.Locate(113.335, 40.105); !errors.Is(err, ErrOutside) {
		t.Errorf("between a MultiPolygon's parts: %v", err)
	}
	// Export and import again: the same layer.
	out, err := MarshalLayer(units, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, again, err := ParseLayer(out, LayerOptions{ValidFrom: from})
	if err != nil || len(again) != 4 || again[0].Code != g1+"001" || len(again[0].Geometry[0]) != 2 || len(again[2].Geometry) != 2 {
		t.Fatalf("round trip: %v %+v", err, again)
	}
}

func TestLayerProblemsAreNamed(t *testing.T) {
	bowtie := `{"type":"Polygon","coordinates":[[[113.40,40.10],[113.41,40.11],[113.41,40.10],[113.40,40.11],[113.40,40.10]]]}`
	open := `{"type":"Polygon","coordinates":[[[113.50,40.10],[113.51,40.10],[113.51,40.11],[113.50,40.11]]]}`
	for _, tt := range []struct {
		name  string
		cells [][2]string
		want  string
	}{
		{"overlap", [][2]string{{g1 + "001", sq(113.30, 40.10, 113.31, 40.11)}, {g1 + "002", sq(113.305, 40.105, 113.315, 40.115)}},
			"feature 1 (" + g1 + "002): overlaps unit grid " + g1 + "001 (feature 0)"},
		{"same square twice", [][2]string{{g1 + "001", sq(113.30, 40.10, 113.31, 40.11)}, {g1 + "002", sq(113.30, 40.10, 113.31, 40.11)}},
			"overlaps unit grid " + g1 + "001"},
		{"cross-shaped overlap", [][2]string{{g1 + "001", sq(113.30, 40.10, 113.33, 40.11)}, {g1 + "002", sq(113.31, 40.09, 113.32, 40.12)}},
			"overlaps"},
		{"self-intersection", [][2]string{{g1 + "001", bowtie}}, "crosses itself"},
		{"unclosed ring", [][2]string{{g1 + "001", open}}, "not closed"},
		{"outside the district", [][2]string{{g1 + "001", sq(114.5, 40.10, 114.6, 40.11)}}, "outside the district"},
		{"latitude out of range", [][2]string{{g1 + "001", sq(113.30, 89.5, 113.31, 95)}}, "latitude 95"},
		{"bad code", [][2]string{{"1402130530010X001", sq(113.30, 40.10, 113.31, 40.11)}}, "digit codes"},
		{"unknown community", [][2]string{{"14021305300901001", sq(113.30, 40.10, 113.31, 40.11)}}, "unknown community 140213053009"},
		{"duplicate code", [][2]string{{g1 + "001", sq(113.30, 40.10, 113.31, 40.11)}, {g1 + "001", sq(113.31, 40.10, 113.32, 40.11)}},
			"the same code as feature 0"},
		{"empty layer", nil, "no features"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, units, err := ParseLayer(layerJSON(tt.cells...), LayerOptions{Outline: square(113, 40, 114, 41),
				Divisions: map[string]bool{"140213053": true, "140213053001": true}})
			if err == nil || !strings.Contains(err.Error(), tt.want) || units != nil {
				t.Fatalf("want %q, got %v (%d units)", tt.want, err, len(units))
			}
		})
	}
	for _, bad := range []string{`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{}}]}`, `[1,2,3]`, `{"type":"Polygon","coordinates":"x"}`} {
		if _, _, err := ParseLayer([]byte(bad), LayerOptions{}); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
