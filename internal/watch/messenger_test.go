package watch_test

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/notify"
	"github.com/xiuhua/xiuhua/internal/notify/channel"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/watch"
)

// received is what the fake endpoints took in, in order.
type received struct {
	mu   sync.Mutex
	got  []string // "robot: text", "sms 139…: text", "mail to: subject"
	hits map[string]int
}

func (r *received) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, s)
}

// fail answers the first n calls of a kind with a failure.
func (r *received) fail(kind string, n int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hits == nil {
		r.hits = map[string]int{}
	}
	r.hits[kind]++
	return r.hits[kind] <= n
}

func (r *received) matching(prefix string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, g := range r.got {
		if strings.HasPrefix(g, prefix) {
			out = append(out, g)
		}
	}
	return out
}

// dingTalk is a DingTalk robot endpoint that checks the documented
// signature and answers its first call "send too fast" (130101).
func dingTalk(t *testing.T, rec *received, token, secret string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(q.Get("timestamp") + "\n" + secret))
		if r.URL.Path != "/robot/send" || q.Get("access_token") != token || q.Get("sign") != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			fmt.Fprint(w, `{"errcode":310000,"errmsg":"sign not match"}`)
			return
		}
		if rec.fail("dingtalk", 1) {
			fmt.Fprint(w, `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`)
			return
		}
		var body struct {
			Msgtype string
			Text    struct{ Content string }
		}
		json.NewDecoder(r.Body).Decode(&body)
		rec.add("robot: " + body.Text.Content)
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
}

// feishu is a Feishu custom bot endpoint that checks the documented
// signature (the string to sign is the HMAC key, the message empty).
func feishu(t *testing.T, rec *received, token, secret string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Timestamp, Sign string
			MsgType         string `json:"msg_type"`
			Content         struct{ Text string }
		}
		json.NewDecoder(r.Body).Decode(&body)
		mac := hmac.New(sha256.New, []byte(body.Timestamp+"\n"+secret))
		if r.URL.Path != "/open-apis/bot/v2/hook/"+token || body.Sign != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			fmt.Fprint(w, `{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}`)
			return
		}
		rec.add("feishu: " + body.Content.Text)
		fmt.Fprint(w, `{"code":0,"msg":"success","data":{}}`)
	}))
}

// cmas is a China Mobile 云MAS endpoint that checks the base64 body and
// its md5 mac, and fails its first call with a 502.
func cmas(t *testing.T, rec *received, secretKey string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		b, err := base64.StdEncoding.DecodeString(string(raw))
		var m struct{ EcName, ApID, Mobiles, Content, Sign, AddSerial, Mac string }
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		sum := md5.Sum([]byte(m.EcName + m.ApID + secretKey + m.Mobiles + m.Content + m.Sign + m.AddSerial))
		if r.URL.Path != "/sms/norsubmit" || err != nil || m.Mac != hex.EncodeToString(sum[:]) {
			fmt.Fprint(w, `{"success":false,"rspcod":"IllegalMac","msgGroup":""}`)
			return
		}
		if rec.fail("sms", 1) {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		rec.add("sms " + m.Mobiles + ": " + m.Content)
		fmt.Fprintf(w, `{"success":true,"rspcod":"success","msgGroup":"g%d"}`, len(rec.matching("sms")))
	}))
}

// smtpBox is a real SMTP server that keeps each message's recipient and
// decoded subject.
type smtpBox struct{ rec *received }

type smtpSession struct {
	rec *received
	to  string
}

func (b *smtpBox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{rec: b.rec}, nil }
func (s *smtpSession) Mail(string, *smtp.MailOptions) error    { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	s.rec.add("mail " + s.to + ": " + subj)
	return nil
}
func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

func startSMTP(t *testing.T, rec *received) (string, int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(&smtpBox{rec: rec})
	srv.Domain = "localhost"
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	return host, p
}

// A case walked to overdue and supervision reaches people through the
// escalation ladder: the department's DingTalk group at once, its liaison
// by SMS when nobody acted within the hour, the leaders last; a step is
// dropped once the department acts; the district's leader, who chose
// e-mail in English, gets the supervision order by mail in English. Two
// instances send on one database and each message arrives once, though
// the robot throttles and the SMS gateway fails on their first calls;
// mail is not held up by either.
func TestLadderReachesPeopleOnceThroughTheirChannels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, s)
		rec := &received{}
		robotSrv := dingTalk(t, rec, "tok-env", "SECenv")
		defer robotSrv.Close()
		smsSrv := cmas(t, rec, "cmas-key")
		defer smsSrv.Close()
		host, port := startSMTP(t, rec)

		robot := &store.RobotConfig{RobotInfo: store.RobotInfo{UnitID: f.Env.ID, Kind: channel.KindDingTalk, Name: "环卫群", Lang: "zh-CN", Active: true},
			Token: "tok-env", Secret: "SECenv"}
		if err := s.SaveRobot(ctx, robot, storetest.T0); err != nil {
			t.Fatal(err)
		}

		if err := s.SetAccountContacts(ctx, f.Handler.AccountID, store.Contacts{Phone: "13900000001", Lang: "zh-CN", Liaison: true}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAccountContacts(ctx, f.Leader.AccountID, store.Contacts{Phone: "13900000009", Email: "leader@pingcheng.test", Lang: "en",
			Channels: []string{notify.SendMail}}); err != nil {
			t.Fatal(err)
		}
		// The morning digests are TestMorningDigest's: taken as sent here.
		for d := 0; d < 14; d++ {
			if err := s.Mark(ctx, "digest:"+storetest.T0.AddDate(0, 0, d).Format("2006-01-02"), storetest.T0.AddDate(0, 1, 0)); err != nil {
				t.Fatal(err)
			}
		}
		clock := &fakeClock{}
		clock.Set(storetest.T0)
		newMessenger := func() *watch.Messenger {
			sms, err := channel.NewCMAS(channel.CMASConfig{BaseURL: smsSrv.URL, EcName: "平城区城市管理局", ApID: "xiuhua", SecretKey: "cmas-key", Sign: "SIGN01"})
			if err != nil {
				t.Fatal(err)
			}
			ml, err := channel.NewMail(channel.MailConfig{Host: host, Port: port, From: "绣花 <notify@pingcheng.test>"})
			if err != nil {
				t.Fatal(err)
			}
			return &watch.Messenger{Store: s, Calendar: f.Policy.Calendar, Ladder: notify.DefaultLadder, SMS: sms, Mail: ml,
				RobotBase: map[string]string{channel.KindDingTalk: robotSrv.URL}, Now: clock.Now}
		}
		m1, m2 := newMessenger(), newMessenger()
		// rounds lets both instances send at once, a few times over, as
		// they would on their tickers.
		rounds := func() {
			t.Helper()
			for i := 0; i < 3; i++ {
				var wg sync.WaitGroup
				for _, m := range []*watch.Messenger{m1, m2} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := m.SendOnce(ctx); err != nil {
							t.Error(err)
						}
					}()
				}
				wg.Wait()
			}
		}
		later := func(d time.Duration) {
			clock.Add(d)
			rounds()
		}

		c := dispatched(t, f, storetest.T0)
		task := c.Tasks[0]
		clock.Set(task.DispatchedAt)
		rounds()
		// The robot throttled its first call: the new task waits the ten
		// minutes DingTalk asks for, then goes.
		later(9 * time.Minute)
		if got := rec.matching("robot"); len(got) != 0 {
			t.Fatalf("sent through a throttled robot before its wait: %q", got)
		}
		later(2 * time.Minute)
		want := "robot: 新任务（主办）：案件 " + c.Number
		if got := rec.matching("robot"); len(got) != 1 || !strings.HasPrefix(got[0], want) {
			t.Fatalf("after the robot's wait: %q, want %s…", got, want)
		}

		// The warning climbs: the group at once, the liaison after an
		// hour of working time without action.
		w := &watch.Watcher{Store: s, Clock: f.Policy, Now: clock.Now}
		clock.Set(f.Policy.WarnAt(task.DispatchedAt, task.Deadline))
		if res := sweep(t, w); res.Warnings != 1 {
			t.Fatalf("warning sweep %+v", res)
		}
		later(time.Minute)
		warning := "预警：案件 " + c.Number + " 处置时限 " + task.Deadline.In(time.FixedZone("CST", 8*3600)).Format("01-02 15:04") + " 到期"
		if got := rec.matching("robot: 预警"); len(got) != 1 || got[0] != "robot: "+warning {
			t.Fatalf("robot warnings %q, want %q", got, warning)
		}
		if got := rec.matching("sms"); len(got) != 0 {
			t.Fatalf("SMS before the liaison's hour: %q", got)
		}
		clock.Set(f.Policy.Calendar().Add(clock.Now(), time.Hour))
		rounds() // the gateway's first call fails
		later(3 * time.Minute)
		if got := rec.matching("sms 13900000001"); len(got) != 1 || got[0] != "sms 13900000001: "+warning {
			t.Fatalf("liaison SMS %q", got)
		}
		// The department signs: the leader is not called about the warning.
		f.Do(t, c, caseflow.Command{Action: caseflow.ActSign, Actor: f.Handler, At: clock.Now()})
		clock.Set(f.Policy.Calendar().Add(clock.Now(), 4*time.Hour))
		rounds()
		if got := rec.matching("sms 13900000009"); len(got) != 0 {
			t.Fatalf("the leader was called though the department acted: %q", got)
		}

		// Overdue, then escalated: the system's reminder to the group, the
		// supervision order up the ladder and to the leader's mail in English.
		clock.Set(task.Deadline.Add(time.Minute))
		if res := sweep(t, w); res.Reminders != 1 {
			t.Fatalf("overdue sweep %+v", res)
		}
		later(time.Minute)
		if got := rec.matching("robot: 系统催办：案件 " + c.Number + "，处置已超期"); len(got) != 1 {
			t.Fatalf("automatic reminder to the group: %q", rec.matching("robot"))
		}
		clock.Set(f.Policy.EscalateAt(task.Deadline).Add(time.Minute))
		if res := sweep(t, w); res.Supervisions != 1 {
			t.Fatalf("escalation sweep %+v", res)
		}
		later(time.Minute)
		if got := rec.matching("robot: 系统督办：案件 " + c.Number); len(got) != 1 {
			t.Fatalf("supervision order to the group: %q", rec.matching("robot"))
		}
		if got := rec.matching("mail leader@pingcheng.test: Automatic supervision order: case " + c.Number + ", handling still not done"); len(got) != 1 {
			t.Fatalf("the leader's mail: %q", rec.matching("mail"))
		}
		clock.Set(f.Policy.Calendar().Add(clock.Now(), 5*time.Hour))
		rounds()
		if got := rec.matching("sms 13900000001: 系统督办"); len(got) != 1 {
			t.Fatalf("liaison SMS of the supervision order: %q", rec.matching("sms"))
		}
		if got := rec.matching("sms 13900000009: Automatic supervision order: case " + c.Number); len(got) != 1 {
			t.Fatalf("leader SMS of the supervision order, in the leader's English: %q", rec.matching("sms"))
		}
		// Exactly once: no message twice, every send settled.
		seen := map[string]bool{}
		for _, g := range rec.matching("") {
			if seen[g] {
				t.Errorf("sent twice: %s", g)
			}
			seen[g] = true
		}
		sends, err := s.CaseSends(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]int{}
		for _, d := range sends {
			states[d.State]++
			if d.State == "sent" && d.ProviderID == "" && d.Channel == notify.SendSMS {
				t.Errorf("an SMS without the gateway's receipt: %+v", d)
			}
		}
		if states["queued"] != 0 || states["failed"] != 0 || states["skipped"] != 1 || states["sent"] != len(seen) {
			t.Errorf("send states %v for %d messages received: %+v", states, len(seen), sends)
		}
	})
}

// A requester who left a mobile number and agreed hears by SMS when the
// report is registered and when it is closed, each with the follow link;
// one who did not agree hears nothing; nothing reaches anyone's inbox
// that should not.
func TestRequesterHearsOfTheirReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, s)
		rec := &received{}
		smsSrv := cmas(t, rec, "cmas-key")
		defer smsSrv.Close()
		rec.fail("sms", 1) // the gateway's first failure is not this test's
		sms, err := channel.NewCMAS(channel.CMASConfig{BaseURL: smsSrv.URL, EcName: "平城区城市管理局", ApID: "xiuhua", SecretKey: "cmas-key", Sign: "SIGN01"})
		if err != nil {
			t.Fatal(err)
		}
		clock := &fakeClock{}
		clock.Set(storetest.T0.Add(time.Hour))
		if err := s.Mark(ctx, "digest:2026-03-02", storetest.T0.AddDate(0, 1, 0)); err != nil {
			t.Fatal(err)
		}
		m := &watch.Messenger{Store: s, Calendar: f.Policy.Calendar, Ladder: notify.DefaultLadder, SMS: sms, Now: clock.Now,
			Follow: func(n string) string { return "https://wenti.example.cn/board#follow/" + n }}
		report := func(r caseflow.Reporter) *caseflow.Case {
			c := &caseflow.Case{Channel: caseflow.ChannelWeb, CategoryID: "M06011", Urgency: caseflow.Normal, Description: "人行道上堆了建筑垃圾",
				Point: caseflow.Point{Lon: 113.31, Lat: 40.09}, Reporter: r,
				Place: caseflow.Place{UnitGrid: storetest.Grid + "001", Grid: storetest.Grid, Community: "140213053001", Street: "140213053"}}
			ev, err := caseflow.Report(c, caseflow.Actor{Role: caseflow.Resident}, storetest.T0, f.Policy)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateCase(ctx, c, &ev, f.Policy); err != nil {
				t.Fatal(err)
			}
			c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: storetest.T0.Add(5 * time.Minute)})
			return f.Do(t, c, caseflow.Command{Action: caseflow.ActVoid, Actor: f.Disp, At: storetest.T0.Add(10 * time.Minute), Reason: "测试"})
		}
		agreed := report(caseflow.Reporter{Name: "王女士", Phone: "13912345678", Updates: true})
		report(caseflow.Reporter{Name: "李先生", Phone: "13987654321"})
		for i := 0; i < 3; i++ {
			if _, err := m.SendOnce(ctx); err != nil {
				t.Fatal(err)
			}
			clock.Add(5 * time.Minute)
		}
		want := "sms 13912345678: 您反映的问题（编号 " + agreed.Number + "）已受理，正在办理。查看进展：https://wenti.example.cn/board#follow/" + agreed.Number
		if got := rec.matching("sms"); len(got) != 1 || got[0] != want {
			t.Fatalf("requester SMS %q, want [%q]", got, want)
		}
	})
}

// When the working day starts, the department's group gets its morning
// report and the district's leader the district's (and, on a Monday, last
// week's) in English as they chose; every figure is recounted here from
// the cases and their deadlines; two instances send each digest once; on a
// Saturday there is none.
func TestMorningDigest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, s)
		rec := &received{}
		robotSrv := dingTalk(t, rec, "tok-env", "SECenv")
		defer robotSrv.Close()
		rec.fail("dingtalk", 1)
		host, port := startSMTP(t, rec)
		if err := s.SaveRobot(ctx, &store.RobotConfig{RobotInfo: store.RobotInfo{UnitID: f.Env.ID, Kind: channel.KindDingTalk, Name: "环卫群", Lang: "zh-CN", Active: true},
			Token: "tok-env", Secret: "SECenv"}, storetest.T0); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAccountContacts(ctx, f.Leader.AccountID, store.Contacts{Email: "leader@pingcheng.test", Lang: "en", Channels: []string{notify.SendMail}}); err != nil {
			t.Fatal(err)
		}
		// Monday: three cases dispatched to the department, one closed.
		var cs []*caseflow.Case
		for i := 0; i < 3; i++ {
			cs = append(cs, dispatched(t, f, storetest.T0.Add(time.Duration(i)*time.Hour)))
		}
		w := &watch.Watcher{Store: s, Clock: f.Policy, Now: func() time.Time { return storetest.T0.Add(4 * time.Hour) }}
		sweep(t, w)
		// Wednesday morning, 08:31: count what the digest must say.
		clock := &fakeClock{}
		wed := time.Date(2026, 3, 4, 8, 31, 0, 0, time.FixedZone("CST", 8*3600))
		clock.Set(wed)
		dayEnd := time.Date(2026, 3, 5, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
		var due, overdue, sup int
		for _, c := range cs {
			ws, _ := s.CaseWatches(ctx, c.ID)
			for _, x := range ws {
				switch {
				case x.UnitID != f.Env.ID:
				case strings.HasPrefix(x.Key, "sup:"):
					sup++
				case x.Deadline.Before(wed):
					overdue++
				case x.Deadline.Before(dayEnd):
					due++
				}
			}
		}
		ml, err := channel.NewMail(channel.MailConfig{Host: host, Port: port, From: "绣花 <notify@pingcheng.test>"})
		if err != nil {
			t.Fatal(err)
		}
		ms := []*watch.Messenger{}
		for i := 0; i < 2; i++ {
			ms = append(ms, &watch.Messenger{Store: s, Calendar: f.Policy.Calendar, Ladder: notify.DefaultLadder, Mail: ml,
				RobotBase: map[string]string{channel.KindDingTalk: robotSrv.URL}, Now: clock.Now})
		}
		// Tuesday and earlier lines are not this test's: taken as planned.
		if err := s.SkipLines(ctx); err != nil {
			t.Fatal(err)
		}
		for round := 0; round < 3; round++ {
			var wg sync.WaitGroup
			for _, m := range ms {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := m.SendOnce(ctx); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			clock.Add(11 * time.Minute) // past the robot's throttle
		}
		if due+overdue+sup == 0 {
			t.Fatal("nothing for the digest to count")
		}
		want := fmt.Sprintf("robot: 【2026-03-04 早报】%s：今日到期 %d 件，已超期 %d 件，督办待回复 %d 件，昨日办结 0 件。", f.Env.Name, due, overdue, sup)
		if got := rec.matching("robot"); len(got) != 1 || got[0] != want {
			t.Fatalf("the department's digest %q, want %q", got, want)
		}
		if got := rec.matching("mail leader@pingcheng.test: Morning report 2026-03-04"); len(got) != 1 {
			t.Fatalf("the leader's digest: %q", rec.matching("mail"))
		}
		if got := rec.matching("mail leader@pingcheng.test: Last week"); len(got) != 0 {
			t.Fatalf("a weekly digest on a Wednesday: %q", got)
		}
		// Saturday: no digest; Monday: the week's too.
		clock.Set(time.Date(2026, 3, 7, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)))
		if n, err := ms[0].DigestOnce(ctx); err != nil || n != 0 {
			t.Fatalf("Saturday: %d %v", n, err)
		}
		clock.Set(time.Date(2026, 3, 9, 8, 40, 0, 0, time.FixedZone("CST", 8*3600)))
		for i := 0; i < 2; i++ {
			if _, err := ms[i].SendOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := rec.matching("mail leader@pingcheng.test: Last week 03-02 to 03-08: 3 new reports and 0 closed"); len(got) != 1 {
			t.Fatalf("Monday's weekly digest: %q", rec.matching("mail"))
		}
	})
}

// A throttled robot holds up nobody else: a case dispatched to two
// departments reaches the assisting one's Feishu group in the round where
// the lead's DingTalk robot answers "send too fast", and the lead's group
// ten minutes later, once.
func TestThrottledChannelDoesNotBlockOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, s)
		rec := &received{}
		dt := dingTalk(t, rec, "tok-env", "SECenv")
		defer dt.Close()
		fs := feishu(t, rec, "hook-gar", "gar-secret")
		defer fs.Close()
		for _, r := range []*store.RobotConfig{
			{RobotInfo: store.RobotInfo{UnitID: f.Env.ID, Kind: channel.KindDingTalk, Name: "环卫群", Lang: "zh-CN", Active: true}, Token: "tok-env", Secret: "SECenv"},
			{RobotInfo: store.RobotInfo{UnitID: f.Gar.ID, Kind: channel.KindFeishu, Name: "园林群", Lang: "zh-CN", Active: true}, Token: "hook-gar", Secret: "gar-secret"},
		} {
			if err := s.SaveRobot(ctx, r, storetest.T0); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Mark(ctx, "digest:2026-03-02", storetest.T0.AddDate(0, 1, 0)); err != nil {
			t.Fatal(err)
		}
		c := f.Report(t, storetest.T0)
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: storetest.T0.Add(5 * time.Minute)})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, At: storetest.T0.Add(10 * time.Minute),
			Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true}, {UnitID: f.Gar.ID}}})
		clock := &fakeClock{}
		clock.Set(storetest.T0.Add(10 * time.Minute))
		m := &watch.Messenger{Store: s, Calendar: f.Policy.Calendar, Now: clock.Now,
			RobotBase: map[string]string{channel.KindDingTalk: dt.URL, channel.KindFeishu: fs.URL}}
		if _, err := m.SendOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if got := rec.matching(""); len(got) != 1 || !strings.HasPrefix(got[0], "feishu: 新任务（协办）：案件 "+c.Number) {
			t.Fatalf("in the throttled round: %q", got)
		}
		for i := 0; i < 3; i++ {
			clock.Add(4 * time.Minute)
			if _, err := m.SendOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := rec.matching("robot"); len(got) != 1 || !strings.HasPrefix(got[0], "robot: 新任务（主办）：案件 "+c.Number) {
			t.Fatalf("the lead's group after the wait: %q", got)
		}
		if got := rec.matching("feishu"); len(got) != 1 {
			t.Fatalf("the assisting group heard twice: %q", got)
		}
	})
}
