package channel

import (
	"context"
	"crypto/tls"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// Each benchmark sends through one adapter to its local fake endpoint on
// 127.0.0.1 (the same ones the tests use, checking every signature) and
// reports messages per second: the adapter's own cost plus one loopback
// round trip, the ceiling a dispatcher worker can reach per channel.

func benchSend(b *testing.B, ch Channel, m Message) {
	b.Helper()
	ctx := context.Background()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		m.ID = strconv.Itoa(n)
		if _, err := ch.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkSendDingTalk(b *testing.B) {
	f := &fakeDingTalk{token: "bench-token", secret: "SECbench", now: time.Now}
	srv := httptest.NewServer(f)
	defer srv.Close()
	d, _ := NewDingTalk(DingTalkConfig{BaseURL: srv.URL, AccessToken: f.token + b.Name(), Secret: f.secret, PerMinute: 1 << 30})
	f.token = d.cfg.AccessToken
	benchSend(b, d, Message{Subject: "超时预警", Text: "案件 #42 将于今日 17:00 超时", Level: LevelUrgent, To: []string{"13800138000"}})
}

func BenchmarkSendWeCom(b *testing.B) {
	f := &fakeWeCom{key: "bench-key-" + b.Name()}
	srv := httptest.NewServer(f)
	defer srv.Close()
	w, _ := NewWeCom(WeComConfig{BaseURL: srv.URL, Key: f.key, PerMinute: 1 << 30})
	benchSend(b, w, Message{Subject: "超时预警", Text: "案件 #42 将于今日 17:00 超时", Level: LevelWarning})
}

func BenchmarkSendFeishu(b *testing.B) {
	f := &fakeFeishu{token: "bench-hook-" + b.Name(), secret: "bench-secret", now: time.Now}
	srv := httptest.NewServer(f)
	defer srv.Close()
	fs, _ := NewFeishu(FeishuConfig{BaseURL: srv.URL, Token: f.token, Secret: f.secret, PerMinute: 1 << 30})
	benchSend(b, fs, Message{Subject: "超时预警", Text: "案件 #42 将于今日 17:00 超时"})
}

func BenchmarkSendAliyunSMS(b *testing.B) {
	f := &fakeDysms{keyID: "LTAIbench", secret: "bench-secret", now: time.Now, nonces: map[string]bool{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	s, _ := NewAliyunSMS(AliyunSMSConfig{BaseURL: srv.URL, AccessKeyID: f.keyID, AccessKeySecret: f.secret, SignName: "平城区城管"})
	benchSend(b, s, Message{To: []string{"13800138000"}, Template: "SMS_15305001", Params: map[string]string{"case": "#42"}})
}

func BenchmarkSendCMAS(b *testing.B) {
	f := &fakeCMAS{ecName: "大同市平城区城市管理局", apID: "pcqcg", secretKey: "bench-secret", sign: "XtXYO12LyQJ"}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, _ := NewCMAS(CMASConfig{BaseURL: srv.URL, EcName: f.ecName, ApID: f.apID, SecretKey: f.secretKey, Sign: f.sign})
	benchSend(b, c, Message{To: []string{"13800138000"}, Text: "【平城城管】案件#42已派至南关街道，请于12月8日前处置。"})
}

// BenchmarkSendMail opens one SMTP conversation per message, STARTTLS and
// AUTH included, as the adapter does.
func BenchmarkSendMail(b *testing.B) {
	cert, pool := testCert(b)
	box := &mailbox{user: "notify@pingcheng.gov.cn", pass: "bench-password"}
	h, port := startMailbox(b, box, cert)
	m, _ := NewMail(MailConfig{Host: h, Port: port, User: box.user, Password: box.pass,
		From: "平城区城市管理 <notify@pingcheng.gov.cn>", TLS: &tls.Config{RootCAs: pool}})
	benchSend(b, m, Message{To: []string{"li.si@example.cn"}, Subject: "案件 #42 即将超时", Text: "南关街道：案件 #42 将于 17:00 超时。"})
}
