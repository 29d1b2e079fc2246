package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/store"
)

const calendarUsage = `usage:
  xiuhua calendar days                                  the district's own days off and working days
  xiuhua calendar set YYYY-MM-DD off|work [-note TEXT]  add or change one; running deadlines over it move
  xiuhua calendar unset YYYY-MM-DD                      remove one; running deadlines over it move back
  xiuhua calendar holidays                              the years with a State Council holiday file
  xiuhua calendar import FILE.json                      put a year's holiday file in force; running deadlines move
  (set, unset and import take -dry-run: say which deadlines would move, change nothing;
   running servers apply a change within seconds)
  xiuhua calendar add "YYYY-MM-DD HH:MM" AMOUNT         add working time: 4h (working hours), 3d (working days)`

// runCalendar administers and tries out the working calendar.
func runCalendar(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", calendarUsage)
	}
	sub := args[0]
	pos, rest := positional(args[1:])
	var note string
	var dry bool
	c, st, err := parseOpen(ctx, "calendar "+sub, rest, func(fs *flag.FlagSet) {
		fs.StringVar(&note, "note", "", "why (for set)")
		fs.BoolVar(&dry, "dry-run", false, "say which running deadlines would move, change nothing (set, unset, import)")
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
	case sub == "set" && len(pos) == 2, sub == "unset" && len(pos) == 1:
		if _, err := time.Parse("2006-01-02", pos[0]); err != nil {
			return fmt.Errorf("calendar %s: day %q: want YYYY-MM-DD", sub, pos[0])
		}
		var set *store.CalendarDay
		if sub == "set" {
			if pos[1] != "off" && pos[1] != "work" {
				return fmt.Errorf("calendar set: say off or work, not %q", pos[1])
			}
			set = &store.CalendarDay{Working: pos[1] == "work", Note: strings.TrimSpace(note)}
		}
		a, err := newApp(ctx, c, st)
		if err != nil {
			return err
		}
		res, err := a.ChangeCalendarDay(ctx, cliUser(), pos[0], set, !dry)
		if errors.Is(err, app.ErrNoDaySetting) {
			return fmt.Errorf("calendar unset: the district has no setting for %s", pos[0])
		}
		if err != nil {
			return err
		}
		if set != nil {
			fmt.Printf("%s is a %s for the district", pos[0], map[bool]string{true: "working day 上班", false: "day off 休息"}[set.Working])
		} else {
			fmt.Printf("%s follows the State Council's calendar again", pos[0])
		}
		printMoves(res.Moves, res.Applied)
		if res.Applied {
			_ = st.Audit(ctx, time.Now(), cliUser(), 0, "calendar_day_"+sub, "cli", fmt.Sprintf("%s: %d cases retimed", pos[0], len(res.Moves)))
		}
	case sub == "holidays" && len(pos) == 0:
		files, err := app.HolidayFiles(ctx, st)
		if err != nil {
			return err
		}
		imported, err := st.HolidayFiles(ctx)
		if err != nil {
			return err
		}
		by := map[int]store.HolidayFile{}
		for _, f := range imported {
			by[f.Year] = f
		}
		for _, b := range files {
			f, err := calendar.ParseHolidayFile(b)
			if err != nil {
				return err
			}
			from := "built in"
			if h, ok := by[f.Year]; ok {
				from = "imported " + h.ImportedAt.In(calendar.Shanghai).Format("2006-01-02 15:04") + " by " + h.ImportedBy
			}
			fmt.Printf("%d\t%d days\t%s\n", f.Year, len(f.Days), from)
		}
	case sub == "import" && len(pos) == 1:
		body, err := readSmall(pos[0], 64<<10)
		if err != nil {
			return fmt.Errorf("calendar import: %w", err)
		}
		a, err := newApp(ctx, c, st)
		if err != nil {
			return err
		}
		res, err := a.ImportHolidayFile(ctx, cliUser(), body, !dry)
		if err != nil {
			return fmt.Errorf("calendar import %s: %w", pos[0], err)
		}
		verb := "would put"
		if res.Imported {
			verb = "put"
		}
		fmt.Printf("%s %d's holiday file in force (%d days", verb, res.Year, res.Days)
		if res.Replaces {
			fmt.Print(", replacing the file in force")
		}
		fmt.Print(")")
		printMoves(res.Moves, res.Imported)
		if res.Imported {
			_ = st.Audit(ctx, time.Now(), cliUser(), 0, "holidays_imported", "cli", fmt.Sprintf("%d: %d days, %d cases retimed", res.Year, res.Days, len(res.Moves)))
		}
		if len(res.Missing) > 0 {
			fmt.Printf("WARNING: still no holiday file for %v\n", res.Missing)
		}
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

// printMoves ends a calendar change's line with the running deadlines it
// moved, or would move, one case a line.
func printMoves(moves []app.MovedCase, applied bool) {
	verb := "would move"
	if applied {
		verb = "moved"
	}
	fmt.Printf("; %s %d running deadline(s)\n", verb, len(moves))
	for _, m := range moves {
		for _, r := range m.Retimes {
			what := "case"
			if r.TaskID != 0 {
				what = fmt.Sprintf("task %d", r.TaskID)
			}
			fmt.Printf("  %s\t%s\t%s → %s\n", m.Number, what, r.From.In(calendar.Shanghai).Format("2006-01-02 15:04"), r.To.In(calendar.Shanghai).Format("2006-01-02 15:04"))
		}
	}
}

// cliUser names who changes the configuration from the command line, for
// the case events and the audit log.
func cliUser() string {
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

// readSmall reads a file of at most max bytes.
func readSmall(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d KB", name, max>>10)
	}
	return b, nil
}
