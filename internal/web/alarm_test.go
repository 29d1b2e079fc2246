package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/alarm"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/photos"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/watch"
	"github.com/xiuhua/xiuhua/internal/web"
)

// TestAlarmIntake walks a camera's alarms through the real handler, on
// both engines: the
// admin registers the camera, the platform pushes with a scoped token
// (and a signature), alarms are registered, queued as 疑似, counted as
// repeats or dropped each once; a replay changes nothing; the dispatcher
// accepts, marks false and merges; the queue's count and the false-alarm
// rates agree with a recount of the raw alarms.
func TestAlarmIntake(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) { alarmIntake(t, d) })
	}
}

func alarmIntake(t *testing.T, d store.Dialect) {
	s, a := alarmServer(t, d)
	ctx := context.Background()
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	pt := cs[0].Point
	admin := tokenOf(t, a, "admin")
	disp := tokenOf(t, a, "dispatcher1")
	jsonH := map[string]string{"Content-Type": "application/json"}
	post := func(url, token string, v any) (int, string) {
		b, _ := json.Marshal(v)
		code, body, _ := send(t, "POST", s.URL+url, token, strings.NewReader(string(b)), jsonH)
		return code, body
	}
	cam := map[string]any{"source": "aibox-gulou", "code": "GL-001", "name": "鼓楼东街口", "kind": "video", "lon": pt.Lon, "lat": pt.Lat,
		"threshold": 0.6, "dwell": 60, "hours": map[string]int{"from": 0, "to": 0},
		"raises": []map[string]any{{"category": "M09009", "events": []string{"illegal_parking"}, "auto": true},
			{"category": "M09006", "events": []string{"street_vending"}}}}
	// Bad registrations name the field and write nothing.
	for field, edit := range map[string]func(m map[string]any){
		"threshold": func(m map[string]any) { m["threshold"] = 3 },
		"kind":      func(m map[string]any) { m["kind"] = "drone" },
		"location":  func(m map[string]any) { m["lon"] = 100.0 },
		"raises": func(m map[string]any) {
			m["raises"] = []map[string]any{{"category": "M99999", "events": []string{"x"}}}
		},
	} {
		m := map[string]any{}
		for k, v := range cam {
			m[k] = v
		}
		edit(m)
		if code, body := post("/api/v1/admin/devices", admin, m); code/100 != 4 || !strings.Contains(body, `"field":"`+field+`"`) {
			t.Errorf("device with bad %s: %d %s", field, code, body)
		}
	}
	if ds, _ := a.Store.Devices(ctx); len(ds) != 0 {
		t.Fatalf("bad registrations wrote %d devices", len(ds))
	}
	code, body := post("/api/v1/admin/devices", admin, cam)
	if code != 201 || !strings.Contains(body, `"grid":"`) {
		t.Fatalf("register the camera: %d %s", code, body)
	}
	if code, _ := post("/api/v1/admin/devices", admin, cam); code != 409 {
		t.Fatalf("the same camera twice: %d, want 409", code)
	}

	// A staff token without the alarms scope is refused.
	if code, body := post("/api/v1/alarms", disp, map[string]any{}); code != 403 {
		t.Fatalf("push with a dispatcher's token: %d %s", code, body)
	}
	token, id, err := a.CreateScopedToken(ctx, "admin", "鼓楼 AI 盒子", "alarms")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store.SetTokenSecret(ctx, id, "s3cret"); err != nil {
		t.Fatal(err)
	}
	// The alarms token reads nothing else.
	if code, _, _ := getAs(t, s.URL+"/api/v1/cases", token); code != 403 {
		t.Fatalf("the alarms token lists cases: %d, want 403", code)
	}
	n := 0
	push := func(sign bool, alarms ...map[string]any) (int, string) {
		b, _ := json.Marshal(map[string]any{"alarms": alarms})
		h := map[string]string{"Content-Type": "application/json"}
		if sign {
			ts := a.Now().Unix()
			h["X-Xiuhua-Timestamp"] = fmt.Sprint(ts)
			h["X-Xiuhua-Signature"] = watch.Sign("s3cret", ts, b)
		}
		code, body, _ := send(t, "POST", s.URL+"/api/v1/alarms", token, strings.NewReader(string(b)), h)
		return code, body
	}
	al := func(event string, conf float64) map[string]any {
		n++
		return map[string]any{"source": "aibox-gulou", "device": "GL-001", "event_id": fmt.Sprint("e", n), "event_type": event,
			"model": "park-v3", "confidence": conf, "at": a.Now().Format(time.RFC3339), "seen": 120}
	}
	if code, body := push(false, al("illegal_parking", 0.9)); code != 401 || !strings.Contains(body, "X-Xiuhua-Signature") {
		t.Fatalf("an unsigned push with a secret: %d %s", code, body)
	}
	// A push whose second alarm's snapshot is no picture keeps neither.
	bad := al("street_vending", 0.9)
	bad["snapshots"] = []map[string]string{{"data": "bm90IGEgcGljdHVyZQ=="}}
	if code, body := push(true, al("illegal_parking", 0.9), bad); code/100 != 4 || !strings.Contains(body, `"field":"snapshots"`) {
		t.Fatalf("a push with a bad snapshot: %d %s", code, body)
	}
	if kept, _ := a.Store.Alarms(ctx, store.AlarmFilter{Limit: 10}); len(kept) != 0 {
		t.Fatalf("a refused push kept %d alarms", len(kept))
	}
	n = 0
	first := []map[string]any{al("illegal_parking", 0.9), al("illegal_parking", 0.95), al("street_vending", 0.8), al("street_vending", 0.7),
		al("street_vending", 0.3), al("exposed_garbage", 0.9), al("ufo", 0.9)}
	code, body = push(true, first...)
	var got struct {
		Alarms []struct {
			ID       int64  `json:"id"`
			Status   string `json:"status"`
			Reason   string `json:"reason"`
			Case     string `json:"case"`
			Replayed bool   `json:"replayed"`
		} `json:"alarms"`
	}
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil {
		t.Fatalf("push: %d %s", code, body)
	}
	want := []string{"registered/auto", "repeat/open_case", "suspected/review", "repeat/open_review", "dropped/below_threshold",
		"dropped/category_not_allowed", "dropped/unknown_event"}
	for i, w := range want {
		if g := got.Alarms[i].Status + "/" + got.Alarms[i].Reason; g != w {
			t.Errorf("alarm %d: %s, want %s", i+1, g, w)
		}
	}
	caseNo := got.Alarms[0].Case
	if caseNo == "" || got.Alarms[1].Case != caseNo {
		t.Fatalf("the repeat does not count on the case it repeats: %+v", got.Alarms[:2])
	}
	c, err := a.Store.CaseByNumber(ctx, caseNo)
	if err != nil || c.Channel != "video" || c.CategoryID != "M09009" {
		t.Fatalf("the registered alarm's case: %+v %v", c, err)
	}
	// A replay of the same push changes nothing.
	before, _ := a.Store.Alarms(ctx, store.AlarmFilter{Limit: 500})
	n = 0
	first2 := []map[string]any{al("illegal_parking", 0.9), al("illegal_parking", 0.95), al("street_vending", 0.8), al("street_vending", 0.7),
		al("street_vending", 0.3), al("exposed_garbage", 0.9), al("ufo", 0.9)}
	code, body = push(true, first2...)
	var again struct {
		Alarms []struct {
			ID       int64  `json:"id"`
			Status   string `json:"status"`
			Replayed bool   `json:"replayed"`
		} `json:"alarms"`
	}
	json.Unmarshal([]byte(body), &again)
	after, _ := a.Store.Alarms(ctx, store.AlarmFilter{Limit: 500})
	if code != 200 || len(after) != len(before) || len(again.Alarms) != 7 {
		t.Fatalf("replay: %d, %d alarms kept before and %d after: %s", code, len(before), len(after), body)
	}
	for i, r := range again.Alarms {
		if !r.Replayed || r.ID != got.Alarms[i].ID || r.Status != got.Alarms[i].Status {
			t.Errorf("replayed alarm %d answered %+v, first %+v", i+1, r, got.Alarms[i])
		}
	}

	// The review queue: one suspected alarm with its repeat, counted in
	// the centre's waiting lists.
	code, body, _ = getAs(t, s.URL+"/api/v1/alarms", disp)
	var q struct {
		Alarms []struct {
			ID      int64 `json:"id"`
			Repeats int   `json:"repeats"`
		} `json:"alarms"`
		Suspected int `json:"suspected"`
	}
	json.Unmarshal([]byte(body), &q)
	if code != 200 || q.Suspected != 1 || len(q.Alarms) != 1 || q.Alarms[0].Repeats != 1 {
		t.Fatalf("review queue: %d %s", code, body)
	}
	_, body, _ = getAs(t, s.URL+"/api/v1/queues", disp)
	if !strings.Contains(body, `{"id":"suspected","count":1,"list":"/api/v1/alarms"}`) {
		t.Fatalf("queues without the suspected count: %s", body)
	}
	sus := q.Alarms[0].ID
	if code, body := post(fmt.Sprintf("/api/v1/alarms/%d/review", sus), disp, map[string]any{"verdict": "false"}); code/100 != 4 || !strings.Contains(body, `"field":"reason"`) {
		t.Fatalf("false without a reason: %d %s", code, body)
	}
	if code, body := post(fmt.Sprintf("/api/v1/alarms/%d/review", sus), disp, map[string]any{"verdict": "false", "reason": "行人驻足，非占道经营"}); code != 200 {
		t.Fatalf("mark false: %d %s", code, body)
	}
	if code, _ := post(fmt.Sprintf("/api/v1/alarms/%d/review", sus), disp, map[string]any{"verdict": "accept"}); code != 409 {
		t.Fatalf("a second verdict: %d, want 409", code)
	}
	// The next vending alarm waits again; accepted, it files a case, and
	// the one after it merges into that case.
	code, body = push(true, al("street_vending", 0.9))
	json.Unmarshal([]byte(body), &got)
	if got.Alarms[0].Status != "suspected" {
		t.Fatalf("after a false alarm the next one waits again: %s", body)
	}
	code, body = post(fmt.Sprintf("/api/v1/alarms/%d/review", got.Alarms[0].ID), disp, map[string]any{"verdict": "accept"})
	var acc struct{ Case string }
	json.Unmarshal([]byte(body), &acc)
	if code != 200 || acc.Case == "" {
		t.Fatalf("accept: %d %s", code, body)
	}
	code, body = push(true, al("street_vending", 0.9))
	json.Unmarshal([]byte(body), &got)
	if got.Alarms[0].Status != "repeat" || got.Alarms[0].Case != acc.Case {
		t.Fatalf("with the accepted case open the next alarm is its repeat: %s", body)
	}

	// The false-alarm rate, recounted from the raw alarms.
	_, body, _ = getAs(t, s.URL+"/api/v1/alarm-rates", disp)
	var rates struct {
		Devices []struct {
			Reviewed int     `json:"reviewed"`
			False    int     `json:"false"`
			Rate     float64 `json:"rate"`
			Total    int     `json:"total"`
		} `json:"devices"`
	}
	json.Unmarshal([]byte(body), &rates)
	all, _ := a.Store.Alarms(ctx, store.AlarmFilter{Limit: 500})
	reviewed, falses, kept := 0, 0, 0
	for _, r := range all {
		if r.DeviceID == 0 {
			continue
		}
		kept++
		if r.Status.Reviewed() {
			reviewed++
		}
		if r.Status == alarm.StatusFalse {
			falses++
		}
	}
	if len(rates.Devices) != 1 || rates.Devices[0].Reviewed != reviewed || rates.Devices[0].False != falses || rates.Devices[0].Total != kept ||
		reviewed != 2 || falses != 1 || rates.Devices[0].Rate != 0.5 {
		t.Fatalf("rates %s, recount: %d kept, %d reviewed, %d false", body, kept, reviewed, falses)
	}
}

// alarmServer serves the demo city on an engine: the tests' SQLite copy,
// or a small demo built in a PostgreSQL schema of its own.
func alarmServer(t testing.TB, d store.Dialect) (*httptest.Server, *app.App) {
	t.Helper()
	if d == store.SQLite {
		return server(t)
	}
	ctx := context.Background()
	st := storetest.Open(t, d)
	end := time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC)
	if _, err := demo.Build(ctx, st, demo.Options{Cases: 50, Seed: 5, End: end}); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, st, app.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a.Now = func() time.Time { return end }
	a.Photos = photos.Dir(filepath.Join(t.TempDir(), "photos"))
	s := httptest.NewServer(web.New(a))
	t.Cleanup(s.Close)
	return s, a
}

// TestAlarmFlood: 200 cameras push 1,000 alarms at once through the real
// handler (a minute's flood), on both engines, concurrently and each
// camera's several times over: each camera files one case of its
// auto-registering category and queues one 疑似 alarm of its reviewed one,
// the rest count as their repeats, the centre's count says 200 wait, and
// a replay of every push changes nothing.
func TestAlarmFlood(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) { alarmFlood(t, d) })
	}
}

func alarmFlood(t *testing.T, d store.Dialect) {
	s, a := alarmServer(t, d)
	ctx := context.Background()
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	pt := cs[0].Point
	for i := range 200 {
		d := &alarm.Device{Source: "flood", Code: fmt.Sprintf("C%03d", i), Name: fmt.Sprintf("摄像头 %d", i), Kind: alarm.Video,
			Point: alarm.Point{Lon: pt.Lon, Lat: pt.Lat}, Threshold: 0.5, Active: true,
			Raises: []alarm.Raise{{Category: "M09009", Events: []string{"illegal_parking"}, Auto: true},
				{Category: "M09006", Events: []string{"street_vending"}}}}
		if err := a.SaveDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	token, _, err := a.CreateScopedToken(ctx, "admin", "flood", "alarms")
	if err != nil {
		t.Fatal(err)
	}
	bodies := make([]string, 0, 100)
	for p := range 100 { // 100 pushes of 10 alarms: five per camera, three parking and two vending
		var list []map[string]any
		for k := range 10 {
			n := p*10 + k
			event := "illegal_parking"
			if (n/200)%2 == 1 {
				event = "street_vending"
			}
			list = append(list, map[string]any{"source": "flood", "device": fmt.Sprintf("C%03d", n%200), "event_id": fmt.Sprint("f", n),
				"event_type": event, "confidence": 0.9, "at": a.Now().Format(time.RFC3339)})
		}
		b, _ := json.Marshal(map[string]any{"alarms": list})
		bodies = append(bodies, string(b))
	}
	run := func() {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for _, b := range bodies {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if code, body, _ := send(t, "POST", s.URL+"/api/v1/alarms", token, strings.NewReader(b), map[string]string{"Content-Type": "application/json"}); code != 200 {
					t.Errorf("push: %d %s", code, body)
				}
			}()
		}
		wg.Wait()
	}
	// count recounts the kept alarms from their rows.
	count := func() (map[alarm.Status]int, int) {
		all, err := a.Store.Alarms(ctx, store.AlarmFilter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		out := map[alarm.Status]int{}
		for len(all) > 0 {
			for _, r := range all {
				out[r.Status]++
			}
			if all, err = a.Store.Alarms(ctx, store.AlarmFilter{Limit: 500, Before: all[len(all)-1].ID}); err != nil {
				t.Fatal(err)
			}
		}
		cases, _ := a.Store.Cases(ctx, store.CaseFilter{Channel: "video", Limit: 1000})
		return out, len(cases)
	}
	run()
	first, cases := count()
	if first[alarm.StatusRegistered] != 200 || first[alarm.StatusSuspected] != 200 || first[alarm.StatusRepeat] != 600 || cases != 200 {
		t.Fatalf("flood: %v and %d cases, want 200 registered with 200 cases, 200 suspected and 600 repeats", first, cases)
	}
	_, body, _ := getAs(t, s.URL+"/api/v1/queues", tokenOf(t, a, "dispatcher1"))
	if !strings.Contains(body, `{"id":"suspected","count":200,`) {
		t.Fatalf("the centre's count after the flood: %s", body)
	}
	run()
	again, cases := count()
	if fmt.Sprint(again) != fmt.Sprint(first) || cases != 200 {
		t.Fatalf("replayed flood: %v and %d cases, first %v", again, cases, first)
	}
}

// TestHikvisionPush: an iSecure Center OnEventNotify push through the
// real handler: a camera registered by its srcIndex with its numeric
// event type mapped to 占道经营 queues as 疑似, the stop of the same event
// counts as its repeat, the picture update adds nothing, and a push
// without the platform's name is refused naming source.
func TestHikvisionPush(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	pt := cs[0].Point
	d := &alarm.Device{Source: "hik-isc", Code: "dce03e98c2aa44169a8c9694d40139b6", Name: "华严寺街", Kind: alarm.Video,
		Point: alarm.Point{Lon: pt.Lon, Lat: pt.Lat}, Threshold: 0.6, Active: true,
		Raises: []alarm.Raise{{Category: "M09006", Events: []string{"131588"}}}}
	if err := a.SaveDevice(ctx, d); err != nil {
		t.Fatal(err)
	}
	token, _, err := a.CreateScopedToken(ctx, "admin", "iSC", "alarms")
	if err != nil {
		t.Fatal(err)
	}
	at := a.Now().In(alarm.Beijing).Format("2006-01-02T15:04:05.000-07:00")
	body := `{"method": "OnEventNotify", "params": {"ability": "event_vss", "sendTime": "` + at + `", "events": [
		{"eventId": "e-1", "eventLvl": 2, "status": 1, "srcIndex": "dce03e98c2aa44169a8c9694d40139b6", "srcType": "camera", "eventType": 131588, "happenTime": "` + at + `", "data": {"confidence": 91}},
		{"eventId": "e-1", "status": 2, "srcIndex": "dce03e98c2aa44169a8c9694d40139b6", "srcType": "camera", "eventType": 131588, "happenTime": "` + at + `"},
		{"eventId": "e-1", "status": 5, "srcIndex": "dce03e98c2aa44169a8c9694d40139b6", "srcType": "camera", "eventType": 131588, "happenTime": "` + at + `"}]}}`
	h := map[string]string{"Content-Type": "application/json"}
	if code, out, _ := send(t, "POST", s.URL+"/api/v1/alarms?format=hikvision", token, strings.NewReader(body), h); code != 400 || !strings.Contains(out, `"field":"source"`) {
		t.Fatalf("without source: %d %s", code, out)
	}
	code, out, _ := send(t, "POST", s.URL+"/api/v1/alarms?format=hikvision&source=hik-isc", token, strings.NewReader(body), h)
	var got struct {
		Alarms []struct{ Status, Reason string } `json:"alarms"`
	}
	json.Unmarshal([]byte(out), &got)
	if code != 200 || len(got.Alarms) != 2 || got.Alarms[0].Status != "suspected" || got.Alarms[1].Status != "repeat" || got.Alarms[1].Reason != "open_review" {
		t.Fatalf("OnEventNotify: %d %s", code, out)
	}
	if n, _ := a.Store.SuspectedCount(ctx); n != 1 {
		t.Fatalf("%d suspected, want 1", n)
	}
}

// TestCameraCheckEvidence: while a camera's case waits for its check, the
// camera's stop event of a category that supplies evidence is kept on
// the case as check evidence (listed with the case's alarms), and the
// case still waits for a person's check.
func TestCameraCheckEvidence(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	pt := cs[0].Point
	d := &alarm.Device{Source: "aibox", Code: "GL-201", Name: "鼓楼北街", Kind: alarm.Video, Point: alarm.Point{Lon: pt.Lon, Lat: pt.Lat},
		Threshold: 0.6, Active: true, Raises: []alarm.Raise{{Category: "M09009", Events: []string{"illegal_parking"}, Auto: true, Evidence: true}}}
	if err := a.SaveDevice(ctx, d); err != nil {
		t.Fatal(err)
	}
	token, _, _ := a.CreateScopedToken(ctx, "admin", "aibox", "alarms")
	push := func(id string, phase alarm.Phase) (string, string) {
		b, _ := json.Marshal(map[string]any{"source": "aibox", "device": "GL-201", "event_id": id, "event_type": "illegal_parking", "phase": phase,
			"confidence": 0.9, "seen": 300, "at": a.Now().Format(time.RFC3339)})
		_, out, _ := send(t, "POST", s.URL+"/api/v1/alarms", token, strings.NewReader(string(b)), map[string]string{"Content-Type": "application/json"})
		var got struct {
			Alarms []struct{ Status, Reason, Case string } `json:"alarms"`
		}
		json.Unmarshal([]byte(out), &got)
		if len(got.Alarms) != 1 {
			t.Fatalf("push %s: %s", id, out)
		}
		return got.Alarms[0].Reason, got.Alarms[0].Case
	}
	_, number := push("p1", alarm.Start)
	c, err := a.Store.CaseByNumber(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	accts, _ := a.Store.Accounts(ctx)
	var disp caseflow.Actor
	for _, ac := range accts {
		if ac.Username == "dispatcher1" {
			disp = caseflow.Actor{AccountID: ac.ID, Role: ac.Role, UnitID: ac.UnitID}
		}
	}
	if c, _, err = a.Act(ctx, c.ID, caseflow.Command{Action: caseflow.ActRegister, Actor: disp, ExpectedVersion: c.Version}); err != nil {
		t.Fatal(err)
	}
	if c, _, err = a.AutoDispatch(ctx, c.ID, disp, ""); err != nil {
		t.Fatal(err)
	}
	if reason, _ := push("p2", alarm.Stop); reason != "open_case" {
		t.Fatalf("a stop while the case is handled: %s, want open_case", reason)
	}
	lead := c.Tasks[0]
	var h caseflow.Actor
	for _, ac := range accts {
		if ac.Role == caseflow.Handler && ac.UnitID == lead.UnitID {
			h = caseflow.Actor{AccountID: ac.ID, Role: ac.Role, UnitID: ac.UnitID}
		}
	}
	if c, _, err = a.Act(ctx, c.ID, caseflow.Command{Action: caseflow.ActSign, Actor: h, TaskID: lead.ID, ExpectedVersion: c.Version}); err != nil {
		t.Fatal(err)
	}
	if c, _, err = a.Act(ctx, c.ID, caseflow.Command{Action: caseflow.ActReportBack, Actor: h, TaskID: lead.ID, ExpectedVersion: c.Version, Note: "已劝离", Photos: []string{"demo/after.jpg"}}); err != nil {
		t.Fatal(err)
	}
	if c.State != caseflow.PendingCheck {
		t.Fatalf("case is %s", c.State)
	}
	if reason, _ := push("p3", alarm.Stop); reason != "check_evidence" {
		t.Fatalf("the camera's stop while the check waits: %s, want check_evidence", reason)
	}
	_, out, _ := getAs(t, s.URL+"/api/v1/alarms?case="+number, tokenOf(t, a, "dispatcher1"))
	var l struct {
		Alarms []struct{ Reason string } `json:"alarms"`
	}
	json.Unmarshal([]byte(out), &l)
	if len(l.Alarms) != 3 || l.Alarms[0].Reason != "check_evidence" {
		t.Fatalf("the case's alarms: %s", out)
	}
	if c, _ = a.Store.Case(ctx, c.ID); c.State != caseflow.PendingCheck {
		t.Fatalf("the evidence decided the check: the case is %s", c.State)
	}
}

// TestSensorAlarm: a sensor's alarm (a manhole cover's tilt) files its
// case on the iot channel, at the sensor's registered place when the
// alarm names none.
func TestSensorAlarm(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	pt := cs[0].Point
	d := &alarm.Device{Source: "iot-pingcheng", Code: "JG-0001", Name: "大十字街井盖", Kind: alarm.IoT, Point: alarm.Point{Lon: pt.Lon, Lat: pt.Lat},
		Active: true, Raises: []alarm.Raise{{Category: "M01001", Events: []string{"manhole_tilt"}, Auto: true}}}
	if err := a.SaveDevice(ctx, d); err != nil {
		t.Fatal(err)
	}
	token, _, _ := a.CreateScopedToken(ctx, "admin", "物联平台", "alarms")
	b := `{"source": "iot-pingcheng", "device": "JG-0001", "event_id": "t-1", "event_type": "manhole_tilt", "at": "` + a.Now().Format(time.RFC3339) + `"}`
	code, out, _ := send(t, "POST", s.URL+"/api/v1/alarms", token, strings.NewReader(b), map[string]string{"Content-Type": "application/json"})
	var got struct {
		Alarms []struct{ Status, Case string } `json:"alarms"`
	}
	json.Unmarshal([]byte(out), &got)
	if code != 200 || len(got.Alarms) != 1 || got.Alarms[0].Status != "registered" {
		t.Fatalf("sensor alarm: %d %s", code, out)
	}
	c, err := a.Store.CaseByNumber(ctx, got.Alarms[0].Case)
	if err != nil || c.Channel != caseflow.ChannelIoT || c.Point.Lon != pt.Lon || c.Place.Grid == "" || !strings.Contains(c.Description, "传感器") {
		t.Fatalf("the sensor's case: %+v %v", c, err)
	}
}
