package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// importApp is an app over one unit grid (113.3–113.5 E, 40.0–40.1 N).
func importApp(t testing.TB) (*app.App, *store.Store) {
	t.Helper()
	st := storetest.Open(t, store.SQLite)
	return importAppOn(t, st), st
}

// importAppOn is importApp over a store of either engine.
func importAppOn(t testing.TB, st *store.Store) *app.App {
	t.Helper()
	ctx := context.Background()
	storetest.NewFixture(t, st)
	code := "14021305300101001"
	if err := st.SaveLayer(ctx, []places.Grid{{Code: code[:14], Name: "一网格", Community: code[:12], Street: code[:9], Cells: 1}},
		[]places.UnitGrid{{Code: code, Grid: code[:14], Community: code[:12], Street: code[:9],
			Geometry: places.Polygonal{{{{113.3, 40.0}, {113.5, 40.0}, {113.5, 40.1}, {113.3, 40.1}, {113.3, 40.0}}}}}},
		storetest.T0.Add(-365*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, st, app.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a.Now = func() time.Time { return storetest.T0.Add(30 * 24 * time.Hour) }
	return a
}

const goodCSV = "\ufeff案件编号,问题类别,问题描述,地址,经度,纬度,上报时间,结案时间\n" +
	"PC2025-0001,M06011,鸿宾嘉苑垃圾堆积,鸿宾嘉苑,113.35,40.05,2026-01-05 09:30,2026-01-06 16:00\n" +
	",,,,,,,\n" + // an empty row
	"PC2025-0002,非法占绿毁绿,天胜雅园绿地种菜,天胜雅园,113.36,40.06,2026/1/7 8:15,\n"

func TestImportLedgerCSV(t *testing.T) {
	ctx := context.Background()
	a, st := importApp(t)
	res, err := a.ImportLedger(ctx, "台账.csv", strings.NewReader(goodCSV), nil, false)
	if err != nil || res.Rows != 2 || res.Imported != 0 || res.Sample[1].Category != "M06045" || res.Sample[1].Line != 4 {
		t.Fatalf("preview %+v %v", res, err)
	}
	if n, _ := st.CountCases(ctx); len(n) != 0 {
		t.Fatalf("a preview wrote cases: %v", n)
	}
	res, err = a.ImportLedger(ctx, "台账.csv", strings.NewReader(goodCSV), nil, true)
	if err != nil || res.Imported != 2 {
		t.Fatalf("import %+v %v", res, err)
	}
	c, err := st.CaseByNumber(ctx, "PC2025-0001")
	if err != nil || c.State != caseflow.Closed || c.Channel != caseflow.ChannelImport || c.Place.UnitGrid != "14021305300101001" ||
		!c.ReportedAt.Equal(time.Date(2026, 1, 5, 1, 30, 0, 0, time.UTC)) || !c.ClosedAt.Equal(time.Date(2026, 1, 6, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("imported case %+v %v", c, err)
	}
	evs, _ := st.Events(ctx, c.ID)
	if len(evs) != 3 || !strings.Contains(evs[0].Data.Note, "第 2 行") {
		t.Fatalf("history %+v", evs)
	}
	open, _ := st.CaseByNumber(ctx, "PC2025-0002")
	if open.State != caseflow.Registered || open.Deadline.IsZero() {
		t.Fatalf("open imported case %+v", open)
	}
	// The same file again: every number is taken, nothing is imported.
	_, err = a.ImportLedger(ctx, "台账.csv", strings.NewReader(goodCSV), nil, true)
	var ie places.ImportErrors
	if !errors.As(err, &ie) || len(ie) != 2 || !strings.Contains(ie[0].Error(), "line 2, column 案件编号 (number): case number PC2025-0001 is already in Xiuhua") {
		t.Fatalf("second import: %v", err)
	}
}

func TestImportLedgerRefusesBadFiles(t *testing.T) {
	ctx := context.Background()
	a, st := importApp(t)
	h := "案件编号,问题类别,问题描述,地址,经度,纬度,上报时间,结案时间\n"
	for _, tt := range []struct {
		name, file, want string
	}{
		{"wrong headers", "编号X,类别X\n1,2\n", "no column for number"},
		{"unknown category", h + "A1,M99999,描述,,113.35,40.05,2026-01-05 09:30,\n", "line 2, column 问题类别 (category): unknown category"},
		{"date as odd text", h + "A1,M06011,描述,,113.35,40.05,上周二,\n", "line 2, column 上报时间"},
		{"duplicate numbers", h + "A1,M06011,描述,,113.35,40.05,2026-01-05,\nA1,M06011,描述,,113.35,40.05,2026-01-05,\n", "also on line 2"},
		{"outside", h + "A1,M06011,描述,,116.40,39.90,2026-01-05,\n", "outside jurisdiction"},
		{"swapped coordinates", h + "A1,M06011,描述,,40.05,113.35,2026-01-05,\n", "latitude"},
		{"formula", h + "=1+1,M06011,描述,,113.35,40.05,2026-01-05,\n", "formula"},
		{"closed before reported", h + "A1,M06011,描述,,113.35,40.05,2026-01-05,2026-01-01\n", "closed before"},
		{"future", h + "A1,M06011,描述,,113.35,40.05,2030-01-05,\n", "future"},
		{"empty file", "", "empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.ImportLedger(ctx, "x.csv", strings.NewReader(tt.file), nil, true)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want %q, got %v", tt.want, err)
			}
		})
	}
	var big strings.Builder
	big.WriteString(h)
	for i := 0; i <= ledger.MaxImportRows; i++ {
		fmt.Fprintf(&big, "B%d,M06011,描述,,113.35,40.05,2026-01-05,\n", i)
	}
	if _, err := a.ImportLedger(ctx, "big.csv", strings.NewReader(big.String()), nil, true); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("too many rows: %v", err)
	}
	if _, err := a.ImportLedger(ctx, "old.xls", strings.NewReader("x"), nil, true); err == nil || !strings.Contains(err.Error(), ".xlsx") {
		t.Fatalf(".xls: %v", err)
	}
	if n, _ := st.CountCases(ctx); len(n) != 0 {
		t.Fatalf("a refused import wrote cases: %v", n)
	}
}

func xlsxFile(t *testing.T, rows [][]any, merge bool) []byte {
	t.Helper()
	f := excelize.NewFile()
	sh := f.GetSheetName(0)
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sh, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if merge {
		f.MergeCell(sh, "A2", "A3")
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImportLedgerXLSX(t *testing.T) {
	ctx := context.Background()
	a, st := importApp(t)
	header := []any{"编号", "类别", "描述", "经度", "纬度", "受理时间"}
	// Excel serial 46027.395833… is 2026-01-05 09:30.
	good := xlsxFile(t, [][]any{header, {"X-1", "M06011", "垃圾", 113.35, 40.05, 46027.3958333333}}, false)
	m, err := ledger.ParseMapping("number=编号,category=类别,description=描述,reported_at=受理时间")
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.ImportLedger(ctx, "台账.xlsx", bytes.NewReader(good), m, true)
	if err != nil || res.Imported != 1 {
		t.Fatalf("xlsx import %+v %v", res, err)
	}
	c, _ := st.CaseByNumber(ctx, "X-1")
	if got := c.ReportedAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04"); got != "2026-01-05 09:30" {
		t.Fatalf("an Excel date became %s", got)
	}
	merged := xlsxFile(t, [][]any{header, {"X-2", "M06011", "垃圾", 113.35, 40.05, "2026-01-05"}, {nil, "M06011", "垃圾", 113.35, 40.05, "2026-01-05"}}, true)
	if _, err := a.ImportLedger(ctx, "台账.xlsx", bytes.NewReader(merged), m, true); err == nil || !strings.Contains(err.Error(), "merged cells") {
		t.Fatalf("merged cells: %v", err)
	}
	// A zip bomb: a sheet that claims to unzip to a terabyte.
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, name := range []string{"[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"} {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, UncompressedSize64: 1 << 40, CompressedSize64: 4})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("<a/>"))
	}
	zw.Close()
	if _, err := a.ImportLedger(ctx, "bomb.xlsx", bytes.NewReader(zb.Bytes()), m, true); err == nil {
		t.Fatal("a zip bomb was read")
	}
	if _, err := a.ImportLedger(ctx, "fake.xlsx", strings.NewReader("MZ\x90\x00 not a zip"), m, true); err == nil || !strings.Contains(err.Error(), "not a readable .xlsx") {
		t.Fatalf("renamed file: %v", err)
	}
	if _, err := ledger.ParseMapping("numbr=编号"); err == nil {
		t.Fatal("a mapping to an unknown field was accepted")
	}
}
