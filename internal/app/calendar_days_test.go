package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// The district closes its offices on Tuesday 8 December 2026 while a task
// runs over that day: a preview names the task and changes nothing; the
// change moves the task's deadline and its watch one working day later and
// records why on the case; taking the day back moves the deadline back;
// taking it back a second time is refused.
func TestCalendarDayChangeMovesRunningDeadlines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dispatched := time.Date(2026, 12, 7, 9, 0, 0, 0, calendar.Shanghai) // a Monday
		a, c := dispatchedTask(t, st, dispatched)
		// 积存垃圾渣土: 2 working days, Monday 09:00 → Wednesday 09:00.
		old := c.Tasks[0].Deadline
		if want := time.Date(2026, 12, 9, 9, 0, 0, 0, calendar.Shanghai); !old.Equal(want) {
			t.Fatalf("deadline %s, want %s", old.In(calendar.Shanghai), want)
		}
		later := time.Date(2026, 12, 10, 9, 0, 0, 0, calendar.Shanghai)
		off := &store.CalendarDay{Working: false, Note: "全区停电检修"}

		pre, err := a.ChangeCalendarDay(ctx, "admin", "2026-12-08", off, false)
		if err != nil {
			t.Fatal(err)
		}
		if pre.Applied || len(pre.Moves) != 1 || pre.Moves[0].Number != c.Number || !pre.Moves[0].Retimes[0].To.Equal(later) {
			t.Fatalf("preview %+v", pre)
		}
		if days, _ := st.CalendarDays(ctx); len(days) != 0 {
			t.Fatal("a preview saved the day")
		}
		if got, _ := st.Case(ctx, c.ID); !got.Tasks[0].Deadline.Equal(old) {
			t.Fatal("a preview moved the deadline")
		}

		res, err := a.ChangeCalendarDay(ctx, "admin", "2026-12-08", off, true)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Applied || len(res.Moves) != 1 || res.Previous != nil || res.Working == nil || *res.Working {
			t.Fatalf("change %+v", res)
		}
		got, _ := st.Case(ctx, c.ID)
		if !got.Tasks[0].Deadline.Equal(later) {
			t.Fatalf("task deadline %s, want %s", got.Tasks[0].Deadline.In(calendar.Shanghai), later)
		}
		retimedTo(t, st, c.ID, later, "2026-12-08")
		if a.Policy.Calendar().IsWorkingDay(time.Date(2026, 12, 8, 10, 0, 0, 0, calendar.Shanghai)) {
			t.Fatal("8 December is still a working day for new deadlines")
		}
		// The same setting again moves nothing.
		if again, err := a.ChangeCalendarDay(ctx, "admin", "2026-12-08", off, true); err != nil || len(again.Moves) != 0 || again.Previous == nil {
			t.Fatalf("the same day off again: %+v, %v", again, err)
		}

		back, err := a.ChangeCalendarDay(ctx, "admin", "2026-12-08", nil, true)
		if err != nil || len(back.Moves) != 1 || back.Working != nil {
			t.Fatalf("taking the day back: %+v, %v", back, err)
		}
		if got, _ := st.Case(ctx, c.ID); !got.Tasks[0].Deadline.Equal(old) {
			t.Fatalf("after taking the day back the deadline is %s, want %s", got.Tasks[0].Deadline.In(calendar.Shanghai), old.In(calendar.Shanghai))
		}
		if _, err := a.ChangeCalendarDay(ctx, "admin", "2026-12-08", nil, true); !errors.Is(err, app.ErrNoDaySetting) {
			t.Fatalf("removing a day never set: %v", err)
		}
	})
}
