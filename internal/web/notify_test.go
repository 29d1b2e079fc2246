package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/notify"
	"github.com/xiuhua/xiuhua/internal/notify/channel"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/watch"
)

// The rules table documents itself: every rule in the reader's language
// (lang= or Accept-Language) with its message worded from examples, and
// the ladder's steps with their waits.
func TestNotificationRulesReadInTheReadersLanguage(t *testing.T) {
	s, a := server(t)
	for _, tt := range []struct{ query, header, want, not string }{
		{"", "zh-CN,zh;q=0.9", "预警：案件 2026112000001 处置时限 11-20 15:30 到期", "Warning"},
		{"", "en-GB,en;q=0.8", "Warning: case 2026112000001, handling due 11-20 15:30", "预警"},
		{"?lang=en", "zh-CN", "SMS to the liaisons", "联络员短信"},
	} {
		code, body, _ := send(t, "GET", s.URL+"/api/v1/notification-rules"+tt.query, tokenOf(t, a, "h-hwc"), nil, map[string]string{"Accept-Language": tt.header})
		var doc app.RulesDoc
		if code != 200 || json.Unmarshal([]byte(body), &doc) != nil {
			t.Fatalf("rules%s: %d %.200s", tt.query, code, body)
		}
		if len(doc.Rules) != len(notify.Rules) || len(doc.Ladder) != 3 || !strings.Contains(body, tt.want) || strings.Contains(body, tt.not) {
			t.Errorf("rules%s (%s): %d rules, %d ladder steps, want %q and not %q in %.300s", tt.query, tt.header, len(doc.Rules), len(doc.Ladder), tt.want, tt.not, body)
		}
		if doc.Ladder[1].WaitMinutes != 60 || doc.Ladder[2].WaitMinutes != 240 {
			t.Errorf("the ladder's waits: %+v", doc.Ladder)
		}
		if len(doc.Channels) != 2 || doc.Channels[0].Configured || doc.Channels[1].Configured {
			t.Errorf("a server given no mail server or SMS gateway: %+v", doc.Channels)
		}
	}
	// Given a mail server, the page says so by its host, never its password.
	ml, err := channel.NewMail(channel.MailConfig{Host: "smtp.qiye.aliyun.com", Port: 465, ImplicitTLS: true, User: "notify@pingcheng.gov.cn",
		Password: "pw-secret-1", From: "notify@pingcheng.gov.cn"})
	if err != nil {
		t.Fatal(err)
	}
	a.Channels = map[string]channel.Described{channel.KindMail: ml}
	code, body, _ := send(t, "GET", s.URL+"/api/v1/notification-rules", tokenOf(t, a, "h-hwc"), nil, nil)
	var doc app.RulesDoc
	if code != 200 || json.Unmarshal([]byte(body), &doc) != nil || !doc.Channels[0].Configured ||
		!strings.Contains(doc.Channels[0].Endpoint, "smtp.qiye.aliyun.com") || strings.Contains(body, "pw-secret") {
		t.Errorf("the configured mail server: %d %+v", code, doc.Channels)
	}
}

// capture collects what the server logs while a test runs.
func capture(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(old) })
	return &buf
}

// An administrator adds, changes, turns off and deletes a unit's group
// robot. Each refusal names its field and writes nothing; the token and
// secret are written and never come back: not in an answer, the API
// document, a ledger export, the webhooks' outbox, a log line or the
// audit log.
func TestRobotsKeepTheirSecrets(t *testing.T) {
	logs := capture(t)
	s, a := server(t)
	ctx := context.Background()
	admin := signIn(t, s.URL, "admin")
	const token, secret, token2 = "tok9d1e0c7a5b3f", "SECa1b2c3d4e5f60718293", "tok2ffe81d0c4"
	robots := func() []store.RobotConfig {
		bs, err := a.Store.Robots(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return bs
	}
	for _, tt := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"unit": "nope", "kind": "dingtalk", "name": "环卫处群", "token": token}, "unit"},
		{map[string]any{"unit": "hwc", "kind": "slack", "name": "环卫处群", "token": token}, "kind"},
		{map[string]any{"unit": "hwc", "kind": "dingtalk", "name": "", "token": token}, "name"},
		{map[string]any{"unit": "hwc", "kind": "dingtalk", "name": "环卫处群", "lang": "fr", "token": token}, "lang"},
		{map[string]any{"unit": "hwc", "kind": "dingtalk", "name": "环卫处群"}, "token"},
		{map[string]any{"unit": "hwc", "kind": "dingtalk", "name": "环卫处群", "token": "https://oapi.dingtalk.com/robot/send?access_token=x"}, "token"},
		{map[string]any{"unit": "hwc", "kind": "wecom", "name": "环卫处群", "token": token, "secret": secret}, "secret"},
		{map[string]any{"unit": "hwc", "kind": "dingtalk", "name": "环卫处群", "token": token, "colour": "red"}, "colour"},
	} {
		code, body := admin.do("POST", "/api/v1/admin/robots", tt.body)
		if code != 400 || !strings.Contains(body, `"field":"`+tt.field+`"`) {
			t.Errorf("POST %v: %d %s, want 400 naming %s", tt.body, code, body, tt.field)
		}
	}
	if n := len(robots()); n != 0 {
		t.Fatalf("%d robots after refusals", n)
	}
	code, body := admin.do("POST", "/api/v1/admin/robots", map[string]any{"unit": "hwc", "kind": "dingtalk", "name": "环卫处值班群", "token": token, "secret": secret})
	var b app.RobotView
	if code != 201 || json.Unmarshal([]byte(body), &b) != nil || !b.TokenSet || !b.SecretSet || !b.Active || b.Unit != "hwc" || b.UnitName == "" {
		t.Fatalf("add a robot: %d %s", code, body)
	}
	answers := []string{body}
	// An empty token keeps the stored one; a new one replaces it.
	code, body = admin.do("PUT", fmt.Sprintf("/api/v1/admin/robots/%d", b.ID), map[string]any{"unit": "hwc", "kind": "dingtalk", "name": "环卫处值班群（白班）"})
	answers = append(answers, body)
	if got := robots(); code != 200 || got[0].Token != token || got[0].Secret != secret || got[0].Name != "环卫处值班群（白班）" {
		t.Fatalf("change the name: %d %s; stored %+v", code, body, got[0].RobotInfo)
	}
	code, body = admin.do("PUT", fmt.Sprintf("/api/v1/admin/robots/%d", b.ID), map[string]any{"unit": "hwc", "kind": "dingtalk", "name": "环卫处值班群", "token": token2, "active": false})
	answers = append(answers, body)
	if got := robots(); code != 200 || got[0].Token != token2 || got[0].Secret != secret || got[0].Active {
		t.Fatalf("a new token, turned off: %d %s", code, body)
	}
	if code, body := admin.do("PUT", "/api/v1/admin/robots/99999", map[string]any{"unit": "hwc", "kind": "dingtalk", "name": "x"}); code != 404 {
		t.Errorf("changing an absent robot: %d %s", code, body)
	}
	if code, _ := signIn(t, s.URL, "dispatcher1").do("GET", "/api/v1/admin/robots", nil); code != 403 {
		t.Errorf("a dispatcher reads the robots: %d", code)
	}
	for _, path := range []string{"/api/v1/admin/robots", "/api/v1/openapi.json", "/api/v1/admin/sends", "/api/v1/ledger?format=csv", "/api/v1/admin/webhooks"} {
		code, body := admin.do("GET", path, nil)
		if code != 200 {
			t.Errorf("GET %s: %d", path, code)
		}
		answers = append(answers, body)
	}
	code, body = admin.do("DELETE", fmt.Sprintf("/api/v1/admin/robots/%d", b.ID), nil)
	if code != 204 || len(robots()) != 0 {
		t.Fatalf("delete: %d %s", code, body)
	}
	if code, _ := admin.do("DELETE", fmt.Sprintf("/api/v1/admin/robots/%d", b.ID), nil); code != 404 {
		t.Errorf("delete twice: %d", code)
	}
	entries, _ := a.Store.AuditEntries(ctx, 100)
	events := map[string]int{}
	for _, e := range entries {
		events[e["event"].(string)]++
		answers = append(answers, fmt.Sprint(e))
	}
	if events["robot_added"] != 1 || events["robot_changed"] != 2 || events["robot_deleted"] != 1 {
		t.Errorf("audit log: %v", events)
	}
	var outbox bytes.Buffer
	rows, err := a.Store.DB().QueryContext(ctx, `SELECT payload FROM outbox`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p string
		rows.Scan(&p)
		outbox.WriteString(p)
	}
	rows.Close()
	answers = append(answers, outbox.String(), logs.String())
	for i, x := range answers {
		for _, sec := range []string{token, secret, token2} {
			if strings.Contains(x, sec) {
				t.Errorf("answer, export or log %d holds a secret: %.300s", i, x)
			}
		}
	}
}

// Everyone sets how they are reached, checked field by field (nothing is
// written when one is wrong); the administrator also names the liaisons.
func TestContactsCheckedFieldByField(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	h := signIn(t, s.URL, "h-hwc")
	acc, _ := a.Store.AccountByUsername(ctx, "h-hwc")
	before, _ := a.Store.AccountContacts(ctx, acc.ID)
	for _, tt := range []struct {
		body        map[string]any
		code        int
		field, kind string
	}{
		{map[string]any{"phone": "0352-2041234"}, 400, "phone", "invalid"},
		{map[string]any{"phone": "1390352000"}, 400, "phone", "invalid"},
		{map[string]any{"email": "li at pingcheng"}, 400, "email", "invalid"},
		{map[string]any{"lang": "fr"}, 400, "lang", "invalid"},
		{map[string]any{"phone": "13903520001", "channels": []string{"fax"}}, 400, "channels[0]", "invalid"},
		{map[string]any{"channels": []string{"sms"}}, 400, "phone", "required"},
		{map[string]any{"phone": "13903520001", "channels": []string{"sms", "mail"}}, 400, "email", "required"},
		{map[string]any{"phone": "13903520001", "liaison": true}, 403, "liaison", "forbidden"},
	} {
		code, body := h.do("PUT", "/api/v1/me/contacts", tt.body)
		if code != tt.code || !strings.Contains(body, `"field":"`+tt.field+`"`) || !strings.Contains(body, `"code":"`+tt.kind+`"`) {
			t.Errorf("PUT %v: %d %s, want %d %s naming %s", tt.body, code, body, tt.code, tt.kind, tt.field)
		}
		if now, _ := a.Store.AccountContacts(ctx, acc.ID); !slices.Equal(now.Channels, before.Channels) || now.Phone != before.Phone {
			t.Fatalf("a refused change was written: %+v", now)
		}
	}
	code, body := h.do("PUT", "/api/v1/me/contacts", map[string]any{"phone": "13903520001", "email": "li@pingcheng.gov.cn", "lang": "en", "channels": []string{"sms", "mail"}})
	if got, _ := a.Store.AccountContacts(ctx, acc.ID); code != 200 || got.Phone != "13903520001" || got.Lang != "en" || !slices.Equal(got.Channels, []string{"sms", "mail"}) || got.Liaison {
		t.Fatalf("own contacts: %d %s; stored %+v", code, body, got)
	}
	admin := signIn(t, s.URL, "admin")
	if code, body := admin.do("PUT", "/api/v1/admin/users/h-ylc/contacts", map[string]any{"liaison": true}); code != 400 || !strings.Contains(body, `"field":"phone"`) {
		t.Errorf("a liaison without a phone: %d %s", code, body)
	}
	if code, body := admin.do("PUT", "/api/v1/admin/users/nobody/contacts", map[string]any{}); code != 404 || !strings.Contains(body, `"field":"username"`) {
		t.Errorf("an absent account: %d %s", code, body)
	}
	code, body = admin.do("PUT", "/api/v1/admin/users/h-hwc/contacts", map[string]any{"phone": "13903520002", "lang": "zh-CN", "channels": []string{"sms"}, "liaison": true})
	if got, _ := a.Store.AccountContacts(ctx, acc.ID); code != 200 || !got.Liaison || got.Phone != "13903520002" {
		t.Fatalf("the admin names a liaison: %d %s", code, body)
	}
	if code, body := admin.do("GET", "/api/v1/admin/users/h-hwc/contacts", nil); code != 200 || !strings.Contains(body, `"liaison":true`) {
		t.Errorf("the account editor reads: %d %s", code, body)
	}
	// A change of one's own keeps the liaison flag the administrator set.
	h.do("PUT", "/api/v1/me/contacts", map[string]any{"phone": "13903520002", "lang": "zh-CN", "channels": []string{}})
	if got, _ := a.Store.AccountContacts(ctx, acc.ID); !got.Liaison {
		t.Errorf("changing one's own contacts dropped the liaison flag")
	}
}

// rowCount counts a table's rows.
func rowCount(t *testing.T, a *app.App, table string) int {
	var n int
	if err := a.Store.DB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// handledCase is a new case reported beside a demo one by its grid's
// worker and dispatched to 环卫处: a running handling deadline of hwc.
func handledCase(t *testing.T, base string, a *app.App) *caseflow.Case {
	t.Helper()
	ctx := context.Background()
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 50})
	accts, _ := a.Store.Accounts(ctx)
	for _, c := range cs {
		for _, ac := range accts {
			if ac.Role != caseflow.GridWorker || !slices.Equal(ac.Grids, []string{c.Place.Grid}) {
				continue
			}
			j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "人行道积存垃圾", "lon": c.Point.Lon, "lat": c.Point.Lat})
			code, body, _ := send(t, "POST", base+"/api/v1/cases", tokenOf(t, a, ac.Username), bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
			var made struct{ Number string }
			if code != 201 || json.Unmarshal([]byte(body), &made) != nil {
				t.Fatalf("report %d %s", code, body)
			}
			disp := tokenOf(t, a, "dispatcher1")
			act(t, base, disp, made.Number, "register", map[string]any{})
			act(t, base, disp, made.Number, "dispatch", map[string]any{"assignments": []map[string]any{{"unit": "hwc", "lead": true}}})
			n, err := a.Store.CaseByNumber(ctx, made.Number)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no grid worker to report")
	return nil
}

// The dry run says, for each running deadline of a case, who would be
// told what if it reached a stage now — the unit's robot, its liaison by
// SMS an hour of working time later, its leaders — with phones masked,
// and writes nothing.
func TestNotifyDryRunWritesNothing(t *testing.T) {
	s, a := server(t)
	admin := signIn(t, s.URL, "admin")
	if code, body := admin.do("POST", "/api/v1/admin/robots", map[string]any{"unit": "hwc", "kind": "dingtalk", "name": "环卫处值班群", "token": "tok123456"}); code != 201 {
		t.Fatalf("robot: %d %s", code, body)
	}
	if code, body := admin.do("PUT", "/api/v1/admin/users/h-hwc/contacts", map[string]any{"phone": "13903520001", "channels": []string{"sms"}, "liaison": true}); code != 200 {
		t.Fatalf("liaison: %d %s", code, body)
	}
	c := handledCase(t, s.URL, a)
	disp := signIn(t, s.URL, "dispatcher1")
	notes, sends := rowCount(t, a, "notifications"), rowCount(t, a, "sends")
	type dry struct {
		Deadlines []struct {
			Step  string `json:"step"`
			Via   string `json:"via"`
			Lines []struct {
				Kind   string          `json:"kind"`
				Text   string          `json:"text"`
				Ladder bool            `json:"ladder"`
				Robots []app.DryRobot  `json:"robots"`
				People []app.DryPerson `json:"people"`
				Sends  []app.DrySend   `json:"sends"`
			} `json:"lines"`
		} `json:"deadlines"`
	}
	run := func(stage string) (dry, string) {
		code, body := disp.do("POST", "/api/v1/notification-rules/dry-run", map[string]any{"case": c.Number, "stage": stage})
		var d dry
		if code != 200 || json.Unmarshal([]byte(body), &d) != nil {
			t.Fatalf("dry run %s: %d %s", stage, code, body)
		}
		return d, body
	}
	for _, tt := range []struct {
		stage, kind, via string
		liaison          bool
	}{
		{"warning", "warning", "", true},
		{"overdue", "reminder_auto", "remind", true},
		{"escalated", "supervision_auto", "supervise", true},
	} {
		d, body := run(tt.stage)
		if strings.Contains(body, "13903520001") {
			t.Errorf("%s: the liaison's phone in full: %.300s", tt.stage, body)
		}
		found := false
		for _, dd := range d.Deadlines {
			if dd.Step != "handle" {
				continue
			}
			for _, l := range dd.Lines {
				if l.Kind != tt.kind || len(l.Robots) == 0 || l.Robots[0].Name != "环卫处值班群" {
					continue
				}
				found = dd.Via == tt.via && strings.Contains(l.Text, c.Number)
				hasLiaison := slices.ContainsFunc(l.People, func(p app.DryPerson) bool { return p.As == "liaison" && p.Phone == "139****0001" })
				sms := slices.ContainsFunc(l.Sends, func(x app.DrySend) bool {
					return x.Channel == "sms" && x.Step == notify.StepLiaison && x.To == "139****0001"
				})
				robot := slices.ContainsFunc(l.Sends, func(x app.DrySend) bool { return x.Channel == "robot" && x.To == "环卫处值班群" })
				if hasLiaison != tt.liaison || sms != tt.liaison || !robot {
					t.Errorf("%s: liaison %v, their SMS %v, the robot %v; want the liaison %v: %+v", tt.stage, hasLiaison, sms, robot, tt.liaison, l)
				}
			}
		}
		if !found {
			t.Errorf("%s: no %s line to 环卫处's robot (via %q): %.600s", tt.stage, tt.kind, tt.via, body)
		}
	}
	if n, m := rowCount(t, a, "notifications"), rowCount(t, a, "sends"); n != notes || m != sends {
		t.Fatalf("the dry run wrote: notifications %d → %d, sends %d → %d", notes, n, sends, m)
	}
	for _, tt := range []struct {
		body        map[string]any
		code        int
		field, user string
	}{
		{map[string]any{"case": c.Number, "stage": "late"}, 400, "stage", "dispatcher1"},
		{map[string]any{"stage": "overdue"}, 400, "case", "dispatcher1"},
		{map[string]any{"case": "2026010100999", "stage": "overdue"}, 404, "case", "dispatcher1"},
		{map[string]any{"case": c.Number, "stage": "overdue"}, 403, "", "h-hwc"},
	} {
		code, body := signIn(t, s.URL, tt.user).do("POST", "/api/v1/notification-rules/dry-run", tt.body)
		if code != tt.code || !strings.Contains(body, `"field":"`+tt.field+`"`) && tt.field != "" {
			t.Errorf("dry run %v as %s: %d %s, want %d naming %s", tt.body, tt.user, code, body, tt.code, tt.field)
		}
	}
}

// A case's delivery record (通知记录) lists each send with its channel,
// step, state, attempts and last error, the address masked; the admin
// page's counts by state agree with a recount of the raw rows.
func TestDeliveryRecord(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	admin := signIn(t, s.URL, "admin")
	admin.do("PUT", "/api/v1/admin/users/h-hwc/contacts", map[string]any{"phone": "13903520001", "channels": []string{"sms"}, "liaison": true})
	c := handledCase(t, s.URL, a)
	disp := signIn(t, s.URL, "dispatcher1")
	act(t, s.URL, tokenOf(t, a, "dispatcher1"), c.Number, "supervise", map[string]any{"reason": "群众反映强烈", "task_unit": "hwc"})
	m := &watch.Messenger{Store: a.Store, Ladder: notify.DefaultLadder, Now: a.Now}
	if _, err := m.PlanOnce(ctx); err != nil {
		t.Fatal(err)
	}
	own, _ := a.Store.CaseSends(ctx, c.ID)
	if len(own) == 0 {
		t.Fatal("the supervision order planned no sends")
	}
	if err := a.Store.FinishSend(ctx, own[0].ID, store.SendOutcome{State: "failed", Error: "isv.MOBILE_NUMBER_ILLEGAL", At: a.Now()}); err != nil {
		t.Fatal(err)
	}
	code, body := disp.do("GET", "/api/v1/cases/"+c.Number+"/sends", nil)
	var rec struct {
		Sends []struct {
			app.SendView
			Text string `json:"text"`
		} `json:"sends"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &rec) != nil || len(rec.Sends) != len(own) {
		t.Fatalf("the record: %d %.300s", code, body)
	}
	if strings.Contains(body, "13903520001") || !strings.Contains(body, "139****0001") || !strings.Contains(body, "isv.MOBILE_NUMBER_ILLEGAL") || !strings.Contains(body, "督办") {
		t.Errorf("the record: %.600s", body)
	}
	if code, _ := signIn(t, s.URL, "h-hwc").do("GET", "/api/v1/cases/"+c.Number+"/sends", nil); code != 403 {
		t.Errorf("a handler reads the delivery record: %d", code)
	}
	code, body = admin.do("GET", "/api/v1/admin/sends?state=failed", nil)
	var page struct {
		Sends  []app.SendView `json:"sends"`
		Counts map[string]int `json:"counts"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &page) != nil || len(page.Sends) == 0 {
		t.Fatalf("failed sends: %d %.300s", code, body)
	}
	for _, x := range page.Sends {
		if x.State != "failed" {
			t.Errorf("a %s send among the failed", x.State)
		}
	}
	recount := map[string]int{"queued": 0, "sent": 0, "failed": 0, "skipped": 0}
	rows, _ := a.Store.DB().Query(`SELECT state FROM sends`)
	for rows.Next() {
		var st string
		rows.Scan(&st)
		recount[st]++
	}
	rows.Close()
	if fmt.Sprint(recount) != fmt.Sprint(page.Counts) {
		t.Errorf("counts %v, recounted %v", page.Counts, recount)
	}
	if code, body := admin.do("GET", "/api/v1/admin/sends?state=lost", nil); code != 400 || !strings.Contains(body, `"field":"state"`) {
		t.Errorf("an unknown state: %d %s", code, body)
	}
}
