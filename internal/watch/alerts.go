package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/xiuhua/xiuhua/internal/alert"
	"github.com/xiuhua/xiuhua/internal/notify/channel"
	"github.com/xiuhua/xiuhua/internal/publish"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Residents' area alerts, as two pieces of background work. Matching (one
// instance at a time, by lease) reads the events after its mark, finds the
// cases that have become public, and queues one alert mail per confirmed
// subscription whose area and categories match (alert.Matches) — each
// case is matched once (store.Announce). Sending (every instance, by
// claims) takes due mails, confirmations and alerts alike, and hands them
// to the mailer; a claim keeps other instances off a mail while it is
// being sent, so each goes once.

// AlertLease is the lease row the matching pass holds.
const AlertLease = "alerts"

// KeepAlertMails is how long sent and parked mails are kept (for a look at
// what went out); a case is never announced twice whatever is pruned.
const KeepAlertMails = 30 * 24 * time.Hour

// mailHold is how long a claim on a mail keeps other instances off it:
// longer than one send may take (the mail adapter's 30 s timeout).
const mailHold = 2 * time.Minute

// Mailer sends one mail: channel's mail adapter.
type Mailer interface {
	Send(ctx context.Context, m channel.Message) (channel.Receipt, error)
}

// AlertWriter writes alert mails in the subscriber's language, with the
// links of the tokens given (package web, from the message catalogs).
type AlertWriter interface {
	// Confirmation is the mail asking the resident to confirm.
	Confirmation(ctx context.Context, s alert.Subscription, confirmToken, unsubscribeToken string) (channel.Message, error)
	// Alert is the mail telling of a case; false when the case is no
	// longer one the public may see.
	Alert(ctx context.Context, s alert.Subscription, caseID int64, unsubscribeToken string) (channel.Message, bool, error)
}

// Alerter matches newly public cases to subscriptions and sends the mails.
type Alerter struct {
	Store  *store.Store
	Mailer Mailer
	Writer AlertWriter
	Now    func() time.Time
	Holder string        // names this instance in the lease row
	Lease  time.Duration // the matching pass's lease (default 60 s)
	Batch  int           // events read at a time (default 500)
	// Backoff is the wait after a mail's first failure, doubled after each
	// further one up to an hour; MaxAttempts before it is parked (defaults
	// 30 s and 8).
	Backoff     time.Duration
	MaxAttempts int
	Log         *slog.Logger
	// OnMail, when set, is told each mail's attempt: its kind
	// (confirmation or alert) and outcome (sent, failed or parked).
	OnMail func(kind, outcome string)

	gapID    int64 // the first missing event id after the mark, and since when
	gapSince time.Time
}

func (a *Alerter) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Alerter) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}

// rule is publish's rule as a store filter.
var rule = store.PublicRule{Listable: publish.Listable, VerifyFirst: publish.VerifyFirst}

// gapExpired says whether an event id has been missing for store.GapWait:
// on PostgreSQL ids are taken at insert and seen at commit, so a missing
// id is a transaction still running, or after a while one rolled back.
func (a *Alerter) gapExpired(id int64) bool {
	now := time.Now() // real transactions, not the application's clock
	if a.gapID == id {
		return now.Sub(a.gapSince) >= store.GapWait
	}
	a.gapID, a.gapSince = id, now
	return false
}

// Match reads the events after the mark and queues the alerts of the
// cases that became public. It returns how many cases it announced and
// false in held when another instance holds the lease.
func (a *Alerter) Match(ctx context.Context) (announced int, held bool, err error) {
	lease, batch := a.Lease, a.Batch
	if lease <= 0 {
		lease = time.Minute
	}
	if batch <= 0 {
		batch = 500
	}
	for round := 0; ; round++ {
		now := a.now()
		ok, err := a.Store.AcquireLease(ctx, AlertLease, a.Holder, now, lease)
		if err != nil || !ok {
			return announced, false, err
		}
		if round == 0 {
			// Unconfirmed requests past their week, and old sent mails.
			if _, err := a.Store.PruneUnconfirmed(ctx, now.Add(-alert.ConfirmWithin)); err != nil {
				return announced, true, err
			}
			if _, err := a.Store.PruneAlertMails(ctx, now.Add(-KeepAlertMails), 1000); err != nil {
				return announced, true, err
			}
		}
		mark, err := a.Store.AlertMark(ctx)
		if err != nil {
			return announced, true, err
		}
		evs, err := a.Store.AlertEvents(ctx, mark, batch, rule)
		if err != nil || len(evs) == 0 {
			return announced, true, err
		}
		next, stuck := mark, false
		first := map[int64]time.Time{} // candidate cases, at their first event here
		var order []int64
		for _, e := range evs {
			if !stuck && e.ID != next+1 && !a.gapExpired(next+1) {
				stuck = true
			}
			if !stuck {
				next = e.ID
			}
			if _, seen := first[e.CaseID]; e.Candidate && !seen {
				first[e.CaseID] = e.At
				order = append(order, e.CaseID)
			}
		}
		if len(order) > 0 {
			n, err := a.announce(ctx, order, first, now)
			announced += n
			if err != nil {
				return announced, true, err
			}
		}
		if next > mark {
			if err := a.Store.SetAlertMark(ctx, next); err != nil {
				return announced, true, err
			}
		}
		if next == mark || len(evs) < batch {
			return announced, true, nil
		}
	}
}

// announce matches each case against the confirmed subscriptions.
func (a *Alerter) announce(ctx context.Context, ids []int64, at map[int64]time.Time, now time.Time) (int, error) {
	cats, err := a.Store.Categories(ctx)
	if err != nil {
		return 0, err
	}
	public := map[string]bool{}
	for _, c := range cats {
		public[c.ID] = c.Public
	}
	subs, err := a.Store.ConfirmedSubscriptions(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		c, err := a.Store.Case(ctx, id)
		if err != nil {
			return n, err
		}
		if v := publish.Decide(c, public[c.CategoryID], publish.List); !v.Show || !v.Place {
			continue // not (yet) what the board lists
		}
		ac := alert.Case{Number: c.Number, Category: c.CategoryID, Street: c.Place.Street, Community: c.Place.Community,
			Point: publish.Point(c.Point), PublicAt: at[id]}
		var to []int64
		if now.Sub(ac.PublicAt) <= alert.Fresh {
			to = alert.Recipients(subs, ac)
		}
		done, err := a.Store.Announce(ctx, id, ac.PublicAt, to, now)
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// Send sends the mails that are due, until none is left; it returns how
// many went.
func (a *Alerter) Send(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		batch, err := a.Store.ClaimAlertMails(ctx, a.now(), mailHold, 20)
		if err != nil || len(batch) == 0 {
			return sent, err
		}
		for _, m := range batch {
			ok, err := a.deliver(ctx, m)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
	}
	return sent, ctx.Err()
}

// deliver makes one attempt at a mail and records it.
func (a *Alerter) deliver(ctx context.Context, m store.AlertMail) (bool, error) {
	now := a.now()
	// A slow mail server earlier in the batch may have let this claim
	// lapse: take it again for one send, or leave it to whoever has it.
	if ok, err := a.Store.RenewAlertMail(ctx, &m, now.Add(mailHold)); err != nil || !ok {
		return false, err
	}
	unsub, unsubHash := alert.NewToken()
	tokens := map[string]string{unsubHash: store.TokenUnsubscribe}
	var msg channel.Message
	var err error
	if m.CaseID == 0 {
		confirm, confirmHash := alert.NewToken()
		tokens[confirmHash] = store.TokenConfirm
		msg, err = a.Writer.Confirmation(ctx, m.Subscription, confirm, unsub)
	} else {
		var public bool
		msg, public, err = a.Writer.Alert(ctx, m.Subscription, m.CaseID, unsub)
		if err == nil && !public {
			// Hidden again before its alert went: nobody is told.
			return false, a.Store.RecordAlertMail(ctx, m, false, "", "the case is no longer public", now, time.Time{})
		}
	}
	if err != nil {
		return false, err
	}
	// The links must work when the mail arrives.
	if err := a.Store.AddAlertTokens(ctx, m.Subscription.ID, now, tokens); err != nil {
		return false, err
	}
	// The same on every retry (the adapter recognises a repeat by it), and
	// never another mail's: SQLite may hand a deleted row's id out again
	// (an unsubscribe deletes the newest mails), so the subscription's
	// creation and the case go with it.
	msg.ID = fmt.Sprintf("alert-mail-%d-%d-%d", m.ID, m.Subscription.CreatedAt.UnixMilli(), m.CaseID)
	msg.To = []string{m.Subscription.Email}
	rec, err := a.Mailer.Send(ctx, msg)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	kind := "alert"
	if m.CaseID == 0 {
		kind = "confirmation"
	}
	if err == nil {
		a.observe(kind, "sent")
		return true, a.Store.RecordAlertMail(rctx, m, true, rec.ProviderID, "", a.now(), time.Time{})
	}
	if ctx.Err() != nil {
		return false, nil // shutting down: the claim lapses and another try follows
	}
	retry := a.retryAt(a.now(), m.Attempts+1, err)
	if retry.IsZero() {
		a.observe(kind, "parked")
		a.log().Warn("alert mail parked", "mail", m.ID, "attempts", m.Attempts+1, "err", err)
	} else {
		a.observe(kind, "failed")
	}
	return false, a.Store.RecordAlertMail(rctx, m, false, "", err.Error(), a.now(), retry)
}

func (a *Alerter) observe(kind, outcome string) {
	if a.OnMail != nil {
		a.OnMail(kind, outcome)
	}
}

// retryAt is when to try a failed mail again; zero: park it (a permanent
// refusal, or too many attempts).
func (a *Alerter) retryAt(at time.Time, attempts int, err error) time.Time {
	backoff, most := a.Backoff, a.MaxAttempts
	if backoff <= 0 {
		backoff = 30 * time.Second
	}
	if most <= 0 {
		most = 8
	}
	var ce *channel.Error
	if attempts >= most || errors.As(err, &ce) && !ce.Retry {
		return time.Time{}
	}
	wait := backoff
	for i := 1; i < attempts && wait < time.Hour; i++ {
		wait *= 2
	}
	if ce != nil && ce.After > wait {
		wait = ce.After
	}
	return at.Add(min(wait, time.Hour))
}

// Run matches and sends every interval until ctx ends, then gives the
// lease up.
func (a *Alerter) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, _, err := a.Match(ctx); err != nil && ctx.Err() == nil {
			a.log().Error("area alerts: matching", "err", err)
		} else if n > 0 {
			a.log().Info("area alerts: cases announced", "cases", n)
		}
		if n, err := a.Send(ctx); err != nil && ctx.Err() == nil {
			a.log().Error("area alerts: sending", "err", err)
		} else if n > 0 {
			a.log().Info("area alerts: mails sent", "mails", n)
		}
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = a.Store.ReleaseLease(rctx, AlertLease, a.Holder)
			cancel()
			return
		case <-t.C:
		}
	}
}
