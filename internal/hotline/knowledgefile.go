package hotline

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Column is one column of the knowledge file, in import and export alike:
// its Chinese header (what a clerk's spreadsheet says) and the point's
// field it fills.
type Column struct {
	Header string
	Field  string
}

// Columns of the knowledge file, in its order. 编号 is the point's id: a
// row with one replaces that point, a row without adds a new one.
var Columns = []Column{
	{"编号", "id"}, {"知识分类", "category"}, {"知识标题", "title"}, {"知识内容", "content"},
	{"发布单位", "issuer"}, {"知识类型", "kind"}, {"关键词", "keywords"}, {"适用范围", "scope"},
	{"生效日期", "from"}, {"失效日期", "until"},
}

// KindNames are the kinds as the file and the page name them.
var KindNames = map[Kind]string{Policy: "政策法规", Guide: "办事指南", FAQ: "常见问答", Notice: "通知公告", Contacts: "机构通讯"}

// MaxFileRows is the most points one file may hold.
const MaxFileRows = 20_000

// FileError is one bad cell of a knowledge file.
type FileError struct {
	Line   int    // the row in the file, the header being 1
	Column string // its header
	Field  string // the point's field
	Msg    string
}

func (e FileError) Error() string {
	return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Msg)
}

// FileErrors lists every bad row of a file; nothing of it is imported.
type FileErrors []FileError

func (es FileErrors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d bad cells, nothing imported", len(es))
	for i, e := range es[:min(len(es), 20)] {
		if i > 0 {
			b.WriteString(";")
		}
		b.WriteString(" " + e.Error())
	}
	return b.String()
}

// Row is one point read from a file, with its line.
type Row struct {
	Line  int
	Point Point
}

// ParseFile reads a knowledge file's rows (header first, each data row
// with its line) into points, each checked; on any error it returns every
// bad cell (at most 200) and no rows. The columns are found by header, in
// any order; 编号 and 失效日期 may be absent.
func ParseFile(header []string, rows [][]string, lines []int) ([]Row, error) {
	at := map[string]int{}
	for i, h := range header {
		at[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	var errs FileErrors
	for _, c := range Columns {
		if _, ok := at[c.Header]; !ok && c.Field != "id" && c.Field != "until" {
			errs = append(errs, FileError{Line: 1, Column: c.Header, Field: c.Field, Msg: "the header lacks this column"})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(rows) > MaxFileRows {
		return nil, FileErrors{{Line: lines[MaxFileRows], Column: "", Field: "file", Msg: fmt.Sprintf("more than %d points; split the file", MaxFileRows)}}
	}
	cell := func(rec []string, h string) string {
		if i, ok := at[h]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	kinds := map[string]Kind{}
	for k, name := range KindNames {
		kinds[name], kinds[string(k)] = k, k
	}
	seen := map[int64]int{}
	out := make([]Row, 0, len(rows))
	for n, rec := range rows {
		line := lines[n]
		bad := func(col Column, msg string) {
			if len(errs) < 200 {
				errs = append(errs, FileError{Line: line, Column: col.Header, Field: col.Field, Msg: msg})
			}
		}
		p := Point{Title: cell(rec, "知识标题"), Content: cell(rec, "知识内容"), Issuer: cell(rec, "发布单位"),
			Scope: cell(rec, "适用范围"), Category: splitPath(cell(rec, "知识分类")), Keywords: splitWords(cell(rec, "关键词"))}
		if v := cell(rec, "编号"); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				bad(Columns[0], fmt.Sprintf("%q is not a point's number", v))
				continue
			}
			if first, dup := seen[id]; dup {
				bad(Columns[0], fmt.Sprintf("point %d is already on line %d", id, first))
				continue
			}
			seen[id], p.ID = line, id
		}
		if v := cell(rec, "知识类型"); v != "" {
			k, ok := kinds[v]
			if !ok {
				bad(column("kind"), fmt.Sprintf("%q is not a kind (常见问答, 办事指南, 政策法规, 通知公告, 机构通讯)", v))
				continue
			}
			p.Kind = k
		}
		var err error
		if p.From, err = fileDay(cell(rec, "生效日期")); err != nil {
			bad(column("from"), err.Error())
			continue
		}
		if p.Until, err = fileDay(cell(rec, "失效日期")); err != nil {
			bad(column("until"), err.Error())
			continue
		}
		if err := p.Check(); err != nil {
			pe := err.(*PointError)
			bad(column(pe.Field), pe.Msg)
			continue
		}
		out = append(out, Row{Line: line, Point: p})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

func column(field string) Column {
	for _, c := range Columns {
		if c.Field == field {
			return c
		}
	}
	return Column{Field: field}
}

// splitPath reads 城市管理/市容环境 (or with >, ＞, ／, -).
func splitPath(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("/／>＞", r) })
}

// splitWords reads keywords separated by 、, commas, semicolons or spaces.
func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("、,，;； \u3000", r) })
}

var cnDay = regexp.MustCompile(`^(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?$`)

// fileDay reads a day as a clerk's spreadsheet holds it: 2026-01-05,
// 2026/1/5, 2026年1月5日, or an Excel day number (a date cell read raw).
func fileDay(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if m := cnDay.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
		if t.Year() != y || int(t.Month()) != mo || t.Day() != d {
			return "", fmt.Errorf("%q is not a day of the calendar", s)
		}
		return t.Format(time.DateOnly), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 1 && f < 2958466 {
		// Excel counts days from 1899-12-30 (its 1900 leap-year slip included).
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(math.Floor(f))).Format(time.DateOnly), nil
	}
	return "", fmt.Errorf("%q is not a day (2026-01-05 or 2026年1月5日)", s)
}

// FileRow is a point as the file's row, in Columns' order.
func (p *Point) FileRow() []any {
	return []any{p.ID, strings.Join(p.Category, "/"), p.Title, p.Content, p.Issuer, KindNames[p.Kind],
		strings.Join(p.Keywords, "、"), p.Scope, p.From, p.Until}
}
