package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/deadline"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/refdata"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Fixture is a store with the catalog, units and accounts a case needs:
// 环卫处 (Env) and 园林管理处 (Gar) as departments, the command centre, a
// dispatcher, a grid worker of the case's grid, a handler of 环卫处, an
// operator and a district leader.
type Fixture struct {
	S        *store.Store
	Policy   *deadline.Policy
	Env, Gar org.Unit
	Centre   org.Unit
	Disp     caseflow.Actor
	Worker   caseflow.Actor
	Handler  caseflow.Actor
	Operator caseflow.Actor
	Leader   caseflow.Actor
}

// T0 is a Monday, 09:00 in Datong.
var T0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// Grid is the fixture cases' grid.
const Grid = "14021305300101"

// NewFixture fills s.
func NewFixture(t testing.TB, s *store.Store) *Fixture {
	t.Helper()
	ctx := context.Background()
	cal, err := calendar.New(calendar.DefaultWindows, refdata.Holidays()...)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := deadline.NewPolicy(cal, deadline.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCategories(ctx, []catalog.Category{
		{ID: "M06011", Kind: catalog.Matter, Code: "06011", MajorClass: "市容环境类", Name: "积存垃圾渣土", Public: true},
		{ID: "M06045", Kind: catalog.Matter, Code: "06045", MajorClass: "市容环境类", Name: "非法占绿毁绿", Public: true},
	}); err != nil {
		t.Fatal(err)
	}
	f := &Fixture{S: s, Policy: pol,
		Env:    org.Unit{Code: "hwc", Name: "平城区环卫处", Kind: org.KindDepartment},
		Gar:    org.Unit{Code: "ylc", Name: "平城区园林管理处", Kind: org.KindDepartment},
		Centre: org.Unit{Code: "zhzx", Name: "平城区城市管理指挥中心", Kind: org.KindCentre}}
	for _, u := range []*org.Unit{&f.Env, &f.Gar, &f.Centre} {
		if err := s.CreateUnit(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(name string, role caseflow.Role, unit int64) caseflow.Actor {
		a := org.Account{Username: name, Name: name, Role: role, UnitID: unit, PasswordHash: "x", Active: true}
		if role == caseflow.GridWorker {
			a.Grids = []string{Grid}
		}
		if err := s.CreateAccount(ctx, &a); err != nil {
			t.Fatal(err)
		}
		return caseflow.Actor{AccountID: a.ID, Role: role, UnitID: unit}
	}
	f.Disp = mk("disp", caseflow.Dispatcher, f.Centre.ID)
	f.Worker = mk("worker", caseflow.GridWorker, f.Centre.ID)
	f.Handler = mk("hw", caseflow.Handler, f.Env.ID)
	f.Operator = mk("op", caseflow.Operator, f.Centre.ID)
	f.Leader = mk("leader", caseflow.Leader, f.Centre.ID)
	return f
}

// Report files a case of 积存垃圾渣土 by the grid worker at at.
func (f *Fixture) Report(t testing.TB, at time.Time) *caseflow.Case {
	t.Helper()
	return f.ReportAt(t, "M06011", 113.31, 40.09, at)
}

// ReportAt files a case of a category at a point in the fixture's grid.
func (f *Fixture) ReportAt(t testing.TB, cat string, lon, lat float64, at time.Time) *caseflow.Case {
	t.Helper()
	c := &caseflow.Case{Channel: caseflow.ChannelPatrol, CategoryID: cat, Urgency: caseflow.Normal,
		Description: "鸿宾嘉苑垃圾转运点多年未清理", Address: "鸿宾嘉苑", Point: caseflow.Point{Lon: lon, Lat: lat},
		Place:    caseflow.Place{UnitGrid: Grid + "001", Grid: Grid, Community: "140213053001", Street: "140213053"},
		Reporter: caseflow.Reporter{AccountID: f.Worker.AccountID, Name: "张网格", Phone: "13800000000"}}
	ev, err := caseflow.Report(c, f.Worker, at, f.Policy)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.S.CreateCase(context.Background(), c, &ev, f.Policy); err != nil {
		t.Fatal(err)
	}
	return c
}

// Do applies cmd on the case's version and fails the test on refusal.
func (f *Fixture) Do(t testing.TB, c *caseflow.Case, cmd caseflow.Command) *caseflow.Case {
	t.Helper()
	cmd.ExpectedVersion = c.Version
	n, _, err := f.S.Transition(context.Background(), c.ID, cmd, f.Policy)
	if err != nil {
		t.Fatalf("%s: %v", cmd.Action, err)
	}
	return n
}
