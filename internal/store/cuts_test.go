package store

import (
	"slices"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
)

func day(t *testing.T, s string) int64 {
	t.Helper()
	d, err := time.ParseInLocation(time.DateOnly, s, calendar.Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return DayOf(d)
}

// TestCuts pins the calendar arithmetic the aggregates rest on: which
// periods they answer, and which cut a thing done on one day for another
// falls in.
func TestCuts(t *testing.T) {
	for _, c := range []struct {
		from, to string
		cut      int
		ok       bool
	}{
		{"2026-11-16", "2026-11-23", cutWeek, true}, // ISO week 47, Monday to Monday
		{"2026-11-17", "2026-11-24", 0, false},      // seven days from a Tuesday
		{"2026-11-01", "2026-12-01", cutMonth, true},
		{"2026-10-01", "2027-01-01", cutQuarter, true},
		{"2026-01-01", "2027-01-01", cutYear, true},
		{"2026-02-01", "2026-05-01", 0, false}, // three months, not a quarter
		{"2026-11-01", "2026-11-15", 0, false},
	} {
		cut, ok := periodCut(day(t, c.from), day(t, c.to))
		if cut != c.cut || ok != c.ok {
			t.Errorf("%s..%s: cut %d %v, want %d %v", c.from, c.to, cut, ok, c.cut, c.ok)
		}
	}
	for _, c := range []struct {
		day, done string
		in        []int // the cuts that count it
	}{
		{"2026-11-25", "2026-11-26", []int{cutNone, cutWeek, cutMonth, cutQuarter, cutYear}},
		{"2026-11-30", "2026-12-01", []int{cutNone, cutWeek, cutQuarter, cutYear}},  // next month, same ISO week
		{"2026-11-27", "2026-12-01", []int{cutNone, cutQuarter, cutYear}},           // next month, next week
		{"2026-11-25", "2026-11-30", []int{cutNone, cutMonth, cutQuarter, cutYear}}, // a Monday: the next week
		{"2026-12-30", "2027-01-02", []int{cutNone, cutWeek}},                       // the week spans the new year
		{"2026-03-31", "2026-04-01", []int{cutNone, cutWeek, cutYear}},
		{"2026-11-25", "2026-11-20", []int{cutNone, cutWeek, cutMonth, cutQuarter, cutYear}}, // done before (an imported date): by every end
	} {
		v := cutOf(day(t, c.day), day(t, c.done))
		var in []int
		for cut := cutNone; cut < cuts; cut++ {
			if slices.Contains(cutValues(cut), v) {
				in = append(in, cut)
			}
		}
		if !slices.Equal(in, c.in) {
			t.Errorf("done %s for %s: counted by cuts %v, want %v", c.done, c.day, in, c.in)
		}
	}
}
