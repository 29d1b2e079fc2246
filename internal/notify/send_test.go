package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
)

// Who a line reaches and when: a person on the channels they chose; a
// unit's group at once for an ordinary line; a ladder line its group,
// then its liaison an hour of working time later, then its leaders; an
// ordinary line written in the evening waits for 09:30 (quiet hours),
// an urgent one (a 特急 order, a supervision order) goes at once and its
// ladder runs on the clock.
func TestPlanFollowsChoicesLadderAndQuietHours(t *testing.T) {
	cal, err := calendar.New(calendar.DefaultWindows)
	if err != nil {
		t.Fatal(err)
	}
	bj := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	show := func(ss []Send) string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Channel+" "+s.Address+" step "+string(rune('0'+s.Step))+" "+s.NotBefore.In(calendar.Shanghai).Format("01-02 15:04")+" "+s.Lang)
		}
		return strings.Join(out, "; ")
	}
	liaison := Person{AccountID: 2, Phone: "13900000001", Lang: "zh-CN"}
	leader := Person{AccountID: 3, Phone: "13900000009", Email: "l@x.cn", Lang: "en", Channels: []string{SendMail}}
	unit := Reach{Robots: []Robot{{ID: 5, Kind: "dingtalk", Lang: "zh-CN"}}, Liaisons: []Person{liaison}, Leaders: []Person{leader}}
	for _, c := range []struct {
		name string
		line Line
		r    Reach
		ld   Ladder
		want string
	}{
		{"a person's choices", Line{ID: 1, AccountID: 3, Kind: "supervision", Level: Urgent, At: bj("2026-03-02 10:00")},
			Reach{Person: &Person{AccountID: 3, Phone: "13900000009", Email: "l@x.cn", Lang: "en", Channels: []string{SendMail, SendSMS}}}, DefaultLadder,
			"mail l@x.cn step 0 03-02 10:00 en; sms 13900000009 step 0 03-02 10:00 en"},
		{"nobody chose anything", Line{ID: 1, AccountID: 3, Kind: "task", Level: Info, At: bj("2026-03-02 10:00")},
			Reach{Person: &Person{AccountID: 3, Phone: "13900000009"}}, DefaultLadder, ""},
		{"an ordinary line to a unit", Line{ID: 1, UnitID: 9, Kind: "task", Level: Info, At: bj("2026-03-02 10:00")}, unit, DefaultLadder,
			"robot 5 step 0 03-02 10:00 zh-CN"},
		{"a ladder line", Line{ID: 1, UnitID: 9, Kind: "warning", Level: Warning, Ladder: true, At: bj("2026-03-02 11:30")}, unit, DefaultLadder,
			"robot 5 step 1 03-02 11:30 zh-CN; sms 13900000001 step 2 03-02 15:00 zh-CN; sms 13900000009 step 3 03-02 18:00 en"},
		{"in the evening", Line{ID: 1, UnitID: 9, Kind: "task", Level: Info, At: bj("2026-03-02 19:40")}, unit, DefaultLadder,
			"robot 5 step 0 03-03 08:30 zh-CN"},
		{"urgent in the evening", Line{ID: 1, UnitID: 9, Kind: "supervision", Level: Urgent, Ladder: true, At: bj("2026-03-02 19:40")}, unit, DefaultLadder,
			"robot 5 step 1 03-02 19:40 zh-CN; sms 13900000001 step 2 03-02 20:40 zh-CN; sms 13900000009 step 3 03-02 23:40 en"},
		{"the leaders' step off", Line{ID: 1, UnitID: 9, Kind: "warning", Level: Warning, Ladder: true, At: bj("2026-03-02 10:00")}, unit,
			Ladder{Robot: 0, Liaison: 30 * time.Minute, Leader: -1}, "robot 5 step 1 03-02 10:00 zh-CN; sms 13900000001 step 2 03-02 10:30 zh-CN"},
	} {
		if got := show(Plan(c.line, c.r, c.ld, cal)); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	// Keys are the line, the channel, the address and the step: the
	// same line planned twice (two instances) has the same keys.
	a, b := Plan(Line{ID: 7, UnitID: 9, Ladder: true, At: bj("2026-03-02 10:00")}, unit, DefaultLadder, cal), Plan(Line{ID: 7, UnitID: 9, Ladder: true, At: bj("2026-03-02 10:00")}, unit, DefaultLadder, cal)
	for i := range a {
		if a[i].Key != b[i].Key || (i > 0 && a[i].Key == a[i-1].Key) {
			t.Errorf("keys %q %q", a[i].Key, b[i].Key)
		}
	}
	if _, err := ParseLadder("robot=0,liaison=2h,leader=off"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"robot", "sms=1h", "leader=-1h", "liaison=soon"} {
		if _, err := ParseLadder(bad); err == nil {
			t.Errorf("ParseLadder(%q) took it", bad)
		}
	}
}
