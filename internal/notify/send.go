package notify

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
)

// Beyond the inbox: each inbox line is planned into sends through the
// channels its reader can be reached on. A line to a person goes to the
// channels they chose (SMS, e-mail); a line to a unit goes to its group
// robots, and a line on the escalation ladder climbs it when nobody acts:
// the robot, then SMS to the unit's liaisons, then SMS to its leaders.
// Outside working time only urgent lines go out at once; the rest wait for
// the next working minute.

// Channel names of sends (the channel package's kinds, robots as one).
const (
	SendSMS   = "sms"
	SendMail  = "mail"
	SendRobot = "robot"
)

// Line is an inbox line as written: to a unit or to an account.
type Line struct {
	ID        int64
	To        Audience // whom the rules addressed
	CaseID    int64
	UnitID    int64 // the unit's line; 0 when it is a person's
	AccountID int64
	Kind      string
	Params    Params
	Level     Level
	Ladder    bool
	At        time.Time
}

// Person is someone who can be reached: their account, phone, e-mail,
// language and the channels they chose besides the inbox.
type Person struct {
	AccountID int64
	Phone     string
	Email     string
	Lang      string
	Channels  []string // "sms", "mail"
}

// Robot is a unit's group robot.
type Robot struct {
	ID   int64
	Kind string // dingtalk, wecom, feishu
	Lang string
}

// Reach is who a line can reach, as the store found them: the person it
// is addressed to (for a requester, their phone and e-mail from the
// case), or the unit's robots, liaisons and leaders.
type Reach struct {
	Person   *Person
	Robots   []Robot
	Liaisons []Person
	Leaders  []Person
}

// Ladder is how long (working time; wall time for urgent lines) the
// escalation ladder waits after a line before each step, when nobody has
// acted: the robot, SMS to the liaisons, SMS to the leaders. A negative
// wait turns the step off.
type Ladder struct {
	Robot, Liaison, Leader time.Duration
}

// DefaultLadder: the group at once, the liaison after an hour of working
// time, the leaders after four.
var DefaultLadder = Ladder{Robot: 0, Liaison: time.Hour, Leader: 4 * time.Hour}

// ParseLadder reads "robot=0,liaison=1h,leader=4h" (names may be left
// out; "off" turns a step off).
func ParseLadder(s string) (Ladder, error) {
	l := DefaultLadder
	if strings.TrimSpace(s) == "" {
		return l, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		var d time.Duration
		var err error
		switch {
		case !ok:
			err = fmt.Errorf("%q is not step=duration", part)
		case v == "off":
			d = -1
		case v == "0":
		default:
			d, err = time.ParseDuration(v)
			if err == nil && (d < 0 || d > 30*24*time.Hour) {
				err = fmt.Errorf("%s: %s is not between 0 and 720h", k, v)
			}
		}
		if err != nil {
			return l, err
		}
		switch k {
		case "robot":
			l.Robot = d
		case "liaison":
			l.Liaison = d
		case "leader":
			l.Leader = d
		default:
			return l, fmt.Errorf("unknown ladder step %q (robot, liaison, leader)", k)
		}
	}
	return l, nil
}

// Send is one message to plan through one channel.
type Send struct {
	Key       string // unique: the line, the channel, the address, the step
	LineID    int64
	CaseID    int64
	UnitID    int64
	AccountID int64
	RobotID   int64
	Channel   string
	Address   string // phone, e-mail or robot id
	Lang      string
	Kind      string
	Params    Params
	Level     Level
	Step      int // 0: sent as written; 1–3: a ladder step, skipped when someone acted since the line
	Since     time.Time
	NotBefore time.Time
}

// Steps of the ladder.
const (
	StepDirect  = 0
	StepRobot   = 1
	StepLiaison = 2
	StepLeader  = 3
)

// Plan is the sends of one line. cal decides working time (nil: any time
// is working time).
func Plan(l Line, r Reach, ld Ladder, cal *calendar.Calendar) []Send {
	var out []Send
	add := func(channel, address string, p *Person, robot int64, lang string, step int, wait time.Duration) {
		if address == "" || wait < 0 {
			return
		}
		s := Send{LineID: l.ID, CaseID: l.CaseID, UnitID: l.UnitID, RobotID: robot, Channel: channel, Address: address,
			Lang: Lang(lang), Kind: l.Kind, Params: l.Params, Level: l.Level, Step: step, Since: l.At,
			NotBefore: when(l.At, wait, l.Level, cal)}
		if p != nil {
			s.AccountID = p.AccountID
		}
		s.Key = strings.Join([]string{strconv.FormatInt(l.ID, 10), channel, address, strconv.Itoa(step)}, "|")
		out = append(out, s)
	}
	person := func(p *Person, step int, wait time.Duration, only string) {
		for _, ch := range p.Channels {
			if only != "" && ch != only {
				continue
			}
			switch ch {
			case SendSMS:
				add(SendSMS, p.Phone, p, 0, p.Lang, step, wait)
			case SendMail:
				add(SendMail, p.Email, p, 0, p.Lang, step, wait)
			}
		}
	}
	if r.Person != nil {
		person(r.Person, StepDirect, 0, "")
		return out
	}
	robotStep, robotWait := StepDirect, time.Duration(0)
	if l.Ladder {
		robotStep, robotWait = StepRobot, ld.Robot
	}
	for _, b := range r.Robots {
		add(SendRobot, strconv.FormatInt(b.ID, 10), nil, b.ID, b.Lang, robotStep, robotWait)
	}
	if !l.Ladder {
		return out
	}
	// The liaison and the leader are called by SMS whatever else they
	// chose: the ladder's point is to reach a phone.
	for i := range r.Liaisons {
		p := r.Liaisons[i]
		add(SendSMS, p.Phone, &p, 0, p.Lang, StepLiaison, ld.Liaison)
	}
	for i := range r.Leaders {
		p := r.Leaders[i]
		add(SendSMS, p.Phone, &p, 0, p.Lang, StepLeader, ld.Leader)
	}
	return out
}

// when is the earliest a send may go: wait after at (working time for
// lines that are not urgent, which also wait for working time to start).
func when(at time.Time, wait time.Duration, lv Level, cal *calendar.Calendar) time.Time {
	if lv == Urgent || cal == nil {
		return at.Add(wait)
	}
	if wait > 0 {
		return cal.Add(at, wait)
	}
	if Working(at, cal) {
		return at
	}
	// The next working minute: a minute of working time on, less the minute.
	return cal.Add(at, time.Minute).Add(-time.Minute)
}

// Working reports whether t is inside working time.
func Working(t time.Time, cal *calendar.Calendar) bool {
	return cal == nil || cal.Between(t, t.Add(time.Minute)) == time.Minute
}

// Channels a person may choose.
var PersonChannels = []string{SendSMS, SendMail}

// CheckChannels checks a person's chosen channels.
func CheckChannels(cs []string) error {
	for _, c := range cs {
		if !slices.Contains(PersonChannels, c) {
			return fmt.Errorf("unknown channel %q (sms, mail)", c)
		}
	}
	return nil
}
