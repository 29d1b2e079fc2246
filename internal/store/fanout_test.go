package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// On PostgreSQL an outbox row with a lower id can commit after one with a
// higher id. Fanning out must not move past the lower one while it is
// still uncommitted: both messages get their delivery.
func TestFanOutWaitsForALateCommit(t *testing.T) {
	st := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	h := &store.Webhook{URL: "http://127.0.0.1:1/hook", Secret: "a-secret-of-some-length", Topics: []string{"*"}}
	if err := st.CreateWebhook(ctx, h); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	slow, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback()
	var first, second int64
	if err := slow.QueryRowContext(ctx, `INSERT INTO outbox (topic, payload, created_at) VALUES ('case.report', '{}', $1) RETURNING id`, now.UnixMilli()).Scan(&first); err != nil {
		t.Fatal(err)
	}
	if err := st.DB().QueryRowContext(ctx, `INSERT INTO outbox (topic, payload, created_at) VALUES ('case.report', '{}', $1) RETURNING id`, now.UnixMilli()).Scan(&second); err != nil {
		t.Fatal(err)
	}
	if second <= first {
		t.Fatalf("ids %d then %d", first, second)
	}
	if _, err := st.FanOut(ctx, now, 100); err != nil {
		t.Fatal(err)
	}
	if err := slow.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.FanOut(ctx, now, 100); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{first, second} {
		var n int
		if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND outbox_id = $2`, h.ID, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("message %d: %d deliveries, want 1", id, n)
		}
	}
}
