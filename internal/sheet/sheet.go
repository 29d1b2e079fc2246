// Package sheet writes tables for people who live in Excel: .xlsx with a
// title row naming the filter, Chinese headers, a frozen header, column
// widths, real dates and percentages and a totals row; and CSV in UTF-8
// with a byte-order mark so Excel opens Chinese correctly. Rows are
// streamed: a writer never holds the whole table.
//
// Every export goes through here, so this is where text from people
// (descriptions, addresses, unit and account names) is kept from running
// as a spreadsheet formula (OWASP "CSV injection"): in CSV a text value
// that starts like a formula gets a leading apostrophe (Safe); in .xlsx
// every text value is a string cell with the Text number format, which
// Excel, WPS and LibreOffice neither evaluate on opening nor when the cell
// is edited. Numbers the writer formats itself (counts, rates, dates) are
// never touched: they can only be digits, a sign, a point and a percent
// sign, so a negative count stays -3 in CSV and a number cell in .xlsx.
package sheet

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Kind says how a column's values are written.
type Kind int

const (
	Text    Kind = iota
	Int          // int or int64
	Percent      // float64 in [0, 1]; nil for "no value"
	Time         // time.Time; zero for empty
)

// Column is a column of the table.
type Column struct {
	Header string
	Width  float64 // characters; 0: 12
	Kind   Kind
}

// Writer writes a table row by row.
type Writer interface {
	Row(values ...any) error
	Totals(values ...any) error // the last row, bold in .xlsx
	Close() error               // finishes the file (and writes .xlsx out)
}

// Format is "csv" or "xlsx".
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ContentType of a format.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// New starts a table in a format on w.
func New(f Format, w io.Writer, title string, cols []Column, loc *time.Location) (Writer, error) {
	switch f {
	case CSV:
		return newCSV(w, cols, loc)
	case XLSX:
		return newXLSX(w, title, cols, loc)
	}
	return nil, fmt.Errorf("sheet: unknown format %q (csv or xlsx)", f)
}

type csvWriter struct {
	w    *csv.Writer
	cols []Column
	loc  *time.Location
}

func newCSV(w io.Writer, cols []Column, loc *time.Location) (*csvWriter, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return nil, err
	}
	cw := &csvWriter{w: csv.NewWriter(w), cols: cols, loc: loc}
	h := make([]string, len(cols))
	for i, c := range cols {
		h[i] = c.Header
	}
	return cw, cw.w.Write(h)
}

func (c *csvWriter) Row(values ...any) error {
	rec := make([]string, len(values))
	for i, v := range values {
		rec[i] = text(v, c.loc)
	}
	return c.w.Write(rec)
}

func (c *csvWriter) Totals(values ...any) error { return c.Row(values...) }

func (c *csvWriter) Close() error {
	c.w.Flush()
	return c.w.Error()
}

// formulaStart are the first characters that make a spreadsheet read a
// cell as a formula (=, +, -, @), or hide one behind them (tab, CR, LF).
const formulaStart = "=+-@\t\r\n"

// Safe is text as a spreadsheet may show but never run: text starting
// like a formula gets a leading apostrophe, which Excel and LibreOffice
// take as "this is text" (OWASP's advice for CSV).
func Safe(s string) string {
	if s != "" && strings.IndexByte(formulaStart, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// text is a value as CSV text: dates as "2006-01-02 15:04", rates as
// "87.50%", text made Safe.
func text(v any, loc *time.Location) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return Safe(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case *float64:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x*100, 'f', 2, 64) + "%"
	case float64:
		return strconv.FormatFloat(x, 'f', 2, 64)
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.In(loc).Format("2006-01-02 15:04")
	case bool:
		if x {
			return "是"
		}
		return "否"
	}
	return Safe(fmt.Sprint(v))
}

type xlsxWriter struct {
	out    io.Writer
	f      *excelize.File
	sw     *excelize.StreamWriter
	cols   []Column
	loc    *time.Location
	row    int
	styles map[Kind]int
	bold   int
	// text and boldText are for every string cell: the Text number
	// format ("@"), so the cell stays text even when someone edits it.
	text, boldText int
}

// sheetName names the sheet by the title's first word (台账, 综合评价),
// within what a workbook allows: 31 characters, none of []:*?/\.
func sheetName(title string) string {
	name, _, _ := strings.Cut(strings.TrimSpace(title), " ")
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return -1
		}
		return r
	}, name)
	if rs := []rune(name); len(rs) > 31 {
		name = string(rs[:31])
	}
	if name == "" {
		return "Sheet1"
	}
	return name
}

func newXLSX(w io.Writer, title string, cols []Column, loc *time.Location) (*xlsxWriter, error) {
	f := excelize.NewFile()
	sheet := sheetName(title)
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	x := &xlsxWriter{out: w, f: f, sw: sw, cols: cols, loc: loc, styles: map[Kind]int{}}
	dateFmt, pct := "yyyy-mm-dd hh:mm", 10 // built-in 10 is 0.00%
	if x.styles[Time], err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return nil, err
	}
	if x.styles[Percent], err = f.NewStyle(&excelize.Style{NumFmt: pct}); err != nil {
		return nil, err
	}
	if x.bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return nil, err
	}
	const textFmt = 49 // built-in 49 is "@", Text
	if x.text, err = f.NewStyle(&excelize.Style{NumFmt: textFmt}); err != nil {
		return nil, err
	}
	if x.boldText, err = f.NewStyle(&excelize.Style{NumFmt: textFmt, Font: &excelize.Font{Bold: true}}); err != nil {
		return nil, err
	}
	titleStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}})
	if err != nil {
		return nil, err
	}
	for i, c := range cols {
		width := c.Width
		if width == 0 {
			width = 12
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return nil, err
		}
	}
	// Rows 1 (title) and 2 (headers) stay in view.
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: titleStyle, Value: title}}); err != nil {
		return nil, err
	}
	if len(cols) > 1 {
		last, _ := excelize.CoordinatesToCellName(len(cols), 1)
		if err := sw.MergeCell("A1", last); err != nil {
			return nil, err
		}
	}
	h := make([]any, len(cols))
	for i, c := range cols {
		h[i] = excelize.Cell{StyleID: x.bold, Value: c.Header}
	}
	x.row = 2
	if err := sw.SetRow("A2", h); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *xlsxWriter) cells(bold bool, values []any) []any {
	out := make([]any, len(values))
	for i, v := range values {
		var kind Kind
		if i < len(x.cols) {
			kind = x.cols[i].Kind
		}
		style := x.styles[kind]
		if bold && kind != Time && kind != Percent {
			style = x.bold
		}
		switch t := v.(type) {
		case time.Time:
			if t.IsZero() {
				v = nil
			} else {
				// Excel has no time zones: write the local wall time.
				l := t.In(x.loc)
				v = time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
			}
		case *float64:
			if t == nil {
				v = nil
			} else {
				v = *t
			}
		case bool:
			v = text(t, x.loc)
		}
		if v != nil && !isNumber(v) {
			// Text: an inline string, never a formula, in the Text format
			// so that editing the cell keeps it text.
			v, style = fmt.Sprint(v), x.text
			if bold {
				style = x.boldText
			}
		}
		out[i] = excelize.Cell{StyleID: style, Value: v}
	}
	return out
}

// isNumber says whether excelize writes v as a number or a date.
func isNumber(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, time.Time:
		return true
	}
	return false
}

func (x *xlsxWriter) Row(values ...any) error {
	x.row++
	cell, _ := excelize.CoordinatesToCellName(1, x.row)
	return x.sw.SetRow(cell, x.cells(false, values))
}

func (x *xlsxWriter) Totals(values ...any) error {
	x.row++
	cell, _ := excelize.CoordinatesToCellName(1, x.row)
	return x.sw.SetRow(cell, x.cells(true, values))
}

func (x *xlsxWriter) Close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	return x.f.Write(x.out)
}
