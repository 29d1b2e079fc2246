package sheet

import (
	"bytes"
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
