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
	"time"
)

// Feishu posts to a Feishu group's custom bot (自定义机器人), as documented
// at https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
// (自定义机器人使用指南):
//
//	POST {base}/open-apis/bot/v2/hook/TOKEN
//	{"timestamp": "1599360473", "sign": "…", "msg_type": "text", "content": {"text": "…"}}
//	sign = base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = empty))
//
// Unlike DingTalk, the string to sign is the HMAC key and the message is
// empty; timestamp is in seconds and must be within an hour of Feishu's
// clock. A custom bot can @ people only by their Feishu user id, not by
// mobile, so Message.To is not used; the subject is the first line, marked
// by level (a text message has no colours). The request body may not pass
// 20 KB, so the text is cut to FeishuTextLimit bytes.
//
// code 0 is success (no message id). 9499 and 11232 (frequency limited; a
// bot takes 100 messages a minute, 5 a second) are Throttled, and the
// adapter keeps the minute's window on its side. 19021 (sign match fail or
// timestamp out of the hour), 19022 (IP not allowed) and 19024 (keywords not
// found) are permanent — the guide gives 19022 for the IP list, where the
// issue said 19024; both are permanent here.
type Feishu struct {
	base   *url.URL
	cfg    FeishuConfig
	client *http.Client
	pace   *pacer
	log    *slog.Logger
	sent   *recent
}

// FeishuConfig configures one Feishu custom bot.
type FeishuConfig struct {
	BaseURL string // default https://open.feishu.cn
	Token   string // the last segment of the bot's webhook URL
	Secret  string // the bot's 签名校验 secret; empty when it uses keywords or an IP list
	Timeout time.Duration
	Client  *http.Client
	// PerMinute (default 100, the documented limit) and MaxWait as for DingTalk.
	PerMinute int
	MaxWait   time.Duration
	Now       func() time.Time
	Logger    *slog.Logger
}

// FeishuTextLimit keeps a text message's body under Feishu's 20 KB.
const FeishuTextLimit = 18 << 10

// NewFeishu checks cfg and returns the bot's adapter.
func NewFeishu(cfg FeishuConfig) (*Feishu, error) {
	if cfg.Token == "" {
		return nil, &ConfigError{Kind: KindFeishu, Field: "Token"}
	}
	u, err := baseURL(KindFeishu, "BaseURL", cfg.BaseURL, "https://open.feishu.cn")
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PerMinute <= 0 {
		cfg.PerMinute = 100
	}
	return &Feishu{base: u, cfg: cfg, client: httpClient(cfg.Client, cfg.Timeout),
		pace: newPacer(KindFeishu, cfg.Token, cfg.PerMinute, cfg.MaxWait, cfg.Now), log: logger(cfg.Logger), sent: newRecent()}, nil
}

func (f *Feishu) Kind() string { return KindFeishu }

// Redacted describes the bot without its token or secret.
func (f *Feishu) Redacted() string { return KindFeishu + " " + host(f.base) }

// FeishuSign is the documented signature for a timestamp in seconds.
func FeishuSign(secret string, ts int64) string {
	m := hmac.New(sha256.New, []byte(strconv.FormatInt(ts, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

type feishuBody struct {
	Timestamp string `json:"timestamp,omitempty"`
	Sign      string `json:"sign,omitempty"`
	MsgType   string `json:"msg_type"`
	Content   struct {
		Text string `json:"text"`
	} `json:"content"`
}

// Send posts m to the bot.
// Send posts m, unless this adapter sent m.ID already.
func (f *Feishu) Send(ctx context.Context, m Message) (Receipt, error) {
	return f.sent.once(KindFeishu, m, func() (Receipt, error) { return f.send(ctx, m) })
}

func (f *Feishu) send(ctx context.Context, m Message) (Receipt, error) {
	if err := f.pace.wait(ctx); err != nil {
		logSend(f.log, KindFeishu, host(f.base), m, err)
		return Receipt{}, err
	}
	b := feishuBody{MsgType: "text"}
	text := m.Text
	if m.Subject != "" {
		text = levelMark(m.Level) + m.Subject + "\n" + m.Text
	}
	b.Content.Text = truncate(text, FeishuTextLimit, "…")
	if f.cfg.Secret != "" {
		ts := f.cfg.Now().Unix()
		b.Timestamp, b.Sign = strconv.FormatInt(ts, 10), FeishuSign(f.cfg.Secret, ts)
	}
	body, _ := json.Marshal(b)
	secrets := []string{f.cfg.Token, f.cfg.Secret}
	u := f.base.String() + "/open-apis/bot/v2/hook/" + url.PathEscape(f.cfg.Token)
	a, e := post(ctx, f.client, KindFeishu, u, "application/json; charset=utf-8", body, secrets)
	if e == nil {
		e = f.classify(a, secrets)
	}
	if e != nil {
		logSend(f.log, KindFeishu, host(f.base), m, e)
		return Receipt{}, e
	}
	logSend(f.log, KindFeishu, host(f.base), m, nil)
	return Receipt{}, nil
}

func (f *Feishu) classify(a answer, secrets []string) *Error {
	var r struct {
		Code *int   `json:"code"`
		Msg  string `json:"msg"`
		// StatusCode is the older answer's field, still sent beside code.
		StatusCode *int `json:"StatusCode"`
	}
	if json.Unmarshal(a.body, &r) != nil || (r.Code == nil && r.StatusCode == nil) {
		return httpStatusError(KindFeishu, a)
	}
	code := r.Code
	if code == nil {
		code = r.StatusCode
	}
	if *code == 0 {
		return nil
	}
	e := &Error{Kind: KindFeishu, Code: strconv.Itoa(*code), Msg: scrub(r.Msg, secrets)}
	switch *code {
	case 9499, 11232:
		e.Retry, e.Throttled, e.After = true, true, retryAfter(a.header)
	}
	if a.status >= 500 && !e.Throttled {
		e.Retry = true
	}
	return e
}
