package ledger

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/places"
)

// Importing the spreadsheet ledgers a district kept before Xiuhua: a table
// (.xlsx or .csv) with a header row, mapped column by column onto case
// fields. Every row is checked; one bad row and nothing is imported.

// Field is a case field a column can fill.
type Field string

const (
	FNumber      Field = "number"      // required: the original case number, kept
	FCategory    Field = "category"    // required: category id (M06011) or exact name (积存垃圾渣土)
	FDescription Field = "description" // required
	FAddress     Field = "address"
	FLon         Field = "lon" // required with lat: WGS84
	FLat         Field = "lat"
	FReported    Field = "reported_at" // required: the original report time
	FClosed      Field = "closed_at"   // empty: still open
)

// Fields in file order of a template: the case, then the 12345 order's
// (hotline.go).
var Fields = append([]Field{FNumber, FCategory, FDescription, FAddress, FLon, FLat, FReported, FClosed}, hotlineFields...)

var required = map[Field]bool{FNumber: true, FCategory: true, FDescription: true, FLon: true, FLat: true, FReported: true}

// DefaultHeaders are header texts recognised without a mapping.
var DefaultHeaders = map[Field][]string{
	FNumber:      {"案件编号", "工单编号", "编号", "number"},
	FCategory:    {"类别编码", "问题类别", "类别", "category"},
	FDescription: {"问题描述", "描述", "description"},
	FAddress:     {"地址", "问题地址", "address"},
	FLon:         {"经度", "lon", "longitude"},
	FLat:         {"纬度", "lat", "latitude"},
	FReported:    {"上报时间", "reported_at"},
	FClosed:      {"结案时间", "办结时间", "closed_at"},
}

func init() {
	for f, names := range hotlineHeaders {
		DefaultHeaders[f] = names
	}
}

// Mapping says which header fills which field; fields not named are found
// by DefaultHeaders.
type Mapping map[Field]string

// ParseMapping reads "number=编号,category=问题类型".
func ParseMapping(s string) (Mapping, error) {
	m := Mapping{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		f := Field(strings.TrimSpace(k))
		if !ok || strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("mapping %q: want field=header", part)
		}
		if _, known := DefaultHeaders[f]; !known {
			return nil, fmt.Errorf("mapping: unknown field %q (fields: %v)", f, Fields)
		}
		m[f] = strings.TrimSpace(v)
	}
	return m, nil
}

// AttributePrefix starts a column of answers to a category's question
// named by its code (attr:stalls); a column headed by the question itself
// (摊位数) is read the same.
const AttributePrefix = "attr:"

// Table is a spreadsheet read into text: the header and each data row
// with its line (row) number in the file.
type Table struct {
	Header []string
	Rows   [][]string
	Lines  []int
}

// Limits of an import.
const (
	MaxImportRows  = 200_000
	MaxUnzipped    = 512 << 20 // a .xlsx that unzips to more is refused (zip bombs)
	MaxSheetXML    = 256 << 20
	maxImportError = 500
)

// ReadTable reads a .csv (UTF-8, a BOM allowed) or the first sheet of a
// .xlsx by the file name's extension. Empty rows are skipped; more than
// MaxImportRows data rows is an error.
func ReadTable(name string, r io.Reader) (*Table, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return readCSV(r)
	case ".xlsx":
		return readXLSX(r)
	}
	return nil, fmt.Errorf("import: %s: only .xlsx and .csv files (save .xls as .xlsx first)", filepath.Base(name))
}

func readCSV(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	t := &Table{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, places.ImportErrors{{Line: places.LineOf(cr, err), Msg: err.Error()}}
		}
		line, _ := cr.FieldPos(0)
		if t.Header == nil {
			rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
			t.Header = rec
			continue
		}
		if err := t.add(rec, line); err != nil {
			return nil, err
		}
	}
	return t, t.check()
}

func (t *Table) add(rec []string, line int) error {
	empty := true
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			empty = false
			break
		}
	}
	if empty {
		return nil
	}
	if len(t.Rows) >= MaxImportRows {
		return fmt.Errorf("import: more than %d rows; split the file", MaxImportRows)
	}
	t.Rows = append(t.Rows, rec)
	t.Lines = append(t.Lines, line)
	return nil
}

func (t *Table) check() error {
	if t.Header == nil {
		return errors.New("import: the file is empty: no header row")
	}
	return nil
}

func readXLSX(r io.Reader) (*Table, error) {
	// Read at most the unzip limit: a larger upload is refused, not buffered.
	b, err := io.ReadAll(io.LimitReader(r, MaxUnzipped+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxUnzipped {
		return nil, fmt.Errorf("import: the file is larger than %d MB", MaxUnzipped>>20)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: MaxUnzipped, UnzipXMLSizeLimit: MaxSheetXML})
	if err != nil {
		return nil, fmt.Errorf("import: not a readable .xlsx file: %w", err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	if merged, err := f.GetMergeCells(sheet); err == nil && len(merged) > 0 {
		return nil, places.ImportErrors{{Line: 1, Column: merged[0].GetStartAxis(),
			Msg: fmt.Sprintf("merged cells (%s:%s): unmerge them so that every row stands alone", merged[0].GetStartAxis(), merged[0].GetEndAxis())}}
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer rows.Close()
	t := &Table{}
	line := 0
	for rows.Next() {
		line++
		rec, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, fmt.Errorf("import: row %d: %w", line, err)
		}
		if t.Header == nil {
			if len(rec) == 0 {
				continue
			}
			t.Header = rec
			continue
		}
		if err := t.add(rec, line); err != nil {
			return nil, err
		}
	}
	if err := rows.Error(); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	return t, t.check()
}

// ImportRow is one parsed row.
type ImportRow struct {
	Line        int
	Number      string
	Category    string // resolved to an id
	Description string
	Address     string
	Lon, Lat    float64
	ReportedAt  time.Time
	ClosedAt    time.Time
	Order
}

// Checks are what the database knows about rows.
type Checks struct {
	Category func(idOrName string) (string, bool) // the category id
	Exists   func(number string) bool             // the number is already taken
	Place    func(lon, lat float64) error         // nil when inside the jurisdiction
	Loc      *time.Location
	Now      time.Time
	// Questions are each category's questions (category id → questions),
	// for the answer columns.
	Questions map[string][]catalog.Attribute
	// Case finds a case already in Xiuhua by number, for merged orders.
	Case func(number string) (id int64, ok bool)
}

// Parse maps and checks every row. It returns all rows, or every error
// (up to 500) with its line and column.
func (t *Table) Parse(m Mapping, c Checks) ([]ImportRow, error) {
	col := map[Field]int{}
	var errs places.ImportErrors
	used := map[int]bool{}
	for _, f := range Fields {
		names := DefaultHeaders[f]
		if h, ok := m[f]; ok {
			names = []string{h}
		}
		for i, h := range t.Header {
			for _, n := range names {
				if strings.EqualFold(strings.TrimSpace(h), n) {
					if _, dup := col[f]; !dup && !used[i] {
						col[f], used[i] = i, true
					}
				}
			}
		}
		if _, ok := col[f]; !ok && required[f] {
			errs = append(errs, places.RowError{Line: 1, Column: string(f), Field: string(f), Code: "required", Msg: fmt.Sprintf("no column for %s (headers: %s)", f, strings.Join(t.Header, ", "))})
		}
	}
	attrs, attrErrs := t.attributeColumns(used, c.Questions)
	errs = append(errs, attrErrs...)
	if len(errs) > 0 {
		return nil, errs
	}
	seen := map[string]int{}
	out := make([]ImportRow, 0, len(t.Rows))
	for i, rec := range t.Rows {
		line := t.Lines[i]
		get := func(f Field) string {
			j, ok := col[f]
			if !ok || j >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[j])
		}
		badAt := func(j int, field, code, format string, args ...any) {
			if len(errs) < maxImportError {
				column := field
				if j >= 0 {
					column = t.Header[j]
				}
				errs = append(errs, places.RowError{Line: line, Column: column, Field: field, Code: code, Msg: fmt.Sprintf(format, args...)})
			}
		}
		column := func(f Field) int {
			if j, ok := col[f]; ok {
				return j
			}
			return -1
		}
		need := func(f Field, format string, args ...any) { badAt(column(f), string(f), "required", format, args...) }
		bad := func(f Field, format string, args ...any) { badAt(column(f), string(f), "invalid", format, args...) }
		r := ImportRow{Line: line, Number: get(FNumber), Description: get(FDescription), Address: get(FAddress)}
		switch {
		case r.Number == "":
			need(FNumber, "the case number is empty")
		case strings.HasPrefix(r.Number, "="):
			bad(FNumber, "a formula, not a value: paste values only")
		case seen[r.Number] != 0:
			bad(FNumber, "case number %s is also on line %d", r.Number, seen[r.Number])
		case c.Exists != nil && c.Exists(r.Number):
			bad(FNumber, "case number %s is already in Xiuhua", r.Number)
		}
		if r.Number != "" {
			seen[r.Number] = line
		}
		if id, ok := c.Category(get(FCategory)); ok {
			r.Category = id
		} else {
			bad(FCategory, "unknown category %q (an id like M06011 or the catalog's name)", get(FCategory))
		}
		if r.Description == "" {
			need(FDescription, "the description is empty")
		}
		lon, err1 := strconv.ParseFloat(get(FLon), 64)
		lat, err2 := strconv.ParseFloat(get(FLat), 64)
		switch {
		case err1 != nil || math.IsNaN(lon):
			bad(FLon, "longitude %q is not a number", get(FLon))
		case err2 != nil || math.IsNaN(lat):
			bad(FLat, "latitude %q is not a number", get(FLat))
		default:
			r.Lon, r.Lat = lon, lat
			if c.Place != nil {
				if err := c.Place(lon, lat); err != nil {
					bad(FLon, "%.6f,%.6f: %v", lon, lat, err)
				}
			}
		}
		var err error
		if r.ReportedAt, err = parseWhen(get(FReported), c.Loc); err != nil || r.ReportedAt.IsZero() {
			bad(FReported, "report time %q: %v", get(FReported), orEmpty(err))
		} else if r.ReportedAt.After(c.Now) {
			bad(FReported, "report time %s is in the future", get(FReported))
		}
		if r.ClosedAt, err = parseWhen(get(FClosed), c.Loc); err != nil {
			bad(FClosed, "close time %q: %v", get(FClosed), err)
		} else if !r.ClosedAt.IsZero() && r.ClosedAt.Before(r.ReportedAt) {
			bad(FClosed, "closed before it was reported")
		}
		r.Order = parseOrder(rowReader{get: get, bad: bad, need: need, badAt: badAt, loc: c.Loc}, r, seen, c)
		if r.Category != "" {
			r.Attributes = answerColumns(rec, attrs, c.Questions[r.Category], badAt)
		}
		out = append(out, r)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

func orEmpty(err error) error {
	if err == nil {
		return errors.New("empty")
	}
	return err
}

// parseWhen reads the ways ledgers write a time: 2026-03-02 09:30,
// 2026/3/2 9:30, a day alone, or an Excel serial number (46083.395833).
func parseWhen(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 1 || f > 2958465 {
			return time.Time{}, fmt.Errorf("%s is not a date", s)
		}
		t, err := excelize.ExcelDateToTime(f, false)
		if err != nil {
			return time.Time{}, err
		}
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04",
		"2006-01-02", "2006/1/2", "2006年1月2日 15:04", "2006年1月2日"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("want YYYY-MM-DD HH:MM, YYYY/M/D H:MM or an Excel date")
}
