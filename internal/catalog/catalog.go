// Package catalog owns what can be reported: the components (部件) and
// matters (事项) of GB/T 47678.5-2026 and a city's local additions.
package catalog

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xiuhua/xiuhua/internal/places"
)

// Kind is component (部件) or matter (事项).
type Kind string

const (
	Component Kind = "component"
	Matter    Kind = "matter"
)

// Category is a reportable kind of problem. Its ID is the kind's letter
// and the 5-digit standard code ("C01001", "M06011"): codes repeat across
// kinds and are sparse, so they are never renumbered.
type Category struct {
	ID         string `json:"id"`
	Kind       Kind   `json:"kind"`
	Code       string `json:"code"`
	MajorClass string `json:"major_class"`
	Name       string `json:"name"`
	// DeptHint is the source's suggested responsible body, a hint for
	// building the dispatch table, not a rule.
	DeptHint string `json:"dept_hint,omitempty"`
	Public   bool   `json:"public"` // shown on the public board and in Open311
	Local    bool   `json:"local"`  // a city's own addition
	// Attributes are the questions the category asks (see attributes.go).
	Attributes []Attribute `json:"attributes,omitempty"`
}

// ID builds a category id.
func ID(k Kind, code string) string {
	if k == Component {
		return "C" + code
	}
	return "M" + code
}

// MajorClassID is the id prefix of a category's major class ("M06").
func MajorClassID(id string) string {
	if len(id) < 3 {
		return id
	}
	return id[:3]
}

// Parse reads a catalog CSV with the columns
// code,kind,major_class,name[,repo_default_department]. Every bad row is
// reported with its line; on any error nothing is returned.
func Parse(r io.Reader) ([]Category, error) {
	cr := csv.NewReader(r)
	if err := places.ReadHeader(cr, []string{"code", "kind", "major_class", "name"}); err != nil {
		return nil, err
	}
	var out []Category
	var errs places.ImportErrors
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line := places.LineOf(cr, err)
		if err != nil {
			errs = append(errs, places.RowError{Line: line, Msg: err.Error()})
			continue
		}
		if len(rec) < 4 {
			errs = append(errs, places.RowError{Line: line, Msg: fmt.Sprintf("want at least 4 columns, got %d", len(rec))})
			continue
		}
		c := Category{Code: strings.TrimSpace(rec[0]), Kind: Kind(strings.TrimSpace(rec[1])),
			MajorClass: strings.TrimSpace(rec[2]), Name: strings.TrimSpace(rec[3]), Public: true}
		if len(rec) > 4 {
			c.DeptHint = strings.TrimSpace(rec[4])
		}
		switch {
		case len(c.Code) != 5 || strings.Trim(c.Code, "0123456789") != "":
			errs = append(errs, places.RowError{Line: line, Column: "code", Msg: fmt.Sprintf("a code has 5 digits, got %q", c.Code)})
			continue
		case c.Kind != Component && c.Kind != Matter:
			errs = append(errs, places.RowError{Line: line, Column: "kind", Msg: fmt.Sprintf("kind must be component or matter, got %q", c.Kind)})
			continue
		case c.Name == "":
			errs = append(errs, places.RowError{Line: line, Column: "name", Msg: "empty name"})
			continue
		case c.MajorClass == "":
			errs = append(errs, places.RowError{Line: line, Column: "major_class", Msg: "empty major class"})
			continue
		}
		c.ID = ID(c.Kind, c.Code)
		if prev, ok := seen[c.ID]; ok {
			errs = append(errs, places.RowError{Line: line, Column: "code", Msg: fmt.Sprintf("%s %s repeats line %d", c.Kind, c.Code, prev)})
			continue
		}
		seen[c.ID] = line
		c.Local = c.Code[0] == '9' // the standard leaves 9x for local use
		out = append(out, c)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(out) == 0 {
		return nil, places.ImportErrors{{Line: 1, Msg: "no categories in the file"}}
	}
	return out, nil
}

// SeedType is one of the nine problem types of the Datong Daily page and
// the catalog category it is filed under.
type SeedType struct {
	Name     string // as the newspaper says it
	Category string
}

// SeedTypes maps the seed's nine problem types onto the catalog. Fire and
// food safety have no matter of their own in GB/T 47678.5; the nearest
// city-appearance matters are used, and a city may add local ones.
var SeedTypes = []SeedType{
	{"垃圾堆放", "M06011"},    // 积存垃圾渣土
	{"私搭乱建", "M06001"},    // 私搭乱建
	{"违规废品收购站", "M09004"}, // 废品收购乱象
	{"市政设施破损", "M01037"},  // 路灯异常 (市政公用设施类)
	{"野广告", "M07001"},     // 非法小广告
	{"消防安全", "M09012"},    // 占用消防通道
	{"食品安全", "M09015"},    // 无证餐饮
	{"绿地被占种菜", "M06045"},  // 非法占绿毁绿
	{"便道面包砖破损", "M06013"}, // 道路破损
}
