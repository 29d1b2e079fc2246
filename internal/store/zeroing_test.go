package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// 问题归零 on both engines: a case open through the period counts every day,
// one closed on the second day counts until then, a voided one never; a
// street's filter keeps only its cases.
func TestZeroingOnBothEngines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, s)
		at := storetest.T0
		f.Report(t, at) // open throughout
		closed := f.Report(t, at.Add(time.Minute))
		voided := f.Report(t, at.Add(2*time.Minute))
		f.Do(t, voided, caseflow.Command{Action: caseflow.ActVoid, Actor: f.Disp, Reason: "无此问题", At: at.Add(3 * time.Minute)})
		// Close the second one a day later through the store, as a
		// desk answer would.
		f.Do(t, closed, caseflow.Command{Action: caseflow.ActAnswer, Actor: f.Operator, Note: "已答复", At: at.Add(25 * time.Hour)})
		now := at.Add(72 * time.Hour)
		z, err := s.Zeroing(ctx, store.CaseFilter{}, 3, now, calendar.Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		got := []int{}
		for _, d := range z.Days {
			got = append(got, d.Open)
		}
		want := []int{}
		for _, d := range z.Days {
			day, _ := time.ParseInLocation(time.DateOnly, d.Day, calendar.Shanghai)
			end := day.AddDate(0, 0, 1)
			n := 0
			if at.Before(end) {
				n++ // open
			}
			if at.Add(time.Minute).Before(end) && !at.Add(25*time.Hour).Before(end) {
				n++ // closed on the second day
			}
			want = append(want, n)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("open by day %v, want %v", got, want)
			}
		}
		if z.OpenNow != 1 {
			t.Errorf("open now %d", z.OpenNow)
		}
		if z2, err := s.Zeroing(ctx, store.CaseFilter{Street: "000000000"}, 3, now, calendar.Shanghai); err != nil || z2.OpenNow != 0 || z2.Days[2].Open != 0 {
			t.Errorf("another street: %+v %v", z2, err)
		}
	})
}
