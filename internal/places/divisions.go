// Package places owns the city's places: the administrative divisions
// (district, street, community), the grids and unit grids drawn over them,
// and turning a point into those places.
package places

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Level is an administrative level.
type Level string

const (
	LevelProvince  Level = "province"
	LevelCity      Level = "city"
	LevelDistrict  Level = "county"   // 区/县, the NBS "county" level
	LevelStreet    Level = "township" // 街道/乡/镇
	LevelCommunity Level = "village"  // 社区/村
)

var codeLen = map[Level]int{LevelProvince: 2, LevelCity: 4, LevelDistrict: 6, LevelStreet: 9, LevelCommunity: 12}

// Division is one NBS division.
type Division struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Level      Level  `json:"level"`
	ParentCode string `json:"parent_code,omitempty"`
}

// Grid is a grid worker's patch (网格).
type Grid struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Community string    `json:"community"`
	Street    string    `json:"street"`
	ValidFrom time.Time `json:"valid_from"`
	ValidTo   time.Time `json:"valid_to,omitzero"` // zero: still valid
	Cells     int       `json:"cells"`
}

// UnitGrid is a ~100 m × 100 m cell (万米单元网格).
type UnitGrid struct {
	Code      string    `json:"code"`
	Grid      string    `json:"grid"`
	Community string    `json:"community"`
	Street    string    `json:"street"`
	ValidFrom time.Time `json:"valid_from"`
	ValidTo   time.Time `json:"valid_to,omitzero"`
	Geometry  Polygonal `json:"-"`
}

// RowError is a bad row in an imported file.
type RowError struct {
	Line   int
	Column string
	Msg    string
	// Field and Code, when set, name the refused value as an API error
	// does (caller.phone, invalid), for a message in the reader's language.
	Field string
	Code  string
}

func (e RowError) Error() string {
	if e.Field != "" && e.Field != e.Column {
		return fmt.Sprintf("line %d, column %s (%s): %s", e.Line, e.Column, e.Field, e.Msg)
	}
	if e.Column != "" {
		return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// ImportErrors lists every bad row of a file; nothing of it is imported.
type ImportErrors []RowError

func (es ImportErrors) Error() string { return summarize(es, "bad rows") }

// summarize is a file's problems in one message: how many, that nothing
// was imported, and the first twenty.
func summarize[E error](es []E, what string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s, nothing imported", len(es), what)
	for i, e := range es {
		if i == 20 {
			fmt.Fprintf(&b, "; … %d more", len(es)-20)
			break
		}
		b.WriteString("; ")
		b.WriteString(e.Error())
	}
	return b.String()
}

// ParseDivisions reads a divisions CSV with the columns
// code,name,level,parent_code. Every row is checked (digits, code length
// for its level, the parent exists and is one level up, no duplicates);
// on any error it returns all of them and no divisions.
func ParseDivisions(r io.Reader) ([]Division, error) {
	cr := csv.NewReader(r)
	if err := ReadHeader(cr, []string{"code", "name", "level", "parent_code"}); err != nil {
		return nil, err
	}
	var out []Division
	var errs ImportErrors
	byCode := map[string]Division{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line := LineOf(cr, err)
		if err != nil {
			errs = append(errs, RowError{Line: line, Msg: err.Error()})
			continue
		}
		if len(rec) != 4 {
			errs = append(errs, RowError{Line: line, Msg: fmt.Sprintf("want 4 columns, got %d", len(rec))})
			continue
		}
		d := Division{Code: strings.TrimSpace(rec[0]), Name: strings.TrimSpace(rec[1]), Level: Level(strings.TrimSpace(rec[2])), ParentCode: strings.TrimSpace(rec[3])}
		n, ok := codeLen[d.Level]
		switch {
		case !ok:
			errs = append(errs, RowError{Line: line, Column: "level", Msg: fmt.Sprintf("unknown level %q", d.Level)})
		case len(d.Code) != n || strings.Trim(d.Code, "0123456789") != "":
			errs = append(errs, RowError{Line: line, Column: "code", Msg: fmt.Sprintf("a %s code has %d digits, got %q", d.Level, n, d.Code)})
		case d.Name == "":
			errs = append(errs, RowError{Line: line, Column: "name", Msg: "empty name"})
		case byCode[d.Code].Code != "":
			errs = append(errs, RowError{Line: line, Column: "code", Msg: "duplicate code " + d.Code})
		case d.ParentCode != "" && !strings.HasPrefix(d.Code, d.ParentCode):
			errs = append(errs, RowError{Line: line, Column: "parent_code", Msg: fmt.Sprintf("code %s does not start with its parent %s", d.Code, d.ParentCode)})
		case d.ParentCode != "" && byCode[d.ParentCode].Code == "":
			errs = append(errs, RowError{Line: line, Column: "parent_code", Msg: "parent " + d.ParentCode + " is not listed before this row"})
		case d.ParentCode == "" && d.Level != LevelProvince:
			errs = append(errs, RowError{Line: line, Column: "parent_code", Msg: "only a province may have no parent"})
		default:
			byCode[d.Code] = d
			out = append(out, d)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(out) == 0 {
		return nil, ImportErrors{{Line: 1, Msg: "no divisions in the file"}}
	}
	return out, nil
}

// ReadHeader reads a CSV header and checks it starts with want (a UTF-8
// BOM, as Excel writes it, is allowed).
func ReadHeader(cr *csv.Reader, want []string) error {
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return ImportErrors{{Line: 1, Msg: "cannot read the header: " + err.Error()}}
	}
	for i, w := range want {
		if i >= len(header) || strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff")) != w {
			return ImportErrors{{Line: 1, Msg: "header must start with " + strings.Join(want, ",")}}
		}
	}
	return nil
}

// LineOf is the line of the record just read, also when reading failed
// (csv.Reader.FieldPos panics then).
func LineOf(cr *csv.Reader, err error) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	if err != nil {
		return 0
	}
	line, _ := cr.FieldPos(0)
	return line
}
