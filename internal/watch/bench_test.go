package watch_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
