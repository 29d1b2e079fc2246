package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/notify"
)

// Sends are the messages that leave through a channel (SMS, e-mail, a
// group robot), planned by notify from the inbox lines: the store reads
// the lines not yet planned and who they can reach, writes the sends it is
// given (once each, by key, whichever instance planned them) and keeps
// each send's outcome as its record.

// LinesToPlan returns up to limit inbox lines not yet planned into sends,
// oldest first.
func (s *Store) LinesToPlan(ctx context.Context, limit int) ([]notify.Line, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, case_id, unit_id, account_id, kind, params, level, ladder, at, audience FROM notifications
		WHERE NOT planned ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: lines to plan: %w", err)
	}
	defer rows.Close()
	var ls []notify.Line
	for rows.Next() {
		var l notify.Line
		var unit, acc sql.NullInt64
		var params sql.NullString
		var at int64
		if err := rows.Scan(&l.ID, &l.CaseID, &unit, &acc, &l.Kind, &params, &l.Level, &l.Ladder, &at, &l.To); err != nil {
			return nil, err
		}
		l.UnitID, l.AccountID, l.At = unit.Int64, acc.Int64, time.UnixMilli(at).UTC()
		if params.Valid && params.String != "" {
			if err := json.Unmarshal([]byte(params.String), &l.Params); err != nil {
				return nil, fmt.Errorf("store: line %d: %w", l.ID, err)
			}
		}
		ls = append(ls, l)
	}
	return ls, rows.Err()
}

const personCols = `id, phone, email, lang, channels`

func scanPeople(rows *sql.Rows) ([]notify.Person, error) {
	defer rows.Close()
	var ps []notify.Person
	for rows.Next() {
		var p notify.Person
		var chans string
		if err := rows.Scan(&p.AccountID, &p.Phone, &p.Email, &p.Lang, &chans); err != nil {
			return nil, err
		}
		if chans != "" {
			p.Channels = strings.Split(chans, ",")
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// ReachOf is who line l can reach: the active account it is addressed to,
// or its unit's active robots, liaisons and leaders (the district's
// leaders when the unit has none of its own).
func (s *Store) ReachOf(ctx context.Context, l notify.Line) (notify.Reach, error) {
	var r notify.Reach
	if l.To == notify.Requester {
		p := notify.Person{AccountID: l.AccountID, Lang: "zh-CN"}
		var ok bool
		err := s.r.QueryRowContext(ctx, `SELECT reporter_phone, reporter_email, reporter_updates FROM cases WHERE id = $1`, l.CaseID).Scan(&p.Phone, &p.Email, &ok)
		if err != nil {
			return r, fmt.Errorf("store: reach requester: %w", err)
		}
		if ok {
			if p.Phone != "" {
				p.Channels = append(p.Channels, notify.SendSMS)
			}
			if p.Email != "" {
				p.Channels = append(p.Channels, notify.SendMail)
			}
			r.Person = &p
		}
		return r, nil
	}
	if l.AccountID != 0 {
		rows, err := s.r.QueryContext(ctx, `SELECT `+personCols+` FROM accounts WHERE id = $1 AND active`, l.AccountID)
		if err != nil {
			return r, fmt.Errorf("store: reach: %w", err)
		}
		ps, err := scanPeople(rows)
		if len(ps) == 1 {
			r.Person = &ps[0]
		}
		return r, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, kind, lang FROM robots WHERE unit_id = $1 AND active ORDER BY id`, l.UnitID)
	if err != nil {
		return r, fmt.Errorf("store: reach robots: %w", err)
	}
	for rows.Next() {
		var b notify.Robot
		if err := rows.Scan(&b.ID, &b.Kind, &b.Lang); err != nil {
			rows.Close()
			return r, err
		}
		r.Robots = append(r.Robots, b)
	}
	rows.Close()
	if !l.Ladder {
		return r, rows.Err()
	}
	if rows, err = s.r.QueryContext(ctx, `SELECT `+personCols+` FROM accounts WHERE unit_id = $1 AND liaison AND active ORDER BY id`, l.UnitID); err != nil {
		return r, fmt.Errorf("store: reach liaisons: %w", err)
	}
	if r.Liaisons, err = scanPeople(rows); err != nil {
		return r, err
	}
	if rows, err = s.r.QueryContext(ctx, `SELECT `+personCols+` FROM accounts WHERE role = 'leader' AND active AND (unit_id = $1 OR NOT EXISTS (
		SELECT 1 FROM accounts WHERE role = 'leader' AND active AND unit_id = $2)) ORDER BY id`, l.UnitID, l.UnitID); err != nil {
		return r, fmt.Errorf("store: reach leaders: %w", err)
	}
	r.Leaders, err = scanPeople(rows)
	return r, err
}

// Reachable reports whether anyone can be reached outside the inbox at
// all (an active robot, or an account with a chosen channel or marked
// liaison); when nobody can, planning just moves its cursor.
func (s *Store) Reachable(ctx context.Context) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM (SELECT 1 FROM robots WHERE active LIMIT 1) r) +
		(SELECT count(*) FROM (SELECT 1 FROM accounts WHERE active AND (channels <> '' OR liaison) LIMIT 1) a) +
		(SELECT count(*) FROM (SELECT 1 FROM notifications WHERE NOT planned AND audience = 'requester' LIMIT 1) q)`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: reachable: %w", err)
	}
	return n > 0, nil
}

// SkipLines takes every unplanned line as planned (nobody can be reached).
func (s *Store) SkipLines(ctx context.Context) error {
	return s.tx(ctx, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET planned = TRUE WHERE NOT planned`); err != nil {
			return fmt.Errorf("store: skip lines: %w", err)
		}
		return nil
	})
}

// AddSends writes the sends planned from lines, each once by its key
// (another instance may have planned the same lines), and marks the lines
// planned.
func (s *Store) AddSends(ctx context.Context, sends []notify.Send, lines []int64, now time.Time) error {
	return s.tx(ctx, func(tx *wtx) error {
		for _, d := range sends {
			p, err := json.Marshal(d.Params)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO sends (send_key, notification_id, case_id, unit_id, account_id, robot_id, channel, address,
				lang, kind, params, level, step, since, not_before, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
				ON CONFLICT (send_key) DO NOTHING`, d.Key, d.LineID, nullID(d.CaseID), nullID(d.UnitID), nullID(d.AccountID), nullID(d.RobotID),
				d.Channel, d.Address, d.Lang, d.Kind, string(p), string(d.Level), d.Step, d.Since.UnixMilli(), d.NotBefore.UnixMilli(), now.UnixMilli()); err != nil {
				return fmt.Errorf("store: add send: %w", err)
			}
		}
		for len(lines) > 0 {
			n := min(len(lines), 500)
			ps := make([]string, n)
			args := make([]any, n)
			for i, id := range lines[:n] {
				ps[i], args[i] = fmt.Sprintf("$%d", i+1), id
			}
			if _, err := tx.ExecContext(ctx, `UPDATE notifications SET planned = TRUE WHERE id IN (`+strings.Join(ps, ", ")+`)`, args...); err != nil {
				return fmt.Errorf("store: lines planned: %w", err)
			}
			lines = lines[n:]
		}
		return nil
	})
}

// SendRecord is a send with its outcome.
type SendRecord struct {
	ID         int64         `json:"id"`
	CaseID     int64         `json:"case_id,omitempty"`
	LineID     int64         `json:"line_id,omitempty"`
	UnitID     int64         `json:"unit_id,omitempty"`
	AccountID  int64         `json:"account_id,omitempty"`
	RobotID    int64         `json:"robot_id,omitempty"`
	Channel    string        `json:"channel"`
	Address    string        `json:"-"` // a phone or an e-mail: never in an answer
	Lang       string        `json:"lang"`
	Kind       string        `json:"kind"`
	Params     notify.Params `json:"params,omitempty"`
	Level      string        `json:"level"`
	Step       int           `json:"step"`
	Since      time.Time     `json:"since"`
	NotBefore  time.Time     `json:"not_before"`
	State      string        `json:"state"` // queued, sent, failed, skipped
	Attempts   int           `json:"attempts"`
	LastError  string        `json:"last_error,omitempty"`
	ProviderID string        `json:"provider_id,omitempty"`
	CreatedAt  time.Time     `json:"created_at"`
	SentAt     time.Time     `json:"sent_at,omitzero"`
}

const sendCols = `id, case_id, notification_id, unit_id, account_id, robot_id, channel, address, lang, kind, params, level, step, since,
	not_before, state, attempts, last_error, provider_id, created_at, sent_at`

func scanSend(row scanner, d *SendRecord) error {
	var caseID, line, unit, acc, robot, sent sql.NullInt64
	var params sql.NullString
	var since, nb, created int64
	if err := row.Scan(&d.ID, &caseID, &line, &unit, &acc, &robot, &d.Channel, &d.Address, &d.Lang, &d.Kind, &params, &d.Level, &d.Step,
		&since, &nb, &d.State, &d.Attempts, &d.LastError, &d.ProviderID, &created, &sent); err != nil {
		return err
	}
	d.CaseID, d.LineID, d.UnitID, d.AccountID, d.RobotID = caseID.Int64, line.Int64, unit.Int64, acc.Int64, robot.Int64
	d.Since, d.NotBefore, d.CreatedAt, d.SentAt = time.UnixMilli(since).UTC(), time.UnixMilli(nb).UTC(), time.UnixMilli(created).UTC(), fromMS(sent)
	if params.Valid && params.String != "" {
		return json.Unmarshal([]byte(params.String), &d.Params)
	}
	return nil
}

func querySends(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]SendRecord, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: sends: %w", err)
	}
	return scanAll(rows, scanSend)
}

// ClaimSends claims up to limit queued sends due at now for hold: another
// instance skips them until the claim runs out (a send interrupted by a
// crash is tried again then).
func (s *Store) ClaimSends(ctx context.Context, now time.Time, hold time.Duration, limit int) ([]SendRecord, error) {
	var out []SendRecord
	err := s.tx(ctx, func(tx *wtx) error {
		var err error
		out, err = querySends(ctx, tx, `UPDATE sends SET claimed_until = $1, attempts = attempts + 1 WHERE id IN (
			SELECT id FROM sends WHERE state = 'queued' AND not_before <= $2 AND (claimed_until IS NULL OR claimed_until < $3)
			ORDER BY not_before LIMIT $4`+s.skipLocked()+`) RETURNING `+sendCols,
			now.Add(hold).UnixMilli(), now.UnixMilli(), now.UnixMilli(), limit)
		return err
	})
	return out, err
}

// Acted reports whether someone acted on the line of a send since it was
// written: the line was read, or the unit (or the person) did something on
// the case. The ladder stops there.
func (s *Store) Acted(ctx context.Context, d SendRecord) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE id = $1 AND read_at IS NOT NULL`, d.LineID).Scan(&n)
	if err == nil && n == 0 && d.CaseID != 0 {
		err = s.r.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE case_id = $1 AND at > $2 AND actor_role <> 'system'
			AND (actor_unit_id = $3 OR actor_id = $4)`, d.CaseID, d.Since.UnixMilli(), d.UnitID, d.AccountID).Scan(&n)
	}
	if err != nil {
		return false, fmt.Errorf("store: acted: %w", err)
	}
	return n > 0, nil
}

// SendOutcome is how one attempt ended.
type SendOutcome struct {
	State      string    // sent, failed, skipped, or queued to try again at NotBefore
	NotBefore  time.Time // queued: when to try again
	Requeue    bool      // queued again without counting the attempt (throttled)
	Error      string    // never a secret: the channels' errors carry none
	ProviderID string
	At         time.Time
}

// FinishSend records the outcome of a claimed send.
func (s *Store) FinishSend(ctx context.Context, id int64, o SendOutcome) error {
	return s.FinishSends(ctx, []int64{id}, []SendOutcome{o})
}

// FinishSends records the outcomes of claimed sends in one transaction.
func (s *Store) FinishSends(ctx context.Context, ids []int64, os []SendOutcome) error {
	return s.tx(ctx, func(tx *wtx) error {
		for i, id := range ids {
			if err := finishSend(ctx, tx, id, os[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func finishSend(ctx context.Context, tx *wtx, id int64, o SendOutcome) error {
	{
		var err error
		switch o.State {
		case "sent":
			_, err = tx.ExecContext(ctx, `UPDATE sends SET state = 'sent', provider_id = $1, sent_at = $2, claimed_until = NULL, last_error = '' WHERE id = $3`,
				o.ProviderID, o.At.UnixMilli(), id)
		case "queued":
			back := 0
			if o.Requeue {
				back = 1
			}
			_, err = tx.ExecContext(ctx, `UPDATE sends SET not_before = $1, last_error = $2, claimed_until = NULL, attempts = attempts - $3 WHERE id = $4`,
				o.NotBefore.UnixMilli(), o.Error, back, id)
		case "failed", "skipped":
			_, err = tx.ExecContext(ctx, `UPDATE sends SET state = $1, last_error = $2, claimed_until = NULL WHERE id = $3`, o.State, o.Error, id)
		default:
			err = fmt.Errorf("unknown send state %q", o.State)
		}
		if err != nil {
			return fmt.Errorf("store: finish send %d: %w", id, err)
		}
		return nil
	}
}

// CaseSends is the record of every send about a case, newest first.
func (s *Store) CaseSends(ctx context.Context, caseID int64) ([]SendRecord, error) {
	return querySends(ctx, s.r, `SELECT `+sendCols+` FROM sends WHERE case_id = $1 ORDER BY id DESC LIMIT 500`, caseID)
}

// RecentSends is the newest sends (limit), in a state when one is given.
func (s *Store) RecentSends(ctx context.Context, state string, limit int) ([]SendRecord, error) {
	if state == "" {
		return querySends(ctx, s.r, `SELECT `+sendCols+` FROM sends ORDER BY id DESC LIMIT $1`, limit)
	}
	return querySends(ctx, s.r, `SELECT `+sendCols+` FROM sends WHERE state = $1 ORDER BY id DESC LIMIT $2`, state, limit)
}

// RobotConfig is a unit's group robot with its secrets, for the sender
// only; RobotInfo is what may be shown.
type RobotConfig struct {
	RobotInfo
	Token  string
	Secret string
}

// RobotInfo is a robot as the admin page shows it: whether its secrets
// are set, never what they are.
type RobotInfo struct {
	ID        int64     `json:"id"`
	UnitID    int64     `json:"unit_id"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	Lang      string    `json:"lang"`
	Active    bool      `json:"active"`
	TokenSet  bool      `json:"token_set"`
	SecretSet bool      `json:"secret_set"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ErrNoRobot is a robot that is not there.
var ErrNoRobot = errors.New("store: no such robot")

// Robots lists the robots with their secrets (for the sender and, cut to
// RobotInfo, the admin page).
func (s *Store) Robots(ctx context.Context) ([]RobotConfig, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, unit_id, kind, name, lang, active, token, secret, updated_at FROM robots ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: robots: %w", err)
	}
	defer rows.Close()
	var out []RobotConfig
	for rows.Next() {
		var b RobotConfig
		var at int64
		if err := rows.Scan(&b.ID, &b.UnitID, &b.Kind, &b.Name, &b.Lang, &b.Active, &b.Token, &b.Secret, &at); err != nil {
			return nil, err
		}
		b.TokenSet, b.SecretSet, b.UpdatedAt = b.Token != "", b.Secret != "", time.UnixMilli(at).UTC()
		out = append(out, b)
	}
	return out, rows.Err()
}

// SaveRobot adds a robot (ID 0) or changes one; an empty token or secret
// keeps the one stored (secrets are written, never read back).
func (s *Store) SaveRobot(ctx context.Context, b *RobotConfig, now time.Time) error {
	return s.tx(ctx, func(tx *wtx) error {
		if b.ID == 0 {
			return tx.QueryRowContext(ctx, `INSERT INTO robots (unit_id, kind, name, lang, active, token, secret, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, b.UnitID, b.Kind, b.Name, b.Lang, b.Active, b.Token, b.Secret, now.UnixMilli()).Scan(&b.ID)
		}
		res, err := tx.ExecContext(ctx, `UPDATE robots SET unit_id = $1, kind = $2, name = $3, lang = $4, active = $5,
			token = CASE WHEN $6 = '' THEN token ELSE $7 END, secret = CASE WHEN $8 = '' THEN secret ELSE $9 END, updated_at = $10 WHERE id = $11`,
			b.UnitID, b.Kind, b.Name, b.Lang, b.Active, b.Token, b.Token, b.Secret, b.Secret, now.UnixMilli(), b.ID)
		if err != nil {
			return fmt.Errorf("store: save robot: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoRobot
		}
		return nil
	})
}

// DeleteRobot removes a robot; sends already planned to it fail.
func (s *Store) DeleteRobot(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM robots WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("store: delete robot: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoRobot
		}
		return nil
	})
}

// Contacts are how an account is reached besides the inbox.
type Contacts struct {
	Phone    string   `json:"phone"`
	Email    string   `json:"email"`
	Lang     string   `json:"lang"`
	Channels []string `json:"channels"`
	Liaison  bool     `json:"liaison"`
}

// AccountContacts reads an account's contacts.
func (s *Store) AccountContacts(ctx context.Context, id int64) (Contacts, error) {
	var c Contacts
	var chans string
	err := s.r.QueryRowContext(ctx, `SELECT phone, email, lang, channels, liaison FROM accounts WHERE id = $1`, id).Scan(&c.Phone, &c.Email, &c.Lang, &chans, &c.Liaison)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("store: contacts: %w", err)
	}
	c.Channels = []string{}
	if chans != "" {
		c.Channels = strings.Split(chans, ",")
	}
	return c, nil
}

// SetAccountContacts writes an account's contacts.
func (s *Store) SetAccountContacts(ctx context.Context, id int64, c Contacts) error {
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET phone = $1, email = $2, lang = $3, channels = $4, liaison = $5 WHERE id = $6`,
			c.Phone, c.Email, c.Lang, strings.Join(c.Channels, ","), c.Liaison, id)
		if err != nil {
			return fmt.Errorf("store: set contacts: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// SendCounts counts sends by state (the admin page's summary).
func (s *Store) SendCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT state, count(*) FROM sends GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: send counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{"queued": 0, "sent": 0, "failed": 0, "skipped": 0}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}
