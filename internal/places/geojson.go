package places

import (
	"encoding/json"
	"fmt"

	"github.com/paulmach/orb"
)

// A small GeoJSON reader for the only geometries places need (Polygon and
// MultiPolygon). orb's geojson package would pull in a BSON library for
// this; decoding two geometry types with encoding/json is shorter.

// Feature is a GeoJSON feature with polygonal geometry.
type Feature struct {
	Properties map[string]any
	Geometry   Polygonal
}

type rawGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

type rawFeature struct {
	Type       string          `json:"type"`
	Properties map[string]any  `json:"properties"`
	Geometry   *rawGeometry    `json:"geometry"`
	Features   []rawFeature    `json:"features"`
	Coords     json.RawMessage `json:"coordinates"`
}

// ParseFeatures reads a FeatureCollection, a Feature or a bare Polygon or
// MultiPolygon. Errors name the feature by its index.
func ParseFeatures(b []byte) ([]Feature, error) {
	var raw rawFeature
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("places: not GeoJSON: %w", err)
	}
	switch raw.Type {
	case "FeatureCollection":
		out := make([]Feature, 0, len(raw.Features))
		for i, f := range raw.Features {
			if f.Type != "Feature" {
				return nil, fmt.Errorf("places: feature %d: type %q, want Feature", i, f.Type)
			}
			if f.Geometry == nil {
				return nil, fmt.Errorf("places: feature %d has no geometry", i)
			}
			g, err := decodeGeometry(*f.Geometry)
			if err != nil {
				return nil, fmt.Errorf("places: feature %d: %w", i, err)
			}
			out = append(out, Feature{Properties: f.Properties, Geometry: g})
		}
		return out, nil
	case "Feature":
		if raw.Geometry == nil {
			return nil, fmt.Errorf("places: feature 0 has no geometry")
		}
		g, err := decodeGeometry(*raw.Geometry)
		if err != nil {
			return nil, fmt.Errorf("places: feature 0: %w", err)
		}
		return []Feature{{Properties: raw.Properties, Geometry: g}}, nil
	case "Polygon", "MultiPolygon":
		g, err := decodeGeometry(rawGeometry{Type: raw.Type, Coordinates: raw.Coords})
		if err != nil {
			return nil, fmt.Errorf("places: %w", err)
		}
		return []Feature{{Geometry: g}}, nil
	case "":
		return nil, fmt.Errorf("places: not GeoJSON: no type")
	}
	return nil, fmt.Errorf("places: a %s is not an area", raw.Type)
}

func decodeGeometry(g rawGeometry) (Polygonal, error) {
	switch g.Type {
	case "Polygon":
		var c [][][2]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, fmt.Errorf("polygon coordinates: %w", err)
		}
		return Polygonal{polygon(c)}, nil
	case "MultiPolygon":
		var c [][][][2]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, fmt.Errorf("multipolygon coordinates: %w", err)
		}
		mp := make(Polygonal, len(c))
		for i, p := range c {
			mp[i] = polygon(p)
		}
		return mp, nil
	}
	return nil, fmt.Errorf("a %q geometry is not an area", g.Type)
}

func polygon(c [][][2]float64) orb.Polygon {
	p := make(orb.Polygon, len(c))
	for i, r := range c {
		ring := make(orb.Ring, len(r))
		for j, pt := range r {
			ring[j] = orb.Point(pt)
		}
		p[i] = ring
	}
	return p
}

// MarshalFeature writes one feature as GeoJSON.
func MarshalFeature(props map[string]any, g Polygonal) ([]byte, error) {
	var geom any
	if len(g) == 1 {
		geom = map[string]any{"type": "Polygon", "coordinates": g[0]}
	} else {
		geom = map[string]any{"type": "MultiPolygon", "coordinates": g}
	}
	return json.Marshal(map[string]any{"type": "Feature", "properties": props, "geometry": geom})
}
