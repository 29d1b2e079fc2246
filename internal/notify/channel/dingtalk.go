package channel

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DingTalk posts to a DingTalk group's custom robot (自定义机器人), as
// documented at https://open.dingtalk.com/document/group/custom-robot-access
// (message types: https://open.dingtalk.com/document/development/robot-message-type):
//
//	POST {base}/robot/send?access_token=T&timestamp=MS&sign=S
//	sign = urlencode(base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret)))
//
// timestamp is in milliseconds; the robot refuses one more than an hour
// off. The body is "text", or "markdown" when the message has a subject
// (the title line in bold, marked by level), with "at": {"atMobiles": …}
// and each @mobile written into the text, as the robot only rings the
// people whose @mobile appears there. DingTalk's markdown subset has no
// colours, so the level is a coloured mark before the title.
//
// errcode 0 is success (the robot answers no message id). 130101 and
// 410100 are "send too fast": a robot takes 20 messages a minute and is
// muted for ten minutes past that, so the adapter also keeps that window on
// its side. 310000 (keywords, sign or IP list not matched) and the content
// checks (430101–430104) are permanent; -1 (system busy) is worth retrying.
// A robot has no idempotency: the dispatcher records deliveries.
type DingTalk struct {
	base   *url.URL
	cfg    DingTalkConfig
	client *http.Client
	pace   *pacer
	log    *slog.Logger
	sent   *recent
}

// DingTalkConfig configures one DingTalk robot.
type DingTalkConfig struct {
	BaseURL     string // default https://oapi.dingtalk.com
	AccessToken string // the access_token of the robot's webhook URL
	// Secret is the robot's 加签 secret ("SEC…"); empty when the robot is
	// guarded by keywords or an IP list instead.
	Secret  string
	Timeout time.Duration // default DefaultTimeout
	Client  *http.Client  // default one with Timeout; one without a timeout gets Timeout
	// PerMinute is the robot's window (default 20, the documented limit);
	// MaxWait is how long a send waits for room in it before it returns
	// Throttled with After (default 0: at once).
	PerMinute int
	MaxWait   time.Duration
	Now       func() time.Time // the clock for signing and the window; default time.Now
	Logger    *slog.Logger
}

// NewDingTalk checks cfg and returns the robot's adapter.
func NewDingTalk(cfg DingTalkConfig) (*DingTalk, error) {
	if cfg.AccessToken == "" {
		return nil, &ConfigError{Kind: KindDingTalk, Field: "AccessToken"}
	}
	u, err := baseURL(KindDingTalk, "BaseURL", cfg.BaseURL, "https://oapi.dingtalk.com")
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &DingTalk{base: u, cfg: cfg, client: httpClient(cfg.Client, cfg.Timeout),
		pace: newPacer(KindDingTalk, cfg.AccessToken, cfg.PerMinute, cfg.MaxWait, cfg.Now), log: logger(cfg.Logger), sent: newRecent()}, nil
}

func (d *DingTalk) Kind() string { return KindDingTalk }

// Redacted describes the robot without its token or secret.
func (d *DingTalk) Redacted() string { return KindDingTalk + " " + host(d.base) }

// DingTalkSign is the documented signature for a timestamp in milliseconds.
func DingTalkSign(secret string, ms int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ms, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

type dingTalkAt struct {
	AtMobiles []string `json:"atMobiles"`
	IsAtAll   bool     `json:"isAtAll"`
}

type dingTalkBody struct {
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text,omitempty"`
	Markdown *struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown,omitempty"`
	At dingTalkAt `json:"at"`
}

// levelMark is the coloured mark robots without colours put before a title.
func levelMark(level string) string {
	switch level {
	case LevelUrgent:
		return "🔴 "
	case LevelWarning:
		return "🟠 "
	}
	return ""
}

func dingTalkPayload(m Message) dingTalkBody {
	at := ""
	for _, p := range m.To {
		at += " @" + p
	}
	b := dingTalkBody{At: dingTalkAt{AtMobiles: m.To, IsAtAll: false}}
	if b.At.AtMobiles == nil {
		b.At.AtMobiles = []string{}
	}
	if m.Subject == "" {
		b.MsgType = "text"
		b.Text = &struct {
			Content string `json:"content"`
		}{Content: m.Text + at}
		return b
	}
	b.MsgType = "markdown"
	b.Markdown = &struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	}{Title: m.Subject, Text: "#### " + levelMark(m.Level) + "**" + m.Subject + "**\n\n" + m.Text}
	if at != "" {
		b.Markdown.Text += "\n\n" + strings.TrimSpace(at)
	}
	return b
}

// Send posts m to the robot.
// Send posts m, unless this adapter sent m.ID already.
func (d *DingTalk) Send(ctx context.Context, m Message) (Receipt, error) {
	return d.sent.once(KindDingTalk, m, func() (Receipt, error) { return d.send(ctx, m) })
}

func (d *DingTalk) send(ctx context.Context, m Message) (Receipt, error) {
	if err := d.pace.wait(ctx); err != nil {
		d.logged(m, err)
		return Receipt{}, err
	}
	body, _ := json.Marshal(dingTalkPayload(m))
	q := url.Values{"access_token": {d.cfg.AccessToken}}
	if d.cfg.Secret != "" {
		ms := d.cfg.Now().UnixMilli()
		q.Set("timestamp", strconv.FormatInt(ms, 10))
		q.Set("sign", DingTalkSign(d.cfg.Secret, ms))
	}
	u := d.base.String() + "/robot/send?" + q.Encode()
	a, e := post(ctx, d.client, KindDingTalk, u, "application/json; charset=utf-8", body, d.secrets())
	if e == nil {
		e = d.classify(a)
	}
	if e != nil {
		d.logged(m, e)
		return Receipt{}, e
	}
	d.logged(m, nil)
	return Receipt{}, nil
}

func (d *DingTalk) secrets() []string { return []string{d.cfg.AccessToken, d.cfg.Secret} }

func (d *DingTalk) classify(a answer) *Error {
	return robotErrcode(KindDingTalk, a, d.secrets(), func(code int, e *Error) {
		switch code {
		case 130101, 410100:
			// Past the limit the robot is muted for ten minutes.
			e.Retry, e.Throttled, e.After = true, true, 10*time.Minute
		case -1:
			e.Retry = true
		}
	})
}

func (d *DingTalk) logged(m Message, err error) { logSend(d.log, KindDingTalk, host(d.base), m, err) }
