package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/alert"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// A subscription's life in the store, on both engines: asked for (its
// confirmation mail queued, claimed by one taker at a time), confirmed by
// its token's hash, told of a case once however often the case is
// announced, and gone with its tokens and mails when unsubscribed; an
// unconfirmed one is pruned after its time.
func TestSubscriptionLife(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, s)
		now := storetest.T0
		sub := alert.Subscription{Email: "resident@example.cn", Area: alert.Area{Circle: &alert.Circle{Lon: 113.31, Lat: 40.09, Radius: 500}},
			Categories: []string{"M06", "M06011"}, Lang: "en"}
		if err := s.CreateSubscription(ctx, &sub, now); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.SubscriptionsSince(ctx, "resident@example.cn", now.Add(-time.Hour)); n != 1 {
			t.Errorf("subscriptions of the address: %d", n)
		}
		ms, err := s.ClaimAlertMails(ctx, now, time.Minute, 10)
		if err != nil || len(ms) != 1 || ms[0].CaseID != 0 || ms[0].Subscription.Email != sub.Email || ms[0].Subscription.Lang != "en" ||
			ms[0].Subscription.Area.Circle == nil || ms[0].Subscription.Area.Circle.Radius != 500 || len(ms[0].Subscription.Categories) != 2 {
			t.Fatalf("the confirmation mail: %+v %v", ms, err)
		}
		if again, _ := s.ClaimAlertMails(ctx, now, time.Minute, 10); len(again) != 0 {
			t.Errorf("a claimed mail was taken twice: %+v", again)
		}
		_, confirmHash := alert.NewToken()
		_, unsubHash := alert.NewToken()
		if err := s.AddAlertTokens(ctx, sub.ID, now, map[string]string{confirmHash: store.TokenConfirm, unsubHash: store.TokenUnsubscribe}); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordAlertMail(ctx, ms[0], true, "250 ok", "", now, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SubscriptionByToken(ctx, unsubHash, store.TokenConfirm); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an unsubscribe token confirms: %v", err)
		}
		got, err := s.SubscriptionByToken(ctx, confirmHash, store.TokenConfirm)
		if err != nil || got.ID != sub.ID || !got.ConfirmedAt.IsZero() {
			t.Fatalf("by its confirmation token: %+v %v", got, err)
		}
		if err := s.ConfirmSubscription(ctx, sub.ID, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		subs, _ := s.ConfirmedSubscriptions(ctx)
		if len(subs) != 1 || !subs[0].ConfirmedAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("confirmed: %+v", subs)
		}

		c := f.Report(t, now.Add(2*time.Minute))
		for i, want := range []bool{true, false} {
			done, err := s.Announce(ctx, c.ID, c.ReportedAt, []int64{sub.ID}, now.Add(3*time.Minute))
			if err != nil || done != want {
				t.Errorf("announce #%d: %v %v, want %v", i+1, done, err, want)
			}
		}
		ms, _ = s.ClaimAlertMails(ctx, now.Add(3*time.Minute), time.Minute, 10)
		if len(ms) != 1 || ms[0].CaseID != c.ID {
			t.Fatalf("the alert: %+v", ms)
		}
		if err := s.DeleteSubscription(ctx, sub.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SubscriptionByToken(ctx, unsubHash, store.TokenUnsubscribe); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after unsubscribing: %v", err)
		}
		var left int
		s.DB().QueryRow(`SELECT (SELECT count(*) FROM alert_mails) + (SELECT count(*) FROM alert_tokens) + (SELECT count(*) FROM alert_subscriptions)`).Scan(&left)
		if left != 0 {
			t.Errorf("%d rows of the subscription left", left)
		}

		old := alert.Subscription{Email: "other@example.cn", Area: alert.Area{Street: "140213053"}, Lang: "zh-CN"}
		s.CreateSubscription(ctx, &old, now)
		if n, err := s.PruneUnconfirmed(ctx, now.Add(alert.ConfirmWithin)); n != 1 || err != nil {
			t.Errorf("pruned %d unconfirmed: %v", n, err)
		}
	})
}

// Sent mails are pruned after their time; pending ones stay.
func TestPruneAlertMails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := storetest.T0
		for i := range 3 {
			sub := alert.Subscription{Email: "a@example.cn", Area: alert.Area{Street: "140213053"}, Lang: "zh-CN"}
			s.CreateSubscription(ctx, &sub, now)
			if i < 2 {
				ms, _ := s.ClaimAlertMails(ctx, now, time.Minute, 1)
				s.RecordAlertMail(ctx, ms[0], true, "", "", now, time.Time{})
			}
		}
		if n, err := s.PruneAlertMails(ctx, now.Add(time.Hour), 1000); n != 2 || err != nil {
			t.Errorf("pruned %d: %v", n, err)
		}
		if c, _ := s.AlertMailCounts(ctx); c[store.MailPending] != 1 || c[store.MailSent] != 0 {
			t.Errorf("left: %v", c)
		}
	})
}

// A claim that lapsed while its taker was busy is not renewed once
// another taker has the mail: only one of them sends it.
func TestAlertMailClaimLapses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := storetest.T0
		sub := alert.Subscription{Email: "a@example.cn", Area: alert.Area{Street: "140213053"}, Lang: "zh-CN"}
		s.CreateSubscription(ctx, &sub, now)
		first, _ := s.ClaimAlertMails(ctx, now, time.Minute, 10)
		later := now.Add(2 * time.Minute) // the first taker's claim has lapsed
		second, _ := s.ClaimAlertMails(ctx, later, time.Minute, 10)
		if len(first) != 1 || len(second) != 1 {
			t.Fatalf("claims: %d, then %d after the first lapsed", len(first), len(second))
		}
		if ok, err := s.RenewAlertMail(ctx, &first[0], later.Add(time.Minute)); ok || err != nil {
			t.Errorf("the lapsed taker renewed its claim: %v %v", ok, err)
		}
		if ok, err := s.RenewAlertMail(ctx, &second[0], later.Add(time.Minute)); !ok || err != nil {
			t.Errorf("the current taker could not renew: %v %v", ok, err)
		}
	})
}
