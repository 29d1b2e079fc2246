package store_test

import (
	"context"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// loadReported bulk-loads n reported cases, alternately in streets s1 and s2.
func loadReported(t *testing.T, l *store.Loader, f *fixture, n int) {
	t.Helper()
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Minute)
		street := []string{"s1", "s2"}[i%2]
		c := &caseflow.Case{Number: at.In(calendar.Shanghai).Format("20060102") + fmtSeq(i+1), Channel: caseflow.ChannelPatrol,
			CategoryID: "M06045", Urgency: caseflow.Normal, Description: "天胜雅园绿化带被开垦种菜", Point: caseflow.Point{Lon: 113.3, Lat: 40.1},
			Place: caseflow.Place{UnitGrid: "u", Grid: "g", Community: "c", Street: street}}
		ev, err := caseflow.Report(c, f.Operator, at, f.Policy)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Add(c, []caseflow.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
}

// A bulk load with deferred indexes drops the secondary indexes of cases,
// tasks and events, and builds exactly the same ones again at its end —
// or, when it was killed before its end, at the store's next migration.
func TestDeferredIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		want, err := s.SecondaryIndexes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"cases_street_id", "cases_state", "events_action_at", "tasks_unit"} {
			if want[name] == "" {
				t.Fatalf("no index %s before the load: %v", name, indexNames(want))
			}
		}
		l, err := s.NewLoader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.DeferIndexes(); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.SecondaryIndexes(ctx); len(got) != 0 {
			t.Fatalf("indexes left during the load: %v", indexNames(got))
		}
		loadReported(t, l, f, 700)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := s.SecondaryIndexes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after the load:\n got %v\nwant %v", got, want)
		}
		var left int
		if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM deferred_indexes`).Scan(&left); err != nil || left != 0 {
			t.Fatalf("deferred_indexes keeps %d rows (%v)", left, err)
		}
		// The rebuilt street index answers a street's list.
		cs, err := s.Cases(ctx, store.CaseFilter{Street: "s2", Limit: 1000})
		if err != nil || len(cs) != 350 {
			t.Fatalf("street s2: %d cases, %v", len(cs), err)
		}
		// A page asked for above the most (1,000) is the most, not the default 50.
		if cs, err := s.Cases(ctx, store.CaseFilter{Limit: 5000}); err != nil || len(cs) != 700 {
			t.Fatalf("limit 5000 over 700 cases: %d cases, %v", len(cs), err)
		}
		// A store with cases refuses to drop its indexes.
		l2, err := s.NewLoader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := l2.DeferIndexes(); err == nil || !strings.Contains(err.Error(), "without cases") {
			t.Fatalf("deferring on a store with cases: %v", err)
		}
	})
}

func TestDeferredIndexesAfterAKilledLoad(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, target string) {
		s, err := store.Open(ctx, target, store.Options{Synchronous: "NORMAL"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		want, _ := s.SecondaryIndexes(ctx)
		f := setup(t, s)
		l, err := s.NewLoader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.DeferIndexes(); err != nil {
			t.Fatal(err)
		}
		loadReported(t, l, f, 600) // one batch of 500 is flushed
		// The process dies here: no Close.
		s.Close()

		s, err = store.Open(ctx, target, store.Options{Synchronous: "NORMAL"})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if got, _ := s.SecondaryIndexes(ctx); len(got) != 0 {
			t.Fatalf("before migrating, %d indexes", len(got))
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := s.SecondaryIndexes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after the next open:\n got %v\nwant %v", indexNames(got), indexNames(want))
		}
		cs, err := s.Cases(ctx, store.CaseFilter{Street: "s1", Limit: 1000})
		if err != nil || len(cs) != 250 {
			t.Fatalf("street s1 after the killed load: %d cases (the flushed 500 hold 250), %v", len(cs), err)
		}
	}
	t.Run("sqlite", func(t *testing.T) { check(t, filepath.Join(t.TempDir(), "xiuhua.db")) })
	t.Run("postgres", func(t *testing.T) { check(t, storetest.PostgresURL(t)) })
}

func indexNames(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

// A bulk load records which cases its events' photos are evidence on, as
// a live transition does, so their originals follow the cases' scope and
// the orphan sweep leaves them be.
func TestBulkLoadRecordsPhotoRefs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		l, err := s.NewLoader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		photo := strings.Repeat("ab", 32)
		var ids []int64
		for i := range 3 {
			at := t0.Add(time.Duration(i) * time.Minute)
			c := &caseflow.Case{Number: at.In(calendar.Shanghai).Format("20060102") + fmtSeq(i+1), Channel: caseflow.ChannelPatrol,
				CategoryID: "M06045", Urgency: caseflow.Normal, Description: "绿化带被开垦种菜", Point: caseflow.Point{Lon: 113.3, Lat: 40.1},
				Place: caseflow.Place{UnitGrid: "u", Grid: "g", Community: "c", Street: "s1"}}
			ev, err := caseflow.Report(c, f.Operator, at, f.Policy)
			if err != nil {
				t.Fatal(err)
			}
			var evs []caseflow.Event
			if i < 2 { // the same photo twice on a case counts once
				ev.Data.Photos = []string{photo, photo}
			}
			evs = append(evs, ev)
			if err := l.Add(c, evs); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		cs, err := s.PhotoCases(ctx, photo)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, c := range cs {
			got = append(got, c.ID)
		}
		if !slices.Equal(got, ids[:2]) {
			t.Fatalf("the photo is evidence on %v, want %v", got, ids[:2])
		}
	})
}
