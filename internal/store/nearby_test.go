package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// east moves a point d metres east (at Datong's latitude).
func east(lon, lat, d float64) (float64, float64) { return lon + d/85_300, lat }

func reportAt(t *testing.T, f *fixture, cat string, lon, lat float64, at time.Time) *caseflow.Case {
	t.Helper()
	return f.ReportAt(t, cat, lon, lat, at)
}

const lon0, lat0 = 113.3100, 40.0900

func TestDuplicateCandidates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		a := reportAt(t, f, "M06011", lon0, lat0, t0)
		bl, bt := east(lon0, lat0, 30)
		b := reportAt(t, f, "M06011", bl, bt, t0.Add(time.Hour))
		cl, ct := east(lon0, lat0, 80)
		reportAt(t, f, "M06011", cl, ct, t0.Add(time.Hour))     // too far
		reportAt(t, f, "M06045", lon0, lat0, t0.Add(time.Hour)) // another category
		el, et := east(lon0, lat0, 20)
		e := reportAt(t, f, "M06011", el, et, t0.Add(time.Hour))
		f.Do(t, e, caseflow.Command{Action: caseflow.ActVoid, Actor: f.Disp, At: t0.Add(2 * time.Hour), Reason: "误报"})
		reportAt(t, f, "M06011", lon0, lat0, t0.Add(-40*24*time.Hour)) // open, but older than the window

		nl, nt := east(lon0, lat0, 5)
		got, err := s.OpenNearby(ctx, "M06011", nl, nt, 50, t0.Add(-30*24*time.Hour), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Number != a.Number || got[1].Number != b.Number {
			t.Fatalf("candidates %+v", got)
		}
		if got[0].Distance < 4 || got[0].Distance > 6 || got[1].Distance < 24 || got[1].Distance > 26 {
			t.Fatalf("distances %.1f m and %.1f m, want about 5 and 25", got[0].Distance, got[1].Distance)
		}
		if r, _ := s.DuplicateRadius(ctx, "M06011", 50); r != 50 {
			t.Fatalf("default radius %v", r)
		}
		if err := s.SetDuplicateRadius(ctx, "M06011", 100); err != nil {
			t.Fatal(err)
		}
		if r, _ := s.DuplicateRadius(ctx, "M06011", 50); r != 100 {
			t.Fatalf("category radius %v", r)
		}
		// Merging the later report into the earlier counts a repeat, and the
		// merged case is no longer a candidate.
		f.Do(t, b, caseflow.Command{Action: caseflow.ActMerge, Actor: f.Disp, At: t0.Add(3 * time.Hour), DuplicateOf: a.ID})
		if n, err := s.Repeats(ctx, a.ID); err != nil || n != 1 {
			t.Fatalf("repeats %d %v", n, err)
		}
		got, _ = s.OpenNearby(ctx, "M06011", nl, nt, 50, t0.Add(-30*24*time.Hour), a.ID, 10)
		if len(got) != 0 {
			t.Fatalf("after the merge, excluding the case itself: %+v", got)
		}
	})
}

func TestHotspotsAndMap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		var spot []string
		for i, d := range []float64{0, 20, 45, 60} {
			l, a := east(lon0, lat0, d)
			spot = append(spot, reportAt(t, f, "M06011", l, a, t0.Add(time.Duration(i)*72*time.Hour)).Number)
		}
		far1, fa := east(lon0, lat0, 600)
		reportAt(t, f, "M06011", far1, fa, t0)
		reportAt(t, f, "M06045", lon0, lat0, t0) // one of another category at the spot
		win := store.HotspotFilter{From: t0.Add(-time.Hour), To: t0.Add(30 * 24 * time.Hour)}
		hs, err := s.Hotspots(ctx, win)
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != 1 || hs[0].Count != 4 || hs[0].Category != "M06011" || !hs[0].First.Equal(t0) ||
			!hs[0].Last.Equal(t0.Add(216*time.Hour)) || len(hs[0].Cases) != 4 {
			t.Fatalf("hotspots %+v", hs)
		}
		for i, n := range spot {
			if hs[0].Cases[i] != n {
				t.Fatalf("hotspot cases %v, want %v", hs[0].Cases, spot)
			}
		}
		for name, f := range map[string]store.HotspotFilter{
			"min 5":         {From: win.From, To: win.To, Min: 5},
			"other street":  {From: win.From, To: win.To, Street: "140213054"},
			"other class":   {From: win.From, To: win.To, Category: "M07"},
			"box elsewhere": {From: win.From, To: win.To, Box: &store.Bound{MinLon: 113.0, MinLat: 40.0, MaxLon: 113.1, MaxLat: 40.05}},
			"short window":  {From: t0.Add(100 * time.Hour), To: t0.Add(30 * 24 * time.Hour)},
		} {
			if hs, err := s.Hotspots(ctx, f); err != nil || len(hs) != 0 {
				t.Fatalf("%s: %+v %v", name, hs, err)
			}
		}
		box := store.Bound{MinLon: lon0 - 0.01, MinLat: lat0 - 0.01, MaxLon: lon0 + 0.01, MaxLat: lat0 + 0.01}
		m, err := s.Map(ctx, store.MapFilter{Box: box, OpenOnly: true, Limit: 100})
		if err != nil || m.Total != 6 || len(m.Points) != 6 {
			t.Fatalf("map %+v %v", m, err)
		}
		m, err = s.Map(ctx, store.MapFilter{Box: box, OpenOnly: true, Limit: 3})
		if err != nil || m.Total != 6 || len(m.Points) != 0 || len(m.Clusters) != 1 || m.Clusters[0].Count != 6 {
			t.Fatalf("clustered map %+v %v", m, err)
		}
		if _, err := s.Map(ctx, store.MapFilter{Box: store.Bound{MinLon: 114, MinLat: 40, MaxLon: 113, MaxLat: 41}, Limit: 3}); err == nil {
			t.Fatal("an inverted box was accepted")
		}
	})
}

// Text search finds Chinese words inside descriptions and addresses, and
// treats % and _ as plain characters.
func TestTextSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		a := reportAt(t, f, "M06011", lon0, lat0, t0) // 鸿宾嘉苑垃圾转运点多年未清理
		for _, tt := range []struct {
			q    string
			want int
		}{{"转运点", 1}, {"鸿宾嘉苑", 1}, {"天胜雅园", 0}, {"%", 0}, {"_", 0}, {"'; DROP TABLE cases; --", 0}} {
			cs, err := s.Cases(ctx, store.CaseFilter{Text: tt.q, Limit: 10})
			if err != nil || len(cs) != tt.want || (tt.want == 1 && cs[0].ID != a.ID) {
				t.Errorf("%q: %d cases, %v", tt.q, len(cs), err)
			}
		}
	})
}
