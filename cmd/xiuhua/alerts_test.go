package main

import (
	"context"
	"fmt"
	"io"
	stdlog "log"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/xiuhua/xiuhua/internal/alert"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// smtpBox is a real SMTP server on 127.0.0.1 keeping (recipient, body) of
// what it accepts.
type smtpBox struct {
	mu   sync.Mutex
	mail []string
}

type smtpSess struct {
	box *smtpBox
	to  string
}

func (b *smtpBox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSess{box: b}, nil }
func (s *smtpSess) Mail(string, *smtp.MailOptions) error       { return nil }
func (s *smtpSess) Rcpt(to string, _ *smtp.RcptOptions) error  { s.to = to; return nil }
func (s *smtpSess) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
	s.box.mu.Lock()
	s.box.mail = append(s.box.mail, s.to+"\n"+m.Header.Get("List-Unsubscribe")+"\n"+string(body))
	s.box.mu.Unlock()
	return nil
}
func (s *smtpSess) Reset()        {}
func (s *smtpSess) Logout() error { return nil }

func (b *smtpBox) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.mail...)
}

// Two `xiuhua serve` processes on one PostgreSQL, configured with a mail
// server and an https public address: residents' subscriptions hear of
// each case that becomes public in their area exactly once, through the
// real SMTP server, with the one-click unsubscribe header.
func TestTwoServersAlertOnce(t *testing.T) {
	db := storetest.PostgresURL(t)
	bin := binary(t)
	ctx := context.Background()
	s, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := storetest.NewFixture(t, s)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	box := &smtpBox{}
	srv := smtp.NewServer(box)
	srv.Domain = "mx.test"
	srv.ErrorLog = stdlog.New(io.Discard, "", 0)
	go srv.Serve(l)
	defer srv.Close()
	const subs, cases = 6, 5
	for i := range subs {
		sub := alert.Subscription{Email: fmt.Sprintf("r%d@example.cn", i), Area: alert.Area{Street: "140213053"}, Lang: "zh-CN"}
		if err := s.CreateSubscription(ctx, &sub, time.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.ConfirmSubscription(ctx, sub.ID, time.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	mailArgs := []string{"-smtp-host", "127.0.0.1", "-smtp-port", strconv.Itoa(l.Addr().(*net.TCPAddr).Port),
		"-smtp-from", "平城区城市管理 <alerts@pingcheng.example>", "-public-url", "https://wenti.example"}
	a := startServe(t, bin, db, mailArgs...)
	b := startServe(t, bin, db, mailArgs...)
	// The matching starts at the newest event when it first runs: report
	// once it has.
	deadline := time.Now().Add(time.Minute)
	for {
		var n int
		s.DB().QueryRow(`SELECT count(*) FROM alert_marks`).Scan(&n)
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the servers never started matching")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for range cases {
		f.Report(t, time.Now())
	}
	want := subs + subs*cases // the (old) confirmations, then each case to each
	deadline = time.Now().Add(time.Minute)
	for len(box.all()) < want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // a few more rounds: nothing may be sent twice
	a.Process.Signal(syscall.SIGINT)
	b.Process.Signal(syscall.SIGINT)
	a.Wait()
	b.Wait()
	got := box.all()
	seen := map[string]int{}
	number := regexp.MustCompile(`follow/(\d+)`)
	unsub := regexp.MustCompile(`^<https://wenti\.example/alerts/unsubscribe/[A-Za-z0-9_-]{43}>$`)
	for _, m := range got {
		lines := regexp.MustCompile("\n").Split(m, 3)
		key := lines[0]
		if n := number.FindStringSubmatch(m); n != nil {
			key += " " + n[1]
		}
		seen[key]++
		if !unsub.MatchString(lines[1]) {
			t.Errorf("a mail to %s without the one-click unsubscribe header: %q", lines[0], lines[1])
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s: %d mails", k, n)
		}
	}
	if len(got) != want || len(seen) != want {
		t.Errorf("%d mails (%d different), want %d", len(got), len(seen), want)
	}
}
