package places

import (
	"bytes"
	"testing"

	"github.com/xiuhua/xiuhua/internal/refdata"
)

// The GeoJSON reader never panics, and what it accepts as an outline is
// valid: closed rings of real coordinates.
func FuzzParseOutline(f *testing.F) {
	f.Add(refdata.Outline())
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[113,40],[114,40],[114,41],[113,40]]]}`))
	f.Add([]byte(`{"type":"MultiPolygon","coordinates":[[[[113,40],[114,40],[114,41],[113,40]]],[]]}`))
	f.Add([]byte(`{"type":"Feature","geometry":null}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}]}`))
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[1e999,40],[114,40],[114,41],[1e999,40]]]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		mp, err := ParseOutline(b)
		if err != nil {
			return
		}
		if err := ValidatePolygonal(mp); err != nil {
			t.Fatalf("accepted an invalid outline: %v", err)
		}
	})
}

// The divisions reader never panics; on success every row has a parent
// listed before it, or is a province.
func FuzzParseDivisions(f *testing.F) {
	f.Add(refdata.Divisions())
	f.Add([]byte("code,name,level,parent_code\n14,山西省,province,\n1402,大同市,city,14\n"))
	f.Add([]byte("\ufeffcode,name,level,parent_code\n14,\"山西\"\"省\",province,\n"))
	f.Add([]byte("code,name,level,parent_code\n14,x,province\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := ParseDivisions(bytes.NewReader(b))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, d := range ds {
			if d.ParentCode != "" && !seen[d.ParentCode] || d.ParentCode == "" && d.Level != LevelProvince {
				t.Fatalf("accepted %+v without its parent", d)
			}
			seen[d.Code] = true
		}
	})
}

// The grid layer importer never panics; what it accepts is valid, inside
// the outline, and free of overlaps.
func FuzzParseLayer(f *testing.F) {
	f.Add(layerJSON([2]string{g1 + "001", sq(113.30, 40.10, 113.31, 40.11)}, [2]string{g1 + "002", sq(113.31, 40.10, 113.32, 40.11)}))
	f.Add(layerJSON([2]string{g1 + "001", sq(113.30, 40.10, 113.31, 40.11)}, [2]string{g1 + "002", sq(113.305, 40.10, 113.32, 40.11)}))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":1},"geometry":{"type":"Polygon","coordinates":[[[113.3,40.1]]]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, units, err := ParseLayer(b, LayerOptions{Outline: square(113, 40, 114, 41)})
		if err != nil {
			return
		}
		for _, u := range units {
			if err := ValidatePolygonal(u.Geometry); err != nil || !within(u.Geometry, square(113, 40, 114, 41)) {
				t.Fatalf("accepted %s: %v", u.Code, err)
			}
		}
		if o := overlaps(units); len(o) > 0 {
			t.Fatalf("accepted overlapping cells %v", o)
		}
	})
}
