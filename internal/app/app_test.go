package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
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
