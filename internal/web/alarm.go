package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/alarm"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/photos"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/watch"
)

// The alarm intake (POST /api/v1/alarms) takes pushes from camera
// platforms and AI boxes with an API token holding the alarms scope
// (Authorization: Bearer …). A token with an HMAC secret must also sign
// each push as webhooks are signed (internal/watch):
//
//	X-Xiuhua-Timestamp: 1764050000        Unix seconds, within 5 minutes of now
//	X-Xiuhua-Signature: sha256=<hex>      HMAC-SHA256(secret, timestamp + "." + raw body)

// maxAlarmBody bounds one push: four base64 snapshots of up to 4 MB each.
const maxAlarmBody = 4*alarm.MaxSnapshotBytes*4/3 + 64<<10

// signatureWindow is how far a signed push's timestamp may be from now.
const signatureWindow = 5 * time.Minute

func (s *Server) alarmIntake(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		problem(w, http.StatusUnauthorized, "unauthenticated", "Authorization", "send an API token with the alarms scope")
		return
	}
	p, secret, err := s.app.AlarmScopes(r.Context(), strings.TrimSpace(token))
	switch {
	case errors.Is(err, app.ErrForbidden):
		problem(w, http.StatusForbidden, "forbidden", "Authorization", "this API token lacks the alarms scope")
		return
	case err != nil:
		_ = s.app.Store.Audit(r.Context(), s.app.Now(), "", 0, "token_refused", client(r), r.Method+" "+r.URL.Path)
		problem(w, http.StatusUnauthorized, "unauthenticated", "Authorization", "the API token is unknown or revoked")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAlarmBody))
	if err != nil {
		problem(w, http.StatusRequestEntityTooLarge, "too_large", "body", "a push is at most 22 MB")
		return
	}
	if secret != "" && !watch.Verify(secret, r.Header.Get("X-Xiuhua-Signature"), r.Header.Get("X-Xiuhua-Timestamp"), body, s.app.Now(), signatureWindow) {
		problem(w, http.StatusUnauthorized, "unauthenticated", "X-Xiuhua-Signature", "the signature does not match the body, or the timestamp is more than 5 minutes off")
		return
	}
	q := r.URL.Query()
	list, err := alarm.Parse(alarm.Format(q.Get("format")), q.Get("source"), body)
	var bad *alarm.Problem
	if errors.As(err, &bad) {
		problem(w, http.StatusBadRequest, bad.Code, bad.Field, bad.Msg)
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	res, err := s.app.IntakeAlarms(r.Context(), p, list)
	switch {
	case errors.Is(err, photos.ErrBusy):
		w.Header().Set("Retry-After", strconv.Itoa(int(photos.GateWait/time.Second)))
		problem(w, http.StatusServiceUnavailable, "busy", "", err.Error())
		return
	case err != nil:
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"alarms": res})
}

// AlarmView is a kept alarm as the centre sees it.
type AlarmView struct {
	ID         int64        `json:"id"`
	Source     string       `json:"source"`
	Device     string       `json:"device"`
	DeviceID   int64        `json:"device_id,omitempty"`
	EventID    string       `json:"event_id"`
	EventType  string       `json:"event_type"`
	Model      string       `json:"model,omitempty"`
	Confidence float64      `json:"confidence"`
	Phase      alarm.Phase  `json:"phase"`
	At         time.Time    `json:"at"`
	ReceivedAt time.Time    `json:"received_at"`
	Point      *alarm.Point `json:"point,omitempty"`
	Category   string       `json:"category,omitempty"`
	Status     alarm.Status `json:"status"`
	Reason     string       `json:"reason,omitempty"`
	Case       int64        `json:"case_id,omitempty"`
	Snapshots  []string     `json:"snapshots"` // photo URLs (their public copies) and the source's references
	Box        *alarm.Box   `json:"box,omitempty"`
	Plate      string       `json:"plate,omitempty"`
	Repeats    int          `json:"repeats"`
}

func alarmView(r store.AlarmRecord) AlarmView {
	v := AlarmView{ID: r.ID, Source: r.Alarm.Source, Device: r.Alarm.Device, DeviceID: r.DeviceID, EventID: r.Alarm.EventID,
		EventType: r.Alarm.EventType, Model: r.Alarm.Model, Confidence: r.Alarm.Confidence, Phase: r.Alarm.Phase,
		At: r.Alarm.At.In(alarm.Beijing), ReceivedAt: r.ReceivedAt.In(alarm.Beijing), Point: r.Alarm.Point, Category: r.Category,
		Status: r.Status, Reason: r.Reason, Case: r.CaseID, Box: r.Alarm.Box, Plate: r.Alarm.Plate, Repeats: r.Repeats, Snapshots: []string{}}
	for _, sn := range r.Snapshots {
		if ref, ok := strings.CutPrefix(sn, "ref:"); ok {
			v.Snapshots = append(v.Snapshots, ref)
		} else {
			v.Snapshots = append(v.Snapshots, "/api/v1/photos/"+sn)
		}
	}
	return v
}

// listAlarms is the review queue (疑似) and the kept alarms.
func (s *Server) listAlarms(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.AlarmFilter{Status: alarm.Status(q.Get("status"))}
	if f.Status == "" {
		f.Status = alarm.StatusSuspected
	}
	if f.Status == "all" {
		f.Status = ""
	}
	for name, dst := range map[string]*int64{"device": &f.DeviceID, "before": &f.Before} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				problem(w, http.StatusBadRequest, "invalid", name, name+" is a positive id")
				return
			}
			*dst = n
		}
	}
	if v := q.Get("case"); v != "" {
		c, err := s.app.Store.CaseByNumber(r.Context(), v)
		if err != nil {
			problem(w, http.StatusNotFound, "not_found", "case", "no such case")
			return
		}
		f.CaseID = c.ID
		if q.Get("status") == "" {
			f.Status = ""
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			problem(w, http.StatusBadRequest, "invalid", "limit", "limit is 1–500")
			return
		}
		f.Limit = n
	}
	list, err := s.app.Store.Alarms(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	n, err := s.app.Store.SuspectedCount(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]AlarmView, 0, len(list))
	for _, a := range list {
		out = append(out, alarmView(a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"alarms": out, "suspected": n})
}

// reviewAlarm takes a dispatcher's verdict on a suspected alarm.
func (s *Server) reviewAlarm(w http.ResponseWriter, r *http.Request, p access.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		problem(w, http.StatusNotFound, "not_found", "alarm", "no such alarm")
		return
	}
	var in struct {
		Verdict alarm.Verdict `json:"verdict"`
		Reason  string        `json:"reason"`
		Case    string        `json:"case"`
	}
	if !decode(w, r, &in) {
		return
	}
	number, err := s.app.ReviewAlarm(r.Context(), p, id, app.ReviewInput{Verdict: in.Verdict, Reason: in.Reason, Case: in.Case})
	switch {
	case errors.Is(err, store.ErrNotFound):
		problem(w, http.StatusNotFound, "not_found", "alarm", "no such alarm")
		return
	case errors.Is(err, store.ErrConflict):
		problem(w, http.StatusConflict, "conflict", "alarm", "the alarm was reviewed meanwhile")
		return
	case err != nil:
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"case": number, "status": in.Verdict.Status()})
}

// alarmRates are the false-alarm rates per camera and per model.
func (s *Server) alarmRates(w http.ResponseWriter, r *http.Request) {
	devices, models, err := s.app.AlarmRates(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	if devices == nil {
		devices = []app.AlarmRate{}
	}
	if models == nil {
		models = []app.AlarmRate{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": devices, "models": models})
}

// DeviceView is a registered device as the admin page edits it.
type DeviceView struct {
	ID        int64         `json:"id,omitempty"`
	Source    string        `json:"source"`
	Code      string        `json:"code"`
	Name      string        `json:"name"`
	Kind      alarm.Kind    `json:"kind"`
	Lon       float64       `json:"lon"`
	Lat       float64       `json:"lat"`
	Grid      string        `json:"grid,omitempty"`
	Community string        `json:"community,omitempty"`
	Street    string        `json:"street,omitempty"`
	Threshold float64       `json:"threshold"`
	Dwell     int           `json:"dwell"` // seconds
	Hours     alarm.Hours   `json:"hours"`
	Raises    []alarm.Raise `json:"raises"`
	Active    *bool         `json:"active,omitempty"`
}

func deviceView(d alarm.Device) DeviceView {
	active := d.Active
	v := DeviceView{ID: d.ID, Source: d.Source, Code: d.Code, Name: d.Name, Kind: d.Kind, Lon: d.Point.Lon, Lat: d.Point.Lat, Grid: d.Grid,
		Community: d.Community, Street: d.Street, Threshold: d.Threshold, Dwell: int(d.Dwell / time.Second), Hours: d.Hours, Raises: d.Raises, Active: &active}
	if v.Raises == nil {
		v.Raises = []alarm.Raise{}
	}
	return v
}

func (s *Server) adminDevices(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	list, err := s.app.Store.Devices(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]DeviceView, 0, len(list))
	for _, d := range list {
		out = append(out, deviceView(d))
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": out})
}

func (s *Server) adminSaveDevice(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	var in DeviceView
	if !decode(w, r, &in) {
		return
	}
	d := alarm.Device{Source: strings.TrimSpace(in.Source), Code: strings.TrimSpace(in.Code), Name: strings.TrimSpace(in.Name), Kind: in.Kind,
		Point: alarm.Point{Lon: in.Lon, Lat: in.Lat}, Threshold: in.Threshold, Dwell: time.Duration(in.Dwell) * time.Second,
		Hours: in.Hours, Raises: in.Raises, Active: in.Active == nil || *in.Active}
	status := http.StatusCreated
	if id := r.PathValue("id"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			problem(w, http.StatusNotFound, "not_found", "device", "no such device")
			return
		}
		d.ID, status = n, http.StatusOK
	}
	err := s.app.SaveDevice(r.Context(), &d)
	switch {
	case errors.Is(err, store.ErrConflict):
		problem(w, http.StatusConflict, "exists", "code", "a device of this source already has this code")
		return
	case errors.Is(err, store.ErrNotFound):
		problem(w, http.StatusNotFound, "not_found", "device", "no such device")
		return
	case err != nil:
		fail(w, r, err)
		return
	}
	writeJSON(w, status, deviceView(d))
}
