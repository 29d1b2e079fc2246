package channel

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	stdlog "log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testCert is a self-signed certificate for 127.0.0.1 and the pool that trusts it.
func testCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "xiuhua test smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// received is one message as the SMTP server took it.
type received struct {
	user, pass string
	tls        bool
	from       string
	rcpt       []string
	data       []byte
}

// mailbox is a real SMTP server (go-smtp) on 127.0.0.1 that keeps what it
// is sent. It answers 451 for busy@…, 550 for nobody@… and 535 to a wrong
// password, as a mail server does.
type mailbox struct {
	user, pass string
	mu         sync.Mutex
	got        []received
}

type session struct {
	box  *mailbox
	conn *smtp.Conn
	cur  received
}

func (b *mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{box: b, conn: c}, nil
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.box.user || pass != s.box.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication failed"}
		}
		s.cur.user, s.cur.pass = user, pass
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.cur.user == "" {
		return smtp.ErrAuthRequired
	}
	_, s.cur.tls = s.conn.TLSConnectionState()
	s.cur.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "busy@"):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Mailbox busy, try again later"}
	case strings.HasPrefix(to, "nobody@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	s.cur.rcpt = append(s.cur.rcpt, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.box.mu.Lock()
	s.box.got = append(s.box.got, s.cur)
	s.box.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.cur = received{user: s.cur.user, pass: s.cur.pass} }
func (s *session) Logout() error { return nil }

func (b *mailbox) count() int { b.mu.Lock(); defer b.mu.Unlock(); return len(b.got) }

func startMailbox(t testing.TB, box *mailbox, cert tls.Certificate) (string, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := smtp.NewServer(box)
	s.Domain = "mx.test"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.ErrorLog = stdlog.New(io.Discard, "", 0)
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	a := l.Addr().(*net.TCPAddr)
	return "127.0.0.1", a.Port
}

func TestMailSendsOverStartTLSWithAuthAndTheHeadersReadersNeed(t *testing.T) {
	cert, pool := testCert(t)
	box := &mailbox{user: "notify@pingcheng.gov.cn", pass: "smtp-password-Qx7#"}
	h, port := startMailbox(t, box, cert)
	log, logs := newLog()
	now := time.Date(2026, 12, 6, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	cfg := MailConfig{Host: h, Port: port, User: box.user, Password: box.pass,
		From: "平城区城市管理 <notify@pingcheng.gov.cn>", TLS: &tls.Config{RootCAs: pool},
		Now: func() time.Time { return now }, Logger: log, Timeout: 5 * time.Second}
	m, err := NewMail(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	msg := Message{ID: "delivery-88", To: []string{"张三 <zhangsan@example.cn>", "li.si@example.cn"},
		Subject: "案件 #42 即将超时", Text: "南关街道：案件 #42（井盖缺失）将于 17:00 超时。\n请尽快处置。",
		Level: LevelUrgent, Unsubscribe: "https://xiuhua.example.cn/unsubscribe?t=abc123"}
	rc, err := m.Send(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if rc.ProviderID != "<xiuhua.delivery-88@pingcheng.gov.cn>" {
		t.Fatalf("receipt %q", rc.ProviderID)
	}
	got := box.got[0]
	if !got.tls || got.user != box.user || got.pass != box.pass {
		t.Fatalf("tls %v, authenticated as %q/%q", got.tls, got.user, got.pass)
	}
	if got.from != "notify@pingcheng.gov.cn" || strings.Join(got.rcpt, ",") != "zhangsan@example.cn,li.si@example.cn" {
		t.Fatalf("envelope %q → %v", got.from, got.rcpt)
	}
	parsed, err := mail.ReadMessage(bytes.NewReader(got.data))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(parsed.Header.Get("Subject"))
	from, _ := dec.DecodeHeader(parsed.Header.Get("From"))
	to, _ := dec.DecodeHeader(parsed.Header.Get("To"))
	body, _ := io.ReadAll(quotedprintable.NewReader(parsed.Body))
	hd := parsed.Header
	for _, c := range []struct{ name, got, want string }{
		{"Subject", subject, "案件 #42 即将超时"},
		{"From", from, "平城区城市管理 <notify@pingcheng.gov.cn>"},
		{"To", to, "张三 <zhangsan@example.cn>, <li.si@example.cn>"},
		{"body", strings.TrimSuffix(string(body), "\r\n"), "南关街道：案件 #42（井盖缺失）将于 17:00 超时。\r\n请尽快处置。"},
		{"Content-Type", hd.Get("Content-Type"), "text/plain; charset=UTF-8"},
		{"Content-Transfer-Encoding", hd.Get("Content-Transfer-Encoding"), "quoted-printable"},
		{"Message-ID", hd.Get("Message-ID"), "<xiuhua.delivery-88@pingcheng.gov.cn>"},
		{"Date", hd.Get("Date"), "Sun, 06 Dec 2026 09:30:00 +0800"},
		{"X-Priority", hd.Get("X-Priority"), "1 (Highest)"},
		{"List-Unsubscribe", hd.Get("List-Unsubscribe"), "<https://xiuhua.example.cn/unsubscribe?t=abc123>"},
		{"List-Unsubscribe-Post", hd.Get("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click"},
		{"Auto-Submitted", hd.Get("Auto-Submitted"), "auto-generated"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", c.name, c.got, c.want)
		}
	}
	if raw := parsed.Header.Get("Subject"); !strings.HasPrefix(raw, "=?UTF-8?b?") {
		t.Errorf("Subject not RFC 2047 encoded: %q", raw)
	}

	// The same delivery is not mailed twice by this adapter, and another
	// adapter (after a restart) gives it the same Message-ID, so the
	// re-send is recognisable.
	if rc2, err := m.Send(ctx, msg); err != nil || rc2 != rc || box.count() != 1 {
		t.Fatalf("resend %v %v, %d messages", rc2, err, box.count())
	}
	m2, _ := NewMail(cfg)
	if rc3, err := m2.Send(ctx, msg); err != nil || rc3.ProviderID != rc.ProviderID {
		t.Fatalf("after restart %v %v", rc3, err)
	}
	if id := m2.MessageID("案件/42 回执"); !strings.HasPrefix(id, "<xiuhua.") || strings.ContainsAny(id, " /案") {
		t.Fatalf("Message-ID for an id with odd characters: %q", id)
	}

	var errs []string
	// 4xx: worth retrying; 5xx: permanent; the code is the server's.
	_, err = m.Send(ctx, Message{ID: "b1", To: []string{"busy@example.cn"}, Subject: "s", Text: "t"})
	classified(t, err, "451", true, false)
	errs = append(errs, err.Error())
	_, err = m.Send(ctx, Message{ID: "b2", To: []string{"nobody@example.cn"}, Subject: "s", Text: "t"})
	classified(t, err, "550", false, false)
	errs = append(errs, err.Error())
	wrong := cfg
	wrong.Password = "not-the-password"
	mw, _ := NewMail(wrong)
	_, err = mw.Send(ctx, Message{ID: "b3", To: []string{"li.si@example.cn"}, Subject: "s", Text: "t"})
	classified(t, err, "535", false, false)
	errs = append(errs, err.Error())

	// A certificate the client does not trust: permanent, not retried.
	untrusted := cfg
	untrusted.TLS = nil
	mu, _ := NewMail(untrusted)
	_, err = mu.Send(ctx, Message{ID: "b4", To: []string{"li.si@example.cn"}, Subject: "s", Text: "t"})
	classified(t, err, "tls", false, false)

	// Bad input is refused before the server is asked.
	before := box.count()
	for _, bad := range []Message{
		{ID: "i1", Subject: "s", Text: "t"},
		{ID: "i2", To: []string{"not an address"}, Subject: "s", Text: "t"},
		{ID: "i3", To: []string{"li.si@example.cn"}, Subject: "s", Text: "t", Unsubscribe: "http://x/\r\nBcc: evil@example.cn"},
	} {
		_, err := m.Send(ctx, bad)
		classified(t, err, CodeInput, false, false)
	}
	// A CR/LF in the subject cannot add a header.
	if _, err := m.Send(ctx, Message{ID: "i4", To: []string{"li.si@example.cn"}, Subject: "hi\r\nBcc: evil@example.cn", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	last := box.got[box.count()-1]
	if p, _ := mail.ReadMessage(bytes.NewReader(last.data)); p.Header.Get("Bcc") != "" || len(last.rcpt) != 1 {
		t.Fatalf("header injected: %q", last.data)
	}
	if box.count() != before+1 {
		t.Fatalf("bad input reached the server")
	}

	for _, s := range append(errs, logs.String(), m.Redacted()) {
		noSecret(t, "mail", s, box.pass, "not-the-password")
	}
}

func TestMailTimesOutOnASilentServerAndRetries(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { <-done; c.Close() }() // never greets
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	m, err := NewMail(MailConfig{Host: "127.0.0.1", Port: port, From: "notify@pingcheng.gov.cn", Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Send(context.Background(), Message{ID: "t1", To: []string{"li.si@example.cn"}, Subject: "s", Text: "t"})
	classified(t, err, CodeTimeout, true, false)

	// Nothing listening: a network error, worth retrying.
	l2, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l2.Addr().(*net.TCPAddr).Port
	l2.Close()
	m2, _ := NewMail(MailConfig{Host: "127.0.0.1", Port: closed, From: "notify@pingcheng.gov.cn"})
	_, err = m2.Send(context.Background(), Message{ID: "t2", To: []string{"li.si@example.cn"}, Subject: "s", Text: "t"})
	classified(t, err, CodeNetwork, true, false)
}

func TestMailConfigNamesTheMissingField(t *testing.T) {
	for _, tc := range []struct {
		cfg   MailConfig
		field string
	}{
		{MailConfig{From: "a@b.cn"}, "Host"},
		{MailConfig{Host: "smtp.b.cn"}, "From"},
		{MailConfig{Host: "smtp.b.cn", From: "not an address"}, "From"},
		{MailConfig{Host: "smtp.b.cn", From: "a@b.cn", User: "a@b.cn"}, "Password"},
		{MailConfig{Host: "smtp.b.cn", From: "a@b.cn", Port: 70000}, "Port"},
	} {
		_, err := NewMail(tc.cfg)
		configError(t, err, tc.field)
	}
	m, _ := NewMail(MailConfig{Host: "smtp.qiye.aliyun.com", From: "a@b.cn", User: "a@b.cn", Password: "pw-secret", ImplicitTLS: true})
	if m.Redacted() != "mail smtp.qiye.aliyun.com:465" {
		t.Fatal(m.Redacted())
	}
}

// SMTPS (port 465 style): TLS from the first byte, then AUTH.
func TestMailSpeaksImplicitTLS(t *testing.T) {
	cert, pool := testCert(t)
	box := &mailbox{user: "notify@pingcheng.gov.cn", pass: "smtps-password"}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	s := smtp.NewServer(box)
	s.Domain = "mx.test"
	s.ErrorLog = stdlog.New(io.Discard, "", 0)
	go s.Serve(l)
	defer s.Close()
	m, err := NewMail(MailConfig{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, ImplicitTLS: true,
		User: box.user, Password: box.pass, From: "notify@pingcheng.gov.cn", TLS: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Send(context.Background(), Message{ID: "s1", To: []string{"li.si@example.cn"}, Subject: "日报", Text: "今日办结 12 件"}); err != nil {
		t.Fatal(err)
	}
	if box.count() != 1 || !box.got[0].tls || box.got[0].user != box.user {
		t.Fatalf("received %+v", box.got)
	}
}
