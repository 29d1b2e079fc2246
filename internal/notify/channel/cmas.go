package channel

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// CMAS sends SMS through China Mobile 云MAS, its HTTP interface for plain
// messages (普通短信, "HTTP接口文档" downloaded from the 云MAS platform,
// mas.10086.cn 『管理』→『接口管理』; summarised at
// https://blog.csdn.net/m0_51527921/article/details/128002580):
//
//	POST {base}/sms/norsubmit
//	body: base64 of {"ecName", "apId", "mobiles": "138…,139…", "content", "sign", "addSerial", "mac"}
//	mac = lowercase hex md5(ecName + apId + secretKey + mobiles + content + sign + addSerial)
//
// The secret key only enters the mac; it is never sent. addSerial is the
// extension code of the sending number (empty for an exactly matched
// service code), not an idempotency key: 云MAS has none, and its answer's
// msgGroup is new on every call, so the dispatcher's delivery records guard
// against a second send.
//
// Success is {"success": true, "rspcod": "success", "msgGroup": "…"} and
// msgGroup the receipt (the document's table spells it mgsGroup; both are
// read). Every documented error rspcod is permanent, as each says the
// request or the account is wrong: IllegalMac (mac check failed),
// IllegalSignId (invalid sign code), InvalidMessage (request not parsed),
// InvalidUsrOrPwd (wrong apId or secret key), NoSignId (no matching sign),
// TooManyMobiles (more than 5000 numbers). Network errors and HTTP 5xx are
// worth retrying.
type CMAS struct {
	base   *url.URL
	cfg    CMASConfig
	client *http.Client
	log    *slog.Logger
	sent   *recent
}

// CMASConfig configures the 云MAS adapter.
type CMASConfig struct {
	// BaseURL defaults to the address the interface document gives,
	// http://112.35.1.155:1992 (the platform serves plain HTTP there).
	BaseURL   string
	EcName    string // 企业名称, the customer's registered name
	ApID      string // 接口账号用户名
	SecretKey string // 接口账号密码
	Sign      string // 签名编码 from the platform's signature download
	AddSerial string // 扩展码; empty for an exactly matched service code
	Timeout   time.Duration
	Client    *http.Client
	Logger    *slog.Logger
}

// CMASMaxMobiles is the documented limit of numbers in one submission.
const CMASMaxMobiles = 5000

// NewCMAS checks cfg and returns the adapter.
func NewCMAS(cfg CMASConfig) (*CMAS, error) {
	for _, f := range []struct{ name, v string }{
		{"EcName", cfg.EcName}, {"ApID", cfg.ApID}, {"SecretKey", cfg.SecretKey}, {"Sign", cfg.Sign},
	} {
		if strings.TrimSpace(f.v) == "" {
			return nil, &ConfigError{Kind: KindSMS, Field: f.name}
		}
	}
	u, err := baseURL(KindSMS, "BaseURL", cfg.BaseURL, "http://112.35.1.155:1992")
	if err != nil {
		return nil, err
	}
	return &CMAS{base: u, cfg: cfg, client: httpClient(cfg.Client, cfg.Timeout), log: logger(cfg.Logger), sent: newRecent()}, nil
}

func (c *CMAS) Kind() string { return KindSMS }

// Redacted describes the adapter without its secret key.
func (c *CMAS) Redacted() string { return KindSMS + " cmas " + host(c.base) }

// CMASMac is the documented check value of one submission.
func CMASMac(ecName, apID, secretKey, mobiles, content, sign, addSerial string) string {
	h := md5.Sum([]byte(ecName + apID + secretKey + mobiles + content + sign + addSerial))
	return hex.EncodeToString(h[:])
}

type cmasSubmit struct {
	EcName    string `json:"ecName"`
	ApID      string `json:"apId"`
	Mobiles   string `json:"mobiles"`
	Content   string `json:"content"`
	Sign      string `json:"sign"`
	AddSerial string `json:"addSerial"`
	Mac       string `json:"mac"`
}

// Send sends m.Text to every number in m.To, unless m.ID was sent already.
func (c *CMAS) Send(ctx context.Context, m Message) (Receipt, error) {
	r, err := c.sent.once(KindSMS, m, func() (Receipt, error) { return c.send(ctx, m) })
	logSend(c.log, KindSMS, host(c.base), m, err)
	return r, err
}

func (c *CMAS) send(ctx context.Context, m Message) (Receipt, error) {
	content := m.Text
	if content == "" {
		content = m.Subject
	}
	switch {
	case len(m.To) == 0:
		return Receipt{}, &Error{Kind: KindSMS, Code: CodeInput, Msg: "no phone number"}
	case len(m.To) > CMASMaxMobiles:
		return Receipt{}, &Error{Kind: KindSMS, Code: CodeInput, Msg: "more than 5000 phone numbers"}
	case content == "":
		return Receipt{}, &Error{Kind: KindSMS, Code: CodeInput, Msg: "no text"}
	}
	s := cmasSubmit{EcName: c.cfg.EcName, ApID: c.cfg.ApID, Mobiles: strings.Join(m.To, ","), Content: content,
		Sign: c.cfg.Sign, AddSerial: c.cfg.AddSerial}
	s.Mac = CMASMac(s.EcName, s.ApID, c.cfg.SecretKey, s.Mobiles, s.Content, s.Sign, s.AddSerial)
	j, _ := json.Marshal(s)
	body := []byte(base64.StdEncoding.EncodeToString(j))
	secrets := []string{c.cfg.SecretKey}
	a, e := post(ctx, c.client, KindSMS, c.base.String()+"/sms/norsubmit", "application/json;charset=UTF-8", body, secrets)
	if e != nil {
		return Receipt{}, e
	}
	return cmasAnswer(a)
}

// cmasAnswer reads norsubmit's answer.
func cmasAnswer(a answer) (Receipt, error) {
	var r struct {
		Success  *bool  `json:"success"`
		Rspcod   string `json:"rspcod"`
		MsgGroup string `json:"msgGroup"`
		MgsGroup string `json:"mgsGroup"`
	}
	if json.Unmarshal(a.body, &r) != nil || r.Rspcod == "" {
		return Receipt{}, httpStatusError(KindSMS, a)
	}
	if r.Rspcod == "success" && r.Success != nil && *r.Success {
		id := r.MsgGroup
		if id == "" {
			id = r.MgsGroup
		}
		return Receipt{ProviderID: id}, nil
	}
	e := &Error{Kind: KindSMS, Code: r.Rspcod, Msg: cmasMeaning(r.Rspcod)}
	if a.status >= 500 {
		e.Retry = true
	}
	return Receipt{}, e
}

func cmasMeaning(code string) string {
	switch code {
	case "IllegalMac":
		return "mac check failed"
	case "IllegalSignId":
		return "invalid sign code"
	case "InvalidMessage":
		return "request not understood"
	case "InvalidUsrOrPwd":
		return "wrong apId or secret key"
	case "NoSignId":
		return "no signature matches the sign code"
	case "TooManyMobiles":
		return "more than 5000 phone numbers"
	}
	return "refused"
}
