package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/notify"
)

// The inbox (notifications) and the outbox (messages for webhooks) are
// written in the transaction of the change they announce.

// Notification is one line of an inbox.
type Notification struct {
	ID         int64  `json:"id"`
	UnitID     int64  `json:"unit_id,omitempty"`
	AccountID  int64  `json:"account_id,omitempty"`
	CaseID     int64  `json:"case_id"`
	CaseNumber string `json:"case_number"`
	Kind       string `json:"kind"`
	Title      string `json:"title,omitempty"` // lines written before messages were kinds with parameters
	// Params are the message's parameters; Text is it worded for the reader
	// (the web layer renders it).
	Params notify.Params `json:"params,omitempty"`
	Level  string        `json:"level,omitempty"`
	Text   string        `json:"text"`
	Due    time.Time     `json:"due,omitzero"`
	At     time.Time     `json:"at"`
	ReadAt time.Time     `json:"read_at,omitzero"`
}

const insertNoteHead = `INSERT INTO notifications (unit_id, account_id, case_id, kind, title, params, level, due, at, ladder, planned, audience) `

// writeNotices writes the inbox lines of notices (as the rules decided
// them) for c, at: each audience resolved to its unit or its accounts.
func (s *Store) writeNotices(ctx context.Context, tx *wtx, c *caseflow.Case, ns []notify.Notice, at time.Time) error {
	for _, n := range ns {
		p, err := json.Marshal(n.Params)
		if err != nil {
			return err
		}
		args := []any{c.ID, n.Kind, string(p), string(n.Level), ms(n.Due), at.UnixMilli(), n.Ladder, string(n.To)}
		switch {
		case n.To == notify.Centre || (n.To == notify.Unit && n.UnitID == 0):
			_, err = tx.ExecContext(ctx, insertNoteHead+`SELECT min(id), NULL, $1, $2, '', $3, $4, $5, $6, $7, FALSE, $8 FROM units WHERE kind = 'centre' HAVING min(id) IS NOT NULL`, args...)
		case n.To == notify.Unit:
			_, err = tx.ExecContext(ctx, insertNoteHead+`VALUES ($9, NULL, $1, $2, '', $3, $4, $5, $6, $7, FALSE, $8)`, append(args, n.UnitID)...)
		case n.To == notify.GridWorkers:
			_, err = tx.ExecContext(ctx, insertNoteHead+`SELECT NULL, a.id, $1, $2, '', $3, $4, $5, $6, $7, FALSE, $8 FROM account_grids g
				JOIN accounts a ON a.id = g.account_id WHERE g.grid = $9 AND a.active`, append(args, c.Place.Grid)...)
		case n.To == notify.Leaders:
			// The unit's own leaders, or the district's when it has none.
			_, err = tx.ExecContext(ctx, insertNoteHead+`SELECT NULL, id, $1, $2, '', $3, $4, $5, $6, $7, FALSE, $8 FROM accounts
				WHERE role = 'leader' AND active AND (unit_id = $9 OR NOT EXISTS (
					SELECT 1 FROM accounts WHERE role = 'leader' AND active AND unit_id = $10))`, append(args, n.UnitID, n.UnitID)...)
		case n.To == notify.Requester:
			// A resident's own account sees it in its inbox; the line is
			// sent to the phone or e-mail on the case either way.
			_, err = tx.ExecContext(ctx, insertNoteHead+`VALUES (NULL, $9, $1, $2, '', $3, $4, $5, $6, $7, FALSE, $8)`, append(args, nullID(c.Reporter.AccountID))...)
		default:
			err = fmt.Errorf("unknown audience %q", n.To)
		}
		if err != nil {
			return fmt.Errorf("store: notify %s: %w", n.Kind, err)
		}
	}
	return nil
}

// Message is what the outbox holds and webhooks receive. It carries no
// personal data: no reporter, no names, no phone numbers.
type Message struct {
	Topic    string       `json:"topic"`
	At       time.Time    `json:"at"`
	Case     MessageCase  `json:"case"`
	Event    *MessageEv   `json:"event,omitempty"`
	Deadline *MessageDue  `json:"deadline,omitempty"`
	Extra    *MessageNote `json:"note,omitempty"`
}

// MessageCase names the case a message is about.
type MessageCase struct {
	Number    string     `json:"number"`
	State     string     `json:"state"`
	Category  string     `json:"category"`
	Urgency   string     `json:"urgency"`
	Street    string     `json:"street"`
	Community string     `json:"community"`
	Grid      string     `json:"grid"`
	Lon       float64    `json:"lon"`
	Lat       float64    `json:"lat"`
	Deadline  *time.Time `json:"deadline,omitempty"`
}

// MessageEv is the case event a message announces.
type MessageEv struct {
	Seq    int        `json:"seq"`
	Action string     `json:"action"`
	From   string     `json:"from,omitempty"`
	To     string     `json:"to"`
	Role   string     `json:"role"`
	UnitID int64      `json:"unit_id,omitempty"`
	Reason string     `json:"reason,omitempty"`
	Due    *time.Time `json:"deadline,omitempty"`
}

// MessageDue is the deadline a warning or overdue notice is about.
type MessageDue struct {
	Step   string    `json:"step"`
	UnitID int64     `json:"unit_id,omitempty"`
	Due    time.Time `json:"due"`
}

// MessageNote is free text for notices.
type MessageNote struct {
	Text string `json:"text"`
}

func local(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	l := t.In(calendar.Shanghai)
	return &l
}

func messageCase(c *caseflow.Case) MessageCase {
	return MessageCase{Number: c.Number, State: string(c.State), Category: c.CategoryID, Urgency: string(c.Urgency),
		Street: c.Place.Street, Community: c.Place.Community, Grid: c.Place.Grid, Lon: c.Point.Lon, Lat: c.Point.Lat,
		Deadline: local(c.Deadline)}
}

const insertOutboxSQL = `INSERT INTO outbox (topic, case_id, payload, created_at) VALUES ($1, $2, $3, $4)`

func (s *Store) outbox(ctx context.Context, tx *wtx, c *caseflow.Case, m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, insertOutboxSQL, m.Topic, c.ID, string(b), m.At.UnixMilli()); err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	return nil
}

// outboxEvent announces a case event as topic "case.<action>".
func (s *Store) outboxEvent(ctx context.Context, tx *wtx, c *caseflow.Case, ev *caseflow.Event) error {
	m := Message{Topic: "case." + string(ev.Action), At: *local(ev.At), Case: messageCase(c),
		Event: &MessageEv{Seq: ev.Seq, Action: string(ev.Action), From: string(ev.FromState), To: string(ev.ToState),
			Role: string(ev.Actor.Role), UnitID: ev.Data.UnitID, Reason: ev.Reason}}
	if ev.Data.Deadline != nil {
		m.Event.Due = local(*ev.Data.Deadline)
	}
	return s.outbox(ctx, tx, c, m)
}

// outboxNotice announces a watcher notice that is not a case event.
func (s *Store) outboxNotice(ctx context.Context, tx *wtx, c *caseflow.Case, topic string, w Watch, at time.Time) error {
	return s.outbox(ctx, tx, c, Message{Topic: topic, At: *local(at), Case: messageCase(c),
		Deadline: &MessageDue{Step: string(w.Step), UnitID: w.UnitID, Due: *local(w.Deadline)}})
}

// Recipient is whose inbox to read: an account, its unit, its role and
// (for a grid worker) its grids.
type Recipient struct {
	AccountID int64
	UnitID    int64
	Role      caseflow.Role
	Centre    bool // the unit is the command centre: case-level deadlines are its
	// Scope is the cases whose lines the reader may see, as the domain
	// decided it (access.ScopeOf); the zero scope shows none.
	Scope CaseScope
}

// CaseScope is a set of cases the domain hands the store as a filter: a
// case is in it when All is set, or its grid is one of Grids, its street
// is Street, it has a task of TaskUnit, or the account Reporter filed it
// (the fields of access.Scope, which defines them).
type CaseScope struct {
	All      bool
	Grids    []string
	Street   string
	TaskUnit int64
	Reporter int64
}

// sql is the scope as a condition on cases aliased c, its values appended
// to args.
func (sc CaseScope) sql(args *[]any) string {
	if sc.All {
		return "1 = 1"
	}
	var or []string
	add := func(cond string, v any) {
		*args = append(*args, v)
		or = append(or, fmt.Sprintf(cond, len(*args)))
	}
	if sc.Street != "" {
		add("c.street = $%d", sc.Street)
	}
	if len(sc.Grids) > 0 {
		ps := make([]string, len(sc.Grids))
		for i, g := range sc.Grids {
			*args = append(*args, g)
			ps[i] = fmt.Sprintf("$%d", len(*args))
		}
		or = append(or, "c.grid IN ("+strings.Join(ps, ", ")+")")
	}
	if sc.Reporter != 0 {
		add("c.reporter_account_id = $%d", sc.Reporter)
	}
	if sc.TaskUnit != 0 {
		add("EXISTS (SELECT 1 FROM tasks t WHERE t.case_id = c.id AND t.unit_id = $%d)", sc.TaskUnit)
	}
	if len(or) == 0 {
		return "1 = 0"
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// DueItem is a deadline in an inbox.
type DueItem struct {
	CaseID     int64         `json:"case_id"`
	CaseNumber string        `json:"case_number"`
	Step       caseflow.Step `json:"step"`
	UnitID     int64         `json:"unit_id,omitempty"`
	Deadline   time.Time     `json:"deadline"`
	Overdue    bool          `json:"overdue"`
}

// Inbox is what is new for someone, what is due soon and what is overdue.
type Inbox struct {
	Unread  int            `json:"unread"`
	New     []Notification `json:"new"`
	Due     []DueItem      `json:"due"`
	Overdue []DueItem      `json:"overdue"`
}

// lines is the condition on notifications n (joined to their cases c)
// that picks r's lines: addressed to the reader or their unit, about cases
// in their scope. The unread count and the lines are the same set. Its
// first two arguments are r's account and unit.
func (r Recipient) lines(args *[]any) string {
	*args = append(*args, r.AccountID, r.UnitID)
	return `(n.account_id = $1 OR n.unit_id = $2) AND ` + r.Scope.sql(args)
}

// Unread counts r's unread lines (the bell). Each half of the OR is read
// from its own partial index of unread lines (notifications_*_unread), so
// the cost follows the unread lines, not every line kept for 180 days.
func (s *Store) Unread(ctx context.Context, r Recipient) (int, error) {
	var args []any
	mine := r.lines(&args)
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM notifications n JOIN cases c ON c.id = n.case_id WHERE `+mine+` AND n.read_at IS NULL`,
		args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: unread: %w", err)
	}
	return n, nil
}

// Inbox reads r's inbox at now: the latest notifications (limit), the
// deadlines already warned about and those passed.
func (s *Store) Inbox(ctx context.Context, r Recipient, now time.Time, limit int) (Inbox, error) {
	in := Inbox{New: []Notification{}, Due: []DueItem{}, Overdue: []DueItem{}}
	var err error
	if in.Unread, err = s.Unread(ctx, r); err != nil {
		return in, err
	}
	var args []any
	mine := r.lines(&args)
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, fmt.Sprintf(`SELECT n.id, n.unit_id, n.account_id, n.case_id, c.number, n.kind, n.title, n.params, n.level, n.due, n.at, n.read_at
		FROM notifications n JOIN cases c ON c.id = n.case_id WHERE %s ORDER BY n.id DESC LIMIT $%d`, mine, len(args)), args...)
	if err != nil {
		return in, fmt.Errorf("store: inbox: %w", err)
	}
	for rows.Next() {
		var n Notification
		var unit, acc, due, read sql.NullInt64
		var at int64
		var params sql.NullString
		if err := rows.Scan(&n.ID, &unit, &acc, &n.CaseID, &n.CaseNumber, &n.Kind, &n.Title, &params, &n.Level, &due, &at, &read); err != nil {
			rows.Close()
			return in, err
		}
		if params.Valid && params.String != "" {
			if err := json.Unmarshal([]byte(params.String), &n.Params); err != nil {
				rows.Close()
				return in, fmt.Errorf("store: inbox line %d: %w", n.ID, err)
			}
		}
		n.UnitID, n.AccountID, n.Due, n.ReadAt, n.At = unit.Int64, acc.Int64, fromMS(due), fromMS(read), time.UnixMilli(at).UTC()
		in.New = append(in.New, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return in, err
	}
	// Deadlines: a department's tasks, the centre's case-level steps, a
	// grid worker's checks.
	var where string
	args = nil
	switch {
	case r.Role == caseflow.GridWorker:
		where = `w.step = 'check' AND c.grid IN (SELECT grid FROM account_grids WHERE account_id = $1)`
		args = []any{r.AccountID}
	case r.Centre:
		where = `(w.unit_id IS NULL AND w.step <> 'check')`
	case r.Role == caseflow.Leader: // and the arbitrations, the leaders' own step
		where = `(w.unit_id = $1 OR (w.unit_id IS NULL AND w.step = 'arbitrate'))`
		args = []any{r.UnitID}
	default:
		where = `w.unit_id = $1`
		args = []any{r.UnitID}
	}
	where += ` AND ` + r.Scope.sql(&args)
	args = append(args, now.UnixMilli(), limit)
	q := fmt.Sprintf(`SELECT w.case_id, c.number, w.step, w.unit_id, w.deadline, w.stage FROM watches w JOIN cases c ON c.id = w.case_id
		WHERE %s AND (w.stage >= 1 OR w.deadline <= $%d) ORDER BY w.deadline LIMIT $%d`, where, len(args)-1, len(args))
	rows, err = s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return in, fmt.Errorf("store: inbox deadlines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d DueItem
		var unit sql.NullInt64
		var due int64
		var stage int
		if err := rows.Scan(&d.CaseID, &d.CaseNumber, &d.Step, &unit, &due, &stage); err != nil {
			return in, err
		}
		d.UnitID, d.Deadline = unit.Int64, time.UnixMilli(due).UTC()
		d.Overdue = !d.Deadline.After(now)
		if d.Overdue {
			in.Overdue = append(in.Overdue, d)
		} else {
			in.Due = append(in.Due, d)
		}
	}
	return in, rows.Err()
}

// markAllBatch bounds the lines one "mark all read" marks.
const markAllBatch = 5000

// MarkRead marks notifications of r read; ids not in r's inbox (not
// addressed to r or their unit, or about a case outside r's scope) are
// ignored. With no ids it marks the unread lines of r's inbox, the newest
// markAllBatch of them.
func (s *Store) MarkRead(ctx context.Context, r Recipient, ids []int64, at time.Time) (int, error) {
	args := []any{at.UnixMilli(), r.AccountID, r.UnitID}
	mine := `read_at IS NULL AND (account_id = $2 OR unit_id = $3)
		AND EXISTS (SELECT 1 FROM cases c WHERE c.id = notifications.case_id AND ` + r.Scope.sql(&args) + `)`
	if len(ids) > 0 {
		mine += ` AND id IN (` + placeholders(len(args)+1, len(ids)) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	q := `UPDATE notifications SET read_at = $1 WHERE ` + mine
	if len(ids) == 0 { // all: the newest markAllBatch lines at a time, so one request stays bounded
		q = fmt.Sprintf(`UPDATE notifications SET read_at = $1 WHERE id IN (SELECT id FROM notifications WHERE %s ORDER BY id DESC LIMIT %d)`,
			mine, markAllBatch)
	}
	var total int64
	err := s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		total, err = res.RowsAffected()
		return err
	})
	return int(total), err
}
