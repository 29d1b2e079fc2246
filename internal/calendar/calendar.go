// Package calendar owns working time: which days are working days in China
// (weekends, the State Council's statutory holidays and adjusted working days,
// 调休), the daily working windows, and arithmetic in working time.
package calendar

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Shanghai is the time zone of every Chinese calendar.
var Shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// Without tzdata on the machine; China has no DST since 1991.
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// Window is a daily working window in minutes after midnight, [Start, End).
type Window struct{ Start, End int }

// ParseWindow reads "08:30-12:00".
func ParseWindow(s string) (Window, error) {
	var h1, m1, h2, m2 int
	if _, err := fmt.Sscanf(s, "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil {
		return Window{}, fmt.Errorf("calendar: window %q: want HH:MM-HH:MM", s)
	}
	return Window{h1*60 + m1, h2*60 + m2}, nil
}

func (w Window) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", w.Start/60, w.Start%60, w.End/60, w.End%60)
}

// Calendar is a working calendar. It is immutable once built and safe for
// concurrent use.
type Calendar struct {
	loc      *time.Location
	windows  []Window     // sorted, non-overlapping
	seasons  []season     // windows for parts of the year (summer hours)
	dayLen   int          // working minutes in a working day
	override map[int]bool // day number -> working?
	years    map[int]bool // years with a holiday file
}

// HolidayFile is the format of the holiday-cn files: one per year.
type HolidayFile struct {
	Year int `json:"year"`
	Days []struct {
		Name     string `json:"name"`
		Date     string `json:"date"`
		IsOffDay bool   `json:"isOffDay"`
	} `json:"days"`
}

// FileError is what is wrong with a holiday file, for the person who
// brought it.
type FileError struct{ Msg string }

func (e *FileError) Error() string { return "calendar: " + e.Msg }

func fileErr(format string, args ...any) error {
	return &FileError{Msg: fmt.Sprintf(format, args...)}
}

// maxHolidayDays bounds a holiday file: a year has at most 366 days.
const maxHolidayDays = 366

// ParseHolidayFile reads and checks one year's holiday file: a year in
// range, every day a real date of that year, named, and listed once. The
// error names the entry that is wrong.
func ParseHolidayFile(b []byte) (HolidayFile, error) {
	var f HolidayFile
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fileErr("holiday file: not JSON in the holiday-cn format: %v", err)
	}
	if f.Year < 1990 || f.Year > 2200 {
		return f, fileErr("holiday file: bad year %d", f.Year)
	}
	if len(f.Days) == 0 || len(f.Days) > maxHolidayDays {
		return f, fileErr("holiday file %d: %d days listed; want 1 to %d", f.Year, len(f.Days), maxHolidayDays)
	}
	seen := make(map[string]int, len(f.Days))
	for i, d := range f.Days {
		t, err := time.ParseInLocation("2006-01-02", d.Date, Shanghai)
		switch {
		case err != nil:
			return f, fileErr("holiday file %d: day %d: date %q is not YYYY-MM-DD", f.Year, i+1, d.Date)
		case t.Year() != f.Year && !(t.Year() == f.Year-1 && t.Month() == time.December) && !(t.Year() == f.Year+1 && t.Month() == time.January):
			// A New Year holiday may begin in the December before.
			return f, fileErr("holiday file %d: day %d: %s is not in %d", f.Year, i+1, d.Date, f.Year)
		case strings.TrimSpace(d.Name) == "":
			return f, fileErr("holiday file %d: day %d (%s) has no name", f.Year, i+1, d.Date)
		}
		if j, dup := seen[d.Date]; dup {
			return f, fileErr("holiday file %d: day %d repeats %s (day %d)", f.Year, i+1, d.Date, j)
		}
		seen[d.Date] = i + 1
	}
	return f, nil
}

// DefaultWindows are a common Chinese office day.
var DefaultWindows = []Window{{8*60 + 30, 12 * 60}, {14*60 + 30, 18 * 60}}

// New builds a calendar from daily windows and holiday files (JSON).
func New(windows []Window, holidayFiles ...[]byte) (*Calendar, error) {
	c := &Calendar{loc: Shanghai, override: map[int]bool{}, years: map[int]bool{}}
	if err := c.setWindows(windows); err != nil {
		return nil, err
	}
	for _, b := range holidayFiles {
		f, err := ParseHolidayFile(b)
		if err != nil {
			return nil, err
		}
		c.years[f.Year] = true
		for _, d := range f.Days {
			t, _ := time.ParseInLocation("2006-01-02", d.Date, c.loc)
			c.override[dayNum(t)] = !d.IsOffDay
		}
	}
	return c, nil
}

func (c *Calendar) setWindows(ws []Window) error {
	ws, total, err := checkWindows(ws)
	if err != nil {
		return err
	}
	c.windows, c.dayLen = ws, total
	return nil
}

// checkWindows sorts windows and refuses empty, out-of-day and overlapping
// ones; it returns the working minutes of a day.
func checkWindows(ws []Window) ([]Window, int, error) {
	if len(ws) == 0 {
		return nil, 0, errors.New("calendar: at least one working window is needed")
	}
	ws = append([]Window(nil), ws...)
	sort.Slice(ws, func(i, j int) bool { return ws[i].Start < ws[j].Start })
	total := 0
	for i, w := range ws {
		if w.Start < 0 || w.End > 24*60 || w.End <= w.Start {
			return nil, 0, fmt.Errorf("calendar: window %s is empty or out of the day", w)
		}
		if i > 0 && w.Start < ws[i-1].End {
			return nil, 0, fmt.Errorf("calendar: windows %s and %s overlap", ws[i-1], w)
		}
		total += w.End - w.Start
	}
	return ws, total, nil
}

// ParseWindows reads "08:30-12:00,14:30-18:00".
func ParseWindows(s string) ([]Window, error) {
	var ws []Window
	for _, part := range strings.Split(s, ",") {
		w, err := ParseWindow(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	_, _, err := checkWindows(ws)
	return ws, err
}

// season is a part of the year, from and to inclusive as month*100+day;
// it may wrap the year's end (1101..0228).
type season struct {
	from, to int
	windows  []Window
}

func (s season) has(md int) bool {
	if s.from <= s.to {
		return md >= s.from && md <= s.to
	}
	return md >= s.from || md <= s.to
}

// ParseSeason reads "05-01..09-30" into month*100+day bounds.
func ParseSeason(s string) (from, to int, err error) {
	var m1, d1, m2, d2 int
	if _, err := fmt.Sscanf(s, "%d-%d..%d-%d", &m1, &d1, &m2, &d2); err != nil {
		return 0, 0, fmt.Errorf("calendar: season %q: want MM-DD..MM-DD", s)
	}
	for _, md := range [][2]int{{m1, d1}, {m2, d2}} {
		if md[0] < 1 || md[0] > 12 || md[1] < 1 || md[1] > 31 {
			return 0, 0, fmt.Errorf("calendar: season %q: no such day %02d-%02d", s, md[0], md[1])
		}
	}
	return m1*100 + d1, m2*100 + d2, nil
}

// WithSeason returns a copy whose working windows are ws from one day of
// the year to another (month*100+day, inclusive, wrapping the year end if
// from > to): summer hours, for example. The season's working day must
// be as long as the rest of the year's, so "N working days" means the
// same length of work all year.
func (c *Calendar) WithSeason(from, to int, ws []Window) (*Calendar, error) {
	ws, total, err := checkWindows(ws)
	if err != nil {
		return nil, err
	}
	if total != c.dayLen {
		return nil, fmt.Errorf("calendar: the season's windows make a %s working day, the rest of the year %s; they must be equal",
			time.Duration(total)*time.Minute, c.DayLength())
	}
	n := *c
	n.seasons = append(append([]season(nil), c.seasons...), season{from, to, ws})
	return &n, nil
}

// windowsOf is the working windows of a day.
func (c *Calendar) windowsOf(day int) []Window {
	if len(c.seasons) == 0 {
		return c.windows
	}
	_, m, d := time.Unix(int64(day)*86400, 0).UTC().Date()
	md := int(m)*100 + d
	for i := len(c.seasons) - 1; i >= 0; i-- {
		if c.seasons[i].has(md) {
			return c.seasons[i].windows
		}
	}
	return c.windows
}

// WithDayOff returns a copy with a local extra day off (or a working day when
// working is true), an admin override.
func (c *Calendar) WithDay(date time.Time, working bool) *Calendar {
	n := *c
	n.override = make(map[int]bool, len(c.override)+1)
	for k, v := range c.override {
		n.override[k] = v
	}
	n.override[dayNum(date.In(c.loc))] = working
	return &n
}

// MissingYears lists years in [from, to] with no holiday file: working time
// there falls back to weekends only, which callers must warn about loudly.
func (c *Calendar) MissingYears(from, to int) []int {
	var out []int
	for y := from; y <= to; y++ {
		if !c.years[y] {
			out = append(out, y)
		}
	}
	return out
}

// DayLength is the working time in one working day.
func (c *Calendar) DayLength() time.Duration { return time.Duration(c.dayLen) * time.Minute }

// dayNum counts days since 1970-01-01 in the calendar's zone.
func dayNum(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (c *Calendar) dayStart(n int) time.Time {
	u := time.Unix(int64(n)*86400, 0).UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, c.loc)
}

// IsWorkingDay reports whether the day of t is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool { return c.working(dayNum(t.In(c.loc))) }

func (c *Calendar) working(n int) bool {
	if w, ok := c.override[n]; ok {
		return w
	}
	wd := (n + 4) % 7 // 1970-01-01 was a Thursday
	if wd < 0 {
		wd += 7
	}
	return wd != 0 && wd != 6
}

// minuteOf is the minute of the day of t, with fractions dropped into sub.
func (c *Calendar) split(t time.Time) (day int, minute int, sub time.Duration) {
	t = t.In(c.loc)
	day = dayNum(t)
	since := t.Sub(c.dayStart(day))
	minute = int(since / time.Minute)
	sub = since - time.Duration(minute)*time.Minute
	return
}

// Add adds d of working time to t. The result is always inside a working
// window (or at its end), and Add(Add(t, a), b) == Add(t, a+b).
func (c *Calendar) Add(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	day, min, sub := c.split(t)
	// Position inside the day, in working time already used.
	pos := time.Duration(0)
	if c.working(day) {
		pos = c.usedBefore(c.windowsOf(day), min, sub)
	}
	if c.working(day) && pos+d <= c.DayLength() && pos < c.DayLength() {
		return c.at(day, pos+d)
	}
	// Move to the next working day with what is left.
	if c.working(day) {
		d -= c.DayLength() - pos
	}
	day++
	for {
		if c.working(day) {
			// Skip whole working weeks in one step when far away.
			if d > c.DayLength() {
				d -= c.DayLength()
				day++
				continue
			}
			return c.at(day, d)
		}
		day++
	}
}

// AddDays adds n working days (n × the working day length) to t.
func (c *Calendar) AddDays(t time.Time, n int) time.Time {
	return c.Add(t, time.Duration(n)*c.DayLength())
}

// usedBefore is the working time of the day before minute min (+sub).
func (c *Calendar) usedBefore(ws []Window, min int, sub time.Duration) time.Duration {
	used := time.Duration(0)
	for _, w := range ws {
		switch {
		case min >= w.End:
			used += time.Duration(w.End-w.Start) * time.Minute
		case min >= w.Start:
			used += time.Duration(min-w.Start)*time.Minute + sub
			return used
		default:
			return used
		}
	}
	return used
}

// at is the instant when pos of working time has passed on day. pos == 0
// is the start of the first window; a whole day ends at the last window's end.
func (c *Calendar) at(day int, pos time.Duration) time.Time {
	start := c.dayStart(day)
	ws := c.windowsOf(day)
	for i, w := range ws {
		l := time.Duration(w.End-w.Start) * time.Minute
		if pos < l || (pos == l && i == len(ws)-1) {
			return start.Add(time.Duration(w.Start)*time.Minute + pos)
		}
		pos -= l
	}
	last := ws[len(ws)-1]
	return start.Add(time.Duration(last.End) * time.Minute)
}

// Between is the working time from a to b (negative when b is before a).
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if b.Before(a) {
		return -c.Between(b, a)
	}
	da, ma, sa := c.split(a)
	db, mb, sb := c.split(b)
	pos := func(day, min int, sub time.Duration) time.Duration {
		if !c.working(day) {
			return 0
		}
		return c.usedBefore(c.windowsOf(day), min, sub)
	}
	if da == db {
		return pos(db, mb, sb) - pos(da, ma, sa)
	}
	total := time.Duration(0)
	if c.working(da) {
		total += c.DayLength() - pos(da, ma, sa)
	}
	for d := da + 1; d < db; d++ {
		if c.working(d) {
			total += c.DayLength()
		}
	}
	return total + pos(db, mb, sb)
}

// Next is the next working instant at or after t.
func (c *Calendar) Next(t time.Time) time.Time {
	day, min, sub := c.split(t)
	if c.working(day) {
		if p := c.usedBefore(c.windowsOf(day), min, sub); p < c.DayLength() {
			return c.at(day, p)
		}
	}
	for day++; !c.working(day); day++ {
	}
	return c.at(day, 0)
}
