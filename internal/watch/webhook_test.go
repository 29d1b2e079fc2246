package watch_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/watch"
)

const secret = "s3cret-for-the-12345-platform"

// receiver is a subscriber that misbehaves on cue: it fails the first
// failures requests with 500, times out on the next stalls, then accepts.
type receiver struct {
	mu       sync.Mutex
	failures int
	stalls   int
	stall    time.Duration
	got      map[string]store.Message // by X-Xiuhua-Message
	badSig   int
	requests int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.requests++
	if !watch.Verify(secret, req.Header.Get("X-Xiuhua-Signature"), req.Header.Get("X-Xiuhua-Timestamp"), body, time.Now(), 5*time.Minute) {
		r.badSig++
		r.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	switch {
	case r.failures > 0:
		r.failures--
		r.mu.Unlock()
		http.Error(w, "database down", http.StatusInternalServerError)
		return
	case r.stalls > 0:
		r.stalls--
		r.mu.Unlock()
		time.Sleep(r.stall)
		return
	}
	var m store.Message
	if err := json.Unmarshal(body, &m); err != nil {
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.got[req.Header.Get("X-Xiuhua-Message")] = m
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.got) }

// drain delivers until nothing is pending or the time is up.
func drain(t *testing.T, s *store.Store, d *watch.Deliverer, within time.Duration) map[string]int {
	t.Helper()
	end := time.Now().Add(within)
	for {
		if _, err := d.DeliverOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		counts, err := s.DeliveryCounts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if counts[store.DeliveryPending] == 0 || time.Now().After(end) {
			return counts
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A subscriber that fails, then times out, then recovers gets every
// message once it is well, each signed, and every attempt is on record.
func TestWebhooksSurviveAFailingReceiver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, s)
		rcv := &receiver{failures: 3, stalls: 1, stall: 400 * time.Millisecond, got: map[string]store.Message{}}
		srv := httptest.NewServer(rcv)
		defer srv.Close()
		h := &store.Webhook{URL: srv.URL + "/hook", Secret: secret, Topics: []string{"case.*"}}
		if err := s.CreateWebhook(ctx, h); err != nil {
			t.Fatal(err)
		}
		const n = 5
		for i := range n {
			dispatched(t, f, storetest.T0.Add(time.Duration(i)*time.Hour)) // report, register, dispatch
		}
		d := &watch.Deliverer{Store: s, Client: &http.Client{Timeout: 200 * time.Millisecond},
			Backoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, MaxAttempts: 20, Workers: 2}
		counts := drain(t, s, d, 20*time.Second)
		if counts[store.DeliveryDone] != 3*n || counts[store.DeliveryParked] != 0 || rcv.count() != 3*n {
			t.Fatalf("deliveries %v, receiver has %d messages, want %d", counts, rcv.count(), 3*n)
		}
		if rcv.badSig != 0 {
			t.Fatalf("%d requests failed signature checks", rcv.badSig)
		}
		if rcv.requests < 3*n+4 {
			t.Fatalf("%d requests: the failures and the timeout were not retried", rcv.requests)
		}
		seen := map[string]int{}
		for _, m := range rcv.got {
			seen[m.Topic]++
			if m.Case.Number == "" || m.Event == nil {
				t.Fatalf("message without case or event: %+v", m)
			}
		}
		if seen["case.report"] != n || seen["case.register"] != n || seen["case.dispatch"] != n {
			t.Fatalf("topics received: %v", seen)
		}
		var attempts int
		if err := s.DB().QueryRow(`SELECT count(*) FROM delivery_attempts WHERE status <> 204`).Scan(&attempts); err != nil {
			t.Fatal(err)
		}
		if attempts < 4 {
			t.Fatalf("%d failed attempts recorded, want the 3 errors and the timeout", attempts)
		}
	})
}

// A delivery that keeps failing is parked and visible; replayed after the
// subscriber is fixed, it arrives.
func TestParkedDeliveryIsReplayed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, s)
		rcv := &receiver{failures: 1000, got: map[string]store.Message{}}
		srv := httptest.NewServer(rcv)
		defer srv.Close()
		h := &store.Webhook{URL: srv.URL, Secret: secret, Topics: []string{"case.report"}}
		if err := s.CreateWebhook(ctx, h); err != nil {
			t.Fatal(err)
		}
		f.Report(t, storetest.T0)
		d := &watch.Deliverer{Store: s, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxAttempts: 3}
		counts := drain(t, s, d, 10*time.Second)
		if counts[store.DeliveryParked] != 1 {
			t.Fatalf("deliveries %v, want one parked", counts)
		}
		parked, err := s.Deliveries(ctx, store.DeliveryParked, 10)
		if err != nil || len(parked) != 1 || parked[0].Attempts != 3 || parked[0].LastStatus != 500 {
			t.Fatalf("parked %+v %v", parked, err)
		}
		rcv.mu.Lock()
		rcv.failures = 0
		rcv.mu.Unlock()
		if n, err := s.Replay(ctx, 0, h.ID, time.Now()); err != nil || n != 1 {
			t.Fatalf("replay: %d %v", n, err)
		}
		if counts := drain(t, s, d, 10*time.Second); counts[store.DeliveryDone] != 1 || rcv.count() != 1 {
			t.Fatalf("after replay %v, received %d", counts, rcv.count())
		}
	})
}

// The outbox is written with the change, so a process that stops before
// delivering (or dies holding a claim) loses nothing: the next process
// delivers from the database.
func TestNothingLostAcrossARestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "xiuhua.db")
	s, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := storetest.NewFixture(t, s)
	rcv := &receiver{got: map[string]store.Message{}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	if err := s.CreateWebhook(ctx, &store.Webhook{URL: srv.URL, Secret: secret, Topics: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		f.Report(t, storetest.T0.Add(time.Duration(i)*time.Minute))
	}
	// The first process fans out and claims, then dies without sending.
	if _, err := s.FanOut(ctx, time.Now(), 1000); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimDeliveries(ctx, time.Now(), 300*time.Millisecond, 100)
	if err != nil || len(claimed) != 4 {
		t.Fatalf("claimed %d: %v", len(claimed), err)
	}
	s.Close()

	s2, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	d := &watch.Deliverer{Store: s2}
	if _, err := d.DeliverOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if rcv.count() != 0 {
		t.Fatal("a claimed delivery was sent before its claim lapsed")
	}
	time.Sleep(400 * time.Millisecond)
	if counts := drain(t, s2, d, 10*time.Second); counts[store.DeliveryDone] != 4 || rcv.count() != 4 {
		t.Fatalf("after restart %v, received %d", counts, rcv.count())
	}
	for id, m := range rcv.got {
		if _, err := strconv.Atoi(id); err != nil || m.Topic != "case.report" {
			t.Fatalf("message %q: %+v", id, m)
		}
	}
}

// Messages carry no personal data.
func TestMessagesHaveNoPersonalData(t *testing.T) {
	s := storetest.Open(t, store.SQLite)
	f := storetest.NewFixture(t, s)
	c := f.Report(t, storetest.T0)
	var payload string
	if err := s.DB().QueryRow(`SELECT payload FROM outbox WHERE case_id = ?`, c.ID).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	for _, personal := range []string{c.Reporter.Name, c.Reporter.Phone} {
		if personal == "" || strings.Contains(payload, personal) {
			t.Fatalf("payload %s carries %q", payload, personal)
		}
	}
	if !strings.Contains(payload, c.Number) || !strings.Contains(payload, string(caseflow.ActReport)) {
		t.Fatalf("payload %s lacks the case", payload)
	}
}
