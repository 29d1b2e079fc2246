package store_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/deadline"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/refdata"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

type fixture struct {
	s        *store.Store
	policy   *deadline.Policy
	env, gar org.Unit // 环卫处, 园林管理处
	centre   org.Unit
	disp     caseflow.Actor
	worker   caseflow.Actor
	handler  caseflow.Actor
	operator caseflow.Actor
}

var t0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC) // 09:00 in Datong

func setup(t *testing.T, s *store.Store) *fixture {
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
	f := &fixture{s: s, policy: pol,
		env:    org.Unit{Code: "hwc", Name: "平城区环卫处", Kind: org.KindDepartment},
		gar:    org.Unit{Code: "ylc", Name: "平城区园林管理处", Kind: org.KindDepartment},
		centre: org.Unit{Code: "zhzx", Name: "平城区城市管理指挥中心", Kind: org.KindCentre}}
	for _, u := range []*org.Unit{&f.env, &f.gar, &f.centre} {
		if err := s.CreateUnit(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(name string, role caseflow.Role, unit int64) caseflow.Actor {
		a := org.Account{Username: name, Name: name, Role: role, UnitID: unit, PasswordHash: "x"}
		if err := s.CreateAccount(ctx, &a); err != nil {
			t.Fatal(err)
		}
		return caseflow.Actor{AccountID: a.ID, Role: role, UnitID: unit}
	}
	f.disp = mk("disp", caseflow.Dispatcher, f.centre.ID)
	f.worker = mk("worker", caseflow.GridWorker, f.centre.ID)
	f.handler = mk("hw", caseflow.Handler, f.env.ID)
	f.operator = mk("op", caseflow.Operator, f.centre.ID)
	return f
}

func (f *fixture) report(t *testing.T, at time.Time) *caseflow.Case {
	t.Helper()
	c := &caseflow.Case{Channel: caseflow.ChannelPatrol, CategoryID: "M06011", Urgency: caseflow.Normal,
		Description: "鸿宾嘉苑垃圾转运点多年未清理", Address: "鸿宾嘉苑", Point: caseflow.Point{Lon: 113.31, Lat: 40.09},
		Place:    caseflow.Place{UnitGrid: "14021305300101001", Grid: "14021305300101", Community: "140213053001", Street: "140213053"},
		Reporter: caseflow.Reporter{AccountID: f.worker.AccountID, Name: "张网格", Phone: "13800000000"}}
	ev, err := caseflow.Report(c, f.worker, at, f.policy)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.CreateCase(context.Background(), c, &ev, calendar.Shanghai); err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) do(t *testing.T, c *caseflow.Case, cmd caseflow.Command) *caseflow.Case {
	t.Helper()
	cmd.ExpectedVersion = c.Version
	n, _, err := f.s.Transition(context.Background(), c.ID, cmd, f.policy)
	if err != nil {
		t.Fatalf("%s: %v", cmd.Action, err)
	}
	return n
}

func TestWholeLoopIsStoredWithItsEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		c := f.report(t, t0)
		if c.Number != "2026030200001" || c.ID == 0 {
			t.Fatalf("number %q id %d", c.Number, c.ID)
		}
		at := t0
		next := func() time.Time { at = at.Add(30 * time.Minute); return at }
		yes := true
		c = f.do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.disp, At: next()})
		c = f.do(t, c, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.disp, At: next(),
			Assignments: []caseflow.Assignment{{UnitID: f.env.ID, Lead: true, Rule: "M06 → 环卫处"}, {UnitID: f.gar.ID}}})
		if len(c.Tasks) != 2 || c.Tasks[0].ID == 0 || c.Tasks[1].ID == 0 {
			t.Fatalf("tasks not stored: %+v", c.Tasks)
		}
		c = f.do(t, c, caseflow.Command{Action: caseflow.ActSign, Actor: f.handler, At: next()})
		c = f.do(t, c, caseflow.Command{Action: caseflow.ActRequestReturn, Actor: caseflow.Actor{AccountID: 99, Role: caseflow.Handler, UnitID: f.gar.ID}, At: next(), Reason: "不属本单位"})
		c = f.do(t, c, caseflow.Command{Action: caseflow.ActApproveReturn, Actor: f.disp, At: next(), TaskUnit: f.gar.ID})
		c = f.do(t, c, caseflow.Command{Action: caseflow.ActReportBack, Actor: f.handler, At: next(), Note: "已清运", Photos: []string{"after.jpg"}})
		if c.State != caseflow.PendingCheck {
			t.Fatalf("state %s", c.State)
		}
		c = f.do(t, c, caseflow.Command{Action: caseflow.ActCheckFail, Actor: f.worker, At: next(), Reason: "仍有残留"})
		c = f.do(t, c, caseflow.Command{Action: caseflow.ActReportBack, Actor: f.handler, At: next(), Note: "已彻底清运", Photos: []string{"after2.jpg"}})
		c = f.do(t, c, caseflow.Command{Action: caseflow.ActCheckPass, Actor: f.worker, At: next()})
		c = f.do(t, c, caseflow.Command{Action: caseflow.ActClose, Actor: f.disp, At: next()})
		c = f.do(t, c, caseflow.Command{Action: caseflow.ActCallback, Actor: f.operator, At: next(), Satisfied: &yes, Solved: &yes})

		got, err := s.Case(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("reloaded case differs:\n got %+v\nwant %+v", got, c)
		}
		if got.State != caseflow.Closed || got.CloseType != caseflow.CloseNormal || got.Reworks != 1 || *got.Satisfied != true {
			t.Fatalf("final case %+v", got)
		}
		if got.Tasks[1].State != caseflow.TaskReturned {
			t.Fatalf("returned task is %s", got.Tasks[1].State)
		}
		evs, err := s.Events(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != c.Version {
			t.Fatalf("%d events for version %d", len(evs), c.Version)
		}
		for i, e := range evs {
			if e.Seq != i+1 {
				t.Fatalf("event %d has seq %d", i, e.Seq)
			}
			if i > 0 && e.FromState != evs[i-1].ToState {
				t.Fatalf("event %d starts at %s but the previous ended at %s", i, e.FromState, evs[i-1].ToState)
			}
		}
		if evs[2].Data.Assignments[0].Rule != "M06 → 环卫处" {
			t.Fatalf("routing reason lost: %+v", evs[2].Data)
		}
		if evs[5].TaskID != c.Tasks[1].ID || evs[5].Action != caseflow.ActApproveReturn {
			t.Fatalf("approve_return event names task %d, want %d", evs[5].TaskID, c.Tasks[1].ID)
		}
		if evs[len(evs)-1].ToState != got.State {
			t.Fatal("last event does not match the case state")
		}
		// The second case of the day gets the next number.
		if c2 := f.report(t, t0.Add(time.Hour)); c2.Number != "2026030200002" {
			t.Fatalf("second number %s", c2.Number)
		}
	})
}

func TestRefusalWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		c := f.report(t, t0)
		for _, cmd := range []caseflow.Command{
			{Action: caseflow.ActRegister, Actor: f.handler, At: t0.Add(time.Hour)},                // wrong role
			{Action: caseflow.ActClose, Actor: f.disp, At: t0.Add(time.Hour)},                      // wrong state
			{Action: caseflow.ActVoid, Actor: f.disp, At: t0.Add(time.Hour)},                       // no reason
			{Action: caseflow.ActMerge, Actor: f.disp, At: t0.Add(time.Hour), DuplicateOf: 424242}, // no such case
		} {
			cmd.ExpectedVersion = c.Version
			if _, _, err := s.Transition(ctx, c.ID, cmd, f.policy); err == nil {
				t.Fatalf("%s was accepted", cmd.Action)
			}
		}
		c = f.do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.disp, At: t0.Add(time.Hour)})
		_, _, err := s.Transition(ctx, c.ID, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.disp, At: t0.Add(2 * time.Hour),
			ExpectedVersion: c.Version, Assignments: []caseflow.Assignment{{UnitID: 9999, Lead: true}}}, f.policy)
		var ce *caseflow.Error
		if !errors.As(err, &ce) || ce.Field != "assignments" {
			t.Fatalf("dispatch to a missing unit: %v", err)
		}
		evs, _ := s.Events(ctx, c.ID)
		got, _ := s.Case(ctx, c.ID)
		if len(evs) != 2 || got.Version != 2 || got.State != caseflow.Registered || len(got.Tasks) != 0 {
			t.Fatalf("refusals left %d events, version %d, state %s, %d tasks", len(evs), got.Version, got.State, len(got.Tasks))
		}
		if _, err := s.Case(ctx, 424242); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing case: %v", err)
		}
	})
}

// Two dispatchers act on the same version at once: exactly one wins.
func TestConcurrentTransitionsOneWins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		for round := 0; round < 5; round++ {
			c := f.report(t, t0.Add(time.Duration(round)*time.Minute))
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for i := range errs {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					cmd := caseflow.Command{Action: caseflow.ActRegister, Actor: f.disp, At: t0.Add(time.Hour), ExpectedVersion: 1}
					if i%2 == 1 {
						cmd = caseflow.Command{Action: caseflow.ActVoid, Actor: f.disp, At: t0.Add(time.Hour), ExpectedVersion: 1, Reason: "重复"}
					}
					_, _, errs[i] = s.Transition(ctx, c.ID, cmd, f.policy)
				}(i)
			}
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case errors.Is(err, caseflow.ErrStale):
				default:
					t.Fatalf("unexpected error %v", err)
				}
			}
			evs, _ := s.Events(ctx, c.ID)
			if wins != 1 || len(evs) != 2 {
				t.Fatalf("%d winners, %d events", wins, len(evs))
			}
		}
	})
}

func TestLayersHaveEffectiveDates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sq := func(x0 float64) places.Polygonal {
			return places.Polygonal{{{{x0, 40}, {x0 + 0.01, 40}, {x0 + 0.01, 40.01}, {x0, 40.01}, {x0, 40}}}}
		}
		d1 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		d2 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		old := []places.UnitGrid{{Code: "A1", Grid: "A", Community: "c", Street: "s", Geometry: sq(113)}}
		redrawn := []places.UnitGrid{{Code: "B1", Grid: "B", Community: "c", Street: "s", Geometry: sq(113)},
			{Code: "B2", Grid: "B", Community: "c", Street: "s", Geometry: sq(113.01)}}
		if err := s.SaveLayer(ctx, []places.Grid{{Code: "A", Name: "A", Community: "c", Street: "s", Cells: 1}}, old, d1); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveLayer(ctx, []places.Grid{{Code: "B", Name: "B", Community: "c", Street: "s", Cells: 2}}, redrawn, d2); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			at   time.Time
			want []string
		}{{d1.Add(-time.Hour), nil}, {d1.AddDate(0, 6, 0), []string{"A1"}}, {d2, []string{"B1", "B2"}}} {
			us, err := s.UnitGrids(ctx, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, u := range us {
				codes = append(codes, u.Code)
			}
			if !reflect.DeepEqual(codes, tt.want) {
				t.Errorf("at %s: %v, want %v", tt.at, codes, tt.want)
			}
			if len(us) > 0 && !reflect.DeepEqual(us[0].Geometry, sq(113)) {
				t.Errorf("geometry changed in storage: %v", us[0].Geometry)
			}
		}
	})
}

func TestBulkLoadMatchesTransitions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		l, err := s.NewLoader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var want []*caseflow.Case
		var wantEvents [][]caseflow.Event
		for i := 0; i < 1100; i++ {
			at := t0.Add(time.Duration(i) * time.Minute)
			c := &caseflow.Case{Number: at.In(calendar.Shanghai).Format("20060102") + fmtSeq(i+1), Channel: caseflow.ChannelHotline,
				CategoryID: "M06045", Urgency: caseflow.Normal, Description: "天胜雅园绿化带被开垦种菜", Point: caseflow.Point{Lon: 113.3, Lat: 40.1},
				Place: caseflow.Place{UnitGrid: "u", Grid: "g", Community: "c", Street: "s"}}
			ev, err := caseflow.Report(c, f.operator, at, f.policy)
			if err != nil {
				t.Fatal(err)
			}
			evs := []caseflow.Event{ev}
			for _, cmd := range []caseflow.Command{
				{Action: caseflow.ActRegister, Actor: f.disp},
				{Action: caseflow.ActDispatch, Actor: f.disp, Assignments: []caseflow.Assignment{{UnitID: f.gar.ID, Lead: true}}},
				{Action: caseflow.ActSign, Actor: caseflow.Actor{Role: caseflow.Handler, UnitID: f.gar.ID}},
			}[:i%4] {
				at = at.Add(time.Hour)
				cmd.At, cmd.ExpectedVersion = at, c.Version
				e, err := caseflow.Apply(c, cmd, f.policy)
				if err != nil {
					t.Fatal(err)
				}
				evs = append(evs, e)
			}
			if err := l.Add(c, evs); err != nil {
				t.Fatal(err)
			}
			want, wantEvents = append(want, c), append(wantEvents, evs)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{0, 3, 399, 400, 1099} {
			got, err := s.Case(ctx, want[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want[i]) {
				t.Fatalf("case %d:\n got %+v\nwant %+v", i, got, want[i])
			}
			evs, _ := s.Events(ctx, want[i].ID)
			if len(evs) != len(wantEvents[i]) || evs[len(evs)-1].ToState != got.State {
				t.Fatalf("case %d: %d events", i, len(evs))
			}
		}
		// Live work continues after a bulk load: ids and numbers do not collide.
		c := f.report(t, t0)
		// Cases 0..899 fell on 2 March (Datong time), so the next is 901.
		if c.ID != want[len(want)-1].ID+1 || c.Number != "2026030200901" {
			t.Fatalf("after bulk load: id %d number %s", c.ID, c.Number)
		}
		counts, err := s.CountCases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[caseflow.InProgress] != 275 || counts[caseflow.Reported] != 276 {
			t.Fatalf("counts %v", counts)
		}
	})
}

func fmtSeq(n int) string {
	b := []byte("00000")
	for i := 4; i >= 0 && n > 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		ok, err := s.MigrationsCurrent(ctx)
		if err != nil || !ok {
			t.Fatalf("current %v %v", ok, err)
		}
	})
}

func TestListFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		var ids []int64
		for i := 0; i < 7; i++ {
			c := f.report(t, t0.Add(time.Duration(i)*time.Hour))
			ids = append(ids, c.ID)
			if i%2 == 0 {
				f.do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.disp, At: t0.Add(time.Duration(i)*time.Hour + time.Minute)})
			}
		}
		page1, err := s.Cases(ctx, store.CaseFilter{State: caseflow.Registered, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		page2, _ := s.Cases(ctx, store.CaseFilter{State: caseflow.Registered, Limit: 3, Before: page1[len(page1)-1].ID})
		if len(page1) != 3 || len(page2) != 1 || page1[0].ID != ids[6] || page2[0].ID != ids[0] {
			t.Fatalf("pages %d %d", len(page1), len(page2))
		}
		over, _ := s.Cases(ctx, store.CaseFilter{Overdue: true, Now: t0.AddDate(0, 0, 30)})
		if len(over) != 7 {
			t.Fatalf("%d overdue a month later", len(over))
		}
		byClass, _ := s.Cases(ctx, store.CaseFilter{Category: "M06", Street: "140213053"})
		none, _ := s.Cases(ctx, store.CaseFilter{Category: "M09"})
		if len(byClass) != 7 || len(none) != 0 {
			t.Fatalf("class filter %d %d", len(byClass), len(none))
		}
	})
}
