package channel

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// AliyunSMS sends SMS through Aliyun 短信服务 SendSms (API version
// 2017-05-25), RPC style, as documented at
// https://help.aliyun.com/document_detail/55284.html (SendSms) and signed
// as https://www.alibabacloud.com/help/en/sms/signature-method describes
// (signature V1):
//
//	POST {base}/   (form body: Action=SendSms&Version=2017-05-25&PhoneNumbers=…&SignName=…
//	               &TemplateCode=…&TemplateParam={json}&OutId=…&AccessKeyId=…&Format=JSON
//	               &SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&SignatureNonce=…
//	               &Timestamp=2026-12-06T08:00:00Z&Signature=…)
//	StringToSign = "POST" + "&" + percentEncode("/") + "&" + percentEncode(canonicalized query)
//	Signature    = base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign))
//
// where the canonicalized query is every parameter but Signature, sorted by
// name, each name and value percent-encoded (RFC 3986 unreserved characters
// kept, space as %20) and joined with "=" and "&".
//
// SendSms has no idempotency of its own (the documentation says so: a retry
// after a timeout may send twice); the dispatcher records each delivery
// before and after the call. OutId carries Message.ID so the delivery
// receipt names the delivery.
//
// Code "OK" is success and BizId the receipt. isv.BUSINESS_LIMIT_CONTROL,
// isv.DAY_LIMIT_CONTROL, isv.MONTH_LIMIT_CONTROL and Throttling.* are
// Throttled; isp.* and HTTP 5xx are worth retrying; every other code
// (isv.MOBILE_NUMBER_ILLEGAL, isv.SMS_TEMPLATE_ILLEGAL,
// isv.SMS_SIGNATURE_ILLEGAL, InvalidAccessKeyId.NotFound,
// SignatureDoesNotMatch, isv.AMOUNT_NOT_ENOUGH …) is permanent.
type AliyunSMS struct {
	base   *url.URL
	cfg    AliyunSMSConfig
	client *http.Client
	log    *slog.Logger
	sent   *recent
}

// AliyunSMSConfig configures the Aliyun SMS adapter.
type AliyunSMSConfig struct {
	BaseURL         string // default https://dysmsapi.aliyuncs.com
	AccessKeyID     string
	AccessKeySecret string
	SignName        string // the approved 短信签名, e.g. "平城区城管"
	Timeout         time.Duration
	Client          *http.Client
	Now             func() time.Time
	Logger          *slog.Logger
}

// NewAliyunSMS checks cfg and returns the adapter.
func NewAliyunSMS(cfg AliyunSMSConfig) (*AliyunSMS, error) {
	for _, f := range []struct{ name, v string }{
		{"AccessKeyID", cfg.AccessKeyID}, {"AccessKeySecret", cfg.AccessKeySecret}, {"SignName", cfg.SignName},
	} {
		if strings.TrimSpace(f.v) == "" {
			return nil, &ConfigError{Kind: KindSMS, Field: f.name}
		}
	}
	u, err := baseURL(KindSMS, "BaseURL", cfg.BaseURL, "https://dysmsapi.aliyuncs.com")
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &AliyunSMS{base: u, cfg: cfg, client: httpClient(cfg.Client, cfg.Timeout), log: logger(cfg.Logger), sent: newRecent()}, nil
}

func (a *AliyunSMS) Kind() string { return KindSMS }

// Redacted describes the adapter without its keys.
func (a *AliyunSMS) Redacted() string { return KindSMS + " aliyun " + host(a.base) }

// aliyunEncode percent-encodes s as the signature method requires: every
// byte but A–Z a–z 0–9 - _ . ~ as %XY in upper case.
func aliyunEncode(s string) string {
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return b.String()
}

// AliyunSign is the V1 signature of params (Signature itself left out)
// for an HTTP method.
func AliyunSign(method, secret string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = aliyunEncode(k) + "=" + aliyunEncode(params.Get(k))
	}
	toSign := method + "&" + aliyunEncode("/") + "&" + aliyunEncode(strings.Join(parts, "&"))
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Send sends m's template to every number in m.To.
func (a *AliyunSMS) Send(ctx context.Context, m Message) (Receipt, error) {
	r, err := a.sent.once(KindSMS, m, func() (Receipt, error) { return a.send(ctx, m) })
	logSend(a.log, KindSMS, host(a.base), m, err)
	return r, err
}

func (a *AliyunSMS) send(ctx context.Context, m Message) (Receipt, error) {
	switch {
	case len(m.To) == 0:
		return Receipt{}, &Error{Kind: KindSMS, Code: CodeInput, Msg: "no phone number"}
	case len(m.To) > 1000:
		return Receipt{}, &Error{Kind: KindSMS, Code: CodeInput, Msg: "more than 1000 phone numbers"}
	case m.Template == "":
		return Receipt{}, &Error{Kind: KindSMS, Code: CodeInput, Msg: "no template code"}
	}
	p := url.Values{
		"Action":           {"SendSms"},
		"Version":          {"2017-05-25"},
		"Format":           {"JSON"},
		"AccessKeyId":      {a.cfg.AccessKeyID},
		"SignatureMethod":  {"HMAC-SHA1"},
		"SignatureVersion": {"1.0"},
		"SignatureNonce":   {nonce()},
		"Timestamp":        {a.cfg.Now().UTC().Format("2006-01-02T15:04:05Z")},
		"PhoneNumbers":     {strings.Join(m.To, ",")},
		"SignName":         {a.cfg.SignName},
		"TemplateCode":     {m.Template},
	}
	if len(m.Params) > 0 {
		j, _ := json.Marshal(m.Params)
		p.Set("TemplateParam", string(j))
	}
	if m.ID != "" {
		p.Set("OutId", m.ID)
	}
	p.Set("Signature", AliyunSign(http.MethodPost, a.cfg.AccessKeySecret, p))
	secrets := []string{a.cfg.AccessKeySecret}
	ans, e := post(ctx, a.client, KindSMS, a.base.String()+"/", "application/x-www-form-urlencoded", []byte(p.Encode()), secrets)
	if e != nil {
		return Receipt{}, e
	}
	return aliyunAnswer(ans, secrets)
}

// aliyunAnswer reads SendSms's answer.
func aliyunAnswer(ans answer, secrets []string) (Receipt, error) {
	var r struct {
		Code, Message, BizId, RequestId string
	}
	if json.Unmarshal(ans.body, &r) != nil || r.Code == "" {
		return Receipt{}, httpStatusError(KindSMS, ans)
	}
	if r.Code == "OK" {
		return Receipt{ProviderID: r.BizId}, nil
	}
	// SignatureDoesNotMatch echoes the server's string to sign, which
	// holds the phone numbers: keep only the sentence before it.
	msg, _, _ := strings.Cut(r.Message, " server string to sign")
	e := &Error{Kind: KindSMS, Code: r.Code, Msg: scrub(msg, secrets)}
	switch {
	case r.Code == "isv.BUSINESS_LIMIT_CONTROL", r.Code == "isv.DAY_LIMIT_CONTROL", r.Code == "isv.MONTH_LIMIT_CONTROL",
		strings.HasPrefix(r.Code, "Throttling"):
		e.Retry, e.Throttled, e.After = true, true, retryAfter(ans.header)
	case strings.HasPrefix(r.Code, "isp."), r.Code == "ServiceUnavailable", r.Code == "InternalError", ans.status >= 500:
		e.Retry = true
	}
	return Receipt{}, e
}
