package channel

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer collects an adapter's log lines, at every level.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newLog() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// noSecret fails when any secret shows in s (an error string or the log).
func noSecret(t *testing.T, where, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("%s shows a secret %q: %s", where, sec, s)
		}
	}
}

// classified asserts err is a channel Error of the given code and class.
func classified(t *testing.T, err error, code string, retry, throttled bool) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("send succeeded; want failure %s", code)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not a channel Error", err, err)
	}
	if e.Code != code || e.Retry != retry || e.Throttled != throttled {
		t.Fatalf("got code %q retry %v throttled %v (%v); want %q %v %v", e.Code, e.Retry, e.Throttled, e, code, retry, throttled)
	}
	return e
}

// clock is a settable clock for send windows and signatures.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// configError asserts err names the field.
func configError(t *testing.T, err error, field string) {
	t.Helper()
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != field {
		t.Fatalf("got %v; want a configuration error naming %s", err, field)
	}
	if !strings.Contains(err.Error(), field) {
		t.Fatalf("%q does not name %s", err, field)
	}
}
