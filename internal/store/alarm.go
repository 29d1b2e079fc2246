package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/alarm"
	"github.com/xiuhua/xiuhua/internal/caseflow"
)

// AlarmRecord is one kept alarm with its outcome.
type AlarmRecord struct {
	ID         int64
	DeviceID   int64
	Alarm      alarm.Alarm // Snapshots are not kept here: see Snapshots
	Snapshots  []string    // photo ids (64 hex) or "ref:" + the source's reference
	Category   string
	Status     alarm.Status
	Reason     string
	CaseID     int64
	ReviewOf   int64
	ReceivedAt time.Time
	ReviewedBy int64
	ReviewedAt time.Time
	Repeats    int // alarms counted on this one (filled by the review queue)
}

// AlarmSlot is what is open for a device and category as read: the row
// (Exists, CaseID, AlarmID as stored) and whether what it names is still
// open. A write that claims the slot gives back what it read, and fails
// with ErrConflict when the row has changed since (compare and set).
type AlarmSlot struct {
	Exists   bool
	CaseID   int64
	AlarmID  int64
	Open     alarm.Open
	CaseOpen bool
}

const deviceColumns = `id, source, code, name, kind, lon, lat, unit_grid, grid, community, street, threshold, dwell, hours_from, hours_to, raises, active`

func scanDevice(sc scanner, d *alarm.Device) error {
	var raises string
	var dwell int64
	var unitGrid string
	if err := sc.Scan(&d.ID, &d.Source, &d.Code, &d.Name, &d.Kind, &d.Point.Lon, &d.Point.Lat, &unitGrid, &d.Grid, &d.Community, &d.Street,
		&d.Threshold, &dwell, &d.Hours.From, &d.Hours.To, &raises, &d.Active); err != nil {
		return err
	}
	d.Dwell = time.Duration(dwell) * time.Second
	return json.Unmarshal([]byte(raises), &d.Raises)
}

// SaveDevice adds a device (ID 0) or replaces one; unitGrid is the unit
// grid its point lies in. A second device of the same source and code is
// ErrConflict.
func (s *Store) SaveDevice(ctx context.Context, d *alarm.Device, unitGrid string, now time.Time) error {
	raises, err := json.Marshal(d.Raises)
	if err != nil {
		return err
	}
	if d.Raises == nil {
		raises = []byte("[]")
	}
	args := []any{d.Source, d.Code, d.Name, string(d.Kind), d.Point.Lon, d.Point.Lat, unitGrid, d.Grid, d.Community, d.Street,
		d.Threshold, int64(d.Dwell / time.Second), d.Hours.From, d.Hours.To, string(raises), d.Active, now.UnixMilli()}
	return s.tx(ctx, func(tx *wtx) error {
		var taken int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM alarm_devices WHERE source = $1 AND code = $2`, d.Source, d.Code).Scan(&taken)
		if err == nil && taken != d.ID {
			return fmt.Errorf("device %s/%s: %w", d.Source, d.Code, ErrConflict)
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if d.ID == 0 {
			return tx.QueryRowContext(ctx, `INSERT INTO alarm_devices (source, code, name, kind, lon, lat, unit_grid, grid, community, street,
				threshold, dwell, hours_from, hours_to, raises, active, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`, args...).Scan(&d.ID)
		}
		res, err := tx.ExecContext(ctx, `UPDATE alarm_devices SET source = $1, code = $2, name = $3, kind = $4, lon = $5, lat = $6,
			unit_grid = $7, grid = $8, community = $9, street = $10, threshold = $11, dwell = $12, hours_from = $13, hours_to = $14,
			raises = $15, active = $16, updated_at = $17 WHERE id = $18`, append(args, d.ID)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("device %d: %w", d.ID, ErrNotFound)
		}
		return nil
	})
}

// Devices lists every registered device by source and code.
func (s *Store) Devices(ctx context.Context) ([]alarm.Device, error) {
	rows, err := rdb{s}.QueryContext(ctx, `SELECT `+deviceColumns+` FROM alarm_devices ORDER BY source, code`)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanDevice)
}

// Device finds a device by id.
func (s *Store) Device(ctx context.Context, id int64) (*alarm.Device, error) {
	var d alarm.Device
	err := scanDevice(rdb{s}.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM alarm_devices WHERE id = $1`, id), &d)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("device %d: %w", id, ErrNotFound)
	}
	return &d, err
}

// DeviceByCode finds a device by its source and code.
func (s *Store) DeviceByCode(ctx context.Context, source, code string) (*alarm.Device, error) {
	var d alarm.Device
	err := scanDevice(rdb{s}.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM alarm_devices WHERE source = $1 AND code = $2`, source, code), &d)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("device %s/%s: %w", source, code, ErrNotFound)
	}
	return &d, err
}

// AlarmSlotOf reads what is open for a device and category: the case
// counts while it is open, the suspected alarm while it waits.
func (s *Store) AlarmSlotOf(ctx context.Context, deviceID int64, category string) (AlarmSlot, error) {
	var sl AlarmSlot
	var state sql.NullString
	var status sql.NullString
	err := rdb{s}.QueryRowContext(ctx, `SELECT o.case_id, o.alarm_id, c.state, a.status FROM alarm_open o
		LEFT JOIN cases c ON c.id = o.case_id LEFT JOIN alarms a ON a.id = o.alarm_id
		WHERE o.device_id = $1 AND o.category_id = $2`, deviceID, category).Scan(&sl.CaseID, &sl.AlarmID, &state, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return sl, nil
	}
	if err != nil {
		return sl, err
	}
	sl.Exists = true
	if sl.CaseID != 0 && state.Valid && caseflow.State(state.String).Open() {
		sl.Open.Case, sl.CaseOpen = sl.CaseID, true
		sl.Open.Checking = caseflow.State(state.String) == caseflow.PendingCheck
	}
	if sl.AlarmID != 0 && status.String == string(alarm.StatusSuspected) {
		sl.Open.Review = sl.AlarmID
	}
	return sl, nil
}

// claimSlot sets the slot to (caseID, alarmID) if it is still as read.
func claimSlot(ctx context.Context, tx *wtx, deviceID int64, category string, read AlarmSlot, caseID, alarmID int64) error {
	if !read.Exists {
		res, err := tx.ExecContext(ctx, `INSERT INTO alarm_open (device_id, category_id, case_id, alarm_id) VALUES ($1, $2, $3, $4)
			ON CONFLICT (device_id, category_id) DO NOTHING`, deviceID, category, caseID, alarmID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("alarm slot %d/%s taken: %w", deviceID, category, ErrConflict)
		}
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE alarm_open SET case_id = $1, alarm_id = $2
		WHERE device_id = $3 AND category_id = $4 AND case_id = $5 AND alarm_id = $6`, caseID, alarmID, deviceID, category, read.CaseID, read.AlarmID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("alarm slot %d/%s changed: %w", deviceID, category, ErrConflict)
	}
	return nil
}

func boxText(b *alarm.Box) string {
	if b == nil {
		return ""
	}
	j, _ := json.Marshal(b)
	return string(j)
}

func nullPoint(p *alarm.Point) (any, any) {
	if p == nil {
		return nil, nil
	}
	return p.Lon, p.Lat
}

// RecordAlarm keeps a new alarm with the outcome it was given, in one
// transaction: a registered alarm with its case (c, ev), a registered or
// suspected one claiming its device and category's slot as read (slot).
// An alarm already kept by (source, device, event id) is a replay: it
// answers the kept alarm's id with replay true and writes nothing. A slot
// changed since it was read is ErrConflict: decide again.
func (s *Store) RecordAlarm(ctx context.Context, rec *AlarmRecord, slot AlarmSlot, c *caseflow.Case, ev *caseflow.Event, clock caseflow.Clock) (replay bool, err error) {
	a := &rec.Alarm
	snaps, _ := json.Marshal(rec.Snapshots)
	if rec.Snapshots == nil {
		snaps = []byte("[]")
	}
	lon, lat := nullPoint(a.Point)
	var forget = func() {}
	if c != nil {
		if forget, err = s.preNumber(ctx, c); err != nil {
			return false, err
		}
	}
	err = s.tx(ctx, func(tx *wtx) error {
		replay = false
		err := tx.QueryRowContext(ctx, `INSERT INTO alarms (device_id, source, device, event_id, event_type, model, confidence, phase,
			happened_at, received_at, lon, lat, category_id, status, reason, review_of, snapshots, box, plate)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
			ON CONFLICT (source, device, event_id) DO NOTHING RETURNING id`,
			nullID(rec.DeviceID), a.Source, a.Device, a.EventID, a.EventType, a.Model, a.Confidence, string(a.Phase),
			a.At.UnixMilli(), rec.ReceivedAt.UnixMilli(), lon, lat, rec.Category, string(rec.Status), rec.Reason,
			nullID(rec.ReviewOf), string(snaps), boxText(a.Box), a.Plate).Scan(&rec.ID)
		if errors.Is(err, sql.ErrNoRows) {
			replay = true
			return tx.QueryRowContext(ctx, `SELECT id FROM alarms WHERE source = $1 AND device = $2 AND event_id = $3`,
				a.Source, a.Device, a.EventID).Scan(&rec.ID)
		}
		if err != nil {
			return err
		}
		switch rec.Status {
		case alarm.StatusRegistered:
			if err := s.createCaseTx(ctx, tx, c, ev, clock); err != nil {
				return err
			}
			rec.CaseID = c.ID
			if err := claimSlot(ctx, tx, rec.DeviceID, rec.Category, slot, c.ID, 0); err != nil {
				return err
			}
		case alarm.StatusSuspected:
			if err := claimSlot(ctx, tx, rec.DeviceID, rec.Category, slot, 0, rec.ID); err != nil {
				return err
			}
		}
		if rec.CaseID != 0 {
			_, err = tx.ExecContext(ctx, `UPDATE alarms SET case_id = $1 WHERE id = $2`, rec.CaseID, rec.ID)
		}
		return err
	})
	if err != nil || replay {
		forget()
	}
	if err == nil && rec.Status == alarm.StatusRegistered && !replay {
		s.observed(string(caseflow.ActReport))
	}
	return replay, err
}

const alarmColumns = `a.id, COALESCE(a.device_id, 0), a.source, a.device, a.event_id, a.event_type, a.model, a.confidence, a.phase,
	a.happened_at, a.received_at, a.lon, a.lat, a.category_id, a.status, a.reason, COALESCE(a.case_id, 0), COALESCE(a.review_of, 0),
	a.snapshots, a.box, a.plate, COALESCE(a.reviewed_by, 0), a.reviewed_at`

func scanAlarm(sc scanner, r *AlarmRecord) error {
	var happened, received int64
	var lon, lat sql.NullFloat64
	var reviewed sql.NullInt64
	var snaps, box string
	a := &r.Alarm
	if err := sc.Scan(&r.ID, &r.DeviceID, &a.Source, &a.Device, &a.EventID, &a.EventType, &a.Model, &a.Confidence, &a.Phase,
		&happened, &received, &lon, &lat, &r.Category, &r.Status, &r.Reason, &r.CaseID, &r.ReviewOf,
		&snaps, &box, &a.Plate, &r.ReviewedBy, &reviewed); err != nil {
		return err
	}
	a.At, r.ReceivedAt, r.ReviewedAt = time.UnixMilli(happened).UTC(), time.UnixMilli(received).UTC(), fromMS(reviewed)
	if lon.Valid && lat.Valid {
		a.Point = &alarm.Point{Lon: lon.Float64, Lat: lat.Float64}
	}
	if box != "" {
		a.Box = &alarm.Box{}
		_ = json.Unmarshal([]byte(box), a.Box)
	}
	return json.Unmarshal([]byte(snaps), &r.Snapshots)
}

// AlarmByID finds a kept alarm.
func (s *Store) AlarmByID(ctx context.Context, id int64) (*AlarmRecord, error) {
	var r AlarmRecord
	err := scanAlarm(rdb{s}.QueryRowContext(ctx, `SELECT `+alarmColumns+` FROM alarms a WHERE a.id = $1`, id), &r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("alarm %d: %w", id, ErrNotFound)
	}
	return &r, err
}

// AlarmFilter selects kept alarms.
type AlarmFilter struct {
	Status   alarm.Status // empty: any
	DeviceID int64
	CaseID   int64 // the alarms that filed or count on a case (its check evidence among them)
	Before   int64 // an alarm id: older ones (the cursor)
	Limit    int
}

// Alarms lists kept alarms newest first, each suspected one with the
// repeats counted on it.
func (s *Store) Alarms(ctx context.Context, f AlarmFilter) ([]AlarmRecord, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Status != "" {
		add("a.status = $%d", string(f.Status))
	}
	if f.DeviceID != 0 {
		add("a.device_id = $%d", f.DeviceID)
	}
	if f.CaseID != 0 {
		add("a.case_id = $%d", f.CaseID)
	}
	if f.Before != 0 {
		add("a.id < $%d", f.Before)
	}
	q := `SELECT ` + alarmColumns + `, (SELECT count(*) FROM alarms r WHERE r.review_of = a.id) FROM alarms a`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY a.id DESC LIMIT $%d", len(args))
	rows, err := rdb{s}.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, func(sc scanner, r *AlarmRecord) error {
		return scanAlarm(rowWith{sc, &r.Repeats}, r)
	})
}

// rowWith scans one more column after a scan's own.
type rowWith struct {
	sc    scanner
	extra any
}

func (r rowWith) Scan(dest ...any) error { return r.sc.Scan(append(dest, r.extra)...) }

// SuspectedCount is how many alarms wait in the review queue.
func (s *Store) SuspectedCount(ctx context.Context) (int, error) {
	var n int
	err := rdb{s}.QueryRowContext(ctx, `SELECT count(*) FROM alarms WHERE status = $1`, string(alarm.StatusSuspected)).Scan(&n)
	return n, err
}

// AlarmReview is a reviewer's verdict to persist on a suspected alarm.
type AlarmReview struct {
	AlarmID  int64
	Status   alarm.Status // accepted, false or merged
	Reason   string       // a false alarm's reason
	CaseID   int64        // merged: the case it counts on
	Reviewer int64
	At       time.Time
}

// ReviewAlarm persists a verdict on a suspected alarm, in one
// transaction: the alarm's status (and, accepted, its new case c with ev;
// merged, the case it joins), and its device and category's slot now
// naming the case (or, false, nothing). An alarm no longer suspected is
// ErrConflict: someone decided first.
func (s *Store) ReviewAlarm(ctx context.Context, rv AlarmReview, c *caseflow.Case, ev *caseflow.Event, clock caseflow.Clock) error {
	forget := func() {}
	var err error
	if c != nil {
		if forget, err = s.preNumber(ctx, c); err != nil {
			return err
		}
	}
	err = s.tx(ctx, func(tx *wtx) error {
		var deviceID sql.NullInt64
		var category, status string
		if err := tx.QueryRowContext(ctx, `SELECT device_id, category_id, status FROM alarms WHERE id = $1`, rv.AlarmID).Scan(&deviceID, &category, &status); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("alarm %d: %w", rv.AlarmID, ErrNotFound)
			}
			return err
		}
		if status != string(alarm.StatusSuspected) {
			return fmt.Errorf("alarm %d is %s: %w", rv.AlarmID, status, ErrConflict)
		}
		if c != nil {
			if err := s.createCaseTx(ctx, tx, c, ev, clock); err != nil {
				return err
			}
			rv.CaseID = c.ID
		}
		reason := ""
		if rv.Status == alarm.StatusFalse {
			reason = rv.Reason
		}
		if _, err := tx.ExecContext(ctx, `UPDATE alarms SET status = $1, reason = CASE WHEN $2 = '' THEN reason ELSE $2 END, case_id = $3, reviewed_by = $4, reviewed_at = $5 WHERE id = $6`,
			string(rv.Status), reason, nullID(rv.CaseID), nullID(rv.Reviewer), rv.At.UnixMilli(), rv.AlarmID); err != nil {
			return err
		}
		// Its repeats count on the case now too.
		if rv.CaseID != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE alarms SET case_id = $1 WHERE review_of = $2`, rv.CaseID, rv.AlarmID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE alarm_open SET alarm_id = 0, case_id = CASE WHEN $1 = 0 THEN case_id ELSE $1 END
			WHERE device_id = $2 AND category_id = $3 AND alarm_id = $4`, rv.CaseID, deviceID.Int64, category, rv.AlarmID)
		return err
	})
	if err != nil {
		forget()
	}
	return err
}

// AlarmCount is one line of the alarm counts: a device or a model with
// its alarms by status.
type AlarmCount struct {
	Key      string
	ByStatus map[alarm.Status]int
}

// AlarmCounts counts kept alarms by status per device (by "device": the
// device id as text) or per model ("model").
func (s *Store) AlarmCounts(ctx context.Context, by string) ([]AlarmCount, error) {
	col := "CAST(COALESCE(device_id, 0) AS TEXT)"
	if by == "model" {
		col = "model"
	}
	rows, err := rdb{s}.QueryContext(ctx, `SELECT `+col+`, status, count(*) FROM alarms GROUP BY `+col+`, status ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AlarmCount
	for rows.Next() {
		var key, status string
		var n int
		if err := rows.Scan(&key, &status, &n); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Key != key {
			out = append(out, AlarmCount{Key: key, ByStatus: map[alarm.Status]int{}})
		}
		out[len(out)-1].ByStatus[alarm.Status(status)] = n
	}
	return out, rows.Err()
}

// TokenSecret reads the HMAC secret of a live API token ("" for none).
func (s *Store) TokenSecret(ctx context.Context, token string) (string, error) {
	var secret string
	err := rdb{s}.QueryRowContext(ctx, `SELECT hmac_secret FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`, HashToken(token)).Scan(&secret)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("token: %w", ErrNotFound)
	}
	return secret, err
}

// SetTokenSecret sets the secret an API token's pushes are signed with
// ("" for none).
func (s *Store) SetTokenSecret(ctx context.Context, id int64, secret string) error {
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET hmac_secret = $1 WHERE id = $2`, secret, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("token %d: %w", id, ErrNotFound)
		}
		return nil
	})
}
