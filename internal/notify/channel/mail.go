package channel

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Mail sends plain-text mail over SMTP (RFC 5321) with net/smtp:
// STARTTLS whenever the server offers it (or TLS from the first byte, port
// 465, with ImplicitTLS), AUTH PLAIN when a user is set — net/smtp sends the
// password only over TLS or to localhost — and one message per Send:
//
//	From, To, Subject (RFC 2047, UTF-8), Date, Message-ID, MIME-Version,
//	Content-Type: text/plain; charset=UTF-8, quoted-printable body,
//	Auto-Submitted: auto-generated (RFC 3834), X-Priority by level,
//	List-Unsubscribe + List-Unsubscribe-Post: List-Unsubscribe=One-Click
//	(RFC 8058) when the message has an unsubscribe URL.
//
// The Message-ID is made from Message.ID, so a re-sent delivery carries
// the same one and a mail system (or a reader) can recognise it; it is the
// receipt. SMTP 4xx answers are worth retrying, 5xx are permanent, and the
// answer's code is the Error's Code ("451", "550", "535" …).
type Mail struct {
	cfg      MailConfig
	from     *mail.Address
	addr     string
	idDomain string
	log      *slog.Logger
	sent     *recent
}

// MailConfig configures the SMTP adapter.
type MailConfig struct {
	Host string // the SMTP server, e.g. smtp.qiye.aliyun.com
	Port int    // default 587, or 465 with ImplicitTLS
	// User and Password, when User is set, authenticate with AUTH PLAIN.
	User, Password string
	From           string // "平城区城市管理 <notify@pingcheng.gov.cn>"
	ImplicitTLS    bool   // TLS from the first byte (SMTPS) instead of STARTTLS
	// TLS is the client TLS configuration (default: verify Host against the
	// system roots); tests hand in their own roots.
	TLS *tls.Config
	// HelloName is the name given in EHLO (default the From address's domain).
	HelloName string
	// MessageIDDomain is the right side of Message-IDs (default the From
	// address's domain).
	MessageIDDomain string
	Timeout         time.Duration // the whole conversation; default 30 s
	Now             func() time.Time
	Logger          *slog.Logger
}

// NewMail checks cfg and returns the adapter.
func NewMail(cfg MailConfig) (*Mail, error) {
	if strings.TrimSpace(cfg.Host) == "" {
		return nil, &ConfigError{Kind: KindMail, Field: "Host"}
	}
	if cfg.From == "" {
		return nil, &ConfigError{Kind: KindMail, Field: "From"}
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, &ConfigError{Kind: KindMail, Field: "From", Reason: "is not an e-mail address"}
	}
	if cfg.User != "" && cfg.Password == "" {
		return nil, &ConfigError{Kind: KindMail, Field: "Password"}
	}
	if cfg.Port == 0 {
		cfg.Port = 587
		if cfg.ImplicitTLS {
			cfg.Port = 465
		}
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, &ConfigError{Kind: KindMail, Field: "Port", Reason: "is not a port"}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	if cfg.HelloName == "" {
		cfg.HelloName = domain
	}
	idDomain := cfg.MessageIDDomain
	if idDomain == "" {
		idDomain = domain
	}
	return &Mail{cfg: cfg, from: from, addr: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
		idDomain: idDomain, log: logger(cfg.Logger), sent: newRecent()}, nil
}

func (m *Mail) Kind() string { return KindMail }

// Redacted describes the server without the password.
func (m *Mail) Redacted() string { return KindMail + " " + m.addr }

var plainID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// MessageID is the Message-ID a delivery id gets: the same id, the same
// Message-ID.
func (m *Mail) MessageID(id string) string {
	switch {
	case id == "":
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	case !plainID.MatchString(id):
		h := sha256.Sum256([]byte(id))
		id = hex.EncodeToString(h[:16])
	}
	return "<xiuhua." + id + "@" + m.idDomain + ">"
}

func priority(level string) string {
	switch level {
	case LevelUrgent:
		return "1 (Highest)"
	case LevelWarning:
		return "2 (High)"
	}
	return "3 (Normal)"
}

// oneLine keeps a header value on one line: a CR or LF in it would start
// a header of the sender's choosing.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// compose builds the message and its recipients' addresses.
func (m *Mail) compose(msg Message, messageID string) ([]byte, []string, *Error) {
	if len(msg.To) == 0 {
		return nil, nil, &Error{Kind: KindMail, Code: CodeInput, Msg: "no recipient"}
	}
	var to, rcpt []string
	for _, raw := range msg.To {
		a, err := mail.ParseAddress(raw)
		if err != nil {
			return nil, nil, &Error{Kind: KindMail, Code: CodeInput, Msg: "a recipient is not an e-mail address"}
		}
		to = append(to, a.String())
		rcpt = append(rcpt, a.Address)
	}
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", m.from.String())
	h("To", strings.Join(to, ", "))
	h("Subject", mime.BEncoding.Encode("UTF-8", oneLine(msg.Subject)))
	h("Date", m.cfg.Now().Format(time.RFC1123Z))
	h("Message-ID", messageID)
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=UTF-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	h("Auto-Submitted", "auto-generated")
	h("X-Priority", priority(msg.Level))
	if msg.Level == LevelUrgent || msg.Level == LevelWarning {
		h("Importance", "high")
	}
	if msg.Unsubscribe != "" {
		u, err := url.Parse(msg.Unsubscribe)
		if err != nil || u.Scheme != "https" || u.Host == "" || strings.ContainsAny(msg.Unsubscribe, "\r\n <>") {
			return nil, nil, &Error{Kind: KindMail, Code: CodeInput, Msg: "the unsubscribe link is not an https URL (RFC 8058)"}
		}
		h("List-Unsubscribe", "<"+msg.Unsubscribe+">")
		h("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(msg.Text, "\r\n", "\n")))
	qp.Close()
	return b.Bytes(), rcpt, nil
}

// Send mails m to every address in m.To, unless m.ID was sent already.
func (m *Mail) Send(ctx context.Context, msg Message) (Receipt, error) {
	rc, err := m.sent.once(KindMail, msg, func() (Receipt, error) { return m.send(ctx, msg) })
	logSend(m.log, KindMail, m.addr, msg, err)
	return rc, err
}

func (m *Mail) send(ctx context.Context, msg Message) (Receipt, error) {
	id := m.MessageID(msg.ID)
	body, rcpt, e := m.compose(msg, id)
	if e != nil {
		return Receipt{}, e
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return m.fail(ctx, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	tlsCfg := m.tlsConfig()
	if m.cfg.ImplicitTLS {
		tc := tls.Client(conn, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return m.fail(ctx, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		return m.fail(ctx, err)
	}
	defer c.Close()
	if err := c.Hello(m.cfg.HelloName); err != nil {
		return m.fail(ctx, err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !m.cfg.ImplicitTLS {
		if err := c.StartTLS(tlsCfg); err != nil {
			return m.fail(ctx, err)
		}
	}
	if m.cfg.User != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.User, m.cfg.Password, m.cfg.Host)); err != nil {
			return m.fail(ctx, err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return m.fail(ctx, err)
	}
	for _, r := range rcpt {
		if err := c.Rcpt(r); err != nil {
			return m.fail(ctx, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return m.fail(ctx, err)
	}
	if _, err := w.Write(body); err != nil {
		return m.fail(ctx, err)
	}
	if err := w.Close(); err != nil {
		return m.fail(ctx, err)
	}
	// The message is accepted once DATA is; a failed QUIT changes nothing.
	_ = c.Quit()
	return Receipt{ProviderID: id}, nil
}

func (m *Mail) tlsConfig() *tls.Config {
	if m.cfg.TLS != nil {
		c := m.cfg.TLS.Clone()
		if c.ServerName == "" {
			c.ServerName = m.cfg.Host
		}
		return c
	}
	return &tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12}
}

// smtpError classifies a failed step: the server's 4xx is worth retrying
// and its 5xx is not; a broken connection is retried; a TLS or
// authentication setup that cannot work is permanent.
func (m *Mail) smtpError(err error) *Error {
	secrets := []string{m.cfg.Password}
	var te *textproto.Error
	if errors.As(err, &te) {
		return &Error{Kind: KindMail, Code: strconv.Itoa(te.Code), Retry: te.Code >= 400 && te.Code < 500,
			Msg: scrub(te.Msg, secrets)}
	}
	var ce *tls.CertificateVerificationError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	if errors.As(err, &ce) || errors.As(err, &ue) || errors.As(err, &he) {
		return &Error{Kind: KindMail, Code: "tls", Msg: "the server's certificate is not trusted"}
	}
	if s := err.Error(); strings.Contains(s, "unencrypted connection") || strings.Contains(s, "wrong host name") {
		// net/smtp's PlainAuth refusing to send the password in the clear.
		return &Error{Kind: KindMail, Code: "tls", Msg: "the server offers no TLS to authenticate over"}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &Error{Kind: KindMail, Code: CodeTimeout, Retry: true, Msg: "no answer in time"}
	}
	return &Error{Kind: KindMail, Code: CodeNetwork, Retry: true, Msg: scrub(fmt.Sprint(err), secrets)}
}

// fail classifies err; once the conversation's time is up, whatever broke
// is the timeout's doing.
func (m *Mail) fail(ctx context.Context, err error) (Receipt, error) {
	var te *textproto.Error
	if ctx.Err() != nil && !errors.As(err, &te) {
		return Receipt{}, &Error{Kind: KindMail, Code: CodeTimeout, Retry: true, Msg: "no answer in time"}
	}
	return Receipt{}, m.smtpError(err)
}
