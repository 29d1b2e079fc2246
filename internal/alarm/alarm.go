// Package alarm owns camera and sensor intake (视频智能识别 / 告警): the
// normalised alarm every source system's push is read into, the device
// registry's rules (which categories a camera may raise, its confidence
// threshold, dwell time, active hours and, per category, whether an alarm
// registers a case by itself) and the decision for each alarm, as a rules
// table like the case loop's caseflow.Rules. It knows nothing of HTTP or
// SQL: the application layer loads the device and what is open for it,
// calls Decide, and has the store persist the outcome.
//
// The decision, first matching row wins (Rules):
//
//	| #  | when                                                    | outcome  | reason               |
//	|----|---------------------------------------------------------|----------|----------------------|
//	| 1  | the device is not registered                            | drop     | unknown_device       |
//	| 2  | the device is turned off                                | drop     | device_off           |
//	| 3  | the event type maps to no category                      | drop     | unknown_event        |
//	| 4  | the device may not raise that category                  | drop     | category_not_allowed |
//	| 5  | outside the device's active hours (Beijing time)        | drop     | outside_hours        |
//	| 6  | confidence below the device's threshold                 | drop     | below_threshold      |
//	| 7  | seen for less than the device's dwell time              | drop     | dwell                |
//	| 8  | that case waits for its check (核查), the category       | repeat   | check_evidence       |
//	|    | supplies check evidence and the alarm is a stop or       |          |                      |
//	|    | carries a fresh snapshot                                 |          |                      |
//	| 9  | a case from the same device and category is open        | repeat   | open_case            |
//	| 10 | an alarm of the same device and category awaits review  | repeat   | open_review          |
//	| 11 | a stop event with nothing open                          | drop     | stop                 |
//	| 12 | the device registers this category by itself            | register | auto                 |
//	| 13 | otherwise                                               | review   | review (疑似)        |
//
// Row 8 is the camera's check evidence: the alarm is kept on the case for
// the person who checks it, who still decides (the check stays theirs).
//
// A dropped alarm is still kept (with its reason), so the false-alarm
// and drop rates can be recounted from the raw alarms.
package alarm

import (
	"slices"
	"strings"
	"time"
)

// Phase is where an alarm stands in its event: a one-off detection, the
// start or the stop of a lasting one.
type Phase string

// The phases of an alarm.
const (
	Instant Phase = "instant" // 瞬时
	Start   Phase = "start"   // 开始
	Stop    Phase = "stop"    // 停止
)

// Phases lists every phase.
var Phases = []Phase{Instant, Start, Stop}

// Valid reports whether p is a known phase.
func (p Phase) Valid() bool { return slices.Contains(Phases, p) }

// Kind is which of the case loop's channels a device's alarms come in by.
type Kind string

// Device kinds, named as the case loop's channels.
const (
	Video Kind = "video" // a camera with video analytics (视频智能识别)
	IoT   Kind = "iot"   // a sensor (物联感知): a manhole cover's tilt, a water level
)

// Kinds lists every device kind.
var Kinds = []Kind{Video, IoT}

// Point is a WGS84 position.
type Point struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
}

// Box is the detected object's rectangle in the snapshot, as fractions
// of its width and height (0–1), so it holds for any resolution.
type Box struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

// Valid reports whether the box lies within the picture.
func (b Box) Valid() bool {
	return b.X >= 0 && b.Y >= 0 && b.W > 0 && b.H > 0 && b.X+b.W <= 1.000001 && b.Y+b.H <= 1.000001
}

// Snapshot is a picture an alarm carries: the bytes (decoded from base64
// by the adapter) or a reference the source system keeps (its URL or
// picture id, stored as text and never fetched).
type Snapshot struct {
	Data []byte `json:"-"`
	Ref  string `json:"ref,omitempty"`
}

// Alarm is one push from a source system, normalised.
type Alarm struct {
	Source     string        // the source system (hik-isc-pingcheng, aibox-01)
	Device     string        // the device's code in that system (srcIndex)
	EventID    string        // the source's id of this event: with Source and Device it keeps an alarm once
	EventType  string        // the source's event type (131588, illegal_parking)
	Model      string        // the analytics model that raised it, when known
	Confidence float64       // 0–1; 1 when the source gives none (a sensor's threshold crossing)
	Phase      Phase         // instant, start or stop
	At         time.Time     // when it happened (happenTime)
	Seen       time.Duration // how long the object has been seen (SeenBySource: the source's own rule waited)
	Point      *Point        // where, when the source says; else the device's registered place
	Snapshots  []Snapshot
	Box        *Box
	Plate      string // a vehicle's plate: staff only, never public
}

// SeenBySource is the Seen of an alarm whose source already waits for
// the detection to last before it pushes (iSecure Center's analytics
// rules have their own duration): no dwell time holds it back.
const SeenBySource = 24 * time.Hour

// Hours are a device's active hours in Beijing time, as minutes after
// midnight: From == To is all day; From > To runs over midnight.
type Hours struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// AllDay are hours that always hold.
var AllDay = Hours{}

// Valid reports whether both ends are minutes of a day.
func (h Hours) Valid() bool { return h.From >= 0 && h.From < 24*60 && h.To >= 0 && h.To < 24*60 }

// Holds reports whether t falls in the hours, read in Beijing time.
func (h Hours) Holds(t time.Time) bool {
	if h.From == h.To {
		return true
	}
	bj := t.In(Beijing)
	m := bj.Hour()*60 + bj.Minute()
	if h.From < h.To {
		return m >= h.From && m < h.To
	}
	return m >= h.From || m < h.To
}

// Beijing is China Standard Time (UTC+8, no daylight saving), kept as a
// fixed zone so no time zone database is needed.
var Beijing = time.FixedZone("CST", 8*3600)

// Raise is one category a device may raise: the source's event types
// that mean it, and whether its alarms register a case by themselves
// (Auto) or wait for a person's review (疑似). Evidence: the device's
// fresh snapshot or stop event is offered as check evidence when the
// case is reported back; the check stays a person's decision.
type Raise struct {
	Category string   `json:"category"`
	Events   []string `json:"events"`
	Auto     bool     `json:"auto,omitempty"`
	Evidence bool     `json:"evidence,omitempty"`
}

// Device is one registered camera or sensor.
type Device struct {
	ID        int64
	Source    string
	Code      string
	Name      string
	Kind      Kind
	Point     Point
	Grid      string // found from the place index when the device is saved
	Community string
	Street    string
	Threshold float64       // the lowest confidence kept, 0–1
	Dwell     time.Duration // how long a detection must last
	Hours     Hours
	Raises    []Raise
	Active    bool
}

// Category is the category an event type means on d, and whether d may
// raise it.
func (d *Device) Category(eventType string) (Raise, bool) {
	for _, r := range d.Raises {
		if slices.Contains(r.Events, eventType) {
			return r, true
		}
	}
	return Raise{}, false
}

// Outcome is what becomes of an alarm.
type Outcome string

// The outcomes of Decide.
const (
	Register Outcome = "register" // files a case by itself
	Review   Outcome = "review"   // waits in the 疑似 queue for a person
	Repeat   Outcome = "repeat"   // counts on what is already open
	Drop     Outcome = "drop"     // kept, but nobody needs to see it
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{Register, Review, Repeat, Drop}

// Open is what is open for an alarm's device and category: a case it (or
// an earlier alarm) filed, or an alarm waiting in the review queue.
type Open struct {
	Case     int64
	Checking bool // the case waits for its check (pending_check)
	Review   int64
}

// Decision is Decide's answer: the outcome, the reason (a rules-table
// row) and the category the event type means (empty when unknown).
type Decision struct {
	Outcome  Outcome
	Reason   string
	Category string
	Auto     bool
	Rule     int // the row of Rules that decided, from 1
}

// Rule is one row of the decision table.
type Rule struct {
	When    string
	Outcome Outcome
	Reason  string
	holds   func(a *Alarm, d *Device, r Raise, known bool, open Open) bool
}

// Rules is the decision as data: the first row whose condition holds decides.
var Rules = []Rule{
	{"the device is not registered", Drop, "unknown_device", func(_ *Alarm, d *Device, _ Raise, _ bool, _ Open) bool { return d == nil }},
	{"the device is turned off", Drop, "device_off", func(_ *Alarm, d *Device, _ Raise, _ bool, _ Open) bool { return !d.Active }},
	{"the event type maps to no category", Drop, "unknown_event", func(a *Alarm, d *Device, _ Raise, known bool, _ Open) bool {
		return !known && !KnownEvent(a.EventType)
	}},
	{"the device may not raise that category", Drop, "category_not_allowed", func(_ *Alarm, _ *Device, _ Raise, known bool, _ Open) bool { return !known }},
	{"outside the device's active hours (Beijing time)", Drop, "outside_hours", func(a *Alarm, d *Device, _ Raise, _ bool, _ Open) bool {
		return !d.Hours.Holds(a.At)
	}},
	{"confidence below the device's threshold", Drop, "below_threshold", func(a *Alarm, d *Device, _ Raise, _ bool, _ Open) bool {
		return a.Confidence < d.Threshold
	}},
	{"seen for less than the device's dwell time", Drop, "dwell", func(a *Alarm, d *Device, _ Raise, _ bool, _ Open) bool {
		return a.Phase != Stop && a.Seen < d.Dwell
	}},
	{"a case from the same device and category waits for its check, and the alarm is check evidence", Repeat, "check_evidence",
		func(a *Alarm, _ *Device, r Raise, _ bool, o Open) bool {
			return o.Case != 0 && o.Checking && r.Evidence && (a.Phase == Stop || len(a.Snapshots) > 0)
		}},
	{"a case from the same device and category is open", Repeat, "open_case", func(_ *Alarm, _ *Device, _ Raise, _ bool, o Open) bool { return o.Case != 0 }},
	{"an alarm of the same device and category awaits review", Repeat, "open_review", func(_ *Alarm, _ *Device, _ Raise, _ bool, o Open) bool { return o.Review != 0 }},
	{"a stop event with nothing open", Drop, "stop", func(a *Alarm, _ *Device, _ Raise, _ bool, _ Open) bool { return a.Phase == Stop }},
	{"the device registers this category by itself", Register, "auto", func(_ *Alarm, _ *Device, r Raise, _ bool, _ Open) bool { return r.Auto }},
	{"otherwise", Review, "review", func(*Alarm, *Device, Raise, bool, Open) bool { return true }},
}

// Decide is what becomes of a on d (nil: no such device) given what is
// open for its device and category.
func Decide(a *Alarm, d *Device, open Open) Decision {
	var r Raise
	known := false
	if d != nil {
		r, known = d.Category(a.EventType)
	}
	for i, rule := range Rules {
		if rule.holds(a, d, r, known, open) {
			return Decision{Outcome: rule.Outcome, Reason: rule.Reason, Category: r.Category, Auto: r.Auto, Rule: i + 1}
		}
	}
	panic("alarm: the last rule always holds")
}

// EventTypes are the event types Xiuhua knows, from any source, with the
// category each usually means: a device's Raises names which it may raise
// (a device may map a source's own numeric type to one of these
// categories too). Hikvision's numeric types are those its iSecure
// Center documents for behaviour analysis; see hikvision.go.
var EventTypes = map[string]string{
	"illegal_parking":   "M09009", // 机动车乱停放
	"bike_parking":      "M09010", // 非机动车乱停放
	"street_vending":    "M09006", // 占道经营
	"outside_business":  "M09005", // 店外经营
	"exposed_garbage":   "M06010", // 暴露垃圾
	"garbage_overflow":  "M06042", // 垃圾站（箱）满溢
	"piled_debris":      "M06036", // 乱堆杂物
	"illegal_ad":        "M07003", // 违规户外广告
	"fire_lane_blocked": "M09012", // 占用消防通道
	"manhole_tilt":      "M01001", // 供水井盖 (a sensor)
}

// KnownEvent reports whether the event type is one Xiuhua knows at all.
func KnownEvent(t string) bool { _, ok := EventTypes[t]; return ok }

// Limits on what an alarm may carry.
const (
	MaxSnapshots = 4
	MaxText      = 200 // characters of an id, type, model or plate
	MaxRef       = 500 // characters of a snapshot reference
)

// Problem is what is wrong with an alarm: the field and a message key's
// code (caseflow's codes: required, invalid, too_long).
type Problem struct {
	Field string
	Code  string
	Msg   string
}

func (p *Problem) Error() string { return p.Field + ": " + p.Msg }

// Check says what is wrong with a normalised alarm, or nil.
func Check(a *Alarm) *Problem {
	for _, f := range []struct{ name, v string }{{"source", a.Source}, {"device", a.Device}, {"event_id", a.EventID}, {"event_type", a.EventType}} {
		if strings.TrimSpace(f.v) == "" {
			return &Problem{f.name, "required", f.name + " is required"}
		}
	}
	for _, f := range []struct{ name, v string }{{"source", a.Source}, {"device", a.Device}, {"event_id", a.EventID}, {"event_type", a.EventType}, {"model", a.Model}, {"plate", a.Plate}} {
		if len([]rune(f.v)) > MaxText {
			return &Problem{f.name, "invalid", f.name + " is longer than 200 characters"}
		}
	}
	switch {
	case !a.Phase.Valid():
		return &Problem{"phase", "invalid", "phase is instant, start or stop"}
	case a.At.IsZero():
		return &Problem{"at", "required", "the time it happened is required"}
	case a.Confidence < 0 || a.Confidence > 1:
		return &Problem{"confidence", "invalid", "confidence is between 0 and 1"}
	case a.Seen < 0:
		return &Problem{"seen", "invalid", "seen is a number of seconds, not negative"}
	case a.Box != nil && !a.Box.Valid():
		return &Problem{"box", "invalid", "box is x, y, w, h as fractions of the picture (0–1)"}
	case len(a.Snapshots) > MaxSnapshots:
		return &Problem{"snapshots", "invalid", "at most 4 snapshots"}
	case a.Point != nil && (a.Point.Lon < -180 || a.Point.Lon > 180 || a.Point.Lat < -90 || a.Point.Lat > 90):
		return &Problem{"location", "invalid", "lon and lat are WGS84 degrees"}
	}
	for _, s := range a.Snapshots {
		if len(s.Data) == 0 && strings.TrimSpace(s.Ref) == "" {
			return &Problem{"snapshots", "invalid", "a snapshot is base64 data or a reference"}
		}
		if len([]rune(s.Ref)) > MaxRef {
			return &Problem{"snapshots", "invalid", "a snapshot reference is longer than 500 characters"}
		}
	}
	return nil
}

// CheckDevice says what is wrong with a device's registration, or nil.
// known reports whether a category exists in the catalog.
func CheckDevice(d *Device, known func(category string) bool) *Problem {
	switch {
	case strings.TrimSpace(d.Source) == "":
		return &Problem{"source", "required", "source is required"}
	case strings.TrimSpace(d.Code) == "":
		return &Problem{"code", "required", "code is required"}
	case strings.TrimSpace(d.Name) == "":
		return &Problem{"name", "required", "name is required"}
	case len([]rune(d.Source)) > MaxText || len([]rune(d.Code)) > MaxText || len([]rune(d.Name)) > MaxText:
		return &Problem{"name", "invalid", "source, code and name are at most 200 characters"}
	case !slices.Contains(Kinds, d.Kind):
		return &Problem{"kind", "invalid", "kind is video or iot"}
	case d.Threshold < 0 || d.Threshold > 1:
		return &Problem{"threshold", "invalid", "threshold is between 0 and 1"}
	case d.Dwell < 0 || d.Dwell > 24*time.Hour:
		return &Problem{"dwell", "invalid", "dwell is 0 to 86,400 seconds"}
	case !d.Hours.Valid():
		return &Problem{"hours", "invalid", "hours are minutes after midnight, 0–1439"}
	}
	seen := map[string]bool{}
	for _, r := range d.Raises {
		if !known(r.Category) {
			return &Problem{"raises", "invalid", "unknown category " + r.Category}
		}
		if len(r.Events) == 0 {
			return &Problem{"raises", "required", "each category needs the event types that raise it"}
		}
		for _, e := range r.Events {
			if strings.TrimSpace(e) == "" || len([]rune(e)) > MaxText || seen[e] {
				return &Problem{"raises", "invalid", "event types are distinct, non-empty and at most 200 characters"}
			}
			seen[e] = true
		}
	}
	return nil
}

// Rate is a false-alarm rate: of the alarms people reviewed (accepted,
// merged or marked false), how many were false.
type Rate struct {
	Reviewed int     `json:"reviewed"`
	False    int     `json:"false"`
	Rate     float64 `json:"rate"` // False ÷ Reviewed, 0 when nothing was reviewed
}

// RateOf is the false-alarm rate of reviewed and false counts.
func RateOf(reviewed, falses int) Rate {
	r := Rate{Reviewed: reviewed, False: falses}
	if reviewed > 0 {
		r.Rate = float64(falses) / float64(reviewed)
	}
	return r
}

// Status is where a kept alarm stands: its outcome at intake, then, for
// one in the review queue, the reviewer's verdict.
type Status string

// Alarm statuses.
const (
	StatusRegistered Status = "registered" // filed a case by itself
	StatusSuspected  Status = "suspected"  // 疑似: waits for review
	StatusRepeat     Status = "repeat"     // counted on an open case or review
	StatusDropped    Status = "dropped"    // below threshold, outside hours, unknown …
	StatusAccepted   Status = "accepted"   // reviewed: a case with its snapshots
	StatusFalse      Status = "false"      // reviewed: 误报, with a reason
	StatusMerged     Status = "merged"     // reviewed: counted on the open case
)

// StatusOf is the status an outcome gives a new alarm.
func StatusOf(o Outcome) Status {
	switch o {
	case Register:
		return StatusRegistered
	case Review:
		return StatusSuspected
	case Repeat:
		return StatusRepeat
	}
	return StatusDropped
}

// Verdict is a reviewer's decision on a suspected alarm.
type Verdict string

// The review's verdicts.
const (
	Accept Verdict = "accept" // 确认立案: a case with the alarm's snapshots
	False  Verdict = "false"  // 误报, with a reason
	Merge  Verdict = "merge"  // 并入: a repeat of the open case
)

// Verdicts lists every verdict.
var Verdicts = []Verdict{Accept, False, Merge}

// Status is the status a verdict leaves.
func (v Verdict) Status() Status {
	switch v {
	case Accept:
		return StatusAccepted
	case False:
		return StatusFalse
	}
	return StatusMerged
}

// Reviewed reports whether a person decided on the alarm; the
// false-alarm rate counts these.
func (s Status) Reviewed() bool { return s == StatusAccepted || s == StatusFalse || s == StatusMerged }
