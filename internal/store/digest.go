package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/notify"
)

// DigestUnits is every unit with its digest figures at now (deadlines
// running today and passed, supervision orders waiting, cases closed in
// [closedFrom, closedTo)), its active robots and its leaders who chose a
// channel. Each figure is one grouped query over all units.
func (s *Store) DigestUnits(ctx context.Context, now, dayEnd, closedFrom, closedTo time.Time) ([]notify.DigestUnit, error) {
	units, err := s.Units(ctx)
	if err != nil {
		return nil, err
	}
	at := map[int64]int{}
	out := make([]notify.DigestUnit, len(units))
	for i, u := range units {
		out[i] = notify.DigestUnit{UnitID: u.ID, Name: u.Name, Centre: u.Kind == "centre"}
		at[u.ID] = i
	}
	each := func(q string, args []any, f func(rows *sql.Rows, d *notify.DigestUnit) error) error {
		rows, err := s.r.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("store: digest: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var d notify.DigestUnit
			if err := f(rows, &d); err != nil {
				return err
			}
			id = d.UnitID
			if i, ok := at[id]; ok {
				o := &out[i]
				o.Counts = o.Counts.Add(d.Counts)
				o.Robots = append(o.Robots, d.Robots...)
				o.Leaders = append(o.Leaders, d.Leaders...)
			}
		}
		return rows.Err()
	}
	if err := each(`SELECT unit_id,
			SUM(CASE WHEN watch_key NOT LIKE 'sup:%' AND deadline >= $1 AND deadline < $2 THEN 1 ELSE 0 END),
			SUM(CASE WHEN watch_key NOT LIKE 'sup:%' AND deadline < $3 THEN 1 ELSE 0 END),
			SUM(CASE WHEN watch_key LIKE 'sup:%' THEN 1 ELSE 0 END)
			FROM watches WHERE unit_id IS NOT NULL GROUP BY unit_id`, []any{now.UnixMilli(), dayEnd.UnixMilli(), now.UnixMilli()},
		func(rows *sql.Rows, d *notify.DigestUnit) error {
			return rows.Scan(&d.UnitID, &d.Counts.DueToday, &d.Counts.Overdue, &d.Counts.Supervision)
		}); err != nil {
		return nil, err
	}
	if err := each(`SELECT t.unit_id, count(DISTINCT c.id) FROM cases c JOIN tasks t ON t.case_id = c.id
			WHERE c.state = 'closed' AND c.closed_at >= $1 AND c.closed_at < $2 AND t.state <> 'returned' GROUP BY t.unit_id`,
		[]any{closedFrom.UnixMilli(), closedTo.UnixMilli()},
		func(rows *sql.Rows, d *notify.DigestUnit) error { return rows.Scan(&d.UnitID, &d.Counts.Closed) }); err != nil {
		return nil, err
	}
	if err := each(`SELECT unit_id, id, kind, lang FROM robots WHERE active`, nil, func(rows *sql.Rows, d *notify.DigestUnit) error {
		var b notify.Robot
		err := rows.Scan(&d.UnitID, &b.ID, &b.Kind, &b.Lang)
		d.Robots = []notify.Robot{b}
		return err
	}); err != nil {
		return nil, err
	}
	if err := each(`SELECT unit_id, id, phone, email, lang, channels FROM accounts WHERE role = 'leader' AND active AND channels <> ''`, nil,
		func(rows *sql.Rows, d *notify.DigestUnit) error {
			var p notify.Person
			var chans string
			err := rows.Scan(&d.UnitID, &p.AccountID, &p.Phone, &p.Email, &p.Lang, &chans)
			p.Channels = strings.Split(chans, ",")
			d.Leaders = []notify.Person{p}
			return err
		}); err != nil {
		return nil, err
	}
	return out, nil
}

// DigestWeek is the district's week [from, to): cases reported, cases
// closed, and deadlines passed and still running at now.
func (s *Store) DigestWeek(ctx context.Context, from, to, now time.Time) (notify.Week, error) {
	w := notify.Week{From: from, To: to}
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM cases WHERE reported_at >= $1 AND reported_at < $2),
		(SELECT count(*) FROM cases WHERE state = 'closed' AND closed_at >= $3 AND closed_at < $4),
		(SELECT count(*) FROM watches WHERE watch_key NOT LIKE 'sup:%' AND deadline < $5)`,
		from.UnixMilli(), to.UnixMilli(), from.UnixMilli(), to.UnixMilli(), now.UnixMilli()).Scan(&w.Reported, &w.Closed, &w.Overdue)
	if err != nil {
		return w, fmt.Errorf("store: digest week: %w", err)
	}
	return w, nil
}

// Marked reports whether the once-only work name was done (a digest day).
func (s *Store) Marked(ctx context.Context, name string) (bool, error) {
	var holder string
	err := s.r.QueryRowContext(ctx, `SELECT holder FROM leases WHERE name = $1`, "done:"+name).Scan(&holder)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Mark records that the once-only work name was done, kept until.
func (s *Store) Mark(ctx context.Context, name string, until time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, 'done', $2) ON CONFLICT (name) DO NOTHING`,
		"done:"+name, until.UnixMilli())
	return err
}
