package demo

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

var end = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func TestDemoCity(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	res, err := Build(ctx, st, Options{Cases: 3000, Seed: 7, End: end})
	if err != nil {
		t.Fatal(err)
	}
	if res.Streets != 18 || res.Coms != 202 || res.Categories != 403 {
		t.Fatalf("reference data: %+v", res)
	}
	if res.UnitGrids < 21000 || res.UnitGrids > 24500 || res.Grids < 300 {
		t.Fatalf("%d unit grids in %d grids", res.UnitGrids, res.Grids)
	}
	if res.Cases != 3000+12 {
		t.Fatalf("%d cases, want 3000 simulated and 12 from the newspaper", res.Cases)
	}
	roles := map[caseflow.Role]bool{}
	for _, l := range res.Logins {
		roles[l.Role] = true
	}
	for _, r := range caseflow.StaffRoles {
		if !roles[r] {
			t.Errorf("no demo login for %s", r)
		}
	}
	counts, _ := st.CountCases(ctx)
	if counts[caseflow.Closed] < 2400 || counts[caseflow.Voided] == 0 || counts[caseflow.InProgress] == 0 {
		t.Fatalf("state mix %v", counts)
	}

	// Every case sits where its point is, and its history ends in its state.
	a, err := app.New(ctx, st, app.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a.Now = func() time.Time { return end }
	if err := a.ReloadPlaces(ctx); err != nil {
		t.Fatal(err)
	}
	var reworked, overdueClosed, merged, multi int
	var cursor int64
	for {
		cs, err := st.Cases(ctx, store.CaseFilter{Limit: 500, Before: cursor})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			break
		}
		for i := range cs {
			c := &cs[i]
			cursor = c.ID
			u, err := a.Index().Locate(c.Point.Lon, c.Point.Lat)
			if err != nil || u.Code != c.Place.UnitGrid || u.Street != c.Place.Street {
				t.Fatalf("case %s at %v is filed in %s but lies in %v (%v)", c.Number, c.Point, c.Place.UnitGrid, u, err)
			}
			if c.Reworks > 0 {
				reworked++
			}
			if c.CloseType == caseflow.CloseOverdue {
				overdueClosed++
			}
			if c.DuplicateOf != 0 {
				merged++
			}
			if len(c.Tasks) > 1 {
				multi++
			}
			if c.ID%7 != 0 {
				continue
			}
			evs, err := st.Events(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != c.Version || evs[len(evs)-1].ToState != c.State || evs[0].Action != caseflow.ActReport {
				t.Fatalf("case %s: %d events for version %d, last %s, state %s", c.Number, len(evs), c.Version, evs[len(evs)-1].ToState, c.State)
			}
			if c.State == caseflow.Closed && !c.ClosedAt.After(c.ReportedAt) {
				t.Fatalf("case %s closed before it was reported", c.Number)
			}
		}
	}
	if reworked == 0 || overdueClosed == 0 || merged == 0 || multi == 0 {
		t.Fatalf("the loop is not exercised: reworked %d, overdue closes %d, merged %d, multi-department %d", reworked, overdueClosed, merged, multi)
	}
	if !regexp.MustCompile(`^20\d{6}\d{5}$`).MatchString(cursorNumber(t, st)) {
		t.Fatal("case numbers are not YYYYMMDDnnnnn")
	}
}

func cursorNumber(t *testing.T, st *store.Store) string {
	cs, err := st.Cases(context.Background(), store.CaseFilter{Limit: 1})
	if err != nil || len(cs) == 0 {
		t.Fatal(err)
	}
	return cs[0].Number
}

// The newspaper's stories are in the demo, with the departments it names.
func TestDemoHasTheNewspaperStories(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	if _, err := Build(ctx, st, Options{Cases: 500, Seed: 3, End: end}); err != nil {
		t.Fatal(err)
	}
	all, err := st.Cases(ctx, store.CaseFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	find := func(s string) []caseflow.Case {
		var out []caseflow.Case
		for _, c := range all {
			if strings.Contains(c.Description, s) {
				out = append(out, c)
			}
		}
		return out
	}
	units, _ := st.Units(ctx)
	unitName := map[int64]string{}
	for _, u := range units {
		unitName[u.ID] = u.Name
	}
	if cs := find("北苑路便道面包砖"); len(cs) != 1 || cs[0].State != caseflow.Closed || cs[0].CategoryID != "M06013" {
		t.Fatalf("北苑路: %+v", cs)
	}
	hb := find("鸿宾嘉苑小区垃圾转运点")
	if len(hb) != 1 || len(hb[0].Tasks) != 4 || unitName[hb[0].Tasks[0].UnitID] != "鸿宾嘉苑物业服务中心" || hb[0].State != caseflow.Closed {
		t.Fatalf("鸿宾嘉苑: %+v", hb)
	}
	ts := find("天胜雅园小区公共绿化带")
	if len(ts) != 1 || ts[0].CategoryID != "M06045" || unitName[ts[0].Tasks[0].UnitID] != "平城区园林管理处" {
		t.Fatalf("天胜雅园: %+v", ts)
	}
	evs, _ := st.Events(ctx, ts[0].ID)
	supervised := false
	for _, e := range evs {
		supervised = supervised || e.Action == caseflow.ActSupervise
	}
	if !supervised {
		t.Fatal("天胜雅园 has no 督办")
	}
	yb := find("迎宾街道问题台账")
	cats := map[string]bool{}
	open := 0
	for _, c := range yb {
		cats[c.CategoryID] = true
		if c.Place.Street != "140213053" {
			t.Fatalf("迎宾 sweep case in street %s", c.Place.Street)
		}
		if c.State.Open() {
			open++
		}
	}
	for _, s := range catalog.SeedTypes {
		if !cats[s.Category] {
			t.Errorf("seed type %s (%s) missing from the 迎宾 sweep", s.Name, s.Category)
		}
	}
	if len(yb) != 9 || open != 2 {
		t.Fatalf("迎宾 sweep: %d cases, %d still open", len(yb), open)
	}
}

// Every dispatch in the demo says why each department got the case: the
// dispatch table's rule, the 属地 fallback, or a dispatcher's manual choice.
func TestDemoDispatchesByTheTable(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	if _, err := Build(ctx, st, Options{Cases: 300, Seed: 9, End: end}); err != nil {
		t.Fatal(err)
	}
	rules, err := st.DispatchRules(ctx)
	if err != nil || len(rules) < 30 {
		t.Fatalf("%d rules stored: %v", len(rules), err)
	}
	all, _ := st.Cases(ctx, store.CaseFilter{Limit: 1000})
	byTable, fallback := 0, 0
	for _, c := range all {
		evs, _ := st.Events(ctx, c.ID)
		for _, e := range evs {
			if e.Action != caseflow.ActDispatch {
				continue
			}
			for _, a := range e.Data.Assignments {
				switch {
				case strings.HasPrefix(a.Rule, "派单目录规则 #"):
					byTable++
				case strings.HasPrefix(a.Rule, "属地"):
					fallback++
				case strings.HasPrefix(a.Rule, "manual"):
				default:
					t.Fatalf("case %s: assignment without a reason: %+v", c.Number, a)
				}
			}
		}
	}
	if byTable < 100 || fallback == 0 {
		t.Fatalf("%d assignments by a rule, %d by 属地", byTable, fallback)
	}
}
