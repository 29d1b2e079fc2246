package sheet

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

var loc = time.FixedZone("CST", 8*3600)

var cols = []Column{{Header: "案件编号", Width: 16}, {Header: "上报时间", Kind: Time}, {Header: "返工", Kind: Int}, {Header: "结案率", Kind: Percent}}

func write(t *testing.T, f Format) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := New(f, &b, "平城区 迎宾街道 2026-11 台账", cols, loc)
	if err != nil {
		t.Fatal(err)
	}
	rate := 0.875
	at := time.Date(2026, 11, 24, 1, 30, 0, 0, time.UTC) // 09:30 in Datong
	if err := w.Row("2026112400001", at, 1, &rate); err != nil {
		t.Fatal(err)
	}
	if err := w.Row("2026112400002", time.Time{}, 0, (*float64)(nil)); err != nil {
		t.Fatal(err)
	}
	if err := w.Totals("合计", nil, 1, &rate); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCSVOpensInExcel(t *testing.T) {
	b := string(write(t, CSV))
	want := "\ufeff案件编号,上报时间,返工,结案率\n2026112400001,2026-11-24 09:30,1,87.50%\n2026112400002,,0,\n合计,,1,87.50%\n"
	if b != want {
		t.Fatalf("got %q\nwant %q", b, want)
	}
}

func TestXLSXHasTitleHeadersDatesAndTotals(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(write(t, XLSX)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sh := f.GetSheetName(0)
	if sh != "平城区" { // the title's first word, not Sheet1
		t.Errorf("the sheet is called %q, not by its title", sh)
	}
	rows, err := f.GetRows(sh)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || !strings.Contains(rows[0][0], "台账") || rows[1][0] != "案件编号" || rows[4][0] != "合计" {
		t.Fatalf("rows %q", rows)
	}
	if rows[2][1] != "2026-11-24 09:30" || rows[2][3] != "87.50%" {
		t.Fatalf("formatted cells %q", rows[2])
	}
	if typ, _ := f.GetCellType(sh, "B3"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Fatal("the date is text, not a date")
	}
	panes, err := f.GetPanes(sh)
	if err != nil || !panes.Freeze || panes.YSplit != 2 {
		t.Fatalf("panes %+v %v", panes, err)
	}
	if w, _ := f.GetColWidth(sh, "A"); w != 16 {
		t.Fatalf("width %v", w)
	}
	if _, err := New("pdf", &bytes.Buffer{}, "", cols, loc); err == nil {
		t.Fatal("unknown format accepted")
	}
}

// Text people typed that starts like a formula reaches the spreadsheet as
// text: an apostrophe in CSV, a Text-formatted string cell in .xlsx;
// numbers, negative ones too, stay numbers.
func TestFormulaLookingTextIsNeutralised(t *testing.T) {
	evil := []string{`=HYPERLINK("http://127.0.0.1/x","点击")`, "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "\n=1+1"}
	cols := []Column{{Header: "问题描述"}, {Header: "返工", Kind: Int}, {Header: "差值", Kind: Int}}
	for _, f := range []Format{CSV, XLSX} {
		var b bytes.Buffer
		w, err := New(f, &b, "台账", cols, loc)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evil {
			if err := w.Row(e, 2, -3); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Row("平城区 = 大同", int64(0), -1); err != nil {
			t.Fatal(err)
		}
		if err := w.Totals("=1+1", 14, -21); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if f == CSV {
			rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range evil {
				if got := rows[i+1]; got[0] != "'"+e || got[1] != "2" || got[2] != "-3" {
					t.Errorf("csv row %q, want %q, 2, -3", got, "'"+e)
				}
			}
			if rows[len(evil)+1][0] != "平城区 = 大同" || rows[len(evil)+2][0] != "'=1+1" {
				t.Errorf("csv rows %q", rows[len(evil)+1:])
			}
			continue
		}
		x, err := excelize.OpenReader(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		sh := x.GetSheetName(0)
		for i := range len(evil) + 2 {
			a, _ := excelize.CoordinatesToCellName(1, i+3)
			if formula, _ := x.GetCellFormula(sh, a); formula != "" {
				t.Errorf("%s is a formula: %q", a, formula)
			}
			if typ, _ := x.GetCellType(sh, a); typ != excelize.CellTypeInlineString {
				t.Errorf("%s is not a string cell: %v", a, typ)
			}
			style, _ := x.GetCellStyle(sh, a)
			if st, err := x.GetStyle(style); err != nil || st.NumFmt != 49 {
				t.Errorf("%s is not in the Text format: %+v %v", a, st, err)
			}
			c, _ := excelize.CoordinatesToCellName(3, i+3)
			if typ, _ := x.GetCellType(sh, c); typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
				t.Errorf("the negative number %s is text", c)
			}
		}
		if v, _ := x.GetCellValue(sh, "A3"); v != evil[0] {
			t.Errorf("xlsx text changed: %q", v)
		}
		if v, _ := x.GetCellValue(sh, "C3"); v != "-3" {
			t.Errorf("xlsx number %q", v)
		}
		x.Close()
	}
}
