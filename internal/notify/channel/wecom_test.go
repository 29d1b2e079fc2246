package channel

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// fakeWeCom is a WeCom group robot endpoint: a wrong key gets 93000 and an
// over-long content 40058, as the documented API answers.
type fakeWeCom struct {
	key    string
	mu     sync.Mutex
	bodies []map[string]any
	reply  string
	stall  chan struct{}
}

func (f *fakeWeCom) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/cgi-bin/webhook/send" {
		http.NotFound(w, r)
		return
	}
	if r.URL.Query().Get("key") != f.key {
		fmt.Fprint(w, `{"errcode":93000,"errmsg":"invalid webhook url, hint: [1714538355214402498975046], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=93000"}`)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fmt.Fprint(w, `{"errcode":40035,"errmsg":"invalid parameter"}`)
		return
	}
	for typ, limit := range map[string]int{"text": WeComTextLimit, "markdown": WeComMarkdownLimit} {
		if part, ok := body[typ].(map[string]any); ok {
			if c := part["content"].(string); len(c) > limit || !utf8.ValidString(c) {
				fmt.Fprintf(w, `{"errcode":40058,"errmsg":"%s.content exceed max length %d"}`, typ, limit)
				return
			}
		}
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	reply, stall := f.reply, f.stall
	f.mu.Unlock()
	if stall != nil {
		select {
		case <-stall:
		case <-r.Context().Done():
		}
		return
	}
	if reply == "" {
		reply = `{"errcode":0,"errmsg":"ok"}`
	}
	fmt.Fprint(w, reply)
}

func (f *fakeWeCom) last() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[len(f.bodies)-1]
}

func TestWeComSendsColouredMarkdownWithinTheLimits(t *testing.T) {
	key := "wecom-key-693a91f6-" + t.Name()
	f := &fakeWeCom{key: key}
	srv := httptest.NewServer(f)
	defer srv.Close()
	log, logs := newLog()
	c := &clock{t: time.Now()}
	w, err := NewWeCom(WeComConfig{BaseURL: srv.URL, Key: key, Logger: log, Now: c.Now, Timeout: 300 * time.Millisecond, PerMinute: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// A warning's title is orange-red; the text follows it.
	if _, err := w.Send(ctx, Message{ID: "w1", Subject: "超时预警", Text: "案件 #42 将于 17:00 超时", Level: LevelWarning}); err != nil {
		t.Fatal(err)
	}
	md := f.last()["markdown"].(map[string]any)["content"].(string)
	if md != "**🟠 <font color=\"warning\">超时预警</font>**\n案件 #42 将于 17:00 超时" {
		t.Fatalf("markdown %q", md)
	}
	if _, err := w.Send(ctx, Message{ID: "w2", Subject: "日报", Text: "今日办结 12 件", Level: LevelInfo}); err != nil {
		t.Fatal(err)
	}
	if md := f.last()["markdown"].(map[string]any)["content"].(string); !strings.Contains(md, `<font color="info">日报</font>`) {
		t.Fatalf("info markdown %q", md)
	}

	// A long Chinese text is cut to 4096 bytes on a character boundary,
	// ending in an ellipsis, and the robot takes it.
	long := strings.Repeat("平城区网格", 1000) // 15,000 bytes
	if _, err := w.Send(ctx, Message{ID: "w3", Subject: "长消息", Text: long}); err != nil {
		t.Fatal(err)
	}
	md = f.last()["markdown"].(map[string]any)["content"].(string)
	if len(md) > WeComMarkdownLimit || len(md) < WeComMarkdownLimit-3 || !strings.HasSuffix(md, "…") || !strings.HasPrefix(md, "**<font") {
		t.Fatalf("cut markdown: %d bytes, ends %q", len(md), md[len(md)-10:])
	}

	// People to ring make a text message with their mobiles, cut to 2048 bytes.
	if _, err := w.Send(ctx, Message{ID: "w4", Text: long, To: []string{"13800138000"}}); err != nil {
		t.Fatal(err)
	}
	text := f.last()["text"].(map[string]any)
	if c := text["content"].(string); len(c) > WeComTextLimit || !strings.HasSuffix(c, "…") || text["mentioned_mobile_list"].([]any)[0] != "13800138000" {
		t.Fatalf("text %d bytes, %v", len(c), text["mentioned_mobile_list"])
	}

	var errs []string
	for _, tc := range []struct {
		reply            string
		code             string
		retry, throttled bool
	}{
		{`{"errcode":45009,"errmsg":"api freq out of limit"}`, "45009", true, true},
		{`{"errcode":-1,"errmsg":"system busy"}`, "-1", true, false},
		{`{"errcode":93004,"errmsg":"webhook disabled"}`, "93004", false, false},
	} {
		f.mu.Lock()
		f.reply = tc.reply
		f.mu.Unlock()
		_, err := w.Send(ctx, Message{ID: "w5", Text: "x"})
		classified(t, err, tc.code, tc.retry, tc.throttled)
		errs = append(errs, err.Error())
	}
	f.mu.Lock()
	f.reply = ""
	f.mu.Unlock()

	// A wrong key: 93000, permanent.
	bad, _ := NewWeCom(WeComConfig{BaseURL: srv.URL, Key: "wrong-key-0000", Logger: log})
	_, err = bad.Send(ctx, Message{ID: "w6", Text: "x"})
	classified(t, err, "93000", false, false)
	errs = append(errs, err.Error())

	// A robot that never answers: a timeout, worth retrying.
	f.mu.Lock()
	f.stall = make(chan struct{})
	f.mu.Unlock()
	_, err = w.Send(ctx, Message{ID: "w7", Text: "x"})
	classified(t, err, CodeTimeout, true, false)
	errs = append(errs, err.Error())
	close(f.stall)

	for _, s := range append(errs, logs.String(), w.Redacted()) {
		noSecret(t, "wecom", s, key, "wrong-key-0000")
	}

	// Twenty a minute per robot on our side too.
	w20, _ := NewWeCom(WeComConfig{BaseURL: srv.URL, Key: key + "-window", Now: c.Now})
	for range 20 {
		w20.pace.w.reserve(c.Now())
	}
	_, err = w20.Send(ctx, Message{ID: "w8", Text: "x"})
	classified(t, err, CodeLimit, true, true)

	_, err = NewWeCom(WeComConfig{})
	configError(t, err, "Key")
	if d, _ := NewWeCom(WeComConfig{Key: "k"}); d.Redacted() != "wecom qyapi.weixin.qq.com" {
		t.Fatal(d.Redacted())
	}
}
