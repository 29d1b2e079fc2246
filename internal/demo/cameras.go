package demo

import (
	"bytes"
	"container/heap"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/alarm"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
)

// The camera network over the old town (古城街道, 140213051): cameras at
// the crossings of its twelve communities (大十字, 帅府, 鼓楼, 华严寺 …),
// a month of their alarms through the real intake, the dispatcher's
// reviews of the 疑似 ones (about seven in ten real: the precision the
// README states) and the cases they file handled through the loop, so
// that a camera's next alarm waits for review again once its case is
// closed.

// OldTown is the old town's street code (古城街道).
const OldTown = "140213051"

// CameraOptions tune the camera network.
type CameraOptions struct {
	Cameras int       // default 40
	Days    int       // default 30
	PerDay  int       // alarms a day over the network, default 150
	Real    float64   // the share of alarms above threshold that are real problems, default 0.7
	Seed    uint64    // the same seed gives the same month
	End     time.Time // the month ends here; default now
}

// CameraResult is what the month left.
type CameraResult struct {
	Cameras   int
	Alarms    int
	ByStatus  map[alarm.Status]int
	Reviewed  int
	Precision float64 // accepted ÷ reviewed (accepted or false)
}

// falseReasons are what a dispatcher writes on a false alarm.
var falseReasons = []string{"行人驻足，并非占道经营", "临时停车上下客", "树影误识别", "环卫车正常作业", "快递车临时装卸", "画面反光误报"}

// cameraKinds are the detections a camera runs: the event type, its
// category, whether it files a case by itself, and its weight.
var cameraKinds = []struct {
	event, category string
	auto            bool
	weight          int
}{
	{"illegal_parking", "M09009", true, 3},  // 机动车乱停放: the plate is evidence enough
	{"street_vending", "M09006", false, 4},  // 占道经营
	{"exposed_garbage", "M06010", false, 2}, // 暴露垃圾
	{"piled_debris", "M06036", false, 1},    // 乱堆杂物
}

// Cameras registers the camera network and plays a month of alarms
// through a's intake, reviews and case loop.
func Cameras(ctx context.Context, a *app.App, o CameraOptions) (*CameraResult, error) {
	if o.Cameras == 0 {
		o.Cameras = 40
	}
	if o.Days == 0 {
		o.Days = 30
	}
	if o.PerDay == 0 {
		o.PerDay = 150
	}
	if o.Real == 0 {
		o.Real = 0.7
	}
	if o.End.IsZero() {
		o.End = time.Now()
	}
	now := a.Now
	defer func() { a.Now = now }()
	rng := rand.New(rand.NewPCG(o.Seed, 22))
	units, err := a.Store.UnitGrids(ctx, o.End)
	if err != nil {
		return nil, err
	}
	byCommunity := map[string][]int{}
	var coms []string
	for i, u := range units {
		if u.Street != OldTown {
			continue
		}
		if _, ok := byCommunity[u.Community]; !ok {
			coms = append(coms, u.Community)
		}
		byCommunity[u.Community] = append(byCommunity[u.Community], i)
	}
	slices.Sort(coms)
	if len(coms) == 0 {
		return nil, fmt.Errorf("demo: the old town (%s) has no unit grids", OldTown)
	}
	divs, err := a.Store.Divisions(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, d := range divs {
		names[d.Code] = strings.TrimSuffix(d.Name, "社区居民委员会")
	}
	a.Now = func() time.Time { return o.End.AddDate(0, 0, -o.Days-1) }
	var devices []*alarm.Device
	for i := range o.Cameras {
		com := coms[i%len(coms)]
		ug := units[byCommunity[com][rng.IntN(len(byCommunity[com]))]]
		c := ug.Geometry.Bound().Center()
		d := &alarm.Device{Source: "hik-isc-pingcheng", Code: fmt.Sprintf("GC-%03d", i+1), Name: fmt.Sprintf("%s %d 号路口", names[com], i/len(coms)+1),
			Kind: alarm.Video, Point: alarm.Point{Lon: c[0], Lat: c[1]}, Threshold: 0.6, Dwell: time.Minute, Active: true}
		for k, kind := range cameraKinds {
			if k == 0 || rng.IntN(3) > 0 {
				d.Raises = append(d.Raises, alarm.Raise{Category: kind.category, Events: []string{kind.event}, Auto: kind.auto, Evidence: kind.auto})
			}
		}
		if i%4 == 3 {
			d.Hours = alarm.Hours{From: 7 * 60, To: 22 * 60} // a market street's camera watches by day
		}
		if err := a.SaveDevice(ctx, d); err != nil {
			return nil, fmt.Errorf("demo: camera %s: %w", d.Code, err)
		}
		devices = append(devices, d)
	}
	accts, err := a.Store.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	var intake access.Principal
	var disp caseflow.Actor
	handlers := map[int64]caseflow.Actor{}
	workers := map[string]caseflow.Actor{}
	for _, ac := range accts {
		switch {
		case ac.Username == "admin":
			intake = access.Principal{AccountID: ac.ID, Username: ac.Username, Role: ac.Role}
		case ac.Role == caseflow.Dispatcher && disp.AccountID == 0:
			disp = caseflow.Actor{AccountID: ac.ID, Role: ac.Role, UnitID: ac.UnitID}
		case ac.Role == caseflow.Handler:
			if _, ok := handlers[ac.UnitID]; !ok {
				handlers[ac.UnitID] = caseflow.Actor{AccountID: ac.ID, Role: ac.Role, UnitID: ac.UnitID}
			}
		case ac.Role == caseflow.GridWorker:
			for _, g := range ac.Grids {
				workers[g] = caseflow.Actor{AccountID: ac.ID, Role: ac.Role, UnitID: ac.UnitID}
			}
		}
	}
	shots := snapshots(rng)
	start := o.End.AddDate(0, 0, -o.Days)
	q := &events{}
	for n := range o.Days * o.PerDay {
		at := start.Add(time.Duration(rng.Int64N(int64(o.End.Sub(start)))))
		heap.Push(q, event{at: at, alarm: n})
	}
	res := &CameraResult{Cameras: len(devices), ByStatus: map[alarm.Status]int{}}
	real := map[int64]bool{} // alarm id → a real problem
	for q.Len() > 0 {
		e := heap.Pop(q).(event)
		if e.at.After(o.End) {
			continue // left for the dispatcher of today
		}
		a.Now = func() time.Time { return e.at }
		switch {
		case e.review != 0:
			in := app.ReviewInput{Verdict: alarm.Accept}
			if !real[e.review] {
				in = app.ReviewInput{Verdict: alarm.False, Reason: falseReasons[rng.IntN(len(falseReasons))]}
			}
			p := access.Principal{AccountID: disp.AccountID, Role: disp.Role, UnitID: disp.UnitID}
			number, err := a.ReviewAlarm(ctx, p, e.review, in)
			if err != nil {
				return nil, fmt.Errorf("demo: review alarm %d: %w", e.review, err)
			}
			if number != "" {
				c, err := a.Store.CaseByNumber(ctx, number)
				if err != nil {
					return nil, err
				}
				heap.Push(q, event{at: e.at.Add(time.Duration(20+rng.IntN(100)) * time.Minute), handle: c.ID})
			}
		case e.handle != 0:
			if err := handleAlarmCase(ctx, a, e.handle, e.at, rng, disp, handlers, workers); err != nil {
				return nil, err
			}
		default:
			d := devices[rng.IntN(len(devices))]
			r := d.Raises[rng.IntN(len(d.Raises))]
			conf := 0.45 + rng.Float64()*0.54
			al := alarm.Alarm{Source: d.Source, Device: d.Code, EventID: fmt.Sprintf("demo-%06d", e.alarm), EventType: r.Events[0],
				Model: map[bool]string{true: "hik-park-v3", false: "hik-city-v2"}[r.Auto], Confidence: conf, Phase: alarm.Instant,
				At: e.at, Seen: time.Duration(30+rng.IntN(600)) * time.Second}
			if rng.IntN(4) > 0 {
				al.Snapshots = []alarm.Snapshot{{Data: shots[rng.IntN(len(shots))]}}
			}
			if r.Auto {
				al.Plate = fmt.Sprintf("晋B%05d", rng.IntN(100000))
			}
			if a.Photos == nil {
				al.Snapshots = nil
			}
			out, err := a.IntakeAlarms(ctx, intake, []alarm.Alarm{al})
			if err != nil {
				return nil, fmt.Errorf("demo: alarm %s: %w", al.EventID, err)
			}
			res.Alarms++
			switch r := out[0]; r.Status {
			case alarm.StatusSuspected:
				real[r.ID] = rng.Float64() < o.Real
				heap.Push(q, event{at: e.at.Add(time.Duration(3+rng.IntN(60)) * time.Minute), review: r.ID})
			case alarm.StatusRegistered:
				c, err := a.Store.CaseByNumber(ctx, r.Case)
				if err != nil {
					return nil, err
				}
				heap.Push(q, event{at: e.at.Add(time.Duration(10+rng.IntN(60)) * time.Minute), handle: c.ID})
			}
		}
	}
	counts, err := a.Store.AlarmCounts(ctx, "model")
	if err != nil {
		return nil, err
	}
	for _, c := range counts {
		for st, n := range c.ByStatus {
			res.ByStatus[st] += n
		}
	}
	res.Reviewed = res.ByStatus[alarm.StatusAccepted] + res.ByStatus[alarm.StatusFalse] + res.ByStatus[alarm.StatusMerged]
	if res.Reviewed > 0 {
		res.Precision = float64(res.ByStatus[alarm.StatusAccepted]+res.ByStatus[alarm.StatusMerged]) / float64(res.Reviewed)
	}
	return res, nil
}

// handleAlarmCase takes a camera's case through the loop: registered and
// dispatched by the table, signed, handled within hours, checked and
// closed, so the camera watches its place afresh.
func handleAlarmCase(ctx context.Context, a *app.App, id int64, at time.Time, rng *rand.Rand, disp caseflow.Actor,
	handlers map[int64]caseflow.Actor, workers map[string]caseflow.Actor) error {
	c, err := a.Store.Case(ctx, id)
	if err != nil {
		return err
	}
	step := func(cmd caseflow.Command) error {
		at = at.Add(time.Duration(5+rng.IntN(90)) * time.Minute)
		a.Now = func() time.Time { return at }
		cmd.At, cmd.ExpectedVersion = at, c.Version
		n, _, err := a.Act(ctx, id, cmd)
		if err != nil {
			return fmt.Errorf("demo: camera case %s %s: %w", c.Number, cmd.Action, err)
		}
		c = n
		return nil
	}
	if err := step(caseflow.Command{Action: caseflow.ActRegister, Actor: disp}); err != nil {
		return err
	}
	a.Now = func() time.Time { return at.Add(10 * time.Minute) }
	if c, _, err = a.AutoDispatch(ctx, id, disp, ""); err != nil {
		return fmt.Errorf("demo: camera case %s dispatch: %w", c.Number, err)
	}
	at = at.Add(10 * time.Minute)
	var lead caseflow.Task
	for _, t := range c.Tasks {
		if t.Lead {
			lead = t
		}
	}
	h, ok := handlers[lead.UnitID]
	if !ok {
		return nil // a unit without a handler account keeps its task open
	}
	if err := step(caseflow.Command{Action: caseflow.ActSign, Actor: h, TaskID: lead.ID}); err != nil {
		return err
	}
	at = at.Add(time.Duration(rng.IntN(6)) * time.Hour)
	if err := step(caseflow.Command{Action: caseflow.ActReportBack, Actor: h, TaskID: lead.ID, Note: "已到场处置，现场已恢复", Photos: []string{"demo/after.jpg"}}); err != nil {
		return err
	}
	w, ok := workers[c.Place.Grid]
	if !ok || c.State != caseflow.PendingCheck {
		return nil
	}
	if err := step(caseflow.Command{Action: caseflow.ActCheckPass, Actor: w}); err != nil {
		return err
	}
	return step(caseflow.Command{Action: caseflow.ActClose, Actor: disp})
}

// snapshots are a few camera pictures (a grey street, a dark shape where
// the problem is), encoded once.
func snapshots(rng *rand.Rand) [][]byte {
	var out [][]byte
	for i := range 6 {
		img := image.NewRGBA(image.Rect(0, 0, 320, 180))
		x0, y0 := 40+rng.IntN(180), 60+rng.IntN(60)
		for y := range 180 {
			for x := range 320 {
				c := color.RGBA{uint8(140 + y/6), uint8(140 + y/6), uint8(150 + y/6), 255}
				if x > x0 && x < x0+80+i*5 && y > y0 && y < y0+50 {
					c = color.RGBA{uint8(40 + 30*i), 50, 70, 255}
				}
				img.Set(x, y, c)
			}
		}
		var b bytes.Buffer
		jpeg.Encode(&b, img, &jpeg.Options{Quality: 70})
		out = append(out, b.Bytes())
	}
	return out
}

// event is one thing that happens in the month, in time order: an alarm
// arriving, a review due, a case to handle.
type event struct {
	at     time.Time
	alarm  int
	review int64
	handle int64
}

type events []event

func (e events) Len() int           { return len(e) }
func (e events) Less(i, j int) bool { return e[i].at.Before(e[j].at) }
func (e events) Swap(i, j int)      { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)        { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}
