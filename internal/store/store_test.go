package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

type fixture = storetest.Fixture

var t0 = storetest.T0

func setup(t *testing.T, s *store.Store) *fixture { return storetest.NewFixture(t, s) }

func TestWholeLoopIsStoredWithItsEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		c := f.Report(t, t0)
		if c.Number != "2026030200001" || c.ID == 0 {
			t.Fatalf("number %q id %d", c.Number, c.ID)
		}
		at := t0
		next := func() time.Time { at = at.Add(30 * time.Minute); return at }
		yes := true
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: next()})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, At: next(),
			Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true, Rule: "M06 → 环卫处"}, {UnitID: f.Gar.ID}}})
		if len(c.Tasks) != 2 || c.Tasks[0].ID == 0 || c.Tasks[1].ID == 0 {
			t.Fatalf("tasks not stored: %+v", c.Tasks)
		}
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActSign, Actor: f.Handler, At: next()})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRequestReturn, Actor: caseflow.Actor{AccountID: 99, Role: caseflow.Handler, UnitID: f.Gar.ID}, At: next(), Reason: "不属本单位"})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActApproveReturn, Actor: f.Disp, At: next(), TaskUnit: f.Gar.ID})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActReportBack, Actor: f.Handler, At: next(), Note: "已清运", Photos: []string{"after.jpg"}})
		if c.State != caseflow.PendingCheck {
			t.Fatalf("state %s", c.State)
		}
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActCheckFail, Actor: f.Worker, At: next(), Reason: "仍有残留"})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActReportBack, Actor: f.Handler, At: next(), Note: "已彻底清运", Photos: []string{"after2.jpg"}})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActCheckPass, Actor: f.Worker, At: next()})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActClose, Actor: f.Disp, At: next()})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActCallback, Actor: f.Operator, At: next(), Satisfied: &yes, Solved: &yes})

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
		if c2 := f.Report(t, t0.Add(time.Hour)); c2.Number != "2026030200002" {
			t.Fatalf("second number %s", c2.Number)
		}
	})
}

func TestRefusalWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		c := f.Report(t, t0)
		for _, cmd := range []caseflow.Command{
			{Action: caseflow.ActRegister, Actor: f.Handler, At: t0.Add(time.Hour)},                // wrong role
			{Action: caseflow.ActClose, Actor: f.Disp, At: t0.Add(time.Hour)},                      // wrong state
			{Action: caseflow.ActVoid, Actor: f.Disp, At: t0.Add(time.Hour)},                       // no reason
			{Action: caseflow.ActMerge, Actor: f.Disp, At: t0.Add(time.Hour), DuplicateOf: 424242}, // no such case
		} {
			cmd.ExpectedVersion = c.Version
			if _, _, err := s.Transition(ctx, c.ID, cmd, f.Policy); err == nil {
				t.Fatalf("%s was accepted", cmd.Action)
			}
		}
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: t0.Add(time.Hour)})
		_, _, err := s.Transition(ctx, c.ID, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, At: t0.Add(2 * time.Hour),
			ExpectedVersion: c.Version, Assignments: []caseflow.Assignment{{UnitID: 9999, Lead: true}}}, f.Policy)
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
			c := f.Report(t, t0.Add(time.Duration(round)*time.Minute))
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for i := range errs {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					cmd := caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: t0.Add(time.Hour), ExpectedVersion: 1}
					if i%2 == 1 {
						cmd = caseflow.Command{Action: caseflow.ActVoid, Actor: f.Disp, At: t0.Add(time.Hour), ExpectedVersion: 1, Reason: "重复"}
					}
					_, _, errs[i] = s.Transition(ctx, c.ID, cmd, f.Policy)
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
			ev, err := caseflow.Report(c, f.Operator, at, f.Policy)
			if err != nil {
				t.Fatal(err)
			}
			evs := []caseflow.Event{ev}
			for _, cmd := range []caseflow.Command{
				{Action: caseflow.ActRegister, Actor: f.Disp},
				{Action: caseflow.ActDispatch, Actor: f.Disp, Assignments: []caseflow.Assignment{{UnitID: f.Gar.ID, Lead: true}}},
				{Action: caseflow.ActSign, Actor: caseflow.Actor{Role: caseflow.Handler, UnitID: f.Gar.ID}},
			}[:i%4] {
				at = at.Add(time.Hour)
				cmd.At, cmd.ExpectedVersion = at, c.Version
				e, err := caseflow.Apply(c, cmd, f.Policy)
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
		c := f.Report(t, t0)
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
			c := f.Report(t, t0.Add(time.Duration(i)*time.Hour))
			ids = append(ids, c.ID)
			if i%2 == 0 {
				f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: t0.Add(time.Duration(i)*time.Hour + time.Minute)})
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
		// By channel: the list and its count, never from the aggregates
		// (they are not kept by channel).
		patrol, _ := s.Cases(ctx, store.CaseFilter{Channel: caseflow.ChannelPatrol, State: caseflow.Registered})
		hotline, _ := s.Cases(ctx, store.CaseFilter{Channel: caseflow.ChannelHotline})
		hc, err := s.Ledger(ctx, store.CaseFilter{Channel: caseflow.ChannelHotline, Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		pc, _ := s.Ledger(ctx, store.CaseFilter{Channel: caseflow.ChannelPatrol, Now: t0})
		if len(patrol) != 4 || len(hotline) != 0 || hc.Total != 0 || pc.Total != 7 {
			t.Fatalf("channel filter: %d registered patrol cases, %d hotline; counted %d hotline, %d patrol", len(patrol), len(hotline), hc.Total, pc.Total)
		}
		// By reporter: a grid worker's own reports, and nobody else's.
		mine, _ := s.Cases(ctx, store.CaseFilter{Reporter: f.Worker.AccountID, State: caseflow.Registered})
		others, _ := s.Cases(ctx, store.CaseFilter{Reporter: f.Worker.AccountID + 1000})
		if len(mine) != 4 || len(others) != 0 {
			t.Fatalf("reporter filter: %d of the worker's registered reports, %d of another account", len(mine), len(others))
		}
	})
}

// Two instances on one database reporting at once: every case gets its own
// number of the day, each instance hands its numbers out in order, and on
// SQLite (one writer) the day's numbers have no gaps.
func TestCaseNumbersFromTwoInstances(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, target string) {
		open := func() *store.Store {
			s, err := store.Open(ctx, target, store.Options{Synchronous: "NORMAL"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		a := open()
		if err := a.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		f := setup(t, a)
		b := open()
		const each, clients = 60, 4
		numbers := make(chan [2]string, 2*each*clients)
		errs := make(chan error, 2*clients)
		for i, s := range []*store.Store{a, b, a, b, a, b, a, b} {
			go func() {
				var last string
				for j := range each {
					c := &caseflow.Case{Channel: caseflow.ChannelPatrol, CategoryID: "M06011", Urgency: caseflow.Normal,
						Description: "并发报告", Point: caseflow.Point{Lon: 113.31, Lat: 40.09},
						Place: caseflow.Place{UnitGrid: storetest.Grid + "001", Grid: storetest.Grid, Community: "140213053001", Street: "140213053"}}
					ev, err := caseflow.Report(c, f.Worker, t0.Add(time.Duration(j)*time.Second), f.Policy)
					if err == nil {
						err = s.CreateCase(ctx, c, &ev, f.Policy)
					}
					if err != nil {
						errs <- err
						return
					}
					// One client's cases follow one another, so within an
					// instance their numbers rise.
					if c.Number <= last {
						errs <- fmt.Errorf("client %d: %s after %s", i, c.Number, last)
						return
					}
					last = c.Number
					numbers <- [2]string{fmt.Sprint(i % 2), c.Number}
				}
				errs <- nil
			}()
		}
		for range 2 * clients {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		close(numbers)
		seen := map[string]bool{}
		var top int
		for n := range numbers {
			if seen[n[1]] {
				t.Fatalf("number %s given twice", n[1])
			}
			seen[n[1]] = true
			if !strings.HasPrefix(n[1], "20260302") || len(n[1]) != 13 {
				t.Fatalf("number %s is not of 2 March", n[1])
			}
			var k int
			fmt.Sscan(strings.TrimLeft(n[1][8:], "0"), &k)
			top = max(top, k)
		}
		if len(seen) != 2*each*clients {
			t.Fatalf("%d numbers for %d cases", len(seen), 2*each*clients)
		}
		if a.Dialect() == store.SQLite && top != len(seen) {
			t.Fatalf("SQLite numbers go up to %d for %d cases: a gap", top, len(seen))
		}
		if top > len(seen)+2*15 {
			t.Fatalf("numbers go up to %d for %d cases: more than a block unused per instance", top, len(seen))
		}
	}
	t.Run("sqlite", func(t *testing.T) { check(t, filepath.Join(t.TempDir(), "xiuhua.db")) })
	t.Run("postgres", func(t *testing.T) { check(t, storetest.PostgresURL(t)) })
}
