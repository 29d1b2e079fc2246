// Package channel owns the adapters that carry one rendered message out of
// Xiuhua to a person or a group: mail over SMTP, SMS through Aliyun or China
// Mobile 云MAS, and the DingTalk, WeCom and Feishu group robots. Each adapter
// speaks its vendor's documented wire format, signs what the vendor wants
// signed and classifies every failure (Error) so the notification dispatcher
// can decide whether and when to try again. Adapters decide nothing about who
// is told what; they hold no state beyond a robot's send window.
package channel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Message is one message, already rendered in the reader's language, to one channel.
type Message struct {
	// ID is the idempotency key: the delivery's id. An adapter whose provider
	// can recognise a repeat carries it there (mail Message-ID, Aliyun OutId);
	// the others cannot, and the dispatcher's delivery records guard them.
	ID       string
	To       []string          // phone numbers (SMS), e-mail addresses (mail), mobiles to @ (robots)
	Subject  string            // mail subject; robots: a bold title line
	Text     string            // plain-text body
	Level    string            // "info", "warning" or "urgent": robots' colours, mail's X-Priority
	Template string            // SMS template code where the gateway needs one (Aliyun)
	Params   map[string]string // SMS template parameters (Aliyun TemplateParam JSON)
	// Unsubscribe is, for mail only, a one-click unsubscribe URL
	// (List-Unsubscribe + List-Unsubscribe-Post, RFC 8058).
	Unsubscribe string
}

// Levels a message may carry.
const (
	LevelInfo    = "info"
	LevelWarning = "warning"
	LevelUrgent  = "urgent"
)

// Receipt is what the provider answered on success.
type Receipt struct{ ProviderID string }

// Channel sends messages of one kind.
type Channel interface {
	Kind() string // "mail", "sms", "dingtalk", "wecom", "feishu"
	Send(ctx context.Context, m Message) (Receipt, error)
}

// Described is a channel that can say what it is for the admin page:
// its kind and its endpoint's host, never a secret.
type Described interface {
	Channel
	Redacted() string
}

// Kinds of channel.
const (
	KindMail     = "mail"
	KindSMS      = "sms"
	KindDingTalk = "dingtalk"
	KindWeCom    = "wecom"
	KindFeishu   = "feishu"
)

// Error classifies a failed send for the dispatcher's retries.
type Error struct {
	Kind      string        // the channel kind
	Code      string        // the provider's error code, e.g. "isv.BUSINESS_LIMIT_CONTROL", "130101", "45009", "11232", "554"
	Retry     bool          // worth trying again later (network error, 5xx, throttling, SMTP 4xx)
	Throttled bool          // the provider said "too fast"
	After     time.Duration // when the provider says how long to wait; else 0
	Msg       string        // human detail WITHOUT any secret, token, key or full URL with a token
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind)
	b.WriteString(": ")
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(" ")
	}
	b.WriteString(e.Msg)
	switch {
	case e.Throttled:
		b.WriteString(" (throttled")
		if e.After > 0 {
			b.WriteString(", wait ")
			b.WriteString(e.After.String())
		}
		b.WriteString(")")
	case e.Retry:
		b.WriteString(" (will retry)")
	default:
		b.WriteString(" (permanent)")
	}
	return b.String()
}

// Codes the adapters give failures that are not the provider's own.
const (
	CodeNetwork  = "network"  // the connection failed or broke
	CodeTimeout  = "timeout"  // no answer within the adapter's timeout
	CodeHTTP     = "http"     // an HTTP status without a provider code; the status follows in Msg
	CodeResponse = "response" // an answer that could not be read (too large, not the documented JSON)
	CodeInput    = "input"    // the message cannot be sent as given (no recipient, bad address)
	CodeLimit    = "limit"    // the client-side send window of a robot is full
)

// AsError returns the classification of err, or nil when err is not a
// channel Error.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// ConfigError says which field of an adapter's configuration is missing or wrong.
type ConfigError struct {
	Kind   string
	Field  string
	Reason string // "is required" unless told
}

func (e *ConfigError) Error() string {
	r := e.Reason
	if r == "" {
		r = "is required"
	}
	return "channel " + e.Kind + ": " + e.Field + " " + r
}

// DefaultTimeout bounds one send when a configuration names none.
const DefaultTimeout = 10 * time.Second

// maxBody is how much of a provider's answer is read: every documented
// answer is well under 1 KiB, so more is a broken or hostile endpoint.
const maxBody = 64 << 10

// httpClient returns c, or a client with the timeout when c is nil.
func httpClient(c *http.Client, timeout time.Duration) *http.Client {
	if c != nil {
		if c.Timeout == 0 {
			cc := *c
			cc.Timeout = orDefault(timeout)
			return &cc
		}
		return c
	}
	// A vendor's endpoint does not redirect; following one would send a
	// signed request, token and all, to wherever it pointed.
	return &http.Client{Timeout: orDefault(timeout), CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

func orDefault(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultTimeout
	}
	return d
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}

// baseURL parses a configured base URL, defaulting to the vendor's.
func baseURL(kind, field, raw, def string) (*url.URL, error) {
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &ConfigError{Kind: kind, Field: field, Reason: "is not an http(s) URL"}
	}
	return u, nil
}

// answer is a provider's HTTP answer, read with a size limit.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// post sends body to u and reads the answer. Failures before an answer are
// classified here: every one is worth retrying, as nothing was accepted.
func post(ctx context.Context, c *http.Client, kind, u, contentType string, body []byte, secrets []string) (answer, *Error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return answer{}, &Error{Kind: kind, Code: CodeInput, Msg: "cannot build the request"}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Xiuhua-Notify/1")
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, transportError(kind, err, secrets)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		e := transportError(kind, err, secrets)
		return answer{}, e
	}
	if len(b) > maxBody {
		return answer{}, &Error{Kind: kind, Code: CodeResponse, Retry: resp.StatusCode >= 500,
			Msg: fmt.Sprintf("answer larger than %d KiB (HTTP %d)", maxBody>>10, resp.StatusCode)}
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// transportError classifies a failure to get an answer. Go's *url.Error
// carries the full URL, which holds a robot's token; only the cause is kept.
func transportError(kind string, err error, secrets []string) *Error {
	e := &Error{Kind: kind, Code: CodeNetwork, Retry: true}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		e.Code = CodeTimeout
		e.Msg = "no answer in time"
		return e
	}
	e.Msg = scrub(err.Error(), secrets)
	return e
}

// httpStatusError classifies an answer whose body is not the provider's
// documented JSON: 5xx and 429 are worth retrying, other statuses are not.
func httpStatusError(kind string, a answer) *Error {
	e := &Error{Kind: kind, Code: CodeHTTP, Msg: fmt.Sprintf("HTTP %d", a.status)}
	switch {
	case a.status == http.StatusTooManyRequests:
		e.Retry, e.Throttled, e.After = true, true, retryAfter(a.header)
	case a.status >= 500:
		e.Retry = true
		e.After = retryAfter(a.header)
	case a.status >= 200 && a.status < 300:
		e.Code, e.Msg = CodeResponse, fmt.Sprintf("answer not understood (HTTP %d)", a.status)
	}
	return e
}

// retryAfter reads a Retry-After header given in seconds.
func retryAfter(h http.Header) time.Duration {
	if h == nil {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// scrub removes every secret from s and bounds its length, so a provider's
// free text can go into an Error or a log line.
func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "***")
			if q := url.QueryEscape(sec); q != sec {
				s = strings.ReplaceAll(s, q, "***")
			}
		}
	}
	return truncate(strings.ToValidUTF8(s, "?"), 200, "…")
}

// truncate cuts s to at most n bytes on a UTF-8 boundary, ending it with
// ellipsis (counted in n) when anything was cut.
func truncate(s string, n int, ellipsis string) string {
	if len(s) <= n {
		return s
	}
	cut := n - len(ellipsis)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// host is the endpoint host an adapter shows on the admin page.
func host(u *url.URL) string { return u.Host }

// logSend writes one debug line per send: never the text, a recipient or
// a secret, only what an operator needs to follow a delivery.
func logSend(l *slog.Logger, kind, host string, m Message, err error) {
	if err == nil {
		l.Debug("channel send", "kind", kind, "host", host, "id", m.ID, "outcome", "ok")
		return
	}
	attrs := []any{"kind", kind, "host", host, "id", m.ID, "outcome", "failed"}
	if e := AsError(err); e != nil {
		attrs = append(attrs, "code", e.Code, "retry", e.Retry, "throttled", e.Throttled, "detail", e.Msg)
	}
	l.Debug("channel send", attrs...)
}

// CodeDuplicate marks a send refused because the same Message.ID is being
// sent at this moment by this adapter.
const CodeDuplicate = "duplicate"

// recent remembers the last IDs an adapter sent, so a second Send of the
// same ID in this process answers the first receipt instead of sending
// again (a re-queued delivery, two workers racing). It bounds memory; the
// dispatcher's delivery records are what guard across processes.
type recent struct {
	mu    sync.Mutex
	max   int
	order []string
	done  map[string]*Receipt // nil value: in flight
}

func newRecent() *recent { return &recent{max: 4096, done: map[string]*Receipt{}} }

// begin reports a receipt already given for id, or an error when id is in
// flight; otherwise it marks id in flight and the caller must call end.
func (r *recent) begin(kind, id string) (*Receipt, error) {
	if id == "" {
		return nil, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rc, ok := r.done[id]
	switch {
	case ok && rc != nil:
		return rc, nil
	case ok:
		return nil, &Error{Kind: kind, Code: CodeDuplicate, Retry: true, Msg: "this delivery is being sent already"}
	}
	r.done[id] = nil
	return nil, nil
}

// end records the outcome of a send begun for id.
func (r *recent) end(id string, rc Receipt, err error) {
	if id == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		delete(r.done, id)
		return
	}
	r.done[id] = &rc
	r.order = append(r.order, id)
	if len(r.order) > r.max {
		delete(r.done, r.order[0])
		r.order = r.order[1:]
	}
}

// once runs send unless id was sent already.
func (r *recent) once(kind string, m Message, send func() (Receipt, error)) (Receipt, error) {
	if rc, err := r.begin(kind, m.ID); rc != nil || err != nil {
		if rc != nil {
			return *rc, nil
		}
		return Receipt{}, err
	}
	rc, err := send()
	r.end(m.ID, rc, err)
	return rc, err
}

// Every adapter says what it is for the admin page.
var (
	_ Described = (*Mail)(nil)
	_ Described = (*AliyunSMS)(nil)
	_ Described = (*CMAS)(nil)
	_ Described = (*DingTalk)(nil)
	_ Described = (*WeCom)(nil)
	_ Described = (*Feishu)(nil)
)
