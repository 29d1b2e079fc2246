package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Webhook is a subscriber: a URL, a secret to sign with and the topics it
// wants ("case.*", "deadline.warning", "*").
type Webhook struct {
	ID        int64     `json:"id"`
	URL       string    `json:"url"`
	Secret    string    `json:"-"`
	Topics    []string  `json:"topics"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

// Wants reports whether the webhook subscribes to topic.
func (h *Webhook) Wants(topic string) bool {
	for _, t := range h.Topics {
		if t == "*" || t == topic || (strings.HasSuffix(t, ".*") && strings.HasPrefix(topic, strings.TrimSuffix(t, "*"))) {
			return true
		}
	}
	return false
}

// WebhookError is a webhook refused, naming the field at fault (url,
// secret or topics).
type WebhookError struct {
	Field string
	Msg   string
}

func (e *WebhookError) Error() string { return "webhook: " + e.Msg }

// Validate says what is wrong with a webhook: the CLI and the admin API
// both add webhooks through it.
func (h *Webhook) Validate() error {
	u, err := url.Parse(h.URL)
	switch {
	case len(h.URL) > 2000:
		return &WebhookError{"url", "the url is longer than 2000 characters"}
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return &WebhookError{"url", fmt.Sprintf("url %q must be an absolute http or https URL", h.URL)}
	case len(h.Secret) < 16:
		return &WebhookError{"secret", "the secret must be at least 16 characters"}
	case len(h.Secret) > 200:
		return &WebhookError{"secret", "the secret is longer than 200 characters"}
	case len(h.Topics) == 0:
		return &WebhookError{"topics", `name at least one topic ("*" for all)`}
	case len(h.Topics) > 50:
		return &WebhookError{"topics", "at most 50 topics"}
	}
	for i, t := range h.Topics {
		if t == "" || len(t) > 100 || strings.ContainsAny(t, " ,") {
			return &WebhookError{fmt.Sprintf("topics[%d]", i), fmt.Sprintf("bad topic %q", t)}
		}
	}
	return nil
}

// CreateWebhook adds a subscriber. It receives what happens from now on,
// not the outbox's past.
func (s *Store) CreateWebhook(ctx context.Context, h *Webhook) error {
	if err := h.Validate(); err != nil {
		return err
	}
	if h.CreatedAt.IsZero() {
		h.CreatedAt = time.Now()
	}
	h.Active = true
	return s.tx(ctx, func(tx *wtx) error {
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM outbox`).Scan(&last); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO webhooks (url, secret, topics, active, fanned_to, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, h.URL, h.Secret, strings.Join(h.Topics, ","), true, last,
			h.CreatedAt.UnixMilli()).Scan(&h.ID)
	})
}

// Webhooks lists subscribers.
func (s *Store) Webhooks(ctx context.Context) ([]Webhook, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, url, secret, topics, active, created_at FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hs []Webhook
	for rows.Next() {
		var h Webhook
		var topics string
		var at int64
		if err := rows.Scan(&h.ID, &h.URL, &h.Secret, &topics, &h.Active, &at); err != nil {
			return nil, err
		}
		h.Topics, h.CreatedAt = strings.Split(topics, ","), time.UnixMilli(at).UTC()
		hs = append(hs, h)
	}
	return hs, rows.Err()
}

// Webhook reads one subscriber.
func (s *Store) Webhook(ctx context.Context, id int64) (Webhook, error) {
	var h Webhook
	var topics string
	var at int64
	err := rdb{s}.QueryRowContext(ctx, `SELECT id, url, secret, topics, active, created_at FROM webhooks WHERE id = $1`, id).
		Scan(&h.ID, &h.URL, &h.Secret, &topics, &h.Active, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("webhook %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return h, fmt.Errorf("store: webhook %d: %w", id, err)
	}
	h.Topics, h.CreatedAt = strings.Split(topics, ","), time.UnixMilli(at).UTC()
	return h, nil
}

// SetWebhookActive pauses or resumes a subscriber.
func (s *Store) SetWebhookActive(ctx context.Context, id int64, active bool) error {
	res, err := s.w.ExecContext(ctx, `UPDATE webhooks SET active = $1 WHERE id = $2`, active, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("webhook %d: %w", id, ErrNotFound)
	}
	return nil
}

// FanOut turns new outbox messages into deliveries, up to limit messages
// per subscriber, and returns how many deliveries it created. Each
// subscriber keeps its place (fanned_to) in the same transaction, and a
// delivery is unique per (webhook, message), so instances racing here
// create each delivery once.
func (s *Store) FanOut(ctx context.Context, now time.Time, limit int) (int, error) {
	hooks, err := s.Webhooks(ctx)
	if err != nil {
		return 0, err
	}
	created := 0
	for _, h := range hooks {
		if !h.Active {
			continue
		}
		err := s.tx(ctx, func(tx *wtx) error {
			var from int64
			if err := tx.QueryRowContext(ctx, `SELECT fanned_to FROM webhooks WHERE id = $1`+s.forUpdate(), h.ID).Scan(&from); err != nil {
				return err
			}
			rows, err := tx.QueryContext(ctx, `SELECT id, topic FROM outbox WHERE id > $1 ORDER BY id LIMIT $2`, from, limit)
			if err != nil {
				return err
			}
			type msg struct {
				id    int64
				topic string
			}
			var ms []msg
			for rows.Next() {
				var m msg
				if err := rows.Scan(&m.id, &m.topic); err != nil {
					rows.Close()
					return err
				}
				ms = append(ms, m)
			}
			rows.Close()
			if err := rows.Err(); err != nil || len(ms) == 0 {
				return err
			}
			// On PostgreSQL ids are taken when a row is inserted and seen
			// when its transaction commits, so a lower id can appear after
			// a higher one. The watermark stops at a gap until the missing
			// row arrives, or for GapWait (then the gap is a rolled-back
			// insert); rows past the gap are fanned out meanwhile and again
			// on the next pass, which the unique key makes harmless.
			mark, stuck := from, false
			for _, m := range ms {
				if !stuck && m.id != mark+1 && !s.gapExpired(h.ID, mark+1) {
					stuck = true
				}
				if !stuck {
					mark = m.id
				}
				if !h.Wants(m.topic) {
					continue
				}
				res, err := tx.ExecContext(ctx, `INSERT INTO deliveries (webhook_id, outbox_id, next_at) VALUES ($1, $2, $3)
					ON CONFLICT (webhook_id, outbox_id) DO NOTHING`, h.ID, m.id, now.UnixMilli())
				if err != nil {
					return fmt.Errorf("store: fan out: %w", err)
				}
				n, _ := res.RowsAffected()
				created += int(n)
			}
			if mark == from {
				return nil
			}
			_, err = tx.ExecContext(ctx, `UPDATE webhooks SET fanned_to = $1 WHERE id = $2`, mark, h.ID)
			return err
		})
		if err != nil {
			return created, err
		}
	}
	return created, nil
}

// GapWait is how long FanOut waits for a missing outbox id to commit
// before taking the gap for a rolled-back insert.
const GapWait = 30 * time.Second

// outboxGap is the first missing outbox id after a webhook's watermark and
// when this process first saw it missing (wall clock: it is about real
// transactions, not the application's clock).
type outboxGap struct {
	id    int64
	since time.Time
}

// gapExpired says whether the missing id has been missing for GapWait.
func (s *Store) gapExpired(webhook, missing int64) bool {
	now := time.Now()
	if g, ok := s.gaps.Load(webhook); ok && g.(outboxGap).id == missing {
		return now.Sub(g.(outboxGap).since) >= GapWait
	}
	s.gaps.Store(webhook, outboxGap{id: missing, since: now})
	return false
}

// Delivery is one message on its way to one subscriber.
type Delivery struct {
	ID         int64     `json:"id"`
	WebhookID  int64     `json:"webhook_id"`
	URL        string    `json:"url"`
	Secret     string    `json:"-"`
	OutboxID   int64     `json:"message_id"`
	Topic      string    `json:"topic"`
	Payload    []byte    `json:"-"`
	State      string    `json:"state"`
	Attempts   int       `json:"attempts"`
	NextAt     time.Time `json:"next_at,omitzero"`
	LastStatus int       `json:"last_status,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	LastAt     time.Time `json:"last_at,omitzero"`
}

// Delivery states.
const (
	DeliveryPending = "pending"
	DeliveryDone    = "done"
	DeliveryParked  = "parked" // failed too often; replay to try again
)

const deliveryCols = `d.id, d.webhook_id, h.url, h.secret, d.outbox_id, o.topic, o.payload, d.state, d.attempts, d.next_at,
	d.last_status, d.last_error, d.last_at`

func scanDelivery(r scanner, d *Delivery) error {
	var payload string
	var next int64
	var last sql.NullInt64
	if err := r.Scan(&d.ID, &d.WebhookID, &d.URL, &d.Secret, &d.OutboxID, &d.Topic, &payload, &d.State, &d.Attempts,
		&next, &d.LastStatus, &d.LastError, &last); err != nil {
		return err
	}
	d.Payload, d.NextAt, d.LastAt = []byte(payload), time.UnixMilli(next).UTC(), fromMS(last)
	return nil
}

// claimIDs claims up to limit pending rows of table (state, next_at,
// claimed_until) due at now, until until, oldest first, skipping rows
// another instance is claiming, and returns their ids.
func (s *Store) claimIDs(ctx context.Context, tx *wtx, table string, now, until time.Time, limit int) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `UPDATE `+table+` SET claimed_until = $1 WHERE id IN (
		SELECT id FROM `+table+` WHERE state = 'pending' AND next_at <= $2
		AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY next_at, id LIMIT $4`+s.skipLocked()+`) RETURNING id`,
		until.UnixMilli(), now.UnixMilli(), now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim %s: %w", table, err)
	}
	return scanAll(rows, func(r scanner, id *int64) error { return r.Scan(id) })
}

// ClaimDeliveries takes up to limit pending deliveries that are due, for
// hold: until then no other instance takes them. On PostgreSQL the claim
// skips rows another instance is claiming (FOR UPDATE SKIP LOCKED).
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, hold time.Duration, limit int) ([]Delivery, error) {
	var ds []Delivery
	err := s.tx(ctx, func(tx *wtx) error {
		ids, err := s.claimIDs(ctx, tx, "deliveries", now, now.Add(hold), limit)
		if err != nil {
			return err
		}
		for _, id := range ids {
			var d Delivery
			if err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM deliveries d
				JOIN webhooks h ON h.id = d.webhook_id JOIN outbox o ON o.id = d.outbox_id WHERE d.id = $1`, id), &d); err != nil {
				return err
			}
			ds = append(ds, d)
		}
		return nil
	})
	return ds, err
}

// Attempt is the outcome of one delivery attempt.
type Attempt struct {
	At       time.Time
	Status   int    // HTTP status; 0 when there was none
	Error    string // transport error or timeout
	Response string // the start of the response body
	Took     time.Duration
}

// OK reports whether the subscriber accepted the message.
func (a Attempt) OK() bool { return a.Error == "" && a.Status >= 200 && a.Status < 300 }

// RecordAttempt writes an attempt and decides what comes next: done, a
// retry at retryAt, or parked when retryAt is zero.
func (s *Store) RecordAttempt(ctx context.Context, d Delivery, a Attempt, retryAt time.Time) error {
	return s.tx(ctx, func(tx *wtx) error {
		// The log numbers attempts over the delivery's life; attempts on the
		// delivery counts since it was last (re)queued.
		attempt := d.Attempts + 1
		if _, err := tx.ExecContext(ctx, `INSERT INTO delivery_attempts (delivery_id, attempt, at, status, error, response, took_ms)
			SELECT $1, COALESCE(max(attempt), 0) + 1, $2, $3, $4, $5, $6 FROM delivery_attempts WHERE delivery_id = $7`,
			d.ID, a.At.UnixMilli(), a.Status, a.Error, a.Response, a.Took.Milliseconds(), d.ID); err != nil {
			return fmt.Errorf("store: record attempt: %w", err)
		}
		state, next, delivered := DeliveryPending, retryAt.UnixMilli(), any(nil)
		switch {
		case a.OK():
			state, next, delivered = DeliveryDone, a.At.UnixMilli(), a.At.UnixMilli()
		case retryAt.IsZero():
			state, next = DeliveryParked, a.At.UnixMilli()
		}
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = $1, attempts = $2, next_at = $3, claimed_until = NULL,
			last_status = $4, last_error = $5, last_at = $6, delivered_at = $7 WHERE id = $8`,
			state, attempt, next, a.Status, a.Error, a.At.UnixMilli(), delivered, d.ID)
		return err
	})
}

// Deliveries lists deliveries in a state ("" for all), newest first.
func (s *Store) Deliveries(ctx context.Context, state string, limit int) ([]Delivery, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries d JOIN webhooks h ON h.id = d.webhook_id
		JOIN outbox o ON o.id = d.outbox_id WHERE ($1 = '' OR d.state = $2) ORDER BY d.id DESC LIMIT $3`, state, state, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ds []Delivery
	for rows.Next() {
		var d Delivery
		if err := scanDelivery(rows, &d); err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return ds, rows.Err()
}

// WebhookDeliveries lists a subscriber's deliveries newest first, in a
// state ("" for all), those below the id before (0: from the newest).
func (s *Store) WebhookDeliveries(ctx context.Context, webhookID int64, state string, before int64, limit int) ([]Delivery, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries d JOIN webhooks h ON h.id = d.webhook_id
		JOIN outbox o ON o.id = d.outbox_id WHERE d.webhook_id = $1 AND ($2 = '' OR d.state = $3) AND ($4 = 0 OR d.id < $5)
		ORDER BY d.id DESC LIMIT $6`, webhookID, state, state, before, before, limit)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries of webhook %d: %w", webhookID, err)
	}
	return scanAll(rows, scanDelivery)
}

// DeliveryByID reads one delivery.
func (s *Store) DeliveryByID(ctx context.Context, id int64) (Delivery, error) {
	var d Delivery
	err := scanDelivery(rdb{s}.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM deliveries d JOIN webhooks h ON h.id = d.webhook_id
		JOIN outbox o ON o.id = d.outbox_id WHERE d.id = $1`, id), &d)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("delivery %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("store: delivery %d: %w", id, err)
	}
	return d, nil
}

// Replay sends parked deliveries again from now: one (id), or every parked
// delivery of a webhook (webhookID, id 0). It returns how many it requeued.
func (s *Store) Replay(ctx context.Context, id, webhookID int64, now time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE deliveries SET state = 'pending', attempts = 0, next_at = $1, claimed_until = NULL
		WHERE state = 'parked' AND (id = $2 OR (webhook_id = $3 AND $4 = 0))`, now.UnixMilli(), id, webhookID, id)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// WaitingDeliveries counts each webhook's deliveries still to send and
// parked ones (done ones are not counted: the index on state keeps this
// to the few that wait).
func (s *Store) WaitingDeliveries(ctx context.Context) (map[int64]map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT webhook_id, state, count(*) FROM deliveries WHERE state IN ('pending', 'parked') GROUP BY webhook_id, state`)
	if err != nil {
		return nil, fmt.Errorf("store: waiting deliveries: %w", err)
	}
	defer rows.Close()
	out := map[int64]map[string]int{}
	for rows.Next() {
		var id int64
		var st string
		var n int
		if err := rows.Scan(&id, &st, &n); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[string]int{}
		}
		out[id][st] = n
	}
	return out, rows.Err()
}

// DeliveryCounts counts deliveries by state.
func (s *Store) DeliveryCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT state, count(*) FROM deliveries GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{DeliveryPending: 0, DeliveryDone: 0, DeliveryParked: 0}
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

// AcquireLease takes or renews the lease name for holder until now+ttl. It
// reports false while another holder's lease runs.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at < $4`, name, holder, now.Add(ttl).UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("store: lease %s: %w", name, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseLease gives a lease up, so another instance takes over at once.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
	return err
}
