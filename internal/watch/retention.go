package watch

import (
	"context"
	"log/slog"
	"time"

	"github.com/xiuhua/xiuhua/internal/store"
)

// PrunerLease is the lease row the pruner holds while it prunes, so one
// instance prunes at a time.
const PrunerLease = "pruner"

// Retention says how long each kind of row that only grows is kept; zero
// keeps it for ever. Cases, their tasks and events, photos of cases and the
// configuration are never pruned.
type Retention struct {
	Sessions        time.Duration // after a session expired
	IdempotencyKeys time.Duration // after the case was created: a retry later makes a new case
	ReadNotices     time.Duration // inbox lines, after they were read (unread ones stay)
	Deliveries      time.Duration // webhook deliveries, after they were delivered (pending and parked stay); notification sends once settled
	Outbox          time.Duration // webhook messages every subscriber has and no delivery needs
	Audit           time.Duration // the audit log (logins, refusals, changes)
}

// Pruned counts the rows one prune deleted.
type Pruned struct {
	Sessions, IdempotencyKeys, ReadNotices, Deliveries, Sends, Outbox, Audit int64
}

// Total is every row deleted.
func (p Pruned) Total() int64 {
	return p.Sessions + p.IdempotencyKeys + p.ReadNotices + p.Deliveries + p.Sends + p.Outbox + p.Audit
}

// Pruner deletes what the retention no longer keeps.
type Pruner struct {
	Store  *store.Store
	Keep   Retention
	Now    func() time.Time
	Holder string        // names this instance in the lease row
	Lease  time.Duration // zero: no lease (every instance prunes; deletes are idempotent)
	Log    *slog.Logger
}

// Prune deletes, kind by kind, the rows older than their retention. It
// returns false in held when another instance holds the lease.
func (p *Pruner) Prune(ctx context.Context) (res Pruned, held bool, err error) {
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	if p.Lease > 0 {
		ok, err := p.Store.AcquireLease(ctx, PrunerLease, p.Holder, now, p.Lease)
		if err != nil || !ok {
			return res, false, err
		}
	}
	// Deliveries before the outbox: a message goes once no delivery needs it.
	for _, k := range []struct {
		keep  time.Duration
		prune func(context.Context, time.Time) (int64, error)
		n     *int64
	}{
		{p.Keep.Sessions, p.Store.PruneSessions, &res.Sessions},
		{p.Keep.IdempotencyKeys, p.Store.PruneIdempotencyKeys, &res.IdempotencyKeys},
		{p.Keep.ReadNotices, p.Store.PruneReadNotices, &res.ReadNotices},
		{p.Keep.Deliveries, p.Store.PruneDeliveries, &res.Deliveries},
		{p.Keep.Deliveries, p.Store.PruneSends, &res.Sends},
		{p.Keep.Outbox, p.Store.PruneOutbox, &res.Outbox},
		{p.Keep.Audit, p.Store.PruneAudit, &res.Audit},
	} {
		if k.keep <= 0 {
			continue
		}
		if *k.n, err = k.prune(ctx, now.Add(-k.keep)); err != nil {
			return res, true, err
		}
	}
	return res, true, nil
}

// Run prunes at once and then every interval until ctx ends.
func (p *Pruner) Run(ctx context.Context, every time.Duration) {
	log := p.Log
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		res, held, err := p.Prune(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("retention", "err", err)
		case res.Total() > 0:
			log.Info("retention: pruned", "sessions", res.Sessions, "idempotency_keys", res.IdempotencyKeys,
				"read_notices", res.ReadNotices, "deliveries", res.Deliveries, "sends", res.Sends, "outbox", res.Outbox, "audit", res.Audit)
		case !held:
			log.Debug("retention: another instance holds the lease")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
