package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// benchStores are the engines a benchmark runs on: SQLite with each
// synchronous mode, and PostgreSQL when it is configured.
func benchStores(b *testing.B, f func(b *testing.B, s *store.Store)) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("sqlite-"+sync, func(b *testing.B) {
			s, err := store.Open(context.Background(), b.TempDir()+"/bench.db", store.Options{Synchronous: sync})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.Migrate(context.Background()); err != nil {
				b.Fatal(err)
			}
			f(b, s)
		})
	}
	b.Run("postgres", func(b *testing.B) { f(b, storetest.Open(b, store.Postgres)) })
}

// A durable transition: the case row and its event in one committed transaction.
func BenchmarkTransition(b *testing.B) {
	benchStores(b, func(b *testing.B, s *store.Store) {
		f := setup(&testing.T{}, s)
		c := f.Report(&testing.T{}, t0)
		c = f.Do(&testing.T{}, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: t0.Add(time.Minute)})
		ctx := context.Background()
		at := t0.Add(time.Hour)
		for b.Loop() {
			at = at.Add(time.Second)
			n, _, err := s.Transition(ctx, c.ID, caseflow.Command{Action: caseflow.ActRemind, Actor: f.Disp, At: at, ExpectedVersion: c.Version, Note: "请尽快派遣"}, f.Policy)
			if err != nil {
				b.Fatal(err)
			}
			c = n
		}
	})
}

// Reading one case with its tasks and a timeline of 12 events.
func BenchmarkReadCaseWithTimeline(b *testing.B) {
	benchStores(b, func(b *testing.B, s *store.Store) {
		f := setup(&testing.T{}, s)
		c := f.Report(&testing.T{}, t0)
		c = f.Do(&testing.T{}, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: t0.Add(time.Minute)})
		c = f.Do(&testing.T{}, c, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, At: t0.Add(2 * time.Minute),
			Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true}, {UnitID: f.Gar.ID}}})
		for i := 0; i < 9; i++ {
			c = f.Do(&testing.T{}, c, caseflow.Command{Action: caseflow.ActRemind, Actor: f.Disp, At: t0.Add(time.Duration(3+i) * time.Minute)})
		}
		ctx := context.Background()
		for b.Loop() {
			got, err := s.Case(ctx, c.ID)
			if err != nil || len(got.Tasks) != 2 {
				b.Fatal(err)
			}
			evs, err := s.Events(ctx, c.ID)
			if err != nil || len(evs) != 12 {
				b.Fatal(err, len(evs))
			}
		}
	})
}

// Bulk loading finished histories of 6 events each (cases/s is the figure).
func BenchmarkBulkLoad(b *testing.B) {
	benchStores(b, func(b *testing.B, s *store.Store) {
		f := setup(&testing.T{}, s)
		ctx := context.Background()
		const per = 10_000
		// Pre-built histories, so only loading is timed.
		hist := make([]*caseflow.Case, per)
		evs := make([][]caseflow.Event, per)
		for i := range hist {
			at := t0.Add(time.Duration(i) * time.Second)
			c := &caseflow.Case{Channel: caseflow.ChannelPatrol, CategoryID: "M06011", Urgency: caseflow.Normal, Description: "积存垃圾",
				Point: caseflow.Point{Lon: 113.3, Lat: 40.1}, Place: caseflow.Place{UnitGrid: "u", Grid: "g", Community: "c", Street: "s"}}
			ev, _ := caseflow.Report(c, f.Worker, at, f.Policy)
			e := []caseflow.Event{ev}
			for _, cmd := range []caseflow.Command{
				{Action: caseflow.ActRegister, Actor: f.Disp},
				{Action: caseflow.ActDispatch, Actor: f.Disp, Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true}}},
				{Action: caseflow.ActSign, Actor: f.Handler},
				{Action: caseflow.ActReportBack, Actor: f.Handler, Note: "已清理", Photos: []string{"a.jpg"}},
				{Action: caseflow.ActCheckPass, Actor: f.Worker},
			} {
				at = at.Add(time.Hour)
				cmd.At, cmd.ExpectedVersion = at, c.Version
				x, err := caseflow.Apply(c, cmd, f.Policy)
				if err != nil {
					b.Fatal(err)
				}
				e = append(e, x)
			}
			hist[i], evs[i] = c, e
		}
		round := 0
		for b.Loop() {
			round++
			l, err := s.NewLoader(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for i, c := range hist {
				cc := *c
				cc.Number = fmt.Sprintf("B%04d%08d", round, i)
				cc.Tasks = append([]caseflow.Task(nil), c.Tasks...)
				e := append([]caseflow.Event(nil), evs[i]...)
				if err := l.Add(&cc, e); err != nil {
					b.Fatal(err)
				}
			}
			if err := l.Close(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(per)*float64(b.N)/b.Elapsed().Seconds(), "cases/s")
	})
}
