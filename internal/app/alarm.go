package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/alarm"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/photos"
	"github.com/xiuhua/xiuhua/internal/store"
)

// AlarmResult is what became of one pushed alarm.
type AlarmResult struct {
	ID       int64        `json:"id"`
	EventID  string       `json:"event_id"`
	Status   alarm.Status `json:"status"`
	Reason   string       `json:"reason"`
	Case     string       `json:"case,omitempty"` // the case number it filed or counts on
	Replayed bool         `json:"replayed,omitempty"`
}

// alarmRetries bounds how often an alarm is decided again when another
// alarm of the same device and category claimed the slot first.
const alarmRetries = 8

// IntakeAlarms decides and keeps each alarm of one push, in order, each
// exactly once: a replayed push answers what the first one did.
// Snapshots given as bytes are stored through the photos package (bounded
// in bytes and pixels; the public copy is re-encoded without EXIF).
func (a *App) IntakeAlarms(ctx context.Context, p access.Principal, list []alarm.Alarm) ([]AlarmResult, error) {
	// Every snapshot is taken first, so a push with one unusable picture
	// keeps none of its alarms (the pictures already taken are orphans
	// the photo expiry removes).
	snaps := make([][]string, len(list))
	ids := make([][]string, len(list))
	for i := range list {
		var err error
		if snaps[i], ids[i], err = a.alarmSnapshots(ctx, &list[i]); err != nil {
			return nil, err
		}
	}
	out := make([]AlarmResult, 0, len(list))
	for i := range list {
		r, err := a.intakeAlarm(ctx, p, &list[i], snaps[i], ids[i])
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// alarmSnapshots stores an alarm's pictures through the photos package
// and answers what the alarm keeps (photo ids and "ref:" references) and
// the photo ids alone.
func (a *App) alarmSnapshots(ctx context.Context, al *alarm.Alarm) (snaps, photoIDs []string, err error) {
	for _, s := range al.Snapshots {
		if len(s.Data) == 0 {
			snaps = append(snaps, "ref:"+s.Ref)
			continue
		}
		if a.Photos == nil {
			return nil, nil, &caseflow.Error{Code: caseflow.CodeInvalid, Action: caseflow.ActReport, Field: "snapshots", Msg: "photo storage is not configured: send snapshots as references"}
		}
		ph, err := photos.Store(ctx, a.Photos, bytes.NewReader(s.Data), int64(len(s.Data)))
		if err != nil {
			if errors.Is(err, photos.ErrBusy) {
				return nil, nil, err
			}
			return nil, nil, &caseflow.Error{Code: caseflow.CodeInvalid, Action: caseflow.ActReport, Field: "snapshots", Msg: "a snapshot is not a usable picture: " + err.Error()}
		}
		snaps, photoIDs = append(snaps, ph.ID), append(photoIDs, ph.ID)
	}
	return snaps, photoIDs, nil
}

func (a *App) intakeAlarm(ctx context.Context, p access.Principal, al *alarm.Alarm, snaps, photoIDs []string) (AlarmResult, error) {
	res := AlarmResult{EventID: al.EventID}
	d, err := a.Store.DeviceByCode(ctx, al.Source, al.Device)
	if errors.Is(err, store.ErrNotFound) {
		d, err = nil, nil
	}
	if err != nil {
		return res, err
	}
	for try := 0; ; try++ {
		var slot store.AlarmSlot
		dec := alarm.Decide(al, d, alarm.Open{})
		if d != nil && dec.Category != "" && dec.Rule > 7 {
			// Past the device's own filters: what is open decides.
			if slot, err = a.Store.AlarmSlotOf(ctx, d.ID, dec.Category); err != nil {
				return res, err
			}
			dec = alarm.Decide(al, d, slot.Open)
		}
		rec := &store.AlarmRecord{Alarm: *al, Snapshots: snaps, Category: dec.Category, Status: alarm.StatusOf(dec.Outcome),
			Reason: dec.Reason, ReceivedAt: a.Now()}
		if d != nil {
			rec.DeviceID = d.ID
		}
		if dec.Outcome == alarm.Repeat {
			rec.CaseID, rec.ReviewOf = slot.Open.Case, slot.Open.Review
		}
		var c *caseflow.Case
		var ev caseflow.Event
		if dec.Outcome == alarm.Register {
			if c, ev, err = a.alarmCase(d, al, dec.Category, photoIDs, p); err != nil {
				return res, err
			}
		}
		replay, err := a.Store.RecordAlarm(ctx, rec, slot, c, &ev, a.Policy)
		if errors.Is(err, store.ErrConflict) && try < alarmRetries {
			continue
		}
		if err != nil {
			return res, err
		}
		if replay {
			kept, err := a.Store.AlarmByID(ctx, rec.ID)
			if err != nil {
				return res, err
			}
			rec = kept
		}
		res.ID, res.Status, res.Reason, res.Replayed = rec.ID, rec.Status, rec.Reason, replay
		if rec.CaseID != 0 {
			if c == nil || replay {
				if c, err = a.Store.Case(ctx, rec.CaseID); err != nil {
					return res, err
				}
			}
			res.Case = c.Number
		}
		return res, nil
	}
}

// alarmCase prepares the case an alarm files: at the alarm's own point or
// the device's, on the device's channel, the snapshots its evidence.
func (a *App) alarmCase(d *alarm.Device, al *alarm.Alarm, category string, photoIDs []string, p access.Principal) (*caseflow.Case, caseflow.Event, error) {
	pt := d.Point
	if al.Point != nil {
		pt = *al.Point
	}
	ch := caseflow.ChannelVideo
	if d.Kind == alarm.IoT {
		ch = caseflow.ChannelIoT
	}
	desc := fmt.Sprintf("%s %s（%s）告警 %s，置信度 %.0f%%", map[alarm.Kind]string{alarm.Video: "摄像头", alarm.IoT: "传感器"}[d.Kind], d.Name, d.Code, al.EventType, al.Confidence*100)
	in := ReportInput{Channel: ch, CategoryID: category, Description: desc, Address: d.Name, Lon: pt.Lon, Lat: pt.Lat, Photos: photoIDs}
	return a.prepare(in, caseflow.Actor{AccountID: p.AccountID, Role: caseflow.System})
}

// AlarmScopes checks that a token may push alarms, and answers the secret
// its pushes must be signed with ("" for none).
func (a *App) AlarmScopes(ctx context.Context, token string) (access.Principal, string, error) {
	p, err := a.TokenPrincipal(ctx, token)
	if err != nil {
		return p, "", err
	}
	if p.Scope != access.ScopeAlarms {
		return p, "", fmt.Errorf("token lacks the %s scope: %w", access.ScopeAlarms, ErrForbidden)
	}
	secret, err := a.Store.TokenSecret(ctx, token)
	return p, secret, err
}

// ErrForbidden is an access the reader lacks.
var ErrForbidden = errors.New("forbidden")

// ReviewInput is a reviewer's verdict on a suspected alarm.
type ReviewInput struct {
	Verdict alarm.Verdict
	Reason  string // why it is a false alarm
	Case    string // merge: the open case's number (default: the device's open case)
}

// ReviewAlarm applies a dispatcher's verdict to a suspected alarm:
// accept files a case with its snapshots, false keeps the reason, merge
// counts it on the open case. It answers the case number, if any.
func (a *App) ReviewAlarm(ctx context.Context, p access.Principal, id int64, in ReviewInput) (string, error) {
	if p.Role != caseflow.Dispatcher && p.Role != caseflow.Operator && p.Role != caseflow.Admin {
		return "", &caseflow.Error{Code: caseflow.CodeWrongRole, Action: caseflow.ActRegister, Msg: "the centre reviews alarms"}
	}
	bad := func(field string, code caseflow.Code, msg string) error {
		return &caseflow.Error{Code: code, Action: caseflow.ActRegister, Field: field, Msg: msg}
	}
	if !slices.Contains(alarm.Verdicts, in.Verdict) {
		return "", bad("verdict", caseflow.CodeInvalid, "verdict is accept, false or merge")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Verdict == alarm.False && in.Reason == "" {
		return "", bad("reason", caseflow.CodeRequired, "a false alarm needs its reason")
	}
	if len([]rune(in.Reason)) > 500 {
		return "", bad("reason", caseflow.CodeInvalid, "the reason is longer than 500 characters")
	}
	rec, err := a.Store.AlarmByID(ctx, id)
	if err != nil {
		return "", err
	}
	if rec.Status != alarm.StatusSuspected {
		return "", fmt.Errorf("alarm %d is %s, no longer waiting: %w", id, rec.Status, store.ErrConflict)
	}
	rv := store.AlarmReview{AlarmID: id, Status: in.Verdict.Status(), Reason: in.Reason, Reviewer: p.AccountID, At: a.Now()}
	var c *caseflow.Case
	var ev caseflow.Event
	switch in.Verdict {
	case alarm.Accept:
		d, err := a.Store.Device(ctx, rec.DeviceID)
		if err != nil {
			return "", err
		}
		var ids []string
		for _, s := range rec.Snapshots {
			if photos.ValidID(s) {
				ids = append(ids, s)
			}
		}
		if c, ev, err = a.alarmCase(d, &rec.Alarm, rec.Category, ids, p); err != nil {
			return "", err
		}
		ev.Actor = p.Actor()
	case alarm.Merge:
		var target *caseflow.Case
		if in.Case != "" {
			target, err = a.Store.CaseByNumber(ctx, in.Case)
			if errors.Is(err, store.ErrNotFound) {
				return "", bad("case", caseflow.CodeInvalid, "no case "+in.Case)
			}
		} else {
			slot, serr := a.Store.AlarmSlotOf(ctx, rec.DeviceID, rec.Category)
			if serr != nil {
				return "", serr
			}
			if slot.CaseID == 0 || !slot.CaseOpen {
				return "", bad("case", caseflow.CodeRequired, "no case of this camera and category is open: name the case to merge into")
			}
			target, err = a.Store.Case(ctx, slot.CaseID)
		}
		if err != nil {
			return "", err
		}
		if !target.State.Open() {
			return "", bad("case", caseflow.CodeInvalid, "case "+target.Number+" is no longer open")
		}
		rv.CaseID = target.ID
		if err := a.Store.ReviewAlarm(ctx, rv, nil, nil, a.Policy); err != nil {
			return "", err
		}
		return target.Number, nil
	}
	if err := a.Store.ReviewAlarm(ctx, rv, c, &ev, a.Policy); err != nil {
		return "", err
	}
	if c != nil {
		return c.Number, nil
	}
	return "", nil
}

// AlarmRate is the false-alarm rate of one camera or model.
type AlarmRate struct {
	Key    string `json:"key"`
	Name   string `json:"name,omitempty"`
	Total  int    `json:"total"`
	Queued int    `json:"suspected"`
	alarm.Rate
}

// AlarmRates are the false-alarm rates per device and per model, from
// the kept alarms.
func (a *App) AlarmRates(ctx context.Context) (devices, models []AlarmRate, err error) {
	devs, err := a.Store.Devices(ctx)
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	for _, d := range devs {
		names[fmt.Sprint(d.ID)] = d.Code + " " + d.Name
	}
	for _, by := range []string{"device", "model"} {
		counts, err := a.Store.AlarmCounts(ctx, by)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range counts {
			r := AlarmRate{Key: c.Key, Queued: c.ByStatus[alarm.StatusSuspected]}
			reviewed := 0
			for st, n := range c.ByStatus {
				r.Total += n
				if st.Reviewed() {
					reviewed += n
				}
			}
			r.Rate = alarm.RateOf(reviewed, c.ByStatus[alarm.StatusFalse])
			if by == "device" {
				r.Name = names[c.Key]
				devices = append(devices, r)
			} else {
				models = append(models, r)
			}
		}
	}
	return devices, models, nil
}

// SaveDevice checks a device's registration, finds its grid from its
// point and stores it.
func (a *App) SaveDevice(ctx context.Context, d *alarm.Device) error {
	cats, err := a.Store.Categories(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, c := range cats {
		known[c.ID] = true
	}
	if p := alarm.CheckDevice(d, func(c string) bool { return known[c] }); p != nil {
		return &caseflow.Error{Code: caseflow.Code(p.Code), Action: caseflow.ActReport, Field: p.Field, Msg: p.Msg}
	}
	u, err := a.Index().Locate(d.Point.Lon, d.Point.Lat)
	if err != nil {
		return &caseflow.Error{Code: caseflow.CodeInvalid, Action: caseflow.ActReport, Field: "location", Msg: err.Error()}
	}
	d.Grid, d.Community, d.Street = u.Grid, u.Community, u.Street
	return a.Store.SaveDevice(ctx, d, u.Code, a.Now())
}
