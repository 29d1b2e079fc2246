package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/alert"
)

// Residents' area alerts: subscriptions, their links' tokens (hashed), the
// cases matched once when they became public, and the mails to send. The
// rules (what a subscription must be, which cases it hears of) are package
// alert's; this file persists what it is given.

// Token purposes.
const (
	TokenConfirm     = "confirm"
	TokenUnsubscribe = "unsubscribe"
)

// Alert mail states.
const (
	MailPending = "pending"
	MailSent    = "sent"
	MailParked  = "parked" // failed too often
)

const subscriptionCols = `id, email, street, community, lon, lat, radius, categories, lang, created_at, confirmed_at`

// scanSubscription reads subscriptionCols after the columns of head.
func scanSubscription(r scanner, s *alert.Subscription, head ...any) error {
	var lon, lat, radius sql.NullFloat64
	var cats string
	var created int64
	var confirmed sql.NullInt64
	if err := r.Scan(append(head, &s.ID, &s.Email, &s.Area.Street, &s.Area.Community, &lon, &lat, &radius, &cats, &s.Lang, &created, &confirmed)...); err != nil {
		return err
	}
	if lon.Valid && lat.Valid && radius.Valid {
		s.Area.Circle = &alert.Circle{Lon: lon.Float64, Lat: lat.Float64, Radius: radius.Float64}
	}
	if cats != "" {
		s.Categories = strings.Split(cats, ",")
	}
	s.CreatedAt, s.ConfirmedAt = time.UnixMilli(created).UTC(), fromMS(confirmed)
	return nil
}

// CreateSubscription stores a subscription asked for at now, unconfirmed,
// with its confirmation mail to send.
func (s *Store) CreateSubscription(ctx context.Context, sub *alert.Subscription, now time.Time) error {
	var lon, lat, radius any
	if c := sub.Area.Circle; c != nil {
		lon, lat, radius = c.Lon, c.Lat, c.Radius
	}
	sub.CreatedAt, sub.ConfirmedAt = now, time.Time{}
	return s.tx(ctx, func(tx *wtx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO alert_subscriptions (email, street, community, lon, lat, radius, categories, lang, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, sub.Email, sub.Area.Street, sub.Area.Community, lon, lat, radius,
			strings.Join(sub.Categories, ","), sub.Lang, now.UnixMilli()).Scan(&sub.ID); err != nil {
			return fmt.Errorf("store: subscription: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_mails (subscription_id, next_at) VALUES ($1, $2)`, sub.ID, now.UnixMilli()); err != nil {
			return fmt.Errorf("store: confirmation mail: %w", err)
		}
		return nil
	})
}

// SubscriptionsSince counts the subscriptions asked for an address since
// a moment, confirmed or not.
func (s *Store) SubscriptionsSince(ctx context.Context, email string, since time.Time) (int, error) {
	var n int
	err := rdb{s}.QueryRowContext(ctx, `SELECT count(*) FROM alert_subscriptions WHERE email = $1 AND created_at >= $2`, email, since.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: subscriptions of an address: %w", err)
	}
	return n, nil
}

// SubscriptionByToken finds the subscription a link's token (its hash)
// belongs to, for a purpose.
func (s *Store) SubscriptionByToken(ctx context.Context, hash, purpose string) (alert.Subscription, error) {
	var sub alert.Subscription
	err := scanSubscription(s.w.QueryRowContext(ctx, `SELECT `+subscriptionCols+` FROM alert_subscriptions
		WHERE id = (SELECT subscription_id FROM alert_tokens WHERE hash = $1 AND purpose = $2)`, hash, purpose), &sub)
	if errors.Is(err, sql.ErrNoRows) {
		return sub, fmt.Errorf("alert token: %w", ErrNotFound)
	}
	if err != nil {
		return sub, fmt.Errorf("store: alert token: %w", err)
	}
	return sub, nil
}

// ConfirmSubscription marks a subscription confirmed at at, unless it is
// already (the first confirmation's time stays).
func (s *Store) ConfirmSubscription(ctx context.Context, id int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE alert_subscriptions SET confirmed_at = COALESCE(confirmed_at, $1) WHERE id = $2`, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("store: confirm subscription: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("subscription %d: %w", id, ErrNotFound)
	}
	return nil
}

// DeleteSubscription removes a subscription with its tokens and mails:
// an unsubscribed address is not kept.
func (s *Store) DeleteSubscription(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *wtx) error {
		for _, q := range []string{`DELETE FROM alert_tokens WHERE subscription_id = $1`, `DELETE FROM alert_mails WHERE subscription_id = $1`,
			`DELETE FROM alert_subscriptions WHERE id = $1`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("store: unsubscribe: %w", err)
			}
		}
		return nil
	})
}

// PruneUnconfirmed deletes subscriptions asked for before a moment and
// never confirmed, and returns how many.
func (s *Store) PruneUnconfirmed(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *wtx) error {
		sel := `SELECT id FROM alert_subscriptions WHERE confirmed_at IS NULL AND created_at < $1`
		for _, q := range []string{`DELETE FROM alert_tokens WHERE subscription_id IN (` + sel + `)`,
			`DELETE FROM alert_mails WHERE subscription_id IN (` + sel + `)`} {
			if _, err := tx.ExecContext(ctx, q, before.UnixMilli()); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM alert_subscriptions WHERE confirmed_at IS NULL AND created_at < $1`, before.UnixMilli())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune unconfirmed subscriptions: %w", err)
	}
	return n, nil
}

// PruneAlertMails deletes mails sent (or parked) before a moment, up to
// limit, and returns how many.
func (s *Store) PruneAlertMails(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM alert_mails WHERE id IN (SELECT id FROM alert_mails
		WHERE state <> 'pending' AND next_at < $1 ORDER BY next_at LIMIT $2)`, before.UnixMilli(), limit)
	if err != nil {
		return 0, fmt.Errorf("store: prune alert mails: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// ConfirmedSubscriptions lists every confirmed subscription.
func (s *Store) ConfirmedSubscriptions(ctx context.Context) ([]alert.Subscription, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+subscriptionCols+` FROM alert_subscriptions WHERE confirmed_at IS NOT NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: subscriptions: %w", err)
	}
	defer rows.Close()
	var out []alert.Subscription
	for rows.Next() {
		var sub alert.Subscription
		if err := scanSubscription(rows, &sub); err != nil {
			return nil, err
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

// AlertEvent is an event after the matching pass's mark: Candidate says
// its case is of a public category, listed by the rule and not matched yet.
type AlertEvent struct {
	ID, CaseID int64
	At         time.Time
	Candidate  bool
}

// AlertMark is where the matching pass is in the events; a first call
// starts it at the newest event (what happened before alerts existed is
// not announced).
func (s *Store) AlertMark(ctx context.Context) (int64, error) {
	var mark int64
	err := s.tx(ctx, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_marks (name, mark) SELECT 'events', COALESCE(max(id), 0) FROM events WHERE TRUE
			ON CONFLICT (name) DO NOTHING`); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT mark FROM alert_marks WHERE name = 'events'`).Scan(&mark)
	})
	if err != nil {
		return 0, fmt.Errorf("store: alert mark: %w", err)
	}
	return mark, nil
}

// SetAlertMark moves the matching pass's mark forward (never back).
func (s *Store) SetAlertMark(ctx context.Context, mark int64) error {
	_, err := s.w.ExecContext(ctx, `UPDATE alert_marks SET mark = $1 WHERE name = 'events' AND mark < $2`, mark, mark)
	if err != nil {
		return fmt.Errorf("store: alert mark: %w", err)
	}
	return nil
}

// AlertEvents lists up to limit events after mark, oldest first, each
// saying whether its case is a candidate under rule.
func (s *Store) AlertEvents(ctx context.Context, mark int64, limit int, rule PublicRule) ([]AlertEvent, error) {
	args := []any{mark, limit}
	cond := rule.where("c.", &args)
	if cond == "" {
		cond = "TRUE"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT e.id, e.case_id, e.at, CASE WHEN c.category_id IN (SELECT id FROM categories WHERE public)
		AND `+cond+` AND NOT EXISTS (SELECT 1 FROM alert_cases a WHERE a.case_id = e.case_id) THEN 1 ELSE 0 END
		FROM (SELECT id, case_id, at FROM events WHERE id > $1 ORDER BY id LIMIT $2) e JOIN cases c ON c.id = e.case_id ORDER BY e.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: alert events: %w", err)
	}
	defer rows.Close()
	var out []AlertEvent
	for rows.Next() {
		var e AlertEvent
		var at int64
		var cand int
		if err := rows.Scan(&e.ID, &e.CaseID, &at, &cand); err != nil {
			return nil, err
		}
		e.At, e.Candidate = time.UnixMilli(at).UTC(), cand == 1
		out = append(out, e)
	}
	return out, rows.Err()
}

// Announce records that a case became public at publicAt and queues an
// alert mail to each of subs, in one transaction. A case is announced
// once: when another pass did it first, nothing is written and false is
// returned.
func (s *Store) Announce(ctx context.Context, caseID int64, publicAt time.Time, subs []int64, now time.Time) (bool, error) {
	var done bool
	err := s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO alert_cases (case_id, public_at) VALUES ($1, $2) ON CONFLICT (case_id) DO NOTHING`,
			caseID, publicAt.UnixMilli())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		done = true
		// Many rows a statement: a case in a busy street may have
		// thousands of subscribers.
		const rows = 50
		for len(subs) > 0 {
			part := subs[:min(len(subs), rows)]
			subs = subs[len(part):]
			var b strings.Builder
			args := make([]any, 0, 3*len(part))
			for i, id := range part {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3)
				args = append(args, id, caseID, now.UnixMilli())
			}
			if _, err := tx.Tx.ExecContext(ctx, `INSERT INTO alert_mails (subscription_id, case_id, next_at) VALUES `+b.String()+`
				ON CONFLICT (subscription_id, case_id) DO NOTHING`, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: announce case %d: %w", caseID, err)
	}
	return done, nil
}

// AlertMail is one mail to send: a confirmation (CaseID 0) or an alert.
type AlertMail struct {
	ID           int64
	Subscription alert.Subscription
	CaseID       int64
	Attempts     int
	ClaimedUntil time.Time // this taker's claim (RenewAlertMail)
}

// ClaimAlertMails takes up to limit pending mails that are due, for hold:
// until then no other instance takes them (on PostgreSQL the claim skips
// rows another instance is claiming).
func (s *Store) ClaimAlertMails(ctx context.Context, now time.Time, hold time.Duration, limit int) ([]AlertMail, error) {
	var out []AlertMail
	until := atMS(now.Add(hold))
	err := s.tx(ctx, func(tx *wtx) error {
		ids, err := s.claimIDs(ctx, tx, "alert_mails", now, until, limit)
		if err != nil {
			return err
		}
		for _, id := range ids {
			var m AlertMail
			var caseID sql.NullInt64
			cols := strings.ReplaceAll("s."+subscriptionCols, ", ", ", s.")
			if err := scanSubscription(tx.QueryRowContext(ctx, `SELECT m.id, m.case_id, m.attempts, `+cols+` FROM alert_mails m
				JOIN alert_subscriptions s ON s.id = m.subscription_id WHERE m.id = $1`, id), &m.Subscription, &m.ID, &caseID, &m.Attempts); err != nil {
				return err
			}
			m.CaseID, m.ClaimedUntil = caseID.Int64, until
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// atMS is t at the milliseconds the database keeps.
func atMS(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

// RenewAlertMail extends this taker's claim on a mail to until, just
// before it is sent: false when the claim lapsed and another taker has the
// mail (or it is no longer pending), and it must not be sent from here.
func (s *Store) RenewAlertMail(ctx context.Context, m *AlertMail, until time.Time) (bool, error) {
	until = atMS(until)
	res, err := s.w.ExecContext(ctx, `UPDATE alert_mails SET claimed_until = $1 WHERE id = $2 AND claimed_until = $3 AND state = 'pending'`,
		until.UnixMilli(), m.ID, m.ClaimedUntil.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("store: renew alert mail %d: %w", m.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, nil
	}
	m.ClaimedUntil = until
	return true, nil
}

// AddAlertTokens stores the hashes of a mail's link tokens for its
// subscription, before the mail goes out.
func (s *Store) AddAlertTokens(ctx context.Context, subscriptionID int64, at time.Time, hashes map[string]string) error {
	return s.tx(ctx, func(tx *wtx) error {
		for hash, purpose := range hashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO alert_tokens (hash, subscription_id, purpose, created_at) VALUES ($1, $2, $3, $4)`,
				hash, subscriptionID, purpose, at.UnixMilli()); err != nil {
				return fmt.Errorf("store: alert token: %w", err)
			}
		}
		return nil
	})
}

// RecordAlertMail writes a send's outcome: sent (with the provider's
// receipt), a retry at retryAt, or parked when retryAt is zero.
func (s *Store) RecordAlertMail(ctx context.Context, m AlertMail, sent bool, receipt, errText string, at, retryAt time.Time) error {
	state, next, sentAt := MailPending, retryAt.UnixMilli(), any(nil)
	switch {
	case sent:
		state, next, sentAt = MailSent, at.UnixMilli(), at.UnixMilli()
	case retryAt.IsZero():
		state, next = MailParked, at.UnixMilli()
	}
	_, err := s.w.ExecContext(ctx, `UPDATE alert_mails SET state = $1, attempts = attempts + 1, next_at = $2, claimed_until = NULL,
		sent_at = $3, receipt = $4, last_error = $5 WHERE id = $6`, state, next, sentAt, receipt, errText, m.ID)
	if err != nil {
		return fmt.Errorf("store: record alert mail %d: %w", m.ID, err)
	}
	return nil
}

// AlertMailCounts counts alert mails by state.
func (s *Store) AlertMailCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT state, count(*) FROM alert_mails GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{MailPending: 0, MailSent: 0, MailParked: 0}
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
