package watch_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/alert"
	"github.com/xiuhua/xiuhua/internal/notify/channel"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/watch"
)

// nullWriter writes an empty mail: the benchmark times the matching.
type nullWriter struct{}

func (nullWriter) Confirmation(context.Context, alert.Subscription, string, string) (channel.Message, error) {
	return channel.Message{}, nil
}
func (nullWriter) Alert(context.Context, alert.Subscription, int64, string) (channel.Message, bool, error) {
	return channel.Message{}, true, nil
}

// BenchmarkAlertMatching times the matching pass: 200 cases that became
// public, against 10,000 confirmed subscriptions (streets, communities and
// circles of 300–3000 m, a third with categories), with a twentieth of
// them matching each case. Each round puts the mark back and forgets the
// announcements, then matches the 200 again; it reports cases a second.
func BenchmarkAlertMatching(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			s := storetest.Open(b, d)
			f := storetest.NewFixture(b, s)
			const subs, cases = 10000, 200
			tx, _ := s.DB().Begin()
			for i := range subs {
				street, community, lon, lat, radius, cats := "140213054", "", any(nil), any(nil), any(nil), ""
				switch {
				case i%20 == 0: // a twentieth: the fixture's street
					street = "140213053"
				case i%3 == 1:
					street, community = "", fmt.Sprintf("1402130540%02d", i%50)
				case i%3 == 2:
					street, lon, lat, radius = "", 113.40+float64(i%100)*0.001, 40.20, 300+float64(i%10)*300
				}
				if i%3 == 0 {
					cats = "M06,M01001"
				}
				if _, err := tx.Exec(`INSERT INTO alert_subscriptions (email, street, community, lon, lat, radius, categories, lang, created_at, confirmed_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, 'zh-CN', $8, $9)`, fmt.Sprintf("r%d@example.cn", i), street, community, lon, lat, radius, cats,
					storetest.T0.UnixMilli(), storetest.T0.UnixMilli()); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			al := &watch.Alerter{Store: s, Writer: nullWriter{}, Now: func() time.Time { return storetest.T0.Add(time.Hour) }, Holder: "bench"}
			if _, _, err := al.Match(ctx); err != nil {
				b.Fatal(err)
			}
			mark, _ := s.AlertMark(ctx)
			for i := range cases {
				f.Report(b, storetest.T0.Add(time.Duration(i+1)*time.Second))
			}
			var took time.Duration
			for b.Loop() {
				for _, q := range []string{`DELETE FROM alert_mails`, `DELETE FROM alert_cases`} {
					if _, err := s.DB().Exec(q); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := s.DB().Exec(`UPDATE alert_marks SET mark = $1`, mark); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				n, _, err := al.Match(ctx)
				took += time.Since(start)
				if err != nil || n != cases {
					b.Fatalf("announced %d: %v", n, err)
				}
			}
			counts, _ := s.AlertMailCounts(ctx)
			if counts[store.MailPending] != cases*subs/20 {
				b.Fatalf("queued %v, want %d", counts, cases*subs/20)
			}
			b.ReportMetric(float64(cases*b.N)/took.Seconds(), "cases/s")
			b.ReportMetric(float64(cases*subs/20*b.N)/took.Seconds(), "alerts/s")
		})
	}
}
