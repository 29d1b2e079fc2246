package channel

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// WeCom posts to a WeCom group robot (企业微信群机器人), as documented at
// https://developer.work.weixin.qq.com/document/path/91770 (群机器人配置说明):
//
//	POST {base}/cgi-bin/webhook/send?key=KEY
//
// A message with people to ring is "text" with mentioned_mobile_list, as
// WeCom's markdown can only @ by user id, not by mobile; any other is
// "markdown" with the title in <font color="…">: "info" (green) for info,
// "warning" (orange-red) for warning and urgent, urgent also marked 🔴 —
// the three colours are info, comment (grey) and warning. Content is cut on
// a UTF-8 boundary, with an ellipsis, to the documented byte limits: text
// 2048 bytes, markdown 4096 bytes (the issue said 2,048 for both; the
// vendor's page gives 4096 for markdown, and longer is refused with 40058).
//
// errcode 0 is success (no message id is answered). 45009 ("api freq out of
// limit"; a robot takes 20 messages a minute) is Throttled, and the adapter
// keeps that window on its side; 93000 (invalid webhook url) and the other
// codes are permanent, -1 (system busy) worth retrying.
type WeCom struct {
	base   *url.URL
	cfg    WeComConfig
	client *http.Client
	pace   *pacer
	log    *slog.Logger
	sent   *recent
}

// WeComConfig configures one WeCom group robot.
type WeComConfig struct {
	BaseURL string // default https://qyapi.weixin.qq.com
	Key     string // the key of the robot's webhook URL
	Timeout time.Duration
	Client  *http.Client
	// PerMinute (default 20) and MaxWait as for DingTalk.
	PerMinute int
	MaxWait   time.Duration
	Now       func() time.Time
	Logger    *slog.Logger
}

// WeCom's documented content limits, in bytes.
const (
	WeComTextLimit     = 2048
	WeComMarkdownLimit = 4096
)

// NewWeCom checks cfg and returns the robot's adapter.
func NewWeCom(cfg WeComConfig) (*WeCom, error) {
	if cfg.Key == "" {
		return nil, &ConfigError{Kind: KindWeCom, Field: "Key"}
	}
	u, err := baseURL(KindWeCom, "BaseURL", cfg.BaseURL, "https://qyapi.weixin.qq.com")
	if err != nil {
		return nil, err
	}
	return &WeCom{base: u, cfg: cfg, client: httpClient(cfg.Client, cfg.Timeout),
		pace: newPacer(KindWeCom, cfg.Key, cfg.PerMinute, cfg.MaxWait, cfg.Now), log: logger(cfg.Logger), sent: newRecent()}, nil
}

func (w *WeCom) Kind() string { return KindWeCom }

// Redacted describes the robot without its key.
func (w *WeCom) Redacted() string { return KindWeCom + " " + host(w.base) }

func weComColour(level string) string {
	if level == LevelWarning || level == LevelUrgent {
		return "warning"
	}
	return "info"
}

func weComPayload(m Message) map[string]any {
	if len(m.To) > 0 {
		content := m.Text
		if m.Subject != "" {
			content = levelMark(m.Level) + m.Subject + "\n" + m.Text
		}
		return map[string]any{"msgtype": "text", "text": map[string]any{
			"content":               truncate(content, WeComTextLimit, "…"),
			"mentioned_mobile_list": m.To,
		}}
	}
	// The text is cut, never the tags around the title.
	head, tail := "", ""
	switch {
	case m.Subject != "":
		head = "**" + levelMark(m.Level) + `<font color="` + weComColour(m.Level) + `">` +
			truncate(m.Subject, 256, "…") + "</font>**\n"
	case m.Level == LevelWarning || m.Level == LevelUrgent:
		head, tail = levelMark(m.Level)+`<font color="warning">`, "</font>"
	}
	content := head + truncate(m.Text, WeComMarkdownLimit-len(head)-len(tail), "…") + tail
	return map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": content}}
}

// Send posts m to the robot.
// Send posts m, unless this adapter sent m.ID already.
func (w *WeCom) Send(ctx context.Context, m Message) (Receipt, error) {
	return w.sent.once(KindWeCom, m, func() (Receipt, error) { return w.send(ctx, m) })
}

func (w *WeCom) send(ctx context.Context, m Message) (Receipt, error) {
	if err := w.pace.wait(ctx); err != nil {
		logSend(w.log, KindWeCom, host(w.base), m, err)
		return Receipt{}, err
	}
	body, _ := json.Marshal(weComPayload(m))
	u := w.base.String() + "/cgi-bin/webhook/send?" + url.Values{"key": {w.cfg.Key}}.Encode()
	secrets := []string{w.cfg.Key}
	a, e := post(ctx, w.client, KindWeCom, u, "application/json; charset=utf-8", body, secrets)
	if e == nil {
		e = robotErrcode(KindWeCom, a, secrets, func(code int, e *Error) {
			switch code {
			case 45009:
				e.Retry, e.Throttled, e.After = true, true, time.Minute
			case -1:
				e.Retry = true
			}
		})
	}
	if e != nil {
		logSend(w.log, KindWeCom, host(w.base), m, e)
		return Receipt{}, e
	}
	logSend(w.log, KindWeCom, host(w.base), m, nil)
	return Receipt{}, nil
}

// robotErrcode reads an {"errcode", "errmsg"} answer: nil for 0, else an
// Error that class refines.
func robotErrcode(kind string, a answer, secrets []string, class func(int, *Error)) *Error {
	var r struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if json.Unmarshal(a.body, &r) != nil || r.ErrCode == nil {
		return httpStatusError(kind, a)
	}
	if *r.ErrCode == 0 {
		return nil
	}
	e := &Error{Kind: kind, Code: strconv.Itoa(*r.ErrCode), Msg: scrub(r.ErrMsg, secrets)}
	class(*r.ErrCode, e)
	return e
}
