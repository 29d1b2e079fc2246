package channel

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeFeishu is a Feishu custom bot endpoint that recomputes the sign from
// the secret (timestamp + "\n" + secret as the HMAC key over nothing) and
// answers 19021 to a wrong one, as the documented API does.
type fakeFeishu struct {
	token, secret string
	now           func() time.Time
	mu            sync.Mutex
	bodies        []feishuBody
	reply         string
	status        int
}

func (f *fakeFeishu) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/open-apis/bot/v2/hook/"+f.token {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"code":19001,"msg":"param invalid: incoming webhook access token invalid"}`)
		return
	}
	var b feishuBody
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.MsgType != "text" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"code":9499,"msg":"Bad Request"}`)
		return
	}
	ts, err := strconv.ParseInt(b.Timestamp, 10, 64)
	if d := f.now().Sub(time.Unix(ts, 0)); err != nil || d > time.Hour || d < -time.Hour || b.Sign != FeishuSign(f.secret, ts) {
		fmt.Fprint(w, `{"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour from current time"}`)
		return
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, b)
	reply, status := f.reply, f.status
	f.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
	}
	if reply == "" {
		reply = `{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}`
	}
	fmt.Fprint(w, reply)
}

func TestFeishuSendsSignedTextAndClassifiesAnswers(t *testing.T) {
	c := &clock{t: time.Now()}
	token, secret := "feishu-hook-5e3d587e-"+t.Name(), "feishu-sign-secret-nIMtb7r3"
	f := &fakeFeishu{token: token, secret: secret, now: c.Now}
	srv := httptest.NewServer(f)
	defer srv.Close()
	log, logs := newLog()
	fs, err := NewFeishu(FeishuConfig{BaseURL: srv.URL, Token: token, Secret: secret, Now: c.Now, Logger: log, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := fs.Send(ctx, Message{ID: "f1", Subject: "紧急：井盖缺失", Text: "御河西路 3 号，已派市政", Level: LevelUrgent}); err != nil {
		t.Fatal(err)
	}
	if got := f.bodies[0].Content.Text; got != "🔴 紧急：井盖缺失\n御河西路 3 号，已派市政" {
		t.Fatalf("text %q", got)
	}

	var errs []string
	for _, tc := range []struct {
		reply            string
		status           int
		code             string
		retry, throttled bool
	}{
		{`{"code":11232,"msg":"frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"}`, 0, "11232", true, true},
		{`{"code":9499,"msg":"too many request"}`, 0, "9499", true, true},
		{`{"code":19024,"msg":"Key Words Not Found"}`, 0, "19024", false, false},
		{`{"code":19022,"msg":"Ip Not Allowed"}`, 0, "19022", false, false},
		{`upstream timeout`, 504, CodeHTTP, true, false},
	} {
		f.mu.Lock()
		f.reply, f.status = tc.reply, tc.status
		f.mu.Unlock()
		_, err := fs.Send(ctx, Message{ID: "f2", Text: "x"})
		classified(t, err, tc.code, tc.retry, tc.throttled)
		errs = append(errs, err.Error())
	}
	f.mu.Lock()
	f.reply, f.status = "", 0
	f.mu.Unlock()

	// A wrong secret, or the clock an hour and more off: 19021, permanent.
	bad, _ := NewFeishu(FeishuConfig{BaseURL: srv.URL, Token: token, Secret: "wrong-feishu-secret", Now: c.Now, Logger: log})
	_, err = bad.Send(ctx, Message{ID: "f3", Text: "x"})
	classified(t, err, "19021", false, false)
	errs = append(errs, err.Error())
	late, _ := NewFeishu(FeishuConfig{BaseURL: srv.URL, Token: token, Secret: secret, Now: func() time.Time { return c.Now().Add(-2 * time.Hour) }})
	_, err = late.Send(ctx, Message{ID: "f4", Text: "x"})
	classified(t, err, "19021", false, false)

	// Unreachable: a network error, worth retrying; nothing names the token.
	gone, _ := NewFeishu(FeishuConfig{BaseURL: "http://127.0.0.1:1", Token: token, Secret: secret, Logger: log})
	_, err = gone.Send(ctx, Message{ID: "f5", Text: "x"})
	classified(t, err, CodeNetwork, true, false)
	errs = append(errs, err.Error())

	for _, s := range append(errs, logs.String(), fs.Redacted()) {
		noSecret(t, "feishu", s, token, secret, "wrong-feishu-secret")
	}
	// The first send and the five answered with an error passed the
	// signature check; the wrong and the stale signatures did not.
	if len(f.bodies) != 6 {
		t.Errorf("bot took %d signed messages; want 6", len(f.bodies))
	}
	if !strings.Contains(logs.String(), "kind=feishu") {
		t.Errorf("log %q", logs.String())
	}

	_, err = NewFeishu(FeishuConfig{Secret: "s"})
	configError(t, err, "Token")
}
