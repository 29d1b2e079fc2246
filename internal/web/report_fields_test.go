package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

// written counts the cases and events, to see that a refusal wrote nothing.
func written(t *testing.T, a *app.App) [2]int64 {
	t.Helper()
	var n [2]int64
	if err := a.Store.DB().QueryRow(`SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM events)`).Scan(&n[0], &n[1]); err != nil {
		t.Fatal(err)
	}
	return n
}

// POST /api/v1/cases takes every field of a 12345 order: the urgency,
// the channel, the request type, the caller (name, phone, anonymous,
// callback consent), the five elements and the answers to the category's
// questions (占道经营: 摊位数 1–200, 经营什么). Each is kept where staff
// read it; each bad one is a 4xx naming the field (an answer also naming
// its question and bounds) and writes nothing.
func TestReportTakesEveryField(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	op := tokenOf(t, a, "operator1")
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	at := all[0].Point
	post := func(token string, body map[string]any) (int, string) {
		t.Helper()
		base := map[string]any{"category": "M09006", "description": "早市摊贩占了人行道", "address": "御河西路菜市场门口", "lon": at.Lon, "lat": at.Lat,
			"urgency": "immediate", "channel": "hotline", "request_type": "complaint",
			"caller":     map[string]any{"name": "刘女士", "phone": "0352-1234567", "anonymous": false, "callback": false},
			"elements":   map[string]any{"when": "每天清晨五点起", "who": "十几个菜摊", "matter": "占道经营堵塞人行道"},
			"attributes": map[string]string{"stalls": "12", "goods": "produce"}}
		for k, v := range body {
			if v == nil {
				delete(base, k)
			} else {
				base[k] = v
			}
		}
		j, _ := json.Marshal(base)
		code, out, _ := send(t, "POST", s.URL+"/api/v1/cases", token, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		return code, out
	}
	before := written(t, a)
	for _, bad := range []struct {
		name   string
		token  string
		body   map[string]any
		status int
		field  string
		params map[string]any
	}{
		{"an unknown type", op, map[string]any{"request_type": "gossip"}, 400, "request_type", nil},
		{"a phone that is not one", op, map[string]any{"caller": map[string]any{"phone": "12345"}}, 400, "caller.phone", nil},
		{"a landline without its area code", op, map[string]any{"caller": map[string]any{"phone": "2345678"}}, 400, "caller.phone", nil},
		{"a callback with no number", op, map[string]any{"caller": map[string]any{"name": "刘女士", "callback": true}}, 400, "caller.phone", nil},
		{"a long name", op, map[string]any{"caller": map[string]any{"name": strings.Repeat("刘", 51)}}, 400, "caller.name", nil},
		{"a long element", op, map[string]any{"elements": map[string]any{"who": strings.Repeat("摊", 101)}}, 400, "elements.who", nil},
		{"an unknown urgency", op, map[string]any{"urgency": "asap"}, 400, "urgency", nil},
		{"an unknown channel", op, map[string]any{"channel": "fax"}, 400, "channel", nil},
		{"the import's channel", op, map[string]any{"channel": "import"}, 400, "channel", nil},
		{"no category", op, map[string]any{"category": nil}, 400, "category", nil},
		{"stalls below the range", op, map[string]any{"attributes": map[string]string{"stalls": "0"}}, 422, "attributes.stalls",
			map[string]any{"question": "摊位数", "kind": "range", "min": 1.0, "max": 200.0}},
		{"stalls not a number", op, map[string]any{"attributes": map[string]string{"stalls": "三"}}, 422, "attributes.stalls",
			map[string]any{"question": "摊位数", "kind": "number"}},
		{"a choice not offered", op, map[string]any{"attributes": map[string]string{"goods": "cars"}}, 422, "attributes.goods",
			map[string]any{"question": "经营什么", "kind": "choice"}},
		{"a question not asked", op, map[string]any{"attributes": map[string]string{"colour": "red"}}, 422, "attributes.colour", nil},
		{"a grid worker records a caller", tokenOf(t, a, "gw14021305300101"), map[string]any{}, 400, "caller", nil},
	} {
		code, out := post(bad.token, bad.body)
		var p struct {
			Field  string
			Params map[string]any
		}
		json.Unmarshal([]byte(out), &p)
		if code != bad.status || p.Field != bad.field {
			t.Errorf("%s: %d %s", bad.name, code, out)
		}
		for k, v := range bad.params {
			if p.Params[k] != v {
				t.Errorf("%s: params %v, want %s=%v", bad.name, p.Params, k, v)
			}
		}
	}
	if after := written(t, a); after != before {
		t.Fatalf("refused reports wrote %d cases and %d events", after[0]-before[0], after[1]-before[1])
	}
	code, out := post(op, nil)
	var made struct{ Number, Channel, Urgency string }
	if code != 201 || json.Unmarshal([]byte(out), &made) != nil || made.Channel != "hotline" || made.Urgency != "immediate" {
		t.Fatalf("a full report: %d %s", code, out)
	}
	c, _ := a.Store.CaseByNumber(ctx, made.Number)
	evs, _ := a.Store.Events(ctx, c.ID)
	in := evs[0].Data.Intake
	if c.Reporter.Name != "刘女士" || c.Reporter.Phone != "0352-1234567" || c.Address != "御河西路菜市场门口" || in == nil || in.Type != caseflow.Complaint ||
		!in.NoCallback || in.Anonymous || in.Elements == nil || *in.Elements != (caseflow.Elements{When: "每天清晨五点起", Who: "十几个菜摊", Matter: "占道经营堵塞人行道"}) ||
		evs[0].Data.Attributes["stalls"] != "12" || evs[0].Data.Attributes["goods"] != "produce" {
		t.Fatalf("kept: %+v %+v %+v", c.Reporter, in, evs[0].Data)
	}
	// Staff read it all on the case; the public board reads none of the caller.
	_, file, _ := getAs(t, s.URL+"/api/v1/cases/"+made.Number, op)
	for _, want := range []string{`"stalls":"12"`, `"matter":"占道经营堵塞人行道"`, `"type":"complaint"`} {
		if !strings.Contains(file, want) {
			t.Errorf("the case file lacks %s", want)
		}
	}
	for _, path := range []string{"/api/v1/public/cases/" + made.Number, "/open311/v2/requests/" + made.Number + ".json"} {
		if _, page, _ := getAs(t, s.URL+path, ""); strings.Contains(page, "刘女士") || strings.Contains(page, "1234567") || strings.Contains(page, "十几个菜摊") {
			t.Errorf("%s shows the caller or the elements: %s", path, page)
		}
	}
	// Anonymous: the number kept for the callback, not the name.
	code, out = post(op, map[string]any{"caller": map[string]any{"name": "刘女士", "phone": "13912345678", "anonymous": true, "callback": true}})
	if json.Unmarshal([]byte(out), &made); code != 201 {
		t.Fatalf("an anonymous caller: %d %s", code, out)
	}
	if c, _ := a.Store.CaseByNumber(ctx, made.Number); c.Reporter.Name != "" || c.Reporter.Phone != "13912345678" {
		t.Errorf("an anonymous caller kept %+v", c.Reporter)
	}
}

// Open311 POST requests takes the same: the requester and, from the desk's
// key, the extensions request_type, urgency, anonymous, callback and
// elements[…], with attribute[code]; a bad one is a 400 naming the
// parameter and writes nothing.
func TestOpen311TakesEveryField(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	op := tokenOf(t, a, "operator1")
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	post := func(key string, edit url.Values) (int, string) {
		t.Helper()
		form := url.Values{"api_key": {key}, "service_code": {"M09006"}, "lat": {f6(all[0].Point.Lat)}, "long": {f6(all[0].Point.Lon)},
			"description": {"夜市摊位占了盲道"}, "first_name": {"先生"}, "last_name": {"周"}, "phone": {"13512345678"},
			"request_type": {"complaint"}, "urgency": {"urgent"}, "callback": {"true"}, "elements[when]": {"每晚七点后"}, "elements[matter]": {"夜市占道"},
			"attribute[stalls]": {"8"}, "attribute[goods]": {"food"}}
		for k, v := range edit {
			if v == nil {
				form.Del(k)
			} else {
				form[k] = v
			}
		}
		resp, err := http.PostForm(s.URL+"/open311/v2/requests.json", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	before := written(t, a)
	for _, bad := range []struct {
		edit url.Values
		says string
	}{
		{url.Values{"phone": {"123"}}, "phone:"},
		{url.Values{"request_type": {"gossip"}}, "request_type:"},
		{url.Values{"urgency": {"asap"}}, "urgency:"},
		{url.Values{"callback": {"maybe"}}, "callback:"},
		{url.Values{"callback": {"true"}, "phone": nil}, "phone:"},
		{url.Values{"elements[who]": {strings.Repeat("摊", 101)}}, "elements[who]:"},
		{url.Values{"attribute[stalls]": {"500"}}, "outside"},
		{url.Values{"request_type": nil, "callback": nil, "elements[when]": nil, "elements[matter]": nil, "phone": {"0352-12"}}, "phone:"},
	} {
		if code, out := post(op, bad.edit); code != 400 || !strings.Contains(out, bad.says) {
			t.Errorf("%v: %d %s", bad.edit, code, out)
		}
	}
	if code, out := post(tokenOf(t, a, "gw14021305300101"), nil); code != 400 || !strings.Contains(out, "api_key:") {
		t.Errorf("a grid worker's key records a 12345 call: %d %s", code, out)
	}
	if after := written(t, a); after != before {
		t.Fatalf("refused requests wrote %d cases and %d events", after[0]-before[0], after[1]-before[1])
	}
	code, out := post(op, nil)
	var made []struct {
		ID string `json:"service_request_id"`
	}
	if code != 200 || json.Unmarshal([]byte(out), &made) != nil || len(made) != 1 {
		t.Fatalf("a full request: %d %s", code, out)
	}
	c, _ := a.Store.CaseByNumber(ctx, made[0].ID)
	evs, _ := a.Store.Events(ctx, c.ID)
	in := evs[0].Data.Intake
	if c.Channel != caseflow.ChannelHotline || c.Urgency != caseflow.Urgent || c.Reporter.Name != "周先生" || c.Reporter.Phone != "13512345678" ||
		in == nil || in.Type != caseflow.Complaint || in.NoCallback || in.Elements.When != "每晚七点后" || evs[0].Data.Attributes["stalls"] != "8" {
		t.Fatalf("kept: %+v %+v %+v", c, in, evs[0].Data)
	}
	if _, page, _ := getAs(t, s.URL+"/open311/v2/requests/"+made[0].ID+".json?extensions=true", ""); strings.Contains(page, "周先生") || strings.Contains(page, "13512345678") || strings.Contains(page, "每晚七点后") {
		t.Errorf("Open311 shows the caller: %s", page)
	}
	// A plain request (no extensions) from any key keeps its requester.
	code, out = post(tokenOf(t, a, "dispatcher1"), url.Values{"request_type": nil, "callback": nil, "elements[when]": nil, "elements[matter]": nil, "urgency": nil})
	if json.Unmarshal([]byte(out), &made); code != 200 {
		t.Fatalf("a plain request: %d %s", code, out)
	}
	if c, _ := a.Store.CaseByNumber(ctx, made[0].ID); c.Channel != caseflow.ChannelOpen311 || c.Reporter.Phone != "13512345678" || c.Urgency != caseflow.Normal {
		t.Errorf("a plain request: %+v", c)
	}
}
