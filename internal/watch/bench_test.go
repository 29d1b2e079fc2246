package watch_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/notify"
	"github.com/xiuhua/xiuhua/internal/notify/channel"
	"github.com/xiuhua/xiuhua/internal/refdata"
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

// BenchmarkMorningDigest times one morning's digests for every unit: the
// figures of every unit (one grouped query each over the running
// deadlines and yesterday's closed cases), a robot per unit and the sends
// written. The database is $XIUHUA_BENCH_DB (a demo built with `xiuhua
// demo -cases N -no-serve`; robots are added for the run and removed
// after), or else a fixture of 2,000 dispatched cases.
func BenchmarkMorningDigest(b *testing.B) {
	ctx := context.Background()
	var s *store.Store
	var cal func() *calendar.Calendar
	var now time.Time
	if target := os.Getenv("XIUHUA_BENCH_DB"); target != "" {
		var err error
		if s, err = store.Open(ctx, target, store.Options{}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		if err := s.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		c, err := calendar.New(calendar.DefaultWindows, refdata.Holidays()...)
		if err != nil {
			b.Fatal(err)
		}
		cal = func() *calendar.Calendar { return c }
		latest, err := s.Cases(ctx, store.CaseFilter{Limit: 1})
		if err != nil || len(latest) == 0 {
			b.Fatalf("no cases: %v", err)
		}
		// Mornings inside the data: each has a day of closed cases.
		now = latest[0].ReportedAt.AddDate(0, 0, -30)
	} else {
		s = storetest.Open(b, store.SQLite)
		f := storetest.NewFixture(b, s)
		for i := 0; i < 2000; i++ {
			dispatched(b, f, storetest.T0.Add(time.Duration(i)*time.Minute))
		}
		cal = f.Policy.Calendar
		now = storetest.T0.Add(3 * 24 * time.Hour)
	}
	units, err := s.Units(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var robots []int64
	for _, u := range units {
		r := &store.RobotConfig{RobotInfo: store.RobotInfo{UnitID: u.ID, Kind: channel.KindDingTalk, Name: "bench", Lang: "zh-CN", Active: true}, Token: "t"}
		if err := s.SaveRobot(ctx, r, now); err != nil {
			b.Fatal(err)
		}
		robots = append(robots, r.ID)
	}
	b.Cleanup(func() {
		for _, id := range robots {
			s.DeleteRobot(ctx, id)
		}
		s.DB().Exec(`DELETE FROM sends WHERE send_key LIKE 'digest|%'`)
		s.DB().Exec(`DELETE FROM leases WHERE name LIKE 'done:digest:%'`)
	})
	day := now
	m := &watch.Messenger{Store: s, Calendar: cal, Now: func() time.Time { return day }}
	b.ResetTimer()
	sent := 0
	for i := 0; i < b.N; i++ {
		// Each round a working day later, at 09:00 Beijing time.
		for {
			day = day.Add(24 * time.Hour)
			l := day.In(calendar.Shanghai)
			day = time.Date(l.Year(), l.Month(), l.Day(), 9, 0, 0, 0, calendar.Shanghai)
			if cal().IsWorkingDay(day) {
				break
			}
		}
		n, err := m.DigestOnce(ctx)
		if err != nil || n < len(units) {
			b.Fatalf("%d digests for %d units: %v", n, len(units), err)
		}
		sent += n
	}
	b.StopTimer()
	b.ReportMetric(float64(len(units)), "units")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/morning")
}
