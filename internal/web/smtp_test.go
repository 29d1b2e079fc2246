package web_test

import (
	"io"
	stdlog "log"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// inbox is a real SMTP server (go-smtp) on 127.0.0.1 keeping every message
// it accepts, read back as a resident's mail program would.
type inbox struct {
	mu   sync.Mutex
	got  []gotMail
	busy bool // busy@… is refused for now
}

// gotMail is one message as received.
type gotMail struct {
	To      []string
	Header  mail.Header
	Subject string
	Text    string
}

type smtpSession struct {
	box *inbox
	to  []string
}

func (b *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{box: b}, nil }

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }

// Rcpt answers as a mail server does: busy@… is 451 (try later) until
// the box lets it through, nobody@… 550 (no such user).
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.box.mu.Lock()
	busy := s.box.busy
	s.box.mu.Unlock()
	switch {
	case strings.HasPrefix(to, "busy@") && busy:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Mailbox busy, try again later"}
	case strings.HasPrefix(to, "nobody@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	s.to = append(s.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	var body io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(m.Body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	s.box.mu.Lock()
	s.box.got = append(s.box.got, gotMail{To: s.to, Header: m.Header, Subject: subject, Text: strings.ReplaceAll(string(text), "\r\n", "\n")})
	s.box.mu.Unlock()
	return nil
}
func (s *smtpSession) Reset()        { s.to = nil }
func (s *smtpSession) Logout() error { return nil }

// take returns the messages received since the last take.
func (b *inbox) take() []gotMail {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.got
	b.got = nil
	return out
}

// startSMTP serves an inbox on 127.0.0.1 and returns its port.
func startSMTP(t testing.TB) (*inbox, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	box := &inbox{}
	s := smtp.NewServer(box)
	s.Domain = "mx.test"
	s.ErrorLog = stdlog.New(io.Discard, "", 0)
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return box, l.Addr().(*net.TCPAddr).Port
}
