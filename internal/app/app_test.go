package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/routing"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// The calendar a server runs on: the district's own day off (kept in the
// database) and its summer hours on top of the holiday files.
func TestCalendarFromSettingsAndStore(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	day := time.Date(2026, 10, 8, 10, 0, 0, 0, calendar.Shanghai) // a Thursday after National Day
	cal, err := app.Calendar(ctx, st, app.Config{})
	if err != nil || !cal.IsWorkingDay(day) {
		t.Fatalf("10-08 should be a working day by the holiday file: %v", err)
	}
	if err := st.SaveCalendarDay(ctx, store.CalendarDay{Day: "2026-10-08", Note: "区里补休"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	cal, err = app.Calendar(ctx, st, app.Config{SummerHours: "08:30-12:00,15:00-18:30", Summer: "05-01..09-30"})
	if err != nil {
		t.Fatal(err)
	}
	if cal.IsWorkingDay(day) {
		t.Fatal("the district's day off was not applied")
	}
	// 09-30 17:00 + 2 working hours: 1.5 h of summer afternoon, 10-08 off,
	// then 30 minutes on Friday 10-09.
	got := cal.Add(time.Date(2026, 9, 30, 17, 0, 0, 0, calendar.Shanghai), 2*time.Hour)
	if want := time.Date(2026, 10, 9, 9, 0, 0, 0, calendar.Shanghai); !got.Equal(want) {
		t.Fatalf("got %s, want %s", got, want)
	}
	if _, err := app.Calendar(ctx, st, app.Config{Hours: "09:00-09:00"}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("an empty window was accepted: %v", err)
	}
	if err := st.SaveCalendarDay(ctx, store.CalendarDay{Day: "2026-02-30"}, time.Now()); err == nil {
		t.Fatal("a day that does not exist was saved")
	}
}

// A grid layer redrawn from a date: before it the old cells answer, from it
// the new ones (without a restart), and a case keeps the places it was
// filed in.
func TestRedrawnLayerTakesEffectOnItsDate(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	f := storetest.NewFixture(t, st)
	cell := func(code string, x0, x1 float64) places.UnitGrid {
		return places.UnitGrid{Code: code, Grid: code[:14], Community: code[:12], Street: code[:9],
			Geometry: places.Polygonal{{{{x0, 40.0}, {x1, 40.0}, {x1, 40.1}, {x0, 40.1}, {x0, 40.0}}}}}
	}
	grid := func(code string, n int) places.Grid {
		return places.Grid{Code: code, Name: code, Community: code[:12], Street: code[:9], Cells: n}
	}
	old := storetest.T0.Add(-24 * time.Hour)
	if err := st.SaveLayer(ctx, []places.Grid{grid("14021305300101", 1)}, []places.UnitGrid{cell("14021305300101001", 113.3, 113.5)}, old); err != nil {
		t.Fatal(err)
	}
	redraw := storetest.T0.Add(10 * 24 * time.Hour)
	if err := st.SaveLayer(ctx, []places.Grid{grid("14021305300102", 2)},
		[]places.UnitGrid{cell("14021305300102001", 113.3, 113.4), cell("14021305300102002", 113.4, 113.5)}, redraw); err != nil {
		t.Fatal(err)
	}
	now := storetest.T0
	a, err := app.New(ctx, st, app.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a.Now = func() time.Time { return now }
	if err := a.ReloadPlaces(ctx); err != nil {
		t.Fatal(err)
	}
	in := app.ReportInput{Channel: caseflow.ChannelPatrol, CategoryID: "M06011", Description: "垃圾", Lon: 113.45, Lat: 40.05}
	before, err := a.Report(ctx, in, f.Worker)
	if err != nil || before.Place.UnitGrid != "14021305300101001" {
		t.Fatalf("before the redraw: %+v %v", before, err)
	}
	now = redraw.Add(time.Minute)
	after, err := a.Report(ctx, in, f.Worker)
	if err != nil || after.Place.UnitGrid != "14021305300102002" || after.Place.Grid != "14021305300102" {
		t.Fatalf("after the redraw: %+v %v", after, err)
	}
	kept, _ := st.Case(ctx, before.ID)
	if kept.Place.UnitGrid != "14021305300101001" {
		t.Fatalf("the earlier case moved to %s", kept.Place.UnitGrid)
	}
	if _, err := a.Report(ctx, app.ReportInput{Channel: caseflow.ChannelPatrol, CategoryID: "M06011", Lon: 40.05, Lat: 113.45}, f.Worker); err == nil ||
		!strings.Contains(err.Error(), "latitude") {
		t.Fatalf("swapped coordinates: %v", err)
	}
	if _, err := a.Report(ctx, app.ReportInput{Channel: caseflow.ChannelPatrol, CategoryID: "M06011", Lon: 113.9, Lat: 40.05}, f.Worker); err == nil ||
		!strings.Contains(err.Error(), "outside jurisdiction") {
		t.Fatalf("outside: %v", err)
	}
}

// AutoDispatch follows the table and keeps the reason on the event.
func TestAutoDispatchKeepsTheReason(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	f := storetest.NewFixture(t, st)
	if err := st.SaveDivisions(ctx, []places.Division{{Code: "140213053", Name: "迎宾街道", Level: places.LevelStreet},
		{Code: "140213053001", Name: "社区", Level: places.LevelCommunity, ParentCode: "140213053"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.ReplaceDispatchRules(ctx, []routing.Rule{{ID: 1, Category: "M06", Area: routing.Any, Lead: "hwc", Assist: []string{"ylc"}}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, st, app.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := f.Report(t, storetest.T0)
	c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: storetest.T0.Add(time.Minute)})
	a.Now = func() time.Time { return storetest.T0.Add(time.Hour) }
	c, ev, err := a.AutoDispatch(ctx, c.ID, f.Disp, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Tasks) != 2 || c.Tasks[0].UnitID != f.Env.ID || !c.Tasks[0].Lead || c.Tasks[1].UnitID != f.Gar.ID {
		t.Fatalf("tasks %+v", c.Tasks)
	}
	if as := ev.Data.Assignments; len(as) != 2 || !strings.Contains(as[0].Rule, "派单目录规则 #1") || !strings.Contains(as[1].Rule, "协办") {
		t.Fatalf("assignments %+v", as)
	}
	stored, _ := st.Events(ctx, c.ID)
	if last := stored[len(stored)-1]; last.Action != caseflow.ActDispatch || last.Data.Assignments[0].Rule != ev.Data.Assignments[0].Rule {
		t.Fatalf("stored event %+v", last)
	}
}
