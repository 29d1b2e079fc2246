// Package refdata embeds the real reference data the product ships with:
// Pingcheng's divisions, its outline, the GB/T 47678.5-2026 catalog and the
// State Council holiday files. SOURCES.md beside this file says where each
// came from and under which terms. Nothing here is read from disk at run time.
package refdata

import (
	"embed"
	"io/fs"
	"path"
	"sort"
)

//go:embed data
var files embed.FS

// FS is the embedded data folder.
var FS, _ = fs.Sub(files, "data")

// Must reads one embedded file; a missing file is a build mistake.
func Must(name string) []byte {
	b, err := fs.ReadFile(FS, name)
	if err != nil {
		panic("refdata: " + err.Error())
	}
	return b
}

// Divisions is the NBS 2023 division list of Pingcheng (code,name,level,parent_code).
func Divisions() []byte { return Must("divisions/pingcheng_140213_divisions.csv") }

// Outline is the district outline in WGS84 (GeoJSON FeatureCollection).
func Outline() []byte { return Must("boundaries/pingcheng_140213.wgs84.geojson") }

// Catalog is the GB/T 47678.5-2026 directory (code,kind,major_class,name,repo_default_department).
func Catalog() []byte { return Must("catalog/gbt47678.5-2026.csv") }

// Holidays returns every embedded holiday file, oldest first.
func Holidays() [][]byte {
	names, _ := fs.Glob(FS, "holidays/*.json")
	sort.Strings(names)
	out := make([][]byte, 0, len(names))
	for _, n := range names {
		out = append(out, Must(path.Clean(n)))
	}
	return out
}
