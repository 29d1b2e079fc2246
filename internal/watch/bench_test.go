package watch_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/notify"
	"github.com/xiuhua/xiuhua/internal/notify/channel"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/watch"
)

// BenchmarkSweepSteps times the watcher's writes: b.N overdue cases, each
// reminded and escalated in one catch-up sweep (two durable steps a case,
// each a transition with its event, inbox lines and outbox message).
func BenchmarkSweepSteps(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			s := storetest.Open(b, d)
			f := storetest.NewFixture(b, s)
			for i := 0; i < b.N; i++ {
				dispatched(b, f, storetest.T0.Add(time.Duration(i)*time.Second))
			}
			w := &watch.Watcher{Store: s, Clock: f.Policy, Now: func() time.Time { return storetest.T0.Add(30 * 24 * time.Hour) }}
			b.ResetTimer()
			res, _, err := w.Sweep(context.Background())
			b.StopTimer()
			if err != nil || res.Reminders != b.N || res.Supervisions != b.N {
				b.Fatalf("%+v %v", res, err)
			}
			b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}

// BenchmarkWebhookDelivery sends b.N outbox messages to a receiver on
// loopback and reports messages a second and the most heap in use while
// sending; the heap should not grow with b.N.
func BenchmarkWebhookDelivery(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			s := storetest.Open(b, d)
			var got atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				got.Add(1)
				w.WriteHeader(http.StatusNoContent)
			}))
			defer srv.Close()
			if err := s.CreateWebhook(ctx, &store.Webhook{URL: srv.URL, Secret: secret, Topics: []string{"*"}}); err != nil {
				b.Fatal(err)
			}
			payload := `{"topic":"case.dispatch","case":{"number":"2026112500001","state":"dispatched","category":"M06011",` +
				`"street":"140213053","note":"` + strings.Repeat("x", 300) + `"}}`
			q := `INSERT INTO outbox (topic, case_id, payload, created_at) VALUES ($1, NULL, $2, $3)`
			tx, _ := s.DB().Begin()
			for i := 0; i < b.N; i++ {
				if _, err := tx.Exec(q, "case.dispatch", payload, time.Now().UnixMilli()); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			peak := storetest.HeapPeak()
			dl := &watch.Deliverer{Store: s, Workers: 8}
			b.ResetTimer()
			for got.Load() < int64(b.N) {
				if _, err := dl.DeliverOnce(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(peak(), "peak-heap-MB")
		})
	}
}

// BenchmarkNotificationFanOut plans and sends b.N inbox lines, one SMS
// each to 100 people who chose SMS, through the 云MAS adapter to a
// gateway on loopback that checks every mac; it reports messages a second
// and the most heap in use, which should not grow with b.N.
func BenchmarkNotificationFanOut(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			s := storetest.Open(b, d)
			f := storetest.NewFixture(b, s)
			c := f.Report(b, storetest.T0)
			var got atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				n := got.Add(1)
				fmt.Fprintf(w, `{"success":true,"rspcod":"success","msgGroup":"g%d"}`, n)
			}))
			defer srv.Close()
			tx, _ := s.DB().Begin()
			var ids []int64
			for i := 0; i < 100; i++ {
				var id int64
				if err := tx.QueryRow(`INSERT INTO accounts (username, name, role, unit_id, phone, password_hash, created_at, channels)
					VALUES ($1, $2, 'handler', $3, $4, 'x', 0, 'sms') RETURNING id`, fmt.Sprintf("bench%d", i), "处置员", f.Env.ID,
					fmt.Sprintf("139%08d", i)).Scan(&id); err != nil {
					b.Fatal(err)
				}
				ids = append(ids, id)
			}
			for i := 0; i < b.N; i++ {
				if _, err := tx.Exec(`INSERT INTO notifications (unit_id, account_id, case_id, kind, title, params, level, at, ladder, planned)
					VALUES (NULL, $1, $2, 'task', '', '{"number":"2026030200001","role":"lead","due":"2026-03-03T01:00:00Z"}', 'urgent', $3, FALSE, FALSE)`,
					ids[i%len(ids)], c.ID, storetest.T0.UnixMilli()); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			sms, err := channel.NewCMAS(channel.CMASConfig{BaseURL: srv.URL, EcName: "平城区城市管理局", ApID: "xiuhua", SecretKey: "k", Sign: "S"})
			if err != nil {
				b.Fatal(err)
			}
			m := &watch.Messenger{Store: s, Ladder: notify.DefaultLadder, SMS: sms, Now: func() time.Time { return storetest.T0.Add(time.Minute) }, Batch: 500}
			peak := storetest.HeapPeak()
			b.ResetTimer()
			for got.Load() < int64(b.N) {
				if _, err := m.SendOnce(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(peak(), "peak-heap-MB")
		})
	}
}
