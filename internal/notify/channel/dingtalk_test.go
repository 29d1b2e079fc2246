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

// fakeDingTalk is a DingTalk robot endpoint that checks each request as the
// documented API does: the token, a timestamp within an hour and the sign
// recomputed from the secret; a wrong one gets 310000 like the real robot.
type fakeDingTalk struct {
	t      *testing.T
	token  string
	secret string
	now    func() time.Time

	mu     sync.Mutex
	bodies []map[string]any
	reply  string        // the JSON to answer after the checks; default errcode 0
	status int           // HTTP status; default 200
	stall  chan struct{} // when set, the answer waits for it
	huge   bool
}

func (f *fakeDingTalk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/robot/send" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		f.t.Errorf("Content-Type %q", ct)
	}
	q := r.URL.Query()
	if q.Get("access_token") != f.token {
		fmt.Fprint(w, `{"errcode":300001,"errmsg":"token is not exist"}`)
		return
	}
	ms, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if d := f.now().Sub(time.UnixMilli(ms)); err != nil || d > time.Hour || d < -time.Hour {
		fmt.Fprint(w, `{"errcode":310000,"errmsg":"sign not match, more: [timestamp]"}`)
		return
	}
	if q.Get("sign") != DingTalkSign(f.secret, ms) {
		fmt.Fprint(w, `{"errcode":310000,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}`)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fmt.Fprint(w, `{"errcode":40035,"errmsg":"缺少参数 json"}`)
		return
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	reply, status, stall, huge := f.reply, f.status, f.stall, f.huge
	f.mu.Unlock()
	if stall != nil {
		select {
		case <-stall:
		case <-r.Context().Done():
		}
		return
	}
	if status != 0 {
		w.WriteHeader(status)
	}
	if huge {
		fmt.Fprint(w, `{"errcode":0,"errmsg":"`+strings.Repeat("x", 1<<20)+`"}`)
		return
	}
	if reply == "" {
		reply = `{"errcode":0,"errmsg":"ok"}`
	}
	fmt.Fprint(w, reply)
}

func (f *fakeDingTalk) received() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.bodies) }
func (f *fakeDingTalk) last() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[len(f.bodies)-1]
}

func newDingTalkPair(t *testing.T, token, secret string, c *clock) (*fakeDingTalk, *httptest.Server) {
	f := &fakeDingTalk{t: t, token: token, secret: secret, now: c.Now}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func TestDingTalkSendsSignedMessagesAndClassifiesAnswers(t *testing.T) {
	c := &clock{t: time.Now()}
	token, secret := "dt-token-"+t.Name(), "SECdingtalk-secret-9f8e7d"
	f, srv := newDingTalkPair(t, token, secret, c)
	log, logs := newLog()
	d, err := NewDingTalk(DingTalkConfig{BaseURL: srv.URL, AccessToken: token, Secret: secret, Now: c.Now,
		Logger: log, Timeout: 300 * time.Millisecond, PerMinute: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var errs []string

	// A plain message @s the people on duty, in the text and in "at".
	if _, err := d.Send(ctx, Message{ID: "d1", To: []string{"13800138000"}, Text: "平城区 新案件 #42 待派遣"}); err != nil {
		t.Fatal(err)
	}
	b := f.last()
	if b["msgtype"] != "text" || b["text"].(map[string]any)["content"] != "平城区 新案件 #42 待派遣 @13800138000" {
		t.Fatalf("text body %v", b)
	}
	if at := b["at"].(map[string]any); at["isAtAll"] != false || at["atMobiles"].([]any)[0] != "13800138000" {
		t.Fatalf("at %v", at)
	}

	// A subject makes a markdown message with the title in bold, marked urgent.
	if _, err := d.Send(ctx, Message{ID: "d2", Subject: "超时预警", Text: "案件 #42 将于今日 17:00 超时", Level: LevelUrgent, To: []string{"13900139000"}}); err != nil {
		t.Fatal(err)
	}
	md := f.last()["markdown"].(map[string]any)
	if md["title"] != "超时预警" || !strings.Contains(md["text"].(string), "🔴 **超时预警**") || !strings.HasSuffix(md["text"].(string), "@13900139000") {
		t.Fatalf("markdown %v", md)
	}

	// Each documented error class.
	for _, tc := range []struct {
		reply            string
		status           int
		code             string
		retry, throttled bool
	}{
		{reply: `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`, code: "130101", retry: true, throttled: true},
		{reply: `{"errcode":310000,"errmsg":"keywords not in content"}`, code: "310000"},
		{reply: `{"errcode":-1,"errmsg":"系统繁忙"}`, code: "-1", retry: true},
		{reply: `<html>bad gateway</html>`, status: 502, code: CodeHTTP, retry: true},
		{reply: `<html>not found</html>`, status: 404, code: CodeHTTP},
	} {
		f.mu.Lock()
		f.reply, f.status = tc.reply, tc.status
		f.mu.Unlock()
		_, err := d.Send(ctx, Message{ID: "d3", Text: "x"})
		e := classified(t, err, tc.code, tc.retry, tc.throttled)
		if tc.code == "130101" && e.After != 10*time.Minute {
			t.Errorf("130101 After %v; want the ten-minute mute", e.After)
		}
		errs = append(errs, err.Error())
	}
	f.mu.Lock()
	f.reply, f.status = "", 0
	f.mu.Unlock()

	// A wrong secret is refused by the robot, permanently.
	bad, _ := NewDingTalk(DingTalkConfig{BaseURL: srv.URL, AccessToken: token, Secret: "SECwrong-secret-0000", Now: c.Now, Logger: log, PerMinute: 1000})
	_, err = bad.Send(ctx, Message{ID: "d4", Text: "x"})
	classified(t, err, "310000", false, false)
	errs = append(errs, err.Error())

	// An answer too large to be the robot's is not read to the end.
	f.mu.Lock()
	f.huge = true
	f.mu.Unlock()
	_, err = d.Send(ctx, Message{ID: "d5", Text: "x"})
	classified(t, err, CodeResponse, false, false)
	errs = append(errs, err.Error())
	f.mu.Lock()
	f.huge = false
	f.stall = make(chan struct{})
	f.mu.Unlock()

	// A robot that never answers is a timeout, worth retrying.
	_, err = d.Send(ctx, Message{ID: "d6", Text: "x"})
	classified(t, err, CodeTimeout, true, false)
	errs = append(errs, err.Error())
	close(f.stall)

	// Nowhere to connect to: a network error, worth retrying.
	gone, _ := NewDingTalk(DingTalkConfig{BaseURL: "http://127.0.0.1:1", AccessToken: token, Secret: secret, Logger: log, PerMinute: 1000})
	_, err = gone.Send(ctx, Message{ID: "d7", Text: "x"})
	classified(t, err, CodeNetwork, true, false)
	errs = append(errs, err.Error())

	for _, s := range append(errs, logs.String(), d.Redacted()) {
		noSecret(t, "dingtalk", s, token, secret)
	}
	if !strings.Contains(logs.String(), "id=d6") || d.Redacted() != "dingtalk "+strings.TrimPrefix(srv.URL, "http://") {
		t.Errorf("log %q / redacted %q", logs.String(), d.Redacted())
	}
}

func TestDingTalkKeepsTwentyAMinutePerRobot(t *testing.T) {
	c := &clock{t: time.Now()}
	secret := "SECwindow-secret"
	f1, srv1 := newDingTalkPair(t, "robot-one-"+t.Name(), secret, c)
	f2, srv2 := newDingTalkPair(t, "robot-two-"+t.Name(), secret, c)
	one, _ := NewDingTalk(DingTalkConfig{BaseURL: srv1.URL, AccessToken: f1.token, Secret: secret, Now: c.Now})
	two, _ := NewDingTalk(DingTalkConfig{BaseURL: srv2.URL, AccessToken: f2.token, Secret: secret, Now: c.Now})
	ctx := context.Background()
	for i := range 20 {
		c.Add(time.Second)
		if _, err := one.Send(ctx, Message{ID: strconv.Itoa(i), Text: "burst"}); err != nil {
			t.Fatal(i, err)
		}
	}
	// The 21st within the minute does not reach the robot: Throttled, with
	// the wait until the oldest of the twenty leaves the window.
	_, err := one.Send(ctx, Message{ID: "21", Text: "burst"})
	e := classified(t, err, CodeLimit, true, true)
	if e.After != 41*time.Second {
		t.Errorf("After %v; want 41s (the first send at +1s leaves at +61s; now +20s)", e.After)
	}
	if f1.received() != 20 {
		t.Fatalf("robot one received %d; want 20", f1.received())
	}
	// Another robot is not held up by the first one's burst.
	if _, err := two.Send(ctx, Message{ID: "other", Text: "other robot"}); err != nil || f2.received() != 1 {
		t.Fatalf("second robot: %v, received %d", err, f2.received())
	}
	// A second adapter for the same robot shares its window.
	again, _ := NewDingTalk(DingTalkConfig{BaseURL: srv1.URL, AccessToken: f1.token, Secret: secret, Now: c.Now})
	if _, err := again.Send(ctx, Message{ID: "22", Text: "burst"}); err == nil {
		t.Fatal("a second adapter for the same robot sent past its window")
	}
	// Allowed to wait, a burst waits for room and then goes.
	waiter, _ := NewDingTalk(DingTalkConfig{BaseURL: srv1.URL, AccessToken: f1.token, Secret: secret, Now: c.Now, MaxWait: time.Minute})
	var slept time.Duration
	waiter.pace.sleep = func(_ context.Context, d time.Duration) error { slept += d; c.Add(d); return nil }
	if _, err := waiter.Send(ctx, Message{ID: "23", Text: "after the wait"}); err != nil {
		t.Fatal(err)
	}
	if slept != 41*time.Second || f1.received() != 21 {
		t.Fatalf("waited %v, robot received %d; want 41s and 21", slept, f1.received())
	}
}

func TestDingTalkConfigNamesTheMissingField(t *testing.T) {
	_, err := NewDingTalk(DingTalkConfig{Secret: "SECx"})
	configError(t, err, "AccessToken")
	_, err = NewDingTalk(DingTalkConfig{AccessToken: "t", BaseURL: "ftp://x"})
	configError(t, err, "BaseURL")
	d, err := NewDingTalk(DingTalkConfig{AccessToken: "secret-token"})
	if err != nil || d.Redacted() != "dingtalk oapi.dingtalk.com" {
		t.Fatalf("%v %q", err, d.Redacted())
	}
}

// A redirecting endpoint is not followed: the signed request, token and
// all, never reaches the other host.
func TestRobotsDoNotFollowRedirects(t *testing.T) {
	var reached int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ }))
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	d, _ := NewDingTalk(DingTalkConfig{BaseURL: redirect.URL, AccessToken: "redirect-token", Secret: "SECr"})
	_, err := d.Send(context.Background(), Message{ID: "r1", Text: "x"})
	classified(t, err, CodeHTTP, false, false)
	if reached != 0 {
		t.Fatal("the redirect was followed")
	}
	noSecret(t, "redirect", err.Error(), "redirect-token", "SECr")
}
