package watch

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/internal/store"
)

// Webhook deliveries are signed like this, so a subscriber can check both
// the sender and the freshness of a message:
//
//	X-Xiuhua-Timestamp: 1764050000              (Unix seconds, at sending)
//	X-Xiuhua-Signature: sha256=<hex>            HMAC-SHA256(secret, timestamp + "." + body)
//	X-Xiuhua-Message:   42                      the outbox id: the same on every retry
//	X-Xiuhua-Delivery:  7                       this subscriber's delivery
//	X-Xiuhua-Topic:     case.dispatch
//
// Delivery is at least once: a subscriber deduplicates on X-Xiuhua-Message.

// Sign computes the signature header value for a body sent at ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header for a body and timestamp header,
// refusing timestamps further than tolerance from now.
func Verify(secret, sig, ts string, body []byte, now time.Time, tolerance time.Duration) bool {
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(Sign(secret, t, body)))
}

// Deliverer sends outbox messages to webhooks.
type Deliverer struct {
	Store  *store.Store
	Client *http.Client // default: 10 s timeout
	Now    func() time.Time
	// Workers is how many deliveries run at once (default 4); memory stays
	// flat whatever the backlog, as claims are taken a batch at a time.
	Workers int
	// Backoff is the wait after the first failure, doubled after each
	// further one up to MaxBackoff (defaults 2 s and 1 h), with ±20 % jitter.
	Backoff, MaxBackoff time.Duration
	// MaxAttempts before a delivery is parked (default 10: about 17 minutes
	// of retries with the default backoff).
	MaxAttempts int
	Log         *slog.Logger
	// OnAttempt, when set, is told each attempt's outcome: ok, failed or
	// parked (metrics).
	OnAttempt func(outcome string)
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Deliverer) defaults() {
	if d.Client == nil {
		d.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if d.Workers <= 0 {
		d.Workers = 4
	}
	if d.Backoff <= 0 {
		d.Backoff = 2 * time.Second
	}
	if d.MaxBackoff <= 0 {
		d.MaxBackoff = time.Hour
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 10
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
}

// retryAt is when to try again after attempts failures; zero: park it.
func (d *Deliverer) retryAt(at time.Time, attempts int) time.Time {
	if attempts >= d.MaxAttempts {
		return time.Time{}
	}
	wait := d.Backoff
	for i := 1; i < attempts && wait < d.MaxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, d.MaxBackoff)
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(wait))
	return at.Add(wait + jitter)
}

// DeliverOnce fans new messages out and sends what is due, until nothing
// due is left. It returns how many attempts it made.
func (d *Deliverer) DeliverOnce(ctx context.Context) (int, error) {
	d.defaults()
	if _, err := d.Store.FanOut(ctx, d.now(), 1000); err != nil {
		return 0, err
	}
	total := 0
	for ctx.Err() == nil {
		batch, err := d.Store.ClaimDeliveries(ctx, d.now(), d.Client.Timeout+30*time.Second, d.Workers*8)
		if err != nil || len(batch) == 0 {
			return total, err
		}
		jobs := make(chan store.Delivery)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		for range d.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for dl := range jobs {
					if err := d.deliver(ctx, dl); err != nil {
						mu.Lock()
						firstErr = cmpErr(firstErr, err)
						mu.Unlock()
					}
				}
			}()
		}
		for _, dl := range batch {
			jobs <- dl
		}
		close(jobs)
		wg.Wait()
		total += len(batch)
		if firstErr != nil {
			return total, firstErr
		}
		if _, err := d.Store.FanOut(ctx, d.now(), 1000); err != nil {
			return total, err
		}
	}
	return total, ctx.Err()
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// deliver makes one attempt and records it.
func (d *Deliverer) deliver(ctx context.Context, dl store.Delivery) error {
	start := d.now()
	ts := start.Unix()
	a := store.Attempt{At: start}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(dl.Payload))
	if err != nil {
		a.Error = err.Error()
	} else {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.Header.Set("User-Agent", "Xiuhua-Webhook/1")
		req.Header.Set("X-Xiuhua-Timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("X-Xiuhua-Signature", Sign(dl.Secret, ts, dl.Payload))
		req.Header.Set("X-Xiuhua-Message", strconv.FormatInt(dl.OutboxID, 10))
		req.Header.Set("X-Xiuhua-Delivery", strconv.FormatInt(dl.ID, 10))
		req.Header.Set("X-Xiuhua-Topic", dl.Topic)
		resp, err := d.Client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil // shutting down: the claim lapses and another try follows
			}
			a.Error = err.Error()
		} else {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			a.Status, a.Response = resp.StatusCode, string(bytes.ToValidUTF8(body, []byte("?")))
			if !a.OK() {
				a.Error = fmt.Sprintf("HTTP %d", resp.StatusCode)
			}
		}
	}
	a.Took = d.now().Sub(start)
	var retry time.Time
	outcome := "ok"
	if !a.OK() {
		outcome = "failed"
		retry = d.retryAt(d.now(), dl.Attempts+1)
		if retry.IsZero() {
			outcome = "parked"
			d.Log.Warn("webhook delivery parked", "delivery", dl.ID, "url", dl.URL, "attempts", dl.Attempts+1, "err", a.Error)
		}
	}
	if d.OnAttempt != nil {
		d.OnAttempt(outcome)
	}
	// Record even when ctx ended: the attempt happened.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return d.Store.RecordAttempt(rctx, dl, a, retry)
}

// Run delivers every interval until ctx ends.
func (d *Deliverer) Run(ctx context.Context, every time.Duration) {
	d.defaults()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := d.DeliverOnce(ctx); err != nil && ctx.Err() == nil {
			d.Log.Error("webhook delivery", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
