package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// A page of accounts searched by text, role and unit, on SQLite and
// PostgreSQL alike: case does not matter, % and _ are text, pages do not
// overlap.
func TestAccountsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := storetest.NewFixture(t, s)
		ctx := context.Background()
		names := func(f store.AccountFilter) ([]string, int) {
			t.Helper()
			if f.Limit == 0 {
				f.Limit = 10
			}
			as, n, err := s.AccountsPage(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, a := range as {
				out = append(out, a.Username)
			}
			return out, n
		}
		if got, n := names(store.AccountFilter{}); n != 5 || len(got) != 5 || got[0] != "disp" {
			t.Fatalf("all: %v of %d", got, n)
		}
		if got, n := names(store.AccountFilter{Limit: 2, Offset: 2}); n != 5 || len(got) != 2 || got[0] != "leader" {
			t.Errorf("second page of two: %v of %d", got, n)
		}
		if got, _ := names(store.AccountFilter{Q: "环卫"}); len(got) != 1 || got[0] != "hw" {
			t.Errorf("by unit name: %v", got)
		}
		if got, _ := names(store.AccountFilter{Q: "HWC"}); len(got) != 1 {
			t.Errorf("by unit code in capitals: %v", got)
		}
		if got, _ := names(store.AccountFilter{Q: "%"}); len(got) != 0 {
			t.Errorf("%% as a pattern: %v", got)
		}
		if got, _ := names(store.AccountFilter{Role: caseflow.GridWorker}); len(got) != 1 || got[0] != "worker" {
			t.Errorf("by role: %v", got)
		}
		as, _, _ := s.AccountsPage(ctx, store.AccountFilter{Role: caseflow.GridWorker, Limit: 1})
		if len(as) != 1 || len(as[0].Grids) != 1 {
			t.Errorf("a grid worker without grids: %+v", as)
		}
		if got, n := names(store.AccountFilter{UnitID: f.Centre.ID, Q: "OP"}); n != 1 || got[0] != "op" {
			t.Errorf("by unit and text: %v of %d", got, n)
		}
	})
}

// A webhook's deliveries, newest first, by state and page; one delivery
// by id, and none for an absent one.
func TestWebhookDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := storetest.NewFixture(t, s)
		ctx := context.Background()
		h := &store.Webhook{URL: "http://127.0.0.1:9/hook", Secret: "0123456789abcdef", Topics: []string{"*"}}
		if err := s.CreateWebhook(ctx, h); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			f.Report(t, storetest.T0.Add(time.Duration(i)*time.Minute))
		}
		if _, err := s.FanOut(ctx, storetest.T0.Add(time.Hour), 100); err != nil {
			t.Fatal(err)
		}
		all, err := s.WebhookDeliveries(ctx, h.ID, "", 0, 100)
		if err != nil || len(all) < 3 || all[0].ID < all[1].ID {
			t.Fatalf("deliveries: %v %+v", err, all)
		}
		page, _ := s.WebhookDeliveries(ctx, h.ID, "", all[0].ID, 1)
		if len(page) != 1 || page[0].ID != all[1].ID {
			t.Errorf("the page below %d: %+v", all[0].ID, page)
		}
		if done, _ := s.WebhookDeliveries(ctx, h.ID, store.DeliveryDone, 0, 100); len(done) != 0 {
			t.Errorf("done before any attempt: %+v", done)
		}
		if other, _ := s.WebhookDeliveries(ctx, h.ID+1, "", 0, 100); len(other) != 0 {
			t.Errorf("another webhook's: %+v", other)
		}
		d, err := s.DeliveryByID(ctx, all[0].ID)
		if err != nil || d.State != store.DeliveryPending || d.WebhookID != h.ID {
			t.Errorf("one delivery: %v %+v", err, d)
		}
		if _, err := s.DeliveryByID(ctx, 999999); err == nil {
			t.Error("an absent delivery read without an error")
		}
		if w, err := s.WaitingDeliveries(ctx); err != nil || w[h.ID][store.DeliveryPending] != len(all) || w[h.ID][store.DeliveryParked] != 0 {
			t.Errorf("waiting: %v %v, want %d pending", err, w, len(all))
		}
		if got, err := s.Webhook(ctx, h.ID); err != nil || got.URL != h.URL {
			t.Errorf("webhook: %v %+v", err, got)
		}
	})
}
