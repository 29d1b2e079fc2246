package notify

import (
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
)

// Digests: when a working day starts, each unit's group robots get the
// unit's morning message (due today, overdue, supervision orders waiting,
// closed yesterday) and each leader who chose a channel gets their unit's
// or, for the district's leaders, the district's; on the first working day
// of a week the district's leaders also get the week before. Each digest is
// a send keyed by its day, so two instances send it once.

// Counts are a unit's (or the district's) figures for a digest.
type Counts struct {
	DueToday    int // running deadlines due before the day ends
	Overdue     int // running deadlines already passed
	Supervision int // supervision orders waiting for their reply
	Closed      int // cases closed the day before (with a task of the unit)
}

// Add sums counts.
func (c Counts) Add(o Counts) Counts {
	return Counts{c.DueToday + o.DueToday, c.Overdue + o.Overdue, c.Supervision + o.Supervision, c.Closed + o.Closed}
}

// Week is the district's week before, for the weekly digest.
type Week struct {
	From, To         time.Time // the week's Monday and the Monday after (Beijing)
	Reported, Closed int
	Overdue          int // running deadlines passed, now
}

// DigestUnit is one unit's figures with who reads them.
type DigestUnit struct {
	UnitID  int64
	Name    string
	Centre  bool // the command centre: its leaders read the district's figures
	Counts  Counts
	Robots  []Robot
	Leaders []Person // the unit's own leaders who chose a channel
}

// DigestDay is the working day whose morning it is, when digests are due
// at now: the day (Beijing midnight) once its first working minute has
// come; ok is false on a day off or before work starts.
func DigestDay(now time.Time, cal *calendar.Calendar) (day time.Time, ok bool) {
	local := now.In(calendar.Shanghai)
	day = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, calendar.Shanghai)
	if cal == nil {
		return day, true
	}
	if !cal.IsWorkingDay(day) {
		return day, false
	}
	start := cal.Add(day, time.Minute).Add(-time.Minute)
	return day, !now.Before(start)
}

// FirstOfWeek reports whether day is the week's first working day.
func FirstOfWeek(day time.Time, cal *calendar.Calendar) bool {
	y, w := day.ISOWeek()
	for d := day.AddDate(0, 0, -1); ; d = d.AddDate(0, 0, -1) {
		if yy, ww := d.ISOWeek(); yy != y || ww != w {
			return true
		}
		if cal == nil || cal.IsWorkingDay(d) {
			return false
		}
	}
}

// PlanDigests is the morning's sends: units' robots, leaders' channels,
// and (week set) the district's leaders' weekly digest.
func PlanDigests(day time.Time, units []DigestUnit, week *Week, at time.Time) []Send {
	date := day.Format("2006-01-02")
	var district Counts
	for _, u := range units {
		district = district.Add(u.Counts)
	}
	p := func(name string, c Counts) Params {
		return Params{"date": date, "unit": name, "due_today": strconv.Itoa(c.DueToday), "overdue": strconv.Itoa(c.Overdue),
			"supervision": strconv.Itoa(c.Supervision), "closed": strconv.Itoa(c.Closed)}
	}
	var out []Send
	add := func(key, channel, address string, unit, account, robot int64, lang, kind string, params Params) {
		out = append(out, Send{Key: "digest|" + date + "|" + key, UnitID: unit, AccountID: account, RobotID: robot, Channel: channel,
			Address: address, Lang: Lang(lang), Kind: kind, Params: params, Level: Info, Since: at, NotBefore: at})
	}
	for _, u := range units {
		c, name := u.Counts, u.Name
		if u.Centre {
			c = district
		}
		for _, b := range u.Robots {
			id := strconv.FormatInt(b.ID, 10)
			add("robot|"+id, SendRobot, id, u.UnitID, 0, b.ID, b.Lang, "digest", p(name, c))
		}
		for _, l := range u.Leaders {
			acc := strconv.FormatInt(l.AccountID, 10)
			for _, ch := range l.Channels {
				addr := l.Phone
				if ch == SendMail {
					addr = l.Email
				}
				if addr == "" {
					continue
				}
				add("leader|"+acc+"|"+ch, ch, addr, u.UnitID, l.AccountID, 0, l.Lang, "digest", p(name, c))
				if week != nil && u.Centre {
					add("week|"+acc+"|"+ch, ch, addr, u.UnitID, l.AccountID, 0, l.Lang, "digest_week", Params{
						"from": week.From.Format("01-02"), "to": week.To.AddDate(0, 0, -1).Format("01-02"),
						"reported": strconv.Itoa(week.Reported), "closed": strconv.Itoa(week.Closed), "overdue": strconv.Itoa(week.Overdue)})
				}
			}
		}
	}
	return out
}
