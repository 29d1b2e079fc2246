package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/alert"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/notify/channel"
	"github.com/xiuhua/xiuhua/internal/watch"
	"github.com/xiuhua/xiuhua/internal/web"
)

// alertRig is the board with area alerts sent through the SMTP adapter to
// a real SMTP server on 127.0.0.1.
type alertRig struct {
	t       *testing.T
	base    string
	a       *app.App
	box     *inbox
	alerter *watch.Alerter
}

func newAlertRig(t *testing.T, base string, a *app.App) *alertRig {
	t.Helper()
	box, port := startSMTP(t)
	m, err := channel.NewMail(channel.MailConfig{Host: "127.0.0.1", Port: port, From: "平城区城市管理 <alerts@pingcheng.example>"})
	if err != nil {
		t.Fatal(err)
	}
	r := &alertRig{t: t, base: base, a: a, box: box,
		alerter: &watch.Alerter{Store: a.Store, Mailer: m, Writer: web.NewMailWriter(a, base), Now: a.Now, Holder: "test"}}
	r.run() // the first pass starts at the newest event
	return r
}

// run is one round of the background work: match, then send.
func (r *alertRig) run() []gotMail {
	r.t.Helper()
	ctx := context.Background()
	if _, _, err := r.alerter.Match(ctx); err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.alerter.Send(ctx); err != nil {
		r.t.Fatal(err)
	}
	return r.box.take()
}

// reportIn has the grid worker of a grid of the street report a problem.
func reportIn(t *testing.T, base string, a *app.App, street, category string) string {
	t.Helper()
	for _, u := range a.Index().Units() {
		if u.Street != street {
			continue
		}
		lon, lat := pointIn(t, a, u.Grid)
		j, _ := json.Marshal(map[string]any{"category": category, "description": "路边垃圾堆积，请清理", "lon": lon, "lat": lat})
		code, body, _ := send(t, "POST", base+"/api/v1/cases", tokenOf(t, a, "gw"+u.Grid), bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		var v struct{ Number string }
		if code != 201 || json.Unmarshal([]byte(body), &v) != nil {
			t.Fatalf("report in %s: %d %s", u.Grid, code, body)
		}
		return v.Number
	}
	t.Fatalf("no grid in street %q", street)
	return ""
}

var linkRe = regexp.MustCompile(`https://[^\s]+/alerts/(confirm|unsubscribe)/([A-Za-z0-9_-]{43})`)

// A resident subscribes to a street and one category from the English
// board: nothing is sent but the confirmation before its link is followed;
// then a matching case brings exactly one alert, in English, with the
// follow link and the one-click unsubscribe headers; a case elsewhere
// brings none; the one-click POST of RFC 8058 unsubscribes, and the next
// case brings none. Bad requests are refused, naming the field, and write
// nothing.
func TestAreaAlertsOverSMTP(t *testing.T) {
	plain, a := server(t)
	// Over TLS, as a public address must be: RFC 8058 wants https links.
	s := httptest.NewTLSServer(web.New(a))
	defer s.Close()
	rig := newAlertRig(t, s.URL, a)
	street := a.Index().Units()[0].Street
	var outside string
	for _, u := range a.Index().Units() {
		if u.Street != street {
			outside = u.Street
			break
		}
	}
	// Refusals are checked on a server without rate limits (there are
	// more of them than a network may send in a minute).
	open := httptest.NewServer(web.New(a, web.WithLimits(web.Limits{})))
	defer open.Close()
	postTo := func(base, path string, body any) (int, string) {
		j, _ := json.Marshal(body)
		resp, err := s.Client().Post(base+path, "application/json", bytes.NewReader(j))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(path string, body any) (int, string) { return postTo(s.URL, path, body) }
	subs := func() int {
		var n int
		a.Store.DB().QueryRow(`SELECT count(*) FROM alert_subscriptions`).Scan(&n)
		return n
	}
	lon, lat := pointIn(t, a, a.Index().Units()[0].Grid)
	for _, tt := range []struct {
		body  map[string]any
		field string
		code  int
	}{
		{map[string]any{"street": street}, "email", 400},
		{map[string]any{"email": "not-an-address", "street": street}, "email", 400},
		{map[string]any{"email": "r@example.cn"}, "area", 400},
		{map[string]any{"email": "r@example.cn", "street": "140213999"}, "street", 400},
		{map[string]any{"email": "r@example.cn", "community": "140213999999"}, "community", 400},
		{map[string]any{"email": "r@example.cn", "street": street, "categories": []string{"NOPE1"}}, "categories", 400},
		{map[string]any{"email": "r@example.cn", "lon": 116.4, "lat": 39.9, "radius": 500}, "lon", 400}, // Beijing
		{map[string]any{"email": "r@example.cn", "lon": lon, "lat": lat, "radius": 20}, "radius", 400},
		{map[string]any{"email": "r@example.cn", "lon": lon, "lat": lat}, "radius", 400},
		{map[string]any{"email": "r@example.cn", "street": street, "lang": "fr"}, "lang", 400},
	} {
		code, body := postTo(open.URL, "/api/v1/public/alerts", tt.body)
		var p struct{ Field string }
		json.Unmarshal([]byte(body), &p)
		if code != tt.code || p.Field != tt.field {
			t.Errorf("%v: %d %s, want %d naming %s", tt.body, code, body, tt.code, tt.field)
		}
	}
	if n := subs(); n != 0 {
		t.Fatalf("refused requests wrote %d subscriptions", n)
	}

	code, body := post("/api/v1/public/alerts", map[string]any{"email": "Resident@Example.cn", "street": street, "categories": []string{"M06011"}, "lang": "en"})
	if code != 202 || strings.Contains(strings.ToLower(body), "resident@example.cn") {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	// Before the confirmation: only the confirmation mail, whatever is reported.
	reportIn(t, plain.URL, a, street, "M06011")
	got := rig.run()
	if len(got) != 1 || got[0].To[0] != "resident@example.cn" || !strings.Contains(got[0].Subject, "confirm") {
		t.Fatalf("before confirming, want the confirmation only: %+v", got)
	}
	links := linkRe.FindAllStringSubmatch(got[0].Text, -1)
	if len(links) != 2 || links[0][1] != "confirm" || links[1][1] != "unsubscribe" || !strings.HasPrefix(links[0][0], s.URL+"/alerts/confirm/") {
		t.Fatalf("the confirmation mail's links: %q", got[0].Text)
	}
	if got[0].Header.Get("List-Unsubscribe") != "<"+links[1][0]+">" || got[0].Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("the confirmation mail's unsubscribe headers: %v", got[0].Header)
	}
	// The resident follows the link: the page, which confirms with its token.
	if resp, err := s.Client().Get(links[0][0]); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the confirmation page: %v %v", resp, err)
	} else {
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(page), "board.js") {
			t.Errorf("the confirmation page is not the board's")
		}
	}
	code, body = post("/api/v1/public/alerts/confirm", map[string]any{"token": links[0][2]})
	if code != 200 || !strings.Contains(body, `"confirmed":true`) || strings.Contains(body, "example.cn") {
		t.Fatalf("confirm: %d %s", code, body)
	}
	if code, _ := post("/api/v1/public/alerts/confirm", map[string]any{"token": links[1][2]}); code != 404 {
		t.Errorf("an unsubscribe token confirms: %d", code)
	}

	// A matching case: one alert, in English, telling what the board shows.
	number := reportIn(t, plain.URL, a, street, "M06011")
	got = rig.run()
	if len(got) != 1 {
		t.Fatalf("a matching case: %d mails, want 1: %+v", len(got), got)
	}
	m := got[0]
	if !strings.Contains(m.Text, number) || !strings.Contains(m.Text, s.URL+"/board#follow/"+number) || !strings.Contains(m.Subject, "New problem") ||
		!strings.Contains(m.Text, "路边垃圾堆积") {
		t.Errorf("the alert: %q %q", m.Subject, m.Text)
	}
	un := linkRe.FindStringSubmatch(m.Text)
	if un == nil || un[1] != "unsubscribe" || m.Header.Get("List-Unsubscribe") != "<"+un[0]+">" || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("the alert's unsubscribe link and headers: %v %q", m.Header, m.Text)
	}
	if again := rig.run(); len(again) != 0 {
		t.Errorf("a second round sent %d more", len(again))
	}
	// Elsewhere, or another category: nothing.
	reportIn(t, plain.URL, a, outside, "M06011")
	reportIn(t, plain.URL, a, street, "M06045")
	if got := rig.run(); len(got) != 0 {
		t.Errorf("cases the subscription does not cover sent %d mails: %+v", len(got), got)
	}

	// One click, as a mail program does it (RFC 8058).
	req, _ := http.NewRequest("POST", un[0], strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.Client().Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe: %v %v", resp, err)
	}
	resp.Body.Close()
	if n := subs(); n != 0 {
		t.Errorf("%d subscriptions left after unsubscribing", n)
	}
	reportIn(t, plain.URL, a, street, "M06011")
	if got := rig.run(); len(got) != 0 {
		t.Errorf("after unsubscribing: %d mails", len(got))
	}
	// A link followed twice answers the same.
	if code, _ := post("/api/v1/public/alerts/unsubscribe", map[string]any{"token": un[2]}); code != 200 {
		t.Errorf("unsubscribing twice: %d", code)
	}
}

// Subscription requests are limited: five a day for one address (each
// sends a confirmation mail: nobody can flood someone else's mailbox), and
// the public writes' limit per client network.
func TestSubscriptionRequestsAreLimited(t *testing.T) {
	s, a := server(t)
	street := a.Index().Units()[0].Street
	open := httptest.NewServer(web.New(a, web.WithLimits(web.Limits{})))
	defer open.Close()
	try := func(base, email string) (int, string) {
		j, _ := json.Marshal(map[string]any{"email": email, "street": street})
		code, body, _ := send(t, "POST", base+"/api/v1/public/alerts", "", bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		var p struct{ Field string }
		json.Unmarshal([]byte(body), &p)
		return code, p.Field
	}
	for i := range 5 {
		if code, _ := try(open.URL, "victim@example.cn"); code != 202 {
			t.Fatalf("request %d: %d", i+1, code)
		}
	}
	if code, field := try(open.URL, "VICTIM@example.cn"); code != 429 || field != "email" {
		t.Errorf("a sixth request for the address in a day: %d %s, want 429 naming email", code, field)
	}
	limited := 0
	for i := range 11 {
		if code, _ := try(s.URL, fmt.Sprintf("r%d@example.cn", i)); code == 429 {
			limited++
		}
	}
	if limited == 0 {
		t.Errorf("eleven requests in a minute from one network: none refused")
	}
}

// A resident's report is not public until someone looks at it: the alert
// goes when the centre registers it — once, and without its text, which
// nobody has verified on site.
func TestAlertWhenAResidentsReportIsRegistered(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	rig := newAlertRig(t, "https://wenti.example", a)
	u := a.Index().Units()[0]
	sub := alert.Subscription{Email: "near@example.cn", Area: alert.Area{Community: u.Community}, Lang: "zh-CN"}
	if err := a.Subscribe(ctx, &sub); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.ConfirmSubscription(ctx, sub.ID, a.Now()); err != nil {
		t.Fatal(err)
	}
	rig.run() // its confirmation mail
	lon, lat := pointIn(t, a, u.Grid)
	anon := &user{t: t, base: s.URL, c: &http.Client{}}
	code, body := anon.do("POST", "/api/v1/public/reports", map[string]any{"category": "M06011", "description": "楼下垃圾没人清，电话13912345678",
		"lon": lon, "lat": lat, "name": "王某", "phone": "13912345678"})
	var v struct{ Number string }
	if code != 201 || json.Unmarshal([]byte(body), &v) != nil {
		t.Fatalf("report: %d %s", code, body)
	}
	if got := rig.run(); len(got) != 0 {
		t.Fatalf("an unverified report brought %d mails", len(got))
	}
	act(t, s.URL, tokenOf(t, a, "dispatcher1"), v.Number, "register", map[string]any{})
	got := rig.run()
	if len(got) != 1 || !strings.Contains(got[0].Text, v.Number) {
		t.Fatalf("registered: %d mails %+v", len(got), got)
	}
	for _, secret := range []string{"13912345678", "王某", "楼下垃圾没人清"} {
		if strings.Contains(got[0].Text+got[0].Subject, secret) {
			t.Errorf("the alert shows %q: %s", secret, got[0].Text)
		}
	}
	act(t, s.URL, tokenOf(t, a, "dispatcher1"), v.Number, "dispatch", map[string]any{"auto": true})
	if got := rig.run(); len(got) != 0 {
		t.Errorf("dispatching the case brought %d more mails", len(got))
	}
}

// A mail server that says "later" (451) is tried again after a wait and the
// mail goes once; one that says "no such user" (550) parks the mail at once.
func TestAlertMailsRetryAndPark(t *testing.T) {
	_, a := server(t)
	ctx := context.Background()
	rig := newAlertRig(t, "https://wenti.example", a)
	now := a.Now()
	rig.alerter.Now = func() time.Time { return now }
	street := a.Index().Units()[0].Street
	for _, email := range []string{"busy@example.cn", "nobody@example.cn"} {
		sub := alert.Subscription{Email: email, Area: alert.Area{Street: street}}
		if err := a.Subscribe(ctx, &sub); err != nil {
			t.Fatal(err)
		}
	}
	state := func(email string) (st string, attempts int) {
		a.Store.DB().QueryRow(`SELECT m.state, m.attempts FROM alert_mails m JOIN alert_subscriptions s ON s.id = m.subscription_id
			WHERE s.email = $1`, email).Scan(&st, &attempts)
		return
	}
	rig.box.mu.Lock()
	rig.box.busy = true
	rig.box.mu.Unlock()
	if got := rig.run(); len(got) != 0 {
		t.Fatalf("sent %d", len(got))
	}
	if st, n := state("nobody@example.cn"); st != "parked" || n != 1 {
		t.Errorf("refused for good (550): %s after %d attempts, want parked after 1", st, n)
	}
	if st, n := state("busy@example.cn"); st != "pending" || n != 1 {
		t.Errorf("refused for now (451): %s after %d attempts, want pending after 1", st, n)
	}
	rig.box.mu.Lock()
	rig.box.busy = false
	rig.box.mu.Unlock()
	if got := rig.run(); len(got) != 0 {
		t.Errorf("tried again before its wait: %d mails", len(got))
	}
	now = now.Add(time.Minute)
	if got := rig.run(); len(got) != 1 || got[0].To[0] != "busy@example.cn" {
		t.Errorf("after the wait: %+v", got)
	}
	if st, n := state("busy@example.cn"); st != "sent" || n != 2 {
		t.Errorf("busy@: %s after %d attempts, want sent after 2", st, n)
	}
	if got := rig.run(); len(got) != 0 {
		t.Errorf("sent again: %d", len(got))
	}
}
