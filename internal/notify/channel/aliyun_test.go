package channel

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDysms is Aliyun's SendSms endpoint as documented: it recomputes the
// V1 signature of the received parameters with the test secret — written
// here from the documentation's own recipe (URL-encode, then + → %20,
// * → %2A, %7E → ~), not with the adapter's encoder — and refuses a wrong
// one with SignatureDoesNotMatch, an unknown key with
// InvalidAccessKeyId.NotFound and a reused nonce with SignatureNonceUsed.
type fakeDysms struct {
	t       *testing.T
	keyID   string
	secret  string
	now     func() time.Time
	mu      sync.Mutex
	nonces  map[string]bool
	sent    []url.Values
	code    string // the answer's Code after the checks; default OK
	status  int
	stall   chan struct{}
	counter int
}

func docEncode(s string) string {
	s = url.QueryEscape(s)
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(s)
}

func docSign(method, secret string, p url.Values) (sig, toSign string) {
	var keys []string
	for k := range p {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var q []string
	for _, k := range keys {
		q = append(q, docEncode(k)+"="+docEncode(p.Get(k)))
	}
	toSign = method + "&" + docEncode("/") + "&" + docEncode(strings.Join(q, "&"))
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil)), toSign
}

func (f *fakeDysms) answer(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990", "HostId": "dysmsapi.aliyuncs.com", "Code": code, "Message": msg})
}

func (f *fakeDysms) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		f.answer(w, 400, "MissingParameter", "bad request")
		return
	}
	if err := r.ParseForm(); err != nil {
		f.answer(w, 400, "InvalidParameter", err.Error())
		return
	}
	p := r.PostForm
	for k, want := range map[string]string{"Action": "SendSms", "Version": "2017-05-25", "Format": "JSON",
		"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0"} {
		if p.Get(k) != want {
			f.answer(w, 400, "InvalidParameter", k)
			return
		}
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", p.Get("Timestamp"))
	if d := f.now().Sub(ts); err != nil || d > 15*time.Minute || d < -15*time.Minute {
		f.answer(w, 400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
		return
	}
	if p.Get("AccessKeyId") != f.keyID {
		f.answer(w, 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
		return
	}
	want, toSign := docSign(r.Method, f.secret, p)
	if p.Get("Signature") != want {
		f.answer(w, 400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:"+toSign)
		return
	}
	f.mu.Lock()
	if f.nonces[p.Get("SignatureNonce")] {
		f.mu.Unlock()
		f.answer(w, 400, "SignatureNonceUsed", "Specified signature nonce was used already.")
		return
	}
	f.nonces[p.Get("SignatureNonce")] = true
	f.sent = append(f.sent, p)
	code, status, stall := f.code, f.status, f.stall
	f.counter++
	n := f.counter
	f.mu.Unlock()
	if stall != nil {
		select {
		case <-stall:
		case <-r.Context().Done():
		}
		return
	}
	if code == "" || code == "OK" {
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		fmt.Fprintf(w, `{"Message":"OK","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"OK","BizId":"900619746936498440^%d"}`, n)
		return
	}
	if status == 0 {
		status = 200
	}
	f.answer(w, status, code, "business error "+code)
}

func (f *fakeDysms) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.sent) }

// The worked example of Aliyun's signature documentation (DescribeRegions,
// AccessKeySecret "testsecret", GET) gives this signature.
func TestAliyunSignMatchesTheDocumentedExample(t *testing.T) {
	p := url.Values{
		"AccessKeyId": {"testid"}, "Action": {"DescribeRegions"}, "Format": {"XML"},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {"3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
		"SignatureVersion": {"1.0"}, "Timestamp": {"2016-02-23T12:46:24Z"}, "Version": {"2014-05-26"},
	}
	if got := AliyunSign("GET", "testsecret", p); got != "OLeaidS1JvxuMvnyHOwuJ+uX5qY=" {
		t.Fatalf("signature %s", got)
	}
}

func TestAliyunSMSSendsSignedTemplatesAndClassifiesAnswers(t *testing.T) {
	c := &clock{t: time.Now()}
	keyID, secret := "LTAI5tTestKeyId", "aliyun-test-secret-vVR2QMWbcnA7"
	f := &fakeDysms{t: t, keyID: keyID, secret: secret, now: c.Now, nonces: map[string]bool{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	log, logs := newLog()
	sms, err := NewAliyunSMS(AliyunSMSConfig{BaseURL: srv.URL, AccessKeyID: keyID, AccessKeySecret: secret, SignName: "平城区城管",
		Now: c.Now, Logger: log, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := Message{ID: "delivery-17", To: []string{"13800138000", "13900139000"}, Template: "SMS_15305001",
		Params: map[string]string{"case": "#42", "street": "南关街道", "due": "12月8日"}}
	rc, err := sms.Send(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if rc.ProviderID != "900619746936498440^1" {
		t.Fatalf("receipt %+v", rc)
	}
	got := f.sent[0]
	var params map[string]string
	if err := json.Unmarshal([]byte(got.Get("TemplateParam")), &params); err != nil || params["street"] != "南关街道" || len(params) != 3 {
		t.Fatalf("TemplateParam %q", got.Get("TemplateParam"))
	}
	if got.Get("PhoneNumbers") != "13800138000,13900139000" || got.Get("SignName") != "平城区城管" ||
		got.Get("TemplateCode") != "SMS_15305001" || got.Get("OutId") != "delivery-17" {
		t.Fatalf("parameters %v", got)
	}

	// The same delivery again is answered from the first receipt: no
	// second SMS is paid for.
	if rc2, err := sms.Send(ctx, m); err != nil || rc2 != rc || f.count() != 1 {
		t.Fatalf("resend: %+v %v, gateway took %d", rc2, err, f.count())
	}

	var errs []string
	for _, tc := range []struct {
		code             string
		status           int
		retry, throttled bool
	}{
		{"isv.BUSINESS_LIMIT_CONTROL", 200, true, true},
		{"Throttling.User", 400, true, true},
		{"isv.DAY_LIMIT_CONTROL", 200, true, true},
		{"isp.SYSTEM_ERROR", 200, true, false},
		{"ServiceUnavailable", 503, true, false},
		{"isv.MOBILE_NUMBER_ILLEGAL", 200, false, false},
		{"isv.SMS_TEMPLATE_ILLEGAL", 200, false, false},
		{"isv.SMS_SIGNATURE_ILLEGAL", 200, false, false},
		{"isv.AMOUNT_NOT_ENOUGH", 200, false, false},
	} {
		f.mu.Lock()
		f.code, f.status = tc.code, tc.status
		f.mu.Unlock()
		_, err := sms.Send(ctx, Message{ID: "d-" + tc.code, To: []string{"13800138000"}, Template: "SMS_1"})
		classified(t, err, tc.code, tc.retry, tc.throttled)
		errs = append(errs, err.Error())
	}
	f.mu.Lock()
	f.code, f.status = "", 0
	f.mu.Unlock()

	// A wrong secret: SignatureDoesNotMatch, permanent, and the error keeps
	// neither the secret nor the server's string to sign with the numbers.
	wrong, _ := NewAliyunSMS(AliyunSMSConfig{BaseURL: srv.URL, AccessKeyID: keyID, AccessKeySecret: "not-the-secret", SignName: "平城区城管", Now: c.Now, Logger: log})
	_, err = wrong.Send(ctx, Message{ID: "w1", To: []string{"13800138000"}, Template: "SMS_1"})
	e := classified(t, err, "SignatureDoesNotMatch", false, false)
	if strings.Contains(e.Error(), "13800138000") || strings.Contains(e.Error(), "string to sign") {
		t.Errorf("error shows the string to sign: %v", e)
	}
	errs = append(errs, err.Error())
	unknown, _ := NewAliyunSMS(AliyunSMSConfig{BaseURL: srv.URL, AccessKeyID: "LTAIunknown", AccessKeySecret: secret, SignName: "x", Now: c.Now})
	_, err = unknown.Send(ctx, Message{ID: "w2", To: []string{"13800138000"}, Template: "SMS_1"})
	classified(t, err, "InvalidAccessKeyId.NotFound", false, false)

	// Nothing to send to, or no template: refused before any call.
	before := f.count()
	_, err = sms.Send(ctx, Message{ID: "w3", Template: "SMS_1"})
	classified(t, err, CodeInput, false, false)
	_, err = sms.Send(ctx, Message{ID: "w4", To: []string{"13800138000"}})
	classified(t, err, CodeInput, false, false)
	if f.count() != before {
		t.Fatal("a refused message reached the gateway")
	}

	// No answer in time: worth retrying (the dispatcher checks receipts
	// before it does, as SendSms is not idempotent).
	f.mu.Lock()
	f.stall = make(chan struct{})
	f.mu.Unlock()
	_, err = sms.Send(ctx, Message{ID: "w5", To: []string{"13800138000"}, Template: "SMS_1"})
	classified(t, err, CodeTimeout, true, false)
	errs = append(errs, err.Error())
	close(f.stall)

	for _, s := range append(errs, logs.String(), sms.Redacted()) {
		noSecret(t, "aliyun", s, secret, "not-the-secret")
	}
	if strings.Contains(logs.String(), "13800138000") {
		t.Errorf("the log shows a phone number: %s", logs.String())
	}

	for _, tc := range []struct {
		cfg   AliyunSMSConfig
		field string
	}{
		{AliyunSMSConfig{AccessKeySecret: "s", SignName: "n"}, "AccessKeyID"},
		{AliyunSMSConfig{AccessKeyID: "i", SignName: "n"}, "AccessKeySecret"},
		{AliyunSMSConfig{AccessKeyID: "i", AccessKeySecret: "s"}, "SignName"},
	} {
		_, err := NewAliyunSMS(tc.cfg)
		configError(t, err, tc.field)
	}
	if sms.Redacted() != "sms aliyun "+strings.TrimPrefix(srv.URL, "http://") {
		t.Error(sms.Redacted())
	}
}
