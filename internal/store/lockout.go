package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/xiuhua/xiuhua/internal/lockout"
)

// LoginCounters hands change the login counters named by keys and saves
// what it leaves in them, in one write transaction that holds their rows:
// two attempts on the same counters never both see the same count, on
// either engine and across instances. Counters not stored yet come as
// zero values with their Key set. If change returns an error, nothing is
// saved and LoginCounters returns that error.
func (s *Store) LoginCounters(ctx context.Context, keys []string, change func(map[string]*lockout.Counter) error) error {
	names := slices.Compact(slices.Sorted(slices.Values(keys))) // one lock order for every attempt: no deadlock
	fn := func(tx *wtx) error {
		cs := make(map[string]*lockout.Counter, len(names))
		for _, k := range names {
			// The row exists before it is read, so a concurrent attempt on
			// PostgreSQL waits for this one's lock instead of reading nothing.
			if _, err := tx.ExecContext(ctx, `INSERT INTO login_counters (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, k); err != nil {
				return fmt.Errorf("store: login counter %s: %w", k, err)
			}
			var since, seen, ok int64
			c := &lockout.Counter{Key: k}
			err := tx.QueryRowContext(ctx, `SELECT attempts, since, strikes, seen, ok FROM login_counters WHERE name = $1`+s.forUpdate(), k).
				Scan(&c.Count, &since, &c.Strikes, &seen, &ok)
			if err != nil {
				return fmt.Errorf("store: login counter %s: %w", k, err)
			}
			c.Since, c.Seen, c.OK = fromMilli(since), fromMilli(seen), fromMilli(ok)
			cs[k] = c
		}
		if err := change(cs); err != nil {
			return err
		}
		for _, k := range names {
			c := cs[k]
			if _, err := tx.ExecContext(ctx, `UPDATE login_counters SET attempts = $1, since = $2, strikes = $3, seen = $4, ok = $5 WHERE name = $6`,
				c.Count, toMilli(c.Since), c.Strikes, toMilli(c.Seen), toMilli(c.OK), k); err != nil {
				return fmt.Errorf("store: login counter %s: %w", k, err)
			}
		}
		return nil
	}
	// Not s.tx: no cached answer reads a counter, so Generation stays.
	if s.txq != nil {
		return s.groupTx(ctx, fn)
	}
	return s.plainTx(ctx, fn)
}

// PruneLoginCounters deletes the counters last counted before seen whose
// last success, if any, is before ok; it returns how many it deleted.
func (s *Store) PruneLoginCounters(ctx context.Context, seen, ok time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM login_counters WHERE seen < $1 AND ok < $2`, seen.UnixMilli(), ok.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: prune login counters: %w", err)
	}
	return res.RowsAffected()
}

func toMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
