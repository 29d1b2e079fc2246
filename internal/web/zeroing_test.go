package web_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

// 问题归零's open cases at each day's end, district-wide and for a street,
// are the cases reported before that end and not closed by then, counted
// here from every case (voided ones aside).
func TestZeroingRecounted(t *testing.T) {
	s, a := serverWith(t, 2000)
	ctx := context.Background()
	var all []caseflow.Case
	for before := int64(0); ; {
		page, err := a.Store.Cases(ctx, store.CaseFilter{Limit: 1000, Before: before})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		before = page[len(page)-1].ID
	}
	leader := tokenOf(t, a, "leader")
	for _, street := range []string{"", all[0].Place.Street} {
		_, body, _ := getAs(t, s.URL+"/api/v1/zeroing?days=30&street="+street, leader)
		var z struct {
			Days []struct {
				Day  string
				Open int
			}
			OpenNow int `json:"open_now"`
		}
		if err := json.Unmarshal([]byte(body), &z); err != nil || len(z.Days) != 30 {
			t.Fatalf("zeroing %q: %v %s", street, err, body)
		}
		for _, d := range z.Days {
			day, _ := time.ParseInLocation(time.DateOnly, d.Day, calendar.Shanghai)
			end := day.AddDate(0, 0, 1)
			want := 0
			for _, c := range all {
				if c.State == caseflow.Voided || (street != "" && c.Place.Street != street) {
					continue
				}
				if c.ReportedAt.Before(end) && (c.ClosedAt.IsZero() || !c.ClosedAt.Before(end)) {
					want++
				}
			}
			if d.Open != want {
				t.Errorf("street %q, %s: %d open, recounted %d", street, d.Day, d.Open, want)
			}
		}
	}
}
