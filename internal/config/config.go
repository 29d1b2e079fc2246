// Package config is the one typed place for settings: each has a flag, an
// environment variable (with a _FILE variant for secrets), a default and a
// description, and the README's table is printed from the same list.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/notify"
)

// Config holds the settings of serve and demo.
type Config struct {
	Addr        string
	DataDir     string
	DatabaseURL string
	Synchronous string
	LogFormat   string
	LogLevel    string

	WatchEvery    string // parsed into Watch by Validate
	WatchLease    string
	WarnShare     string
	WarnBefore    string
	EscalateAfter string
	MetricsAddr   string
	TileURL       string
	MaxInFlight   string
	Proxies       string
	InFlight      int
	ReadCache     string
	CacheReads    bool // parsed from ReadCache by Validate
	WorkHours     string
	SummerHours   string
	SummerDates   string
	RetentionSpec string // parsed into Retention by Validate
	PruneEvery    string
	RateSpec      string // parsed into Rates by Validate
	OrphanSpec    string // parsed into OrphanPhotos by Validate
	Satisfaction  string // which ratings 满意率 counts: satisfied-or-fair or satisfied-only
	PublicURL     string // the site's address for residents: links in feeds and alert mails
	SMTPHost      string // the mail server; empty: no mail
	SMTPPort      string
	SMTPUser      string
	SMTPPassword  string
	SMTPFrom      string
	SMTPTLS       string // starttls or implicit

	// SMTPPortNum is SMTPPort parsed by Validate.
	SMTPPortNum int

	// Reaching people outside the inbox (all optional: a channel that is
	// not configured is not used).
	NotifyLadder string // parsed into Ladder by Validate
	SMS          string // "", aliyun or cmas
	SMSAccount   string // Aliyun AccessKeyId, or 云MAS apId
	SMSSecret    string // Aliyun AccessKeySecret, or 云MAS secretKey
	SMSSign      string // Aliyun SignName, or 云MAS sign code
	SMSTemplate  string // Aliyun template code; its parameter ${text} is the message
	SMSEcName    string // 云MAS ecName
	SMSURL       string // the gateway's base URL (empty: the vendor's)
	// Ladder is the escalation ladder, after Validate.
	Ladder notify.Ladder

	// Watch holds the parsed watcher settings after Validate.
	Watch Watch
	// Retention holds the parsed retention after Validate.
	Retention Retention
	// Prune is how often the pruner runs, after Validate.
	Prune time.Duration
	// Rates are the rate limits, after Validate.
	Rates Rates
	// OrphanPhotos is how long an uploaded photo no case names is kept,
	// after Validate.
	OrphanPhotos time.Duration
}

// Rates are requests a minute (0: no limit); they convert to web.Limits.
type Rates struct {
	PublicReads, PublicWrites, StaffWrites, Uploads, SignIns int
}

// rateKinds names the kinds in -rate-limits.
var rateKinds = []struct {
	name string
	dst  func(*Rates) *int
}{
	{"public-reads", func(r *Rates) *int { return &r.PublicReads }},
	{"public-writes", func(r *Rates) *int { return &r.PublicWrites }},
	{"staff-writes", func(r *Rates) *int { return &r.StaffWrites }},
	{"uploads", func(r *Rates) *int { return &r.Uploads }},
	{"sign-ins", func(r *Rates) *int { return &r.SignIns }},
}

const defaultRates = "public-reads=120,public-writes=10,staff-writes=120,uploads=30,sign-ins=120"

// ParseRates reads KIND=N pairs (a minute; 0: no limit) over the defaults.
func ParseRates(spec string) (Rates, error) {
	var r Rates
	for _, part := range strings.Split(defaultRates+","+spec, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		name, v, ok := strings.Cut(part, "=")
		var dst *int
		for _, k := range rateKinds {
			if k.name == strings.TrimSpace(name) {
				dst = k.dst(&r)
			}
		}
		if !ok || dst == nil {
			return r, fmt.Errorf("%q: want KIND=N with KIND one of public-reads, public-writes, staff-writes, uploads, sign-ins", part)
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > 1_000_000 {
			return r, fmt.Errorf("%q: want requests a minute, such as 120 (0: no limit)", part)
		}
		*dst = n
	}
	return r, nil
}

// Retention is how long each kind of row that only grows is kept (zero:
// for ever); it converts to watch.Retention.
type Retention struct {
	Sessions, IdempotencyKeys, ReadNotices, Deliveries, Outbox, Audit time.Duration
}

// retentionKinds names the kinds in -retention.
var retentionKinds = []struct {
	name string
	dst  func(*Retention) *time.Duration
}{
	{"sessions", func(r *Retention) *time.Duration { return &r.Sessions }},
	{"idempotency", func(r *Retention) *time.Duration { return &r.IdempotencyKeys }},
	{"inbox", func(r *Retention) *time.Duration { return &r.ReadNotices }},
	{"deliveries", func(r *Retention) *time.Duration { return &r.Deliveries }},
	{"outbox", func(r *Retention) *time.Duration { return &r.Outbox }},
	{"audit", func(r *Retention) *time.Duration { return &r.Audit }},
}

// minAudit is the shortest audit retention allowed (a security review asks
// for at least 180 days of logs).
const minAudit = 180 * 24 * time.Hour

// ParseRetention reads KIND=Nd pairs (days; 0 keeps for ever) over the
// defaults; kinds not named keep their default.
func ParseRetention(spec string) (Retention, error) {
	var r Retention
	for _, part := range strings.Split(defaultRetention+","+spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, v, ok := strings.Cut(part, "=")
		var dst *time.Duration
		for _, k := range retentionKinds {
			if k.name == strings.TrimSpace(name) {
				dst = k.dst(&r)
			}
		}
		if !ok || dst == nil {
			return r, fmt.Errorf("%q: want KIND=DAYSd with KIND one of sessions, idempotency, inbox, deliveries, outbox, audit", part)
		}
		days, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), "d"))
		if err != nil || days < 0 || days > 100*365 {
			return r, fmt.Errorf("%q: want a number of days such as 30d (0 keeps for ever)", part)
		}
		*dst = time.Duration(days) * 24 * time.Hour
	}
	if r.Audit > 0 && r.Audit < minAudit {
		return r, fmt.Errorf("audit=%dd: the audit log is kept at least 180 days (0 keeps it for ever)", r.Audit/(24*time.Hour))
	}
	return r, nil
}

const defaultRetention = "sessions=1d,idempotency=7d,inbox=180d,deliveries=30d,outbox=30d,audit=400d"

// Watch are the deadline watcher's settings.
type Watch struct {
	Every, Lease, WarnBefore, EscalateAfter time.Duration
	WarnShare                               float64
}

type setting struct {
	flag, env, def, help string
	secret               bool
	dst                  func(*Config) *string
}

var settings = []setting{
	{"addr", "XIUHUA_ADDR", "127.0.0.1:8080", "HTTP listen address", false, func(c *Config) *string { return &c.Addr }},
	{"data", "XIUHUA_DATA", "./data", "data directory (SQLite file, photos)", false, func(c *Config) *string { return &c.DataDir }},
	{"db", "XIUHUA_DATABASE_URL", "", "postgres:// URL; empty means SQLite in the data directory", true, func(c *Config) *string { return &c.DatabaseURL }},
	{"sqlite-sync", "XIUHUA_SQLITE_SYNC", "FULL", "SQLite synchronous mode: FULL (every commit on disk) or NORMAL", false, func(c *Config) *string { return &c.Synchronous }},
	{"log-format", "XIUHUA_LOG_FORMAT", "text", "log format: text or json", false, func(c *Config) *string { return &c.LogFormat }},
	{"log-level", "XIUHUA_LOG_LEVEL", "info", "log level: debug, info, warn, error", false, func(c *Config) *string { return &c.LogLevel }},
	{"tile-url", "XIUHUA_TILE_URL", "", "raster tiles behind the vector map, a template with {z} {x} {y} (e.g. Tianditu with your key); empty: the map works offline on vectors only", false, func(c *Config) *string { return &c.TileURL }},
	{"max-inflight", "XIUHUA_MAX_INFLIGHT", "256", "requests worked on at once; more wait up to 100 ms, then get 503 with Retry-After (0: no bound)", false, func(c *Config) *string { return &c.MaxInFlight }},
	{"read-cache", "XIUHUA_READ_CACHE", "on", "keep the answers of case lists and map boxes for the rest of the second (a reader's own writes show at once, everyone else's and other instances' within the second): on or off", false, func(c *Config) *string { return &c.ReadCache }},
	{"trusted-proxies", "XIUHUA_TRUSTED_PROXIES", "", "comma-separated IP addresses of reverse proxies whose X-Forwarded-For names the client (rate limits, login budgets, audit log) and whose X-Forwarded-Proto: https makes the session cookie Secure and turns on HSTS; empty: none", false, func(c *Config) *string { return &c.Proxies }},
	{"rate-limits", "XIUHUA_RATE_LIMITS", defaultRates, "requests a minute (0: no limit): anonymous reads and writes per client network (/24, /64), staff writes and photo uploads per account (a network gets 10 times as many), sign-in attempts per client network; over a limit, 429 with Retry-After; name only the kinds to change", false, func(c *Config) *string { return &c.RateSpec }},
	{"orphan-photos", "XIUHUA_ORPHAN_PHOTOS", "24h", "how long an uploaded photo that no case names is kept before it is deleted (at least 1h)", false, func(c *Config) *string { return &c.OrphanSpec }},
	{"metrics-addr", "XIUHUA_METRICS_ADDR", "", "serve Prometheus metrics at http://ADDR/metrics (empty: off); keep it on a private address", false, func(c *Config) *string { return &c.MetricsAddr }},
	{"work-hours", "XIUHUA_WORK_HOURS", "08:30-12:00,14:30-18:00", "daily working windows (Asia/Shanghai)", false, func(c *Config) *string { return &c.WorkHours }},
	{"summer-hours", "XIUHUA_SUMMER_HOURS", "", "working windows in summer, as long a day as -work-hours (empty: none)", false, func(c *Config) *string { return &c.SummerHours }},
	{"summer-dates", "XIUHUA_SUMMER_DATES", "05-01..09-30", "when summer hours apply, MM-DD..MM-DD", false, func(c *Config) *string { return &c.SummerDates }},
	{"watch-every", "XIUHUA_WATCH_EVERY", "15s", "how often the deadline watcher and webhook delivery look for due work", false, func(c *Config) *string { return &c.WatchEvery }},
	{"watch-lease", "XIUHUA_WATCH_LEASE", "60s", "how long one instance holds the watcher lease; another takes over when it lapses", false, func(c *Config) *string { return &c.WatchLease }},
	{"warn-share", "XIUHUA_WARN_SHARE", "0.8", "warn (预警) when this share of a time limit has passed", false, func(c *Config) *string { return &c.WarnShare }},
	{"warn-before", "XIUHUA_WARN_BEFORE", "2h", "or when this much working time is left, whichever comes first (0 = by share only)", false, func(c *Config) *string { return &c.WarnBefore }},
	{"escalate-after", "XIUHUA_ESCALATE_AFTER", "7h", "working time after a deadline before an automatic supervision order (督办); 0 = never", false, func(c *Config) *string { return &c.EscalateAfter }},
	{"retention", "XIUHUA_RETENTION", defaultRetention, "how long rows that only grow are kept, in days (0: for ever): sessions after expiry, idempotency keys, inbox lines after reading, delivered webhook deliveries and settled notification sends, webhook messages, the audit log (at least 180d); name only the kinds to change", false, func(c *Config) *string { return &c.RetentionSpec }},
	{"satisfaction", "XIUHUA_SATISFACTION", "satisfied-or-fair", "which callback ratings the hotline's 满意率 counts as satisfied: satisfied-or-fair (满意 and 基本满意, as most 12345 centres publish it) or satisfied-only (满意)", false, func(c *Config) *string { return &c.Satisfaction }},
	{"public-url", "XIUHUA_PUBLIC_URL", "", "the address residents reach the site at, such as https://wenti.pingcheng.gov.cn: the links of feeds and alert mails (empty: feeds link to the host they were asked from); residents' area alerts are on with -smtp-host and an https address (one-click unsubscribe links must be https, RFC 8058)", false, func(c *Config) *string { return &c.PublicURL }},
	{"smtp-host", "XIUHUA_SMTP_HOST", "", "the SMTP server mail is sent through: staff notifications and, with an https -public-url, residents' area alerts (empty: no mail)", false, func(c *Config) *string { return &c.SMTPHost }},
	{"smtp-port", "XIUHUA_SMTP_PORT", "587", "the SMTP server's port (465 with -smtp-tls implicit)", false, func(c *Config) *string { return &c.SMTPPort }},
	{"smtp-user", "XIUHUA_SMTP_USER", "", "the SMTP account (AUTH PLAIN, over TLS only); empty: no authentication", false, func(c *Config) *string { return &c.SMTPUser }},
	{"smtp-password", "XIUHUA_SMTP_PASSWORD", "", "the SMTP account's password", true, func(c *Config) *string { return &c.SMTPPassword }},
	{"smtp-from", "XIUHUA_SMTP_FROM", "", "the sender of mails, such as \"平城区城市管理 <notify@pingcheng.gov.cn>\"", false, func(c *Config) *string { return &c.SMTPFrom }},
	{"smtp-tls", "XIUHUA_SMTP_TLS", "starttls", "starttls (STARTTLS whenever the server offers it) or implicit (TLS from the first byte, port 465)", false, func(c *Config) *string { return &c.SMTPTLS }},
	{"notify-ladder", "XIUHUA_NOTIFY_LADDER", "robot=0,liaison=1h,leader=4h", "the escalation ladder of warnings and supervision orders nobody acts on: after how much working time (wall time for urgent ones) the unit's group robot, then its liaisons by SMS, then its leaders by SMS are told; off turns a step off", false, func(c *Config) *string { return &c.NotifyLadder }},
	{"sms", "XIUHUA_SMS", "", "SMS gateway for notifications: aliyun (Aliyun SendSms), cmas (China Mobile 云MAS) or empty for none", false, func(c *Config) *string { return &c.SMS }},
	{"sms-account", "XIUHUA_SMS_ACCOUNT", "", "SMS gateway account: the Aliyun AccessKeyId, or the 云MAS apId", false, func(c *Config) *string { return &c.SMSAccount }},
	{"sms-secret", "XIUHUA_SMS_SECRET", "", "SMS gateway secret: the Aliyun AccessKeySecret, or the 云MAS secretKey", true, func(c *Config) *string { return &c.SMSSecret }},
	{"sms-sign", "XIUHUA_SMS_SIGN", "", "SMS signature: the Aliyun SignName, or the 云MAS sign code", false, func(c *Config) *string { return &c.SMSSign }},
	{"sms-template", "XIUHUA_SMS_TEMPLATE", "", "Aliyun SMS template code for notices (its parameter ${text} is the message)", false, func(c *Config) *string { return &c.SMSTemplate }},
	{"sms-ec-name", "XIUHUA_SMS_EC_NAME", "", "云MAS ecName (the customer's registered name)", false, func(c *Config) *string { return &c.SMSEcName }},
	{"sms-url", "XIUHUA_SMS_URL", "", "SMS gateway base URL (empty: the vendor's documented endpoint)", false, func(c *Config) *string { return &c.SMSURL }},
	{"prune-every", "XIUHUA_PRUNE_EVERY", "1h", "how often one instance prunes what -retention no longer keeps", false, func(c *Config) *string { return &c.PruneEvery }},
}

// Register adds the settings to a flag set; defaults come from the
// environment (or NAME_FILE for secrets) when set.
func Register(fs *flag.FlagSet, c *Config) error {
	for _, s := range settings {
		def := s.def
		if v, ok := os.LookupEnv(s.env); ok {
			def = v
		} else if s.secret {
			if f, ok := os.LookupEnv(s.env + "_FILE"); ok {
				b, err := os.ReadFile(f)
				if err != nil {
					return fmt.Errorf("config: %s_FILE: %w", s.env, err)
				}
				def = strings.TrimSpace(string(b))
			}
		}
		fs.StringVar(s.dst(c), s.flag, def, s.help+" ($"+s.env+")")
	}
	return nil
}

// Validate checks the settings and says which one is wrong.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("-addr %q: %v", c.Addr, err))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, fmt.Errorf("-db must be a postgres:// URL (or empty for SQLite)"))
	}
	if s := strings.ToUpper(c.Synchronous); s != "FULL" && s != "NORMAL" {
		errs = append(errs, fmt.Errorf("-sqlite-sync %q: want FULL or NORMAL", c.Synchronous))
	}
	if l, err := notify.ParseLadder(c.NotifyLadder); err != nil {
		errs = append(errs, fmt.Errorf("-notify-ladder %q: %v", c.NotifyLadder, err))
	} else {
		c.Ladder = l
	}
	switch c.SMS {
	case "":
	case "aliyun", "cmas":
		for _, f := range []struct{ name, v string }{{"sms-account", c.SMSAccount}, {"sms-secret", c.SMSSecret}, {"sms-sign", c.SMSSign}} {
			if f.v == "" {
				errs = append(errs, fmt.Errorf("-%s is required with -sms %s", f.name, c.SMS))
			}
		}
		if c.SMS == "aliyun" && c.SMSTemplate == "" {
			errs = append(errs, errors.New("-sms-template is required with -sms aliyun"))
		}
		if c.SMS == "cmas" && c.SMSEcName == "" {
			errs = append(errs, errors.New("-sms-ec-name is required with -sms cmas"))
		}
	default:
		errs = append(errs, fmt.Errorf("-sms %q: want aliyun, cmas or empty", c.SMS))
	}
	if c.Satisfaction != "satisfied-or-fair" && c.Satisfaction != "satisfied-only" {
		errs = append(errs, fmt.Errorf("-satisfaction %q: want satisfied-or-fair or satisfied-only", c.Satisfaction))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("-log-format %q: want text or json", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("-log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("-data must not be empty"))
	}
	dur := func(name, v string, min time.Duration, dst *time.Duration) {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("-%s %q: want a duration such as 30s, 2h or 90m", name, v))
		case d < min:
			errs = append(errs, fmt.Errorf("-%s %q: must be at least %s", name, v, min))
		default:
			*dst = d
		}
	}
	dur("watch-every", c.WatchEvery, 100*time.Millisecond, &c.Watch.Every)
	dur("watch-lease", c.WatchLease, time.Second, &c.Watch.Lease)
	dur("warn-before", c.WarnBefore, 0, &c.Watch.WarnBefore)
	dur("escalate-after", c.EscalateAfter, 0, &c.Watch.EscalateAfter)
	dur("prune-every", c.PruneEvery, time.Minute, &c.Prune)
	dur("orphan-photos", c.OrphanSpec, time.Hour, &c.OrphanPhotos)
	if r, err := ParseRates(c.RateSpec); err != nil {
		errs = append(errs, fmt.Errorf("-rate-limits: %v", err))
	} else {
		c.Rates = r
	}
	if r, err := ParseRetention(c.RetentionSpec); err != nil {
		errs = append(errs, fmt.Errorf("-retention: %v", err))
	} else {
		c.Retention = r
	}
	if f, err := strconv.ParseFloat(c.WarnShare, 64); err != nil || f <= 0 || f >= 1 {
		errs = append(errs, fmt.Errorf("-warn-share %q: want a number between 0 and 1, such as 0.8", c.WarnShare))
	} else {
		c.Watch.WarnShare = f
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("-metrics-addr %q: %v", c.MetricsAddr, err))
		}
	}
	if n, err := strconv.Atoi(c.MaxInFlight); err != nil || n < 0 {
		errs = append(errs, fmt.Errorf("-max-inflight %q: want a whole number, 0 for no bound", c.MaxInFlight))
	} else {
		c.InFlight = n
	}
	switch c.ReadCache {
	case "on", "off":
		c.CacheReads = c.ReadCache == "on"
	default:
		errs = append(errs, fmt.Errorf("-read-cache %q: want on or off", c.ReadCache))
	}
	for _, ip := range strings.Split(c.Proxies, ",") {
		if ip = strings.TrimSpace(ip); ip != "" && net.ParseIP(ip) == nil {
			errs = append(errs, fmt.Errorf("-trusted-proxies: %q is not an IP address", ip))
		}
	}
	if c.TileURL != "" {
		if u, err := url.Parse(c.TileURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			!strings.Contains(c.TileURL, "{z}") || !strings.Contains(c.TileURL, "{x}") || !strings.Contains(c.TileURL, "{y}") {
			errs = append(errs, fmt.Errorf("-tile-url %q: want an http(s) URL with {z}, {x} and {y}", c.TileURL))
		}
	}
	if _, err := calendar.ParseWindows(c.WorkHours); err != nil {
		errs = append(errs, fmt.Errorf("-work-hours %q: %v", c.WorkHours, err))
	}
	if c.SummerHours != "" {
		if _, err := calendar.ParseWindows(c.SummerHours); err != nil {
			errs = append(errs, fmt.Errorf("-summer-hours %q: %v", c.SummerHours, err))
		}
		if _, _, err := calendar.ParseSeason(c.SummerDates); err != nil {
			errs = append(errs, fmt.Errorf("-summer-dates %q: %v", c.SummerDates, err))
		}
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("-public-url %q: want an absolute http(s) address such as https://wenti.pingcheng.gov.cn", c.PublicURL))
		}
	}
	if c.SMTPHost != "" {
		if n, err := strconv.Atoi(c.SMTPPort); err != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Errorf("-smtp-port %q: want a port number", c.SMTPPort))
		} else {
			c.SMTPPortNum = n
		}
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			errs = append(errs, fmt.Errorf("-smtp-from %q: want an address such as \"平城区城市管理 <notify@pingcheng.gov.cn>\"", c.SMTPFrom))
		}
		if c.SMTPTLS != "starttls" && c.SMTPTLS != "implicit" {
			errs = append(errs, fmt.Errorf("-smtp-tls %q: want starttls or implicit", c.SMTPTLS))
		}
	}
	if c.Watch.Lease > 0 && c.Watch.Every > 0 && c.Watch.Lease <= c.Watch.Every {
		errs = append(errs, fmt.Errorf("-watch-lease %s must be longer than -watch-every %s", c.Watch.Lease, c.Watch.Every))
	}
	return errors.Join(errs...)
}

// Alerts says whether residents' area alerts can be sent: a mail server,
// and an https address for their links.
func (c *Config) Alerts() bool {
	return c.SMTPHost != "" && strings.HasPrefix(c.PublicURL, "https://")
}

// Target is the database the store opens.
func (c *Config) Target() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "xiuhua.db")
}

// Markdown is the settings table for the README.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| flag | environment | default | meaning |\n|---|---|---|---|\n")
	for _, s := range settings {
		env := "`" + s.env + "`"
		if s.secret {
			env += " (or `" + s.env + "_FILE`)"
		}
		def := s.def
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(&b, "| `-%s` | %s | `%s` | %s |\n", s.flag, env, def, s.help)
	}
	return b.String()
}
