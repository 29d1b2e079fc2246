package alarm

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func camera() *Device {
	return &Device{ID: 1, Source: "aibox", Code: "GL-001", Name: "鼓楼东街口", Kind: Video, Active: true,
		Threshold: 0.6, Dwell: 2 * time.Minute, Hours: Hours{From: 7 * 60, To: 22 * 60},
		Raises: []Raise{{Category: "M09009", Events: []string{"illegal_parking", "131588"}, Auto: true, Evidence: true},
			{Category: "M09006", Events: []string{"street_vending"}}}}
}

// nine is 09:00 in Beijing.
var nine = time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)

func good() Alarm {
	return Alarm{Source: "aibox", Device: "GL-001", EventID: "e1", EventType: "street_vending", Confidence: 0.8,
		Phase: Instant, At: nine, Seen: 3 * time.Minute}
}

// TestDecide walks every row of the rules table: what becomes of an
// alarm is what the dispatcher sees (a case, a 疑似 line, a repeat count,
// or nothing).
func TestDecide(t *testing.T) {
	off := camera()
	off.Active = false
	cases := []struct {
		name   string
		d      *Device
		edit   func(*Alarm)
		open   Open
		want   Outcome
		reason string
	}{
		{"unknown device", nil, nil, Open{}, Drop, "unknown_device"},
		{"device off", off, nil, Open{}, Drop, "device_off"},
		{"unknown event type", camera(), func(a *Alarm) { a.EventType = "ufo" }, Open{}, Drop, "unknown_event"},
		{"known type the camera may not raise", camera(), func(a *Alarm) { a.EventType = "exposed_garbage" }, Open{}, Drop, "category_not_allowed"},
		{"at 23:30 Beijing, after hours", camera(), func(a *Alarm) { a.At = time.Date(2026, 12, 7, 15, 30, 0, 0, time.UTC) }, Open{}, Drop, "outside_hours"},
		{"at 06:59 Beijing, before hours", camera(), func(a *Alarm) { a.At = time.Date(2026, 12, 6, 22, 59, 0, 0, time.UTC) }, Open{}, Drop, "outside_hours"},
		{"below threshold", camera(), func(a *Alarm) { a.Confidence = 0.59 }, Open{}, Drop, "below_threshold"},
		{"at the threshold", camera(), func(a *Alarm) { a.Confidence = 0.6 }, Open{}, Review, "review"},
		{"too short", camera(), func(a *Alarm) { a.Seen = time.Minute }, Open{}, Drop, "dwell"},
		{"a start not yet seen long enough", camera(), func(a *Alarm) { a.Phase, a.Seen = Start, 0 }, Open{}, Drop, "dwell"},
		{"open case", camera(), nil, Open{Case: 7}, Repeat, "open_case"},
		{"a stop while its case waits for the check", camera(), func(a *Alarm) { a.EventType, a.Phase = "illegal_parking", Stop }, Open{Case: 7, Checking: true}, Repeat, "check_evidence"},
		{"a stop while the check waits, the category gives no evidence", camera(), func(a *Alarm) { a.Phase = Stop }, Open{Case: 7, Checking: true}, Repeat, "open_case"},
		{"open review", camera(), nil, Open{Review: 9}, Repeat, "open_review"},
		{"a stop with its case open", camera(), func(a *Alarm) { a.Phase, a.Seen = Stop, 0 }, Open{Case: 7}, Repeat, "open_case"},
		{"a stop with nothing open", camera(), func(a *Alarm) { a.Phase = Stop }, Open{}, Drop, "stop"},
		{"auto-registering category", camera(), func(a *Alarm) { a.EventType = "illegal_parking" }, Open{}, Register, "auto"},
		{"a source's numeric type mapped by the device", camera(), func(a *Alarm) { a.EventType = "131588" }, Open{}, Register, "auto"},
		{"review category", camera(), nil, Open{}, Review, "review"},
	}
	covered := map[int]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := good()
			if c.edit != nil {
				c.edit(&a)
			}
			got := Decide(&a, c.d, c.open)
			if got.Outcome != c.want || got.Reason != c.reason {
				t.Fatalf("Decide = %s/%s (rule %d), want %s/%s", got.Outcome, got.Reason, got.Rule, c.want, c.reason)
			}
			if Rules[got.Rule-1].Reason != got.Reason {
				t.Fatalf("rule %d is %s, not %s", got.Rule, Rules[got.Rule-1].Reason, got.Reason)
			}
			covered[got.Rule] = true
		})
	}
	for i, r := range Rules {
		if !covered[i+1] {
			t.Errorf("rule %d (%s) is walked by no case", i+1, r.When)
		}
	}
}

// TestHoursOverMidnight: a night camera (22:00–06:00) watches at 23:00
// and 05:59 Beijing time, not at 06:00 or noon; equal ends are all day.
func TestHoursOverMidnight(t *testing.T) {
	night := Hours{From: 22 * 60, To: 6 * 60}
	at := func(h, m int) time.Time { return time.Date(2026, 12, 7, h, m, 0, 0, Beijing).UTC() }
	for _, c := range []struct {
		t    time.Time
		want bool
	}{{at(23, 0), true}, {at(5, 59), true}, {at(6, 0), false}, {at(12, 0), false}, {at(22, 0), true}} {
		if got := night.Holds(c.t); got != c.want {
			t.Errorf("%s: Holds = %v, want %v", c.t.In(Beijing).Format("15:04"), got, c.want)
		}
	}
	if !AllDay.Holds(at(3, 0)) {
		t.Error("all-day hours do not hold at 03:00")
	}
}

// TestParseGeneric reads the generic AI box's JSON: one alarm or a
// batch, with base64 and referenced snapshots, a box and a plate.
func TestParseGeneric(t *testing.T) {
	img := base64.StdEncoding.EncodeToString([]byte("not really a jpeg"))
	body := `{"alarms": [{"device": "GL-001", "event_id": "e1", "event_type": "illegal_parking", "model": "park-v3",
		"confidence": 0.91, "at": "2026-12-07T09:00:00+08:00", "seen": 300, "lon": 113.3, "lat": 40.09,
		"snapshots": [{"data": "` + img + `"}, {"ref": "box://GL-001/1.jpg"}], "box": {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4}, "plate": "晋B12345"},
		{"source": "other", "device": "GL-002", "event_id": "e2", "event_type": "street_vending", "phase": "start", "at": "2026-12-07T01:00:00Z"}]}`
	got, err := Parse(Generic, "aibox", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d alarms, want 2", len(got))
	}
	a := got[0]
	if a.Source != "aibox" || a.Device != "GL-001" || a.Confidence != 0.91 || a.Phase != Instant || !a.At.Equal(nine) ||
		a.Seen != 5*time.Minute || a.Point == nil || a.Point.Lat != 40.09 || len(a.Snapshots) != 2 ||
		string(a.Snapshots[0].Data) != "not really a jpeg" || a.Snapshots[1].Ref != "box://GL-001/1.jpg" || a.Box.H != 0.4 || a.Plate != "晋B12345" || a.Model != "park-v3" {
		t.Fatalf("first alarm read as %+v", a)
	}
	if b := got[1]; b.Source != "other" || b.Phase != Start || b.Confidence != 1 || b.Point != nil {
		t.Fatalf("second alarm read as %+v", b)
	}
}

// TestParseRefuses: a bad push names the field that is wrong.
func TestParseRefuses(t *testing.T) {
	for _, c := range []struct {
		f     Format
		body  string
		field string
	}{
		{Generic, `{"device": "d", "event_id": "e", "event_type": "x", "at": "2026-12-07T09:00:00+08:00"}`, "source"},
		{Generic, `{"source": "s", "event_id": "e", "event_type": "x", "at": "2026-12-07T09:00:00+08:00"}`, "device"},
		{Generic, `{"source": "s", "device": "d", "event_id": "e", "event_type": "x"}`, "at"},
		{Generic, `{"source": "s", "device": "d", "event_id": "e", "event_type": "x", "at": "yesterday"}`, "at"},
		{Generic, `{"source": "s", "device": "d", "event_id": "e", "event_type": "x", "at": "2026-12-07T09:00:00+08:00", "confidence": 1.5}`, "confidence"},
		{Generic, `{"source": "s", "device": "d", "event_id": "e", "event_type": "x", "at": "2026-12-07T09:00:00+08:00", "phase": "maybe"}`, "phase"},
		{Generic, `{"source": "s", "device": "d", "event_id": "e", "event_type": "x", "at": "2026-12-07T09:00:00+08:00", "box": {"x": 0.9, "y": 0, "w": 0.5, "h": 0.1}}`, "box"},
		{Generic, `{"source": "s", "device": "d", "event_id": "e", "event_type": "x", "at": "2026-12-07T09:00:00+08:00", "snapshots": [{"data": "***"}]}`, "snapshots"},
		{Generic, `{"source": "s", "device": "d", "event_id": "e", "event_type": "x", "at": "2026-12-07T09:00:00+08:00", "lon": 113}`, "location"},
		{Generic, `{"source": "s", "device": "d", "event_id": "e", "event_type": "x", "at": "2026-12-07T09:00:00+08:00", "colour": "red"}`, "colour"},
		{Generic, `{"source": "s", "device": "` + strings.Repeat("d", 201) + `", "event_id": "e", "event_type": "x", "at": "2026-12-07T09:00:00+08:00"}`, "device"},
		{Generic, `{"alarms": []}`, "alarms"},
		{Hikvision, `{"method": "OnSomething", "params": {"events": []}}`, "method"},
		{Hikvision, `{"method": "OnEventNotify", "params": {"events": [{"eventId": "1", "srcIndex": "c", "eventType": 131588, "status": 0, "happenTime": "today"}]}}`, "happenTime"},
		{Hikvision, `{"method": "OnEventNotify", "params": {"events": [{"eventId": "1", "eventType": 131588, "status": 0, "happenTime": "2020-05-17T15:53:47.000+08:00"}]}}`, "srcIndex"},
		{Hikvision, `{"method": "OnEventNotify", "params": {"events": [{"eventId": "1", "srcIndex": "c", "eventType": 131588, "status": 9, "happenTime": "2020-05-17T15:53:47.000+08:00"}]}}`, "status"},
	} {
		src := "" // the generic push names its own source
		if c.f == Hikvision {
			src = "hik-isc"
		}
		_, err := Parse(c.f, src, []byte(c.body))
		var p *Problem
		if !errors.As(err, &p) || p.Field != c.field {
			t.Errorf("%s %s: error %v, want one naming %s", c.f, c.body, err, c.field)
		}
	}
}

// TestParseHikvision reads an OnEventNotify push: the documented fields
// of each event, start and stop of one event kept apart, updates skipped.
func TestParseHikvision(t *testing.T) {
	body := `{"method": "OnEventNotify", "params": {"ability": "event_vss", "sendTime": "2026-12-07T09:00:01.000+08:00", "events": [
		{"eventId": "56rt4545672dsw244", "eventLvl": 1, "status": 1, "srcIndex": "dce03e98c2aa44169a8c9694d40139b6", "srcType": "camera",
		 "eventType": 131588, "happenTime": "2026-12-07T09:00:00.000+08:00", "data": {"confidence": 87, "picUrl": "/pic?id=1"}},
		{"eventId": "56rt4545672dsw244", "status": 2, "srcIndex": "dce03e98c2aa44169a8c9694d40139b6", "eventType": 131588, "happenTime": "2026-12-07T09:10:00.000+08:00"},
		{"eventId": "56rt4545672dsw244", "status": 5, "srcIndex": "dce03e98c2aa44169a8c9694d40139b6", "eventType": 131588, "happenTime": "2026-12-07T09:10:00.000+08:00"},
		{"eventId": "x2", "status": 0, "srcIndex": "c2", "eventType": 131588, "happenTime": "2020-05-17T 15:53:47.000+08:00"}]}}`
	got, err := Parse(Hikvision, "hik-isc", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d alarms, want 3 (the picture update adds none)", len(got))
	}
	s, e := got[0], got[1]
	if s.Source != "hik-isc" || s.Device != "dce03e98c2aa44169a8c9694d40139b6" || s.EventType != "131588" || s.Phase != Start ||
		!s.At.Equal(nine) || s.Confidence != 0.87 || len(s.Snapshots) != 1 || s.Snapshots[0].Ref != "/pic?id=1" {
		t.Fatalf("start read as %+v", s)
	}
	if e.Phase != Stop || e.EventID != "56rt4545672dsw244#stop" || e.Confidence != 1 {
		t.Fatalf("stop read as %+v", e)
	}
	if got[2].Phase != Instant || got[2].At.Year() != 2020 {
		t.Fatalf("instant read as %+v", got[2])
	}
}

// TestCheckDevice: a registration naming an unknown category, a bad
// threshold or hours is refused by field.
func TestCheckDevice(t *testing.T) {
	known := func(c string) bool { return c == "M09009" || c == "M09006" }
	if p := CheckDevice(camera(), known); p != nil {
		t.Fatalf("a good camera refused: %v", p)
	}
	for field, edit := range map[string]func(*Device){
		"code":      func(d *Device) { d.Code = " " },
		"kind":      func(d *Device) { d.Kind = "drone" },
		"threshold": func(d *Device) { d.Threshold = 2 },
		"dwell":     func(d *Device) { d.Dwell = -time.Second },
		"hours":     func(d *Device) { d.Hours.To = 1440 },
		"raises":    func(d *Device) { d.Raises[0].Category = "M99999" },
	} {
		d := camera()
		edit(d)
		if p := CheckDevice(d, known); p == nil || p.Field != field {
			t.Errorf("%s: got %v", field, p)
		}
	}
	d := camera()
	d.Raises[1].Events = []string{"illegal_parking"}
	if p := CheckDevice(d, known); p == nil || p.Field != "raises" {
		t.Errorf("one event type raising two categories: got %v", p)
	}
}
