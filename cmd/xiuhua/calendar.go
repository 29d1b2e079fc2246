package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/store"
)

const calendarUsage = `usage:
  xiuhua calendar days                                  the district's own days off and working days
  xiuhua calendar set YYYY-MM-DD off|work [-note TEXT]  add or change one (running servers apply it within seconds)
  xiuhua calendar unset YYYY-MM-DD                      remove one
  xiuhua calendar add "YYYY-MM-DD HH:MM" AMOUNT         add working time: 4h (working hours), 3d (working days)`

// runCalendar administers and tries out the working calendar.
func runCalendar(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", calendarUsage)
	}
	sub := args[0]
	pos, rest := positional(args[1:])
	var note string
	c, st, err := parseOpen(ctx, "calendar "+sub, rest, func(fs *flag.FlagSet) {
		fs.StringVar(&note, "note", "", "why (for set)")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	switch {
	case sub == "days" && len(pos) == 0:
		days, err := st.CalendarDays(ctx)
		if err != nil {
			return err
		}
		for _, d := range days {
			kind := "day off 休息"
			if d.Working {
				kind = "working day 上班"
			}
			fmt.Printf("%s\t%s\t%s\n", d.Day, kind, d.Note)
		}
		if len(days) == 0 {
			fmt.Println("no local days; the State Council's holiday files apply")
		}
	case sub == "set" && len(pos) == 2:
		if pos[1] != "off" && pos[1] != "work" {
			return fmt.Errorf("calendar set: say off or work, not %q", pos[1])
		}
		if err := st.SaveCalendarDay(ctx, store.CalendarDay{Day: pos[0], Working: pos[1] == "work", Note: note}, time.Now()); err != nil {
			return err
		}
		if err := st.BumpConfig(ctx, app.ConfigPolicy, time.Now()); err != nil {
			return err
		}
		fmt.Printf("%s is now a %s (running servers count it for new deadlines within seconds)\n", pos[0], map[bool]string{true: "working day", false: "day off"}[pos[1] == "work"])
	case sub == "unset" && len(pos) == 1:
		if err := st.DeleteCalendarDay(ctx, pos[0]); err != nil {
			return err
		}
		return st.BumpConfig(ctx, app.ConfigPolicy, time.Now())
	case sub == "add" && len(pos) == 2:
		cal, err := app.Calendar(ctx, st, app.Config{Hours: c.WorkHours, SummerHours: c.SummerHours, Summer: c.SummerDates})
		if err != nil {
			return err
		}
		from, err := time.ParseInLocation("2006-01-02 15:04", pos[0], calendar.Shanghai)
		if err != nil {
			return fmt.Errorf("calendar add: start %q: want \"YYYY-MM-DD HH:MM\"", pos[0])
		}
		amount := pos[1]
		n, err := strconv.Atoi(strings.TrimRight(amount, "dh"))
		if err != nil || n <= 0 || (!strings.HasSuffix(amount, "d") && !strings.HasSuffix(amount, "h")) {
			return fmt.Errorf("calendar add: amount %q: want 4h (working hours) or 3d (working days)", amount)
		}
		var due time.Time
		if strings.HasSuffix(amount, "d") {
			due = cal.AddDays(from, n)
		} else {
			due = cal.Add(from, time.Duration(n)*time.Hour)
		}
		fmt.Println(due.In(calendar.Shanghai).Format("2006-01-02 15:04 (Mon)"))
		if miss := cal.MissingYears(from.Year(), due.Year()); len(miss) > 0 {
			fmt.Printf("WARNING: no holiday file for %v: weekends only there\n", miss)
		}
	default:
		return fmt.Errorf("%s", calendarUsage)
	}
	return nil
}
