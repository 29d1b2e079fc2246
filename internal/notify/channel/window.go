package channel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// A window lets at most n sends through in any span of per: the robots'
// documented limit ("20 messages a minute") kept on our side, so a burst
// waits or is told to come back instead of earning the vendor's penalty
// (DingTalk mutes a robot for ten minutes). Each robot has its own window;
// a full one never delays another robot.
type window struct {
	mu   sync.Mutex
	n    int
	per  time.Duration
	sent []time.Time // the last n sends, oldest first
}

// reserve takes a place at now, or says how long until one is free.
func (w *window) reserve(now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	cut := 0
	for cut < len(w.sent) && !w.sent[cut].After(now.Add(-w.per)) {
		cut++
	}
	w.sent = w.sent[cut:]
	if len(w.sent) < w.n {
		w.sent = append(w.sent, now)
		return 0
	}
	return w.sent[0].Add(w.per).Sub(now)
}

// windows holds one window per robot, keyed by kind and a hash of the
// robot's token, so two adapters built for the same robot share it (the
// first one's PerMinute sets its size).
var windows sync.Map

func windowFor(kind, token string, n int, per time.Duration) *window {
	h := sha256.Sum256([]byte(kind + "\x00" + token))
	w, _ := windows.LoadOrStore(hex.EncodeToString(h[:]), &window{n: n, per: per})
	return w.(*window)
}

// pacer waits for a robot's window, up to maxWait.
type pacer struct {
	kind    string
	w       *window
	maxWait time.Duration
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
}

func newPacer(kind, token string, perMinute int, maxWait time.Duration, now func() time.Time) *pacer {
	if perMinute <= 0 {
		perMinute = 20
	}
	if now == nil {
		now = time.Now
	}
	return &pacer{kind: kind, w: windowFor(kind, token, perMinute, time.Minute), maxWait: maxWait, now: now, sleep: sleepCtx}
}

// wait returns nil once a send may go, or a Throttled error saying when
// the window has room again.
func (p *pacer) wait(ctx context.Context) error {
	waited := time.Duration(0)
	for {
		d := p.w.reserve(p.now())
		if d <= 0 {
			return nil
		}
		if waited+d > p.maxWait {
			return &Error{Kind: p.kind, Code: CodeLimit, Retry: true, Throttled: true, After: d,
				Msg: "this robot's send window is full"}
		}
		if err := p.sleep(ctx, d); err != nil {
			return &Error{Kind: p.kind, Code: CodeLimit, Retry: true, Throttled: true, After: d,
				Msg: "stopped while waiting for this robot's send window"}
		}
		waited += d
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
