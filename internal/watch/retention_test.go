package watch_test

import (
	"context"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/config"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/watch"
)

// After years of work the pruner deletes what no one needs any more, and
// keeps everything still needed: unread notices, pending and parked
// deliveries and the messages they carry, messages a paused webhook has
// not fanned out, live sessions, recent idempotency keys and the audit log
// of the last 400 days. Cases and their events are never touched.
func TestPrunerKeepsWhatIsStillNeeded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, st)
		now := time.Date(2031, 12, 2, 10, 0, 0, 0, time.UTC)
		day := 24 * time.Hour
		ago := func(d time.Duration) int64 { return now.Add(-d).UnixMilli() }
		c := f.Report(t, now.Add(-5*365*day))
		db := st.DB()
		insert := func(q string, args ...any) int64 {
			t.Helper()
			var id int64
			if err := db.QueryRowContext(ctx, q+` RETURNING id`, args...).Scan(&id); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return id
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		before, err := st.Summarize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		note := func(readAt any, at int64) int64 {
			return insert(`INSERT INTO notifications (unit_id, case_id, kind, title, at, read_at) VALUES ($1, $2, 'new_task', 't', $3, $4)`,
				f.Env.ID, c.ID, at, readAt)
		}
		readLongAgo, readLately, unreadOld := note(ago(200*day), ago(201*day)), note(ago(10*day), ago(11*day)), note(nil, ago(1000*day))

		msg := func(created int64) int64 {
			return insert(`INSERT INTO outbox (topic, case_id, payload, created_at) VALUES ('case.report', $1, '{}', $2)`, c.ID, created)
		}
		plain, withPending, withDone, withParked := msg(ago(60*day)), msg(ago(60*day)), msg(ago(60*day)), msg(ago(60*day))
		notFanned, fresh := msg(ago(60*day)), msg(ago(day))
		hook := &store.Webhook{URL: "http://127.0.0.1:1/hook", Secret: "s3cret-for-the-12345-platform", Topics: []string{"case.*"}}
		if err := st.CreateWebhook(ctx, hook); err != nil {
			t.Fatal(err)
		}
		paused := &store.Webhook{URL: "http://127.0.0.1:1/paused", Secret: "s3cret-for-the-12345-platform", Topics: []string{"case.*"}}
		if err := st.CreateWebhook(ctx, paused); err != nil {
			t.Fatal(err)
		}
		exec(`UPDATE webhooks SET active = FALSE, fanned_to = $1 WHERE id = $2`, notFanned-1, paused.ID)
		delivery := func(outbox int64, state string, at int64) int64 {
			id := insert(`INSERT INTO deliveries (webhook_id, outbox_id, state, attempts, next_at, delivered_at) VALUES ($1, $2, $3, 1, $4, $5)`,
				hook.ID, outbox, state, at, at)
			exec(`INSERT INTO delivery_attempts (delivery_id, attempt, at, status, took_ms) VALUES ($1, 1, $2, 200, 5)`, id, at)
			return id
		}
		pending := delivery(withPending, store.DeliveryPending, ago(59*day))
		done := delivery(withDone, store.DeliveryDone, ago(59*day))
		parked := delivery(withParked, store.DeliveryParked, ago(59*day))

		sendRow := func(key, state string, created int64) int64 {
			return insert(`INSERT INTO sends (send_key, case_id, channel, address, lang, kind, level, since, not_before, state, created_at)
				VALUES ($1, $2, 'sms', '13900000001', 'zh-CN', 'task', 'info', $3, $3, $4, $3)`, key, c.ID, created, state)
		}
		oldSent, oldQueued, newSent := sendRow("a", "sent", ago(60*day)), sendRow("b", "queued", ago(60*day)), sendRow("c", "sent", ago(day))

		sess := func(token string, expires int64) {
			exec(`INSERT INTO sessions (token_hash, account_id, csrf, created_at, expires_at) VALUES ($1, $2, 'c', $3, $4)`,
				store.HashToken(token), f.Disp.AccountID, expires-12*3600_000, expires)
		}
		sess("expired-long-ago", ago(2*day))
		sess("expired-lately", ago(time.Hour))
		sess("live", now.Add(time.Hour).UnixMilli())
		exec(`INSERT INTO idempotency_keys (key, account_id, case_id, created_at) VALUES ('old', $1, $2, $3), ('new', $1, $2, $4)`,
			f.Disp.AccountID, c.ID, ago(10*day), ago(day))
		oldAudit := insert(`INSERT INTO audit_log (at, username, event) VALUES ($1, 'admin', 'login')`, ago(500*day))
		keptAudit := insert(`INSERT INTO audit_log (at, username, event) VALUES ($1, 'admin', 'login')`, ago(100*day))

		keep, err := config.ParseRetention("") // what a deployment gets without -retention
		if err != nil {
			t.Fatal(err)
		}
		p := &watch.Pruner{Store: st, Keep: watch.Retention(keep), Now: func() time.Time { return now }, Holder: "a", Lease: time.Minute}
		res, held, err := p.Prune(ctx)
		if err != nil || !held {
			t.Fatalf("prune: %v held %v", err, held)
		}
		exists := func(table string, id int64) bool {
			var n int
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE id = $1`, id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n == 1
		}
		for _, k := range []struct {
			table string
			id    int64
			kept  bool
			what  string
		}{
			{"notifications", readLongAgo, false, "a notice read 200 days ago"},
			{"notifications", readLately, true, "a notice read 10 days ago"},
			{"notifications", unreadOld, true, "an unread notice"},
			{"outbox", plain, false, "a message every webhook has"},
			{"outbox", withPending, true, "a message still being delivered"},
			{"outbox", withDone, false, "a message delivered 59 days ago"},
			{"outbox", withParked, true, "a message whose delivery is parked"},
			{"outbox", notFanned, true, "a message a paused webhook has not fanned out"},
			{"outbox", fresh, true, "yesterday's message"},
			{"deliveries", pending, true, "a pending delivery"},
			{"deliveries", done, false, "a delivery done 59 days ago"},
			{"deliveries", parked, true, "a parked delivery"},
			{"sends", oldSent, false, "an SMS sent 60 days ago"},
			{"sends", oldQueued, true, "an SMS still queued after 60 days"},
			{"sends", newSent, true, "yesterday's SMS"},
			{"audit_log", oldAudit, false, "an audit entry of 500 days ago"},
			{"audit_log", keptAudit, true, "an audit entry of 100 days ago"},
		} {
			if got := exists(k.table, k.id); got != k.kept {
				t.Errorf("%s: kept %v, want %v", k.what, got, k.kept)
			}
		}
		var attempts, sessions, keys int
		db.QueryRowContext(ctx, `SELECT count(*) FROM delivery_attempts WHERE delivery_id = $1`, done).Scan(&attempts)
		db.QueryRowContext(ctx, `SELECT count(*) FROM sessions`).Scan(&sessions)
		db.QueryRowContext(ctx, `SELECT count(*) FROM idempotency_keys WHERE key = 'new'`).Scan(&keys)
		if attempts != 0 || sessions != 2 || keys != 1 {
			t.Errorf("attempt logs of a pruned delivery %d (want 0), sessions %d (want 2), recent keys %d (want 1)", attempts, sessions, keys)
		}
		if res.ReadNotices != 1 || res.Deliveries != 1 || res.Sends != 1 || res.Outbox != 2+before.Outbox || res.Sessions != 1 || res.IdempotencyKeys != 1 || res.Audit != 1 {
			t.Errorf("counted %+v", res)
		}
		// The report's own message (five years old, fanned out) went too.
		after, _ := st.Summarize(ctx)
		if after.Cases != before.Cases || after.Events != before.Events || after.Tasks != before.Tasks {
			t.Fatalf("cases, tasks or events were pruned: %+v → %+v", before, after)
		}
		// Nothing more the second time; another instance waits for the lease.
		if again, _, err := p.Prune(ctx); err != nil || again.Total() != 0 {
			t.Fatalf("a second prune: %+v %v", again, err)
		}
		other := &watch.Pruner{Store: st, Keep: watch.Retention(keep), Now: func() time.Time { return now }, Holder: "b", Lease: time.Minute}
		if _, held, err := other.Prune(ctx); err != nil || held {
			t.Fatalf("a second instance pruned while the first held the lease: held %v, %v", held, err)
		}
	})
}
