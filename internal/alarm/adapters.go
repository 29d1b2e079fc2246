package alarm

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Format is a source system's push format.
type Format string

// The formats the intake reads.
const (
	Generic   Format = "generic"   // a generic AI box's JSON (below)
	Hikvision Format = "hikvision" // Hikvision iSecure Center's OnEventNotify push
)

// Formats lists every format.
var Formats = []Format{Generic, Hikvision}

// MaxSnapshotBytes bounds one decoded snapshot; the photos package then
// bounds its pixels.
const MaxSnapshotBytes = 4 << 20

// Parse reads one push in format f into normalised alarms. source names
// the source system when the format does not carry it (Hikvision's push
// does not). A push that cannot be read is a *Problem naming the field.
func Parse(f Format, source string, body []byte) ([]Alarm, error) {
	switch f {
	case Generic, "":
		return parseGeneric(source, body)
	case Hikvision:
		return parseHikvision(source, body)
	}
	return nil, &Problem{"format", "invalid", "format is generic or hikvision"}
}

// genericAlarm is the generic AI box's JSON, one alarm:
//
//	{"source": "aibox-gulou", "device": "GL-017", "event_id": "e-20261206-0001",
//	 "event_type": "illegal_parking", "model": "park-v3", "confidence": 0.87,
//	 "phase": "instant", "at": "2026-12-06T09:30:00+08:00", "seen": 300,
//	 "lon": 113.30, "lat": 40.09, "snapshots": [{"data": "<base64>"}, {"ref": "box://GL-017/123.jpg"}],
//	 "box": {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.2}, "plate": "晋B12345"}
//
// A push is one such object or {"alarms": [...]} of up to MaxBatch.
type genericAlarm struct {
	Source     string          `json:"source"`
	Device     string          `json:"device"`
	EventID    string          `json:"event_id"`
	EventType  string          `json:"event_type"`
	Model      string          `json:"model"`
	Confidence *float64        `json:"confidence"`
	Phase      Phase           `json:"phase"`
	At         string          `json:"at"`
	Seen       float64         `json:"seen"` // seconds the object has been seen
	Lon        *float64        `json:"lon"`
	Lat        *float64        `json:"lat"`
	Snapshots  []genericSnap   `json:"snapshots"`
	Box        *Box            `json:"box"`
	Plate      string          `json:"plate"`
	Alarms     json.RawMessage `json:"alarms"`
}

type genericSnap struct {
	Data string `json:"data"`
	Ref  string `json:"ref"`
}

// MaxBatch is the most alarms one push may carry.
const MaxBatch = 100

func parseGeneric(source string, body []byte) ([]Alarm, error) {
	var one genericAlarm
	if err := strictJSON(body, &one); err != nil {
		return nil, err
	}
	list := []genericAlarm{one}
	if len(one.Alarms) > 0 {
		list = nil
		if err := strictJSON(one.Alarms, &list); err != nil {
			return nil, err
		}
		if len(list) == 0 || len(list) > MaxBatch {
			return nil, &Problem{"alarms", "invalid", "a push carries 1 to 100 alarms"}
		}
	}
	out := make([]Alarm, 0, len(list))
	for _, g := range list {
		a := Alarm{Source: g.Source, Device: g.Device, EventID: g.EventID, EventType: g.EventType, Model: g.Model,
			Confidence: 1, Phase: g.Phase, Box: g.Box, Plate: strings.TrimSpace(g.Plate), Seen: time.Duration(g.Seen * float64(time.Second))}
		if a.Source == "" {
			a.Source = source
		}
		if a.Phase == "" {
			a.Phase = Instant
		}
		if g.Confidence != nil {
			a.Confidence = *g.Confidence
		}
		if g.At != "" {
			t, err := time.Parse(time.RFC3339, g.At)
			if err != nil {
				return nil, &Problem{"at", "invalid", "at is an RFC 3339 time with its offset"}
			}
			a.At = t
		}
		if (g.Lon == nil) != (g.Lat == nil) {
			return nil, &Problem{"location", "invalid", "lon and lat come together"}
		}
		if g.Lon != nil {
			a.Point = &Point{Lon: *g.Lon, Lat: *g.Lat}
		}
		for _, s := range g.Snapshots {
			snap, err := snapshot(s.Data, s.Ref)
			if err != nil {
				return nil, err
			}
			a.Snapshots = append(a.Snapshots, snap)
		}
		if p := Check(&a); p != nil {
			return nil, p
		}
		out = append(out, a)
	}
	return out, nil
}

func snapshot(data, ref string) (Snapshot, error) {
	if data == "" {
		return Snapshot{Ref: strings.TrimSpace(ref)}, nil
	}
	if base64.StdEncoding.DecodedLen(len(data)) > MaxSnapshotBytes+3 {
		return Snapshot{}, &Problem{"snapshots", "invalid", "a snapshot is at most 4 MB"}
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return Snapshot{}, &Problem{"snapshots", "invalid", "a snapshot's data is standard base64"}
	}
	return Snapshot{Data: b, Ref: strings.TrimSpace(ref)}, nil
}

func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		field := "body"
		var te *json.UnmarshalTypeError
		if ok := asType(err, &te); ok && te.Field != "" {
			field = te.Field
		} else if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok && strings.Trim(f, `"`) != "" {
			field = strings.Trim(f, `"`)
		}
		return &Problem{field, "invalid", "the push is not the expected JSON: " + err.Error()}
	}
	return nil
}

func asType(err error, te **json.UnmarshalTypeError) bool {
	t, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = t
	}
	return ok
}

// Hikvision iSecure Center (综合安防管理平台) pushes subscribed events to
// a receiver as JSON over HTTP POST (事件订阅: the third party subscribes
// event types and an address; the platform posts each event there as
// JSON — described in "海康iSC 平台第三方对接实时事件分享",
// https://yzsam.com/html/aeTMJY.html). The envelope, as integrations
// show it:
//
//	{"method": "OnEventNotify",
//	 "params": {"ability": "event_vss", "sendTime": "…",
//	  "events": [{"eventId": "56rt4545672dsw244", "eventLvl": 1, "status": 1,
//	    "srcIndex": "dce03e98c2aa44169a8c9694d40139b6", "srcType": "camera", "srcName": "…",
//	    "eventType": 131588, "happenTime": "2020-05-17T15:53:47.000+08:00", "data": {…}}]}}
//
// status: 0 instant (瞬时), 1 start (开始), 2 stop (停止), 3 pulse (事件脉冲),
// 4 linkage result update (联动结果更新), 5 asynchronous picture upload
// (异步图片上传). eventType is numeric and names the detection; a device's
// Raises maps it to a category. We could not find the published
// specification of params.events[].data for the behaviour-analysis event
// types (it differs by type), so only these fields are read from it when
// present: "confidence" (0–1, or a percentage above 1), "picUrl" and
// "imageUrl" (kept as references, never fetched), "plateNo" and "model".
// Pulses are read as instant alarms; updates (4, 5) add nothing new and
// are skipped. A stop keeps its start's eventId, so its id gets "#stop".
type hikPush struct {
	Method string `json:"method"`
	Params struct {
		Ability  string     `json:"ability"`
		SendTime string     `json:"sendTime"`
		Events   []hikEvent `json:"events"`
	} `json:"params"`
}

type hikEvent struct {
	EventID    string          `json:"eventId"`
	EventLvl   int             `json:"eventLvl"`
	Status     int             `json:"status"`
	SrcIndex   string          `json:"srcIndex"`
	SrcType    string          `json:"srcType"`
	SrcName    string          `json:"srcName"`
	EventType  json.Number     `json:"eventType"`
	HappenTime string          `json:"happenTime"`
	Timeout    int             `json:"timeout"`
	Data       json.RawMessage `json:"data"`
}

type hikData struct {
	Confidence *float64 `json:"confidence"`
	PicURL     string   `json:"picUrl"`
	ImageURL   string   `json:"imageUrl"`
	PlateNo    string   `json:"plateNo"`
	Model      string   `json:"model"`
}

// hikTimes are the ways happenTime is written in iSC pushes seen so far
// (with milliseconds and offset; one integration shows a space after T).
var hikTimes = []string{"2006-01-02T15:04:05.000Z07:00", time.RFC3339, "2006-01-02T 15:04:05.000Z07:00"}

func parseHikvision(source string, body []byte) ([]Alarm, error) {
	var p hikPush
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&p); err != nil {
		return nil, &Problem{"body", "invalid", "the push is not OnEventNotify JSON: " + err.Error()}
	}
	if p.Method != "OnEventNotify" {
		return nil, &Problem{"method", "invalid", "method is OnEventNotify"}
	}
	if strings.TrimSpace(source) == "" {
		return nil, &Problem{"source", "required", "source (the platform's name) is required with format=hikvision"}
	}
	if len(p.Params.Events) == 0 || len(p.Params.Events) > MaxBatch {
		return nil, &Problem{"events", "invalid", "a push carries 1 to 100 events"}
	}
	out := make([]Alarm, 0, len(p.Params.Events))
	for _, e := range p.Params.Events {
		var phase Phase
		switch e.Status {
		case 0, 3:
			phase = Instant
		case 1:
			phase = Start
		case 2:
			phase = Stop
		case 4, 5:
			continue
		default:
			return nil, &Problem{"status", "invalid", fmt.Sprintf("status %d is not 0–5", e.Status)}
		}
		a := Alarm{Source: source, Device: e.SrcIndex, EventID: e.EventID, EventType: e.EventType.String(), Confidence: 1, Phase: phase}
		if phase == Stop {
			a.EventID += "#stop"
		}
		if _, err := strconv.ParseInt(a.EventType, 10, 64); err != nil && a.EventType != "" {
			return nil, &Problem{"eventType", "invalid", "eventType is a number"}
		}
		for _, layout := range hikTimes {
			if t, err := time.Parse(layout, e.HappenTime); err == nil {
				a.At = t
				break
			}
		}
		if a.At.IsZero() {
			return nil, &Problem{"happenTime", "invalid", "happenTime is an ISO 8601 time with its offset"}
		}
		if len(e.Data) > 0 && e.Data[0] == '{' {
			var hd hikData
			if err := json.Unmarshal(e.Data, &hd); err == nil {
				if hd.Confidence != nil {
					a.Confidence = *hd.Confidence
					if a.Confidence > 1 {
						a.Confidence /= 100
					}
				}
				for _, u := range []string{hd.PicURL, hd.ImageURL} {
					if u != "" {
						a.Snapshots = append(a.Snapshots, Snapshot{Ref: u})
					}
				}
				a.Plate, a.Model = hd.PlateNo, hd.Model
			}
		}
		a.Seen = SeenBySource
		if p := Check(&a); p != nil {
			if p.Field == "device" {
				p.Field = "srcIndex"
			} else if p.Field == "event_id" {
				p.Field = "eventId"
			} else if p.Field == "event_type" {
				p.Field = "eventType"
			}
			return nil, p
		}
		out = append(out, a)
	}
	return out, nil
}
