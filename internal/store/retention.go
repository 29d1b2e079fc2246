package store

import (
	"context"
	"fmt"
	"time"
)

// Pruning: the tables that only grow lose their old rows in batches, each
// batch its own short transaction, so a prune never holds the writer for
// long. Which rows are old enough is the caller's to say (watch.Pruner);
// the store only keeps what the rest of the schema still points at.

// pruneBatch bounds the rows one statement deletes.
const pruneBatch = 5000

// rowKey is the hidden row address both engines have, for tables whose
// primary key is not a single id column.
func (s *Store) rowKey() string {
	if s.dialect == Postgres {
		return "ctid"
	}
	return "rowid"
}

// pruneLoop runs a batched delete until a batch deletes less than a full
// batch or ctx ends, and answers how many rows went.
func (s *Store) pruneLoop(ctx context.Context, what string, del func() (int64, error)) (int64, error) {
	var total int64
	for {
		n, err := del()
		total += n
		if err != nil {
			return total, fmt.Errorf("store: prune %s: %w", what, err)
		}
		if n < pruneBatch || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

func (s *Store) execCount(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.w.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PruneSessions deletes sessions that expired before the moment.
func (s *Store) PruneSessions(ctx context.Context, expiredBefore time.Time) (int64, error) {
	k := s.rowKey()
	return s.pruneLoop(ctx, "sessions", func() (int64, error) {
		return s.execCount(ctx, `DELETE FROM sessions WHERE `+k+` IN (SELECT `+k+` FROM sessions WHERE expires_at < $1 LIMIT $2)`,
			expiredBefore.UnixMilli(), pruneBatch)
	})
}

// PruneIdempotencyKeys deletes the keys of cases created before the
// moment: a client retrying after that gets a new case.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	k := s.rowKey()
	return s.pruneLoop(ctx, "idempotency keys", func() (int64, error) {
		return s.execCount(ctx, `DELETE FROM idempotency_keys WHERE `+k+` IN (SELECT `+k+` FROM idempotency_keys WHERE created_at < $1 LIMIT $2)`,
			before.UnixMilli(), pruneBatch)
	})
}

// PruneReadNotices deletes inbox lines read before the moment; unread
// lines stay whatever their age.
func (s *Store) PruneReadNotices(ctx context.Context, readBefore time.Time) (int64, error) {
	return s.pruneLoop(ctx, "inbox", func() (int64, error) {
		return s.execCount(ctx, `DELETE FROM notifications WHERE id IN (SELECT id FROM notifications
			WHERE read_at IS NOT NULL AND read_at < $1 LIMIT $2)`, readBefore.UnixMilli(), pruneBatch)
	})
}

// PruneSends deletes the record of notification sends settled (sent,
// failed or skipped) and made before the moment; queued sends stay.
func (s *Store) PruneSends(ctx context.Context, before time.Time) (int64, error) {
	return s.pruneLoop(ctx, "sends", func() (int64, error) {
		return s.execCount(ctx, `DELETE FROM sends WHERE id IN (SELECT id FROM sends
			WHERE state <> 'queued' AND created_at < $1 LIMIT $2)`, before.UnixMilli(), pruneBatch)
	})
}

// PruneDeliveries deletes webhook deliveries delivered before the moment,
// with their attempt logs. Pending and parked deliveries stay: they still
// wait for a subscriber, or for a person to replay them.
func (s *Store) PruneDeliveries(ctx context.Context, deliveredBefore time.Time) (int64, error) {
	return s.pruneLoop(ctx, "deliveries", func() (int64, error) {
		var n int64
		err := s.plainTx(ctx, func(tx *wtx) error {
			rows, err := tx.QueryContext(ctx, `SELECT id FROM deliveries WHERE state = $1 AND next_at < $2 ORDER BY next_at LIMIT $3`,
				DeliveryDone, deliveredBefore.UnixMilli(), pruneBatch)
			if err != nil {
				return err
			}
			var ids []any
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil || len(ids) == 0 {
				return err
			}
			for _, q := range []string{`DELETE FROM delivery_attempts WHERE delivery_id IN `, `DELETE FROM deliveries WHERE id IN `} {
				if _, err := tx.ExecContext(ctx, q+"("+placeholders(1, len(ids))+")", ids...); err != nil {
					return err
				}
			}
			n = int64(len(ids))
			return nil
		})
		return n, err
	})
}

// PruneOutbox deletes outbox messages created before the moment that every
// webhook, paused ones too, has fanned out and that no delivery still
// needs. A webhook paused for long holds the outbox from where it stopped.
func (s *Store) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	return s.pruneLoop(ctx, "outbox", func() (int64, error) {
		return s.execCount(ctx, `DELETE FROM outbox WHERE id IN (SELECT o.id FROM outbox o
			WHERE o.created_at < $1 AND o.id <= COALESCE((SELECT min(fanned_to) FROM webhooks), o.id)
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.outbox_id = o.id) ORDER BY o.id LIMIT $2)`,
			before.UnixMilli(), pruneBatch)
	})
}

// PruneAudit deletes audit entries recorded before the moment.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	return s.pruneLoop(ctx, "audit log", func() (int64, error) {
		return s.execCount(ctx, `DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 ORDER BY id LIMIT $2)`,
			before.UnixMilli(), pruneBatch)
	})
}
