package watch_test

import (
	"context"
	"fmt"
	"io"
	stdlog "log"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/xiuhua/xiuhua/internal/alert"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/notify/channel"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/watch"
	"github.com/xiuhua/xiuhua/internal/web"
)

// mailbox is a real SMTP server on 127.0.0.1 that keeps what it accepts.
type mailbox struct {
	mu  sync.Mutex
	got []*mail.Message
	to  []string
}

type mailSession struct {
	box *mailbox
	to  string
}

func (b *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{box: b}, nil }
func (s *mailSession) Mail(string, *smtp.MailOptions) error    { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
	m.Body = nil
	s.box.mu.Lock()
	s.box.got = append(s.box.got, m)
	s.box.to = append(s.box.to, s.to+" "+string(body))
	s.box.mu.Unlock()
	return nil
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

// counted counts what one instance's mail adapter sent.
type counted struct {
	watch.Mailer
	n *atomic.Int64
}

func (c counted) Send(ctx context.Context, m channel.Message) (channel.Receipt, error) {
	r, err := c.Mailer.Send(ctx, m)
	if err == nil {
		c.n.Add(1)
	}
	return r, err
}

func (b *mailbox) count() int { b.mu.Lock(); defer b.mu.Unlock(); return len(b.got) }

func startMailbox(t *testing.T) (*mailbox, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	box := &mailbox{}
	s := smtp.NewServer(box)
	s.Domain = "mx.test"
	s.ErrorLog = stdlog.New(io.Discard, "", 0)
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return box, l.Addr().(*net.TCPAddr).Port
}

// Two instances on one PostgreSQL run the area alerts side by side — each
// its own store, mail adapter and lease holder — while cases are
// reported: every confirmation and every alert arrives exactly once.
func TestAreaAlertsOnceWithTwoInstances(t *testing.T) {
	s1, target := storetest.OpenTarget(t, store.Postgres)
	s2 := storetest.OpenAgain(t, target)
	f := storetest.NewFixture(t, s1)
	ctx := context.Background()
	box, port := startMailbox(t)
	now := storetest.T0.Add(time.Hour)
	const subs, cases = 12, 8
	for i := range subs {
		sub := alert.Subscription{Email: fmt.Sprintf("r%02d@example.cn", i), Area: alert.Area{Street: "140213053"}, Lang: "zh-CN"}
		if i%2 == 1 {
			sub.Area = alert.Area{Circle: &alert.Circle{Lon: 113.31, Lat: 40.09, Radius: 300}}
		}
		if err := s1.CreateSubscription(ctx, &sub, storetest.T0); err != nil {
			t.Fatal(err)
		}
		if err := s1.ConfirmSubscription(ctx, sub.ID, storetest.T0); err != nil {
			t.Fatal(err)
		}
	}
	bg, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var sent [2]atomic.Int64
	for i, st := range []*store.Store{s1, s2} {
		m, err := channel.NewMail(channel.MailConfig{Host: "127.0.0.1", Port: port, From: "平城区城市管理 <alerts@pingcheng.example>"})
		if err != nil {
			t.Fatal(err)
		}
		al := &watch.Alerter{Store: st, Mailer: counted{m, &sent[i]}, Writer: web.NewMailWriter(&app.App{Store: st}, "https://xiuhua.example"),
			Now: func() time.Time { return now }, Holder: fmt.Sprintf("instance-%d", i), Lease: time.Second}
		if _, _, err := al.Match(ctx); err != nil { // the mark starts before the cases
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); al.Run(bg, 5*time.Millisecond) }()
	}
	for i := range cases {
		f.Report(t, storetest.T0.Add(time.Duration(i+1)*time.Minute))
	}
	want := subs + subs*cases // the confirmations, then every case to every subscriber
	deadline := time.Now().Add(30 * time.Second)
	for box.count() < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // room for a duplicate to arrive
	stop()
	wg.Wait()
	t.Logf("sent by each instance: %d and %d", sent[0].Load(), sent[1].Load())
	if got := box.count(); got != want {
		t.Fatalf("%d mails arrived, want %d", got, want)
	}
	seen := map[string]int{}
	number := regexp.MustCompile(`follow/(\d+)`)
	for _, line := range box.to {
		key := line[:len("r00@example.cn")]
		if m := number.FindStringSubmatch(line); m != nil {
			key += " " + m[1]
		} else {
			key += " confirmation"
		}
		seen[key]++
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s: %d mails", k, n)
		}
	}
	if len(seen) != want {
		t.Errorf("%d different mails, want %d", len(seen), want)
	}
	counts, _ := s1.AlertMailCounts(ctx)
	if counts[store.MailSent] != want || counts[store.MailPending] != 0 {
		t.Errorf("alert mails by state: %v", counts)
	}
}
