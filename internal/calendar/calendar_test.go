package calendar

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/refdata"
)

func cal(t testing.TB) *Calendar {
	t.Helper()
	c, err := New(DefaultWindows, refdata.Holidays()...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// Checked by hand against the holiday files (see the comments).
func TestAddAcrossHolidays(t *testing.T) {
	c := cal(t)
	day := c.DayLength()
	for _, tt := range []struct {
		name, from string
		add        time.Duration
		want       string
	}{
		{"same morning", "2026-03-02 09:00", 2 * time.Hour, "2026-03-02 11:00"},
		{"over lunch", "2026-03-02 11:00", 2 * time.Hour, "2026-03-02 15:30"},
		{"from lunch break", "2026-03-02 12:30", time.Hour, "2026-03-02 15:30"},
		{"before work", "2026-03-02 06:00", time.Hour, "2026-03-02 09:30"},
		{"end of day exactly", "2026-03-02 08:30", day, "2026-03-02 18:00"},
		{"over a weekend", "2026-03-06 17:00", 2 * time.Hour, "2026-03-09 09:30"},
		// 2026 Spring Festival: Sat 02-14 is a 调休 working day, 02-15..02-23 off.
		{"2026 adjusted Saturday", "2026-02-13 10:00", day, "2026-02-14 10:00"},
		{"2026 over Spring Festival", "2026-02-13 10:00", 2 * day, "2026-02-24 10:00"},
		// 2024 National Day: Sun 09-29 works, 10-01..10-07 off.
		{"2024 adjusted Sunday", "2024-09-28 09:00", time.Hour, "2024-09-29 09:30"},
		{"2024 over National Day", "2024-09-30 17:00", 2 * time.Hour, "2024-10-08 09:30"},
		// 2021 Spring Festival: Sun 02-07 works, 02-11..02-17 off, Sat 02-20 works.
		{"2021 adjusted Sunday", "2021-02-05 17:00", 2 * time.Hour, "2021-02-07 09:30"},
		{"2021 over Spring Festival", "2021-02-10 17:00", 2 * time.Hour, "2021-02-18 09:30"},
		// Year boundary: 2026-01-01..03 off, Sun 01-04 works.
		{"over New Year", "2025-12-31 17:00", 3 * day, "2026-01-06 17:00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Add(at(tt.from), tt.add)
			if !got.Equal(at(tt.want)) {
				t.Fatalf("%s + %s = %s, want %s", tt.from, tt.add, got.Format("2006-01-02 15:04 Mon"), tt.want)
			}
			if b := c.Between(at(tt.from), got); b != tt.add {
				t.Fatalf("between = %s, want %s", b, tt.add)
			}
		})
	}
}

func TestWorkingDays(t *testing.T) {
	c := cal(t)
	for d, want := range map[string]bool{
		"2026-02-14 12:00": true,  // 调休 Saturday
		"2026-02-16 12:00": false, // Spring Festival Monday
		"2026-03-07 12:00": false, // ordinary Saturday
		"2026-10-10 12:00": true,  // 调休 Saturday
		"2024-10-12 12:00": true,
		"2021-10-09 12:00": true,
	} {
		if got := c.IsWorkingDay(at(d)); got != want {
			t.Errorf("%s working = %v", d, got)
		}
	}
	if got := c.WithDay(at("2026-03-03 00:00"), false).IsWorkingDay(at("2026-03-03 10:00")); got {
		t.Error("admin day off ignored")
	}
	if m := c.MissingYears(2020, 2027); len(m) != 1 || m[0] != 2027 {
		t.Errorf("missing years %v", m)
	}
}

func TestBadWindows(t *testing.T) {
	for _, ws := range [][]Window{nil, {{600, 600}}, {{0, 0}}, {{480, 720}, {700, 800}}, {{-1, 100}}, {{600, 1500}}} {
		if _, err := New(ws); err == nil {
			t.Errorf("windows %v accepted", ws)
		}
	}
	if _, err := ParseWindow("8点-12点"); err == nil {
		t.Error("bad window text accepted")
	}
}

// Properties: adding never lands outside working time, and adding a then b
// equals adding a+b.
func TestAddProperties(t *testing.T) {
	t.Run("all year", func(t *testing.T) { checkAddProperties(t, cal(t)) })
	t.Run("with summer hours", func(t *testing.T) { checkAddProperties(t, summer(t)) })
}

// summer is the test calendar with summer hours from May to September.
func summer(t testing.TB) *Calendar {
	ws, err := ParseWindows("08:30-12:00,15:00-18:30")
	if err != nil {
		t.Fatal(err)
	}
	c, err := cal(t).WithSeason(501, 930, ws)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkAddProperties(t *testing.T, c *Calendar) {
	r := rand.New(rand.NewPCG(1, 2))
	base := at("2020-01-01 00:00")
	for i := 0; i < 5000; i++ {
		t0 := base.Add(time.Duration(r.Int64N(int64(6 * 365 * 24 * time.Hour))))
		a := time.Duration(r.Int64N(int64(40*time.Hour))) + time.Minute
		b := time.Duration(r.Int64N(int64(40*time.Hour))) + time.Minute
		x := c.Add(t0, a)
		if !c.IsWorkingDay(x) || c.Next(x.Add(-time.Nanosecond)).After(x) {
			t.Fatalf("%s + %s = %s is outside working time", t0, a, x)
		}
		if y, z := c.Add(x, b), c.Add(t0, a+b); !y.Equal(z) {
			t.Fatalf("%s: +%s+%s = %s but +%s = %s", t0, a, b, y, a+b, z)
		}
		if got := c.Between(t0, x); got != a {
			t.Fatalf("between(%s, %s) = %s, want %s", t0, x, got, a)
		}
	}
}

// Summer hours move the afternoon window; the season's edges hand over
// from one set of windows to the other.
func TestSummerHours(t *testing.T) {
	c := summer(t)
	for _, tt := range []struct{ from, add, want string }{
		{"2026-07-01 11:30", "1h", "2026-07-01 15:30"},    // summer: afternoon from 15:00
		{"2026-11-25 11:30", "1h", "2026-11-25 15:00"},    // winter: afternoon from 14:30
		{"2026-09-30 18:00", "1h", "2026-10-08 09:00"},    // 30 min left of the last summer day; National Day to 10-07; winter hours
		{"2026-04-30 17:30", "1h30m", "2026-05-06 09:30"}, // Labour Day holiday, first working day in summer
		{"2026-07-01 14:45", "30m", "2026-07-01 15:30"},   // the summer lunch break is longer
	} {
		d, _ := time.ParseDuration(tt.add)
		if got := c.Add(at(tt.from), d); !got.Equal(at(tt.want)) {
			t.Errorf("%s + %s = %s, want %s", tt.from, tt.add, got.In(Shanghai).Format("2006-01-02 15:04"), tt.want)
		}
	}
	long, _ := ParseWindows("08:00-12:00,15:00-18:30")
	if _, err := cal(t).WithSeason(501, 930, long); err == nil || !strings.Contains(err.Error(), "must be equal") {
		t.Errorf("a longer summer day was accepted: %v", err)
	}
	for _, bad := range []string{"00:00-00:00", "08:30-12:00,11:00-13:00", "8.30-12", "18:00-08:00"} {
		if _, err := ParseWindows(bad); err == nil {
			t.Errorf("windows %q accepted", bad)
		}
	}
	for _, bad := range []string{"05-01", "13-01..09-30", "05-01..09-32"} {
		if _, _, err := ParseSeason(bad); err == nil {
			t.Errorf("season %q accepted", bad)
		}
	}
	if from, to, err := ParseSeason("11-15..03-15"); err != nil || from != 1115 || to != 315 {
		t.Errorf("a season across the new year: %d %d %v", from, to, err)
	}
}

// BenchmarkAdd adds working time to random instants of 2024–2026: 4
// working hours, 3 working days and 20 working days in turn.
func BenchmarkAdd(b *testing.B) {
	c := cal(b)
	r := rand.New(rand.NewPCG(1, 2))
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, Shanghai)
	ts := make([]time.Time, 1024)
	for i := range ts {
		ts[i] = from.Add(time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour))))
	}
	ds := []time.Duration{4 * time.Hour, 3 * c.DayLength(), 20 * c.DayLength()}
	i := 0
	for b.Loop() {
		c.Add(ts[i%len(ts)], ds[i%len(ds)])
		i++
	}
}

// BenchmarkBetween is the working time between two random instants at
// most 30 days apart.
func BenchmarkBetween(b *testing.B) {
	c := cal(b)
	r := rand.New(rand.NewPCG(3, 4))
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, Shanghai)
	ts := make([]time.Time, 1024)
	for i := range ts {
		ts[i] = from.Add(time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour))))
	}
	i := 0
	for b.Loop() {
		a := ts[i%len(ts)]
		c.Between(a, a.Add(time.Duration(i%30)*24*time.Hour))
		i++
	}
}
