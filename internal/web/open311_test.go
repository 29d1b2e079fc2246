package web_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

func schema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, f := range []string{"request.json", "requests.json", "service.json", "services.json", "service-definition.json"} {
		r, err := os.Open(filepath.Join("testdata", "open311", f))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource(f, doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, body string) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
	if err != nil {
		t.Fatalf("not JSON: %v %.200s", err, body)
	}
	if err := s.Validate(inst); err != nil {
		t.Fatalf("schema: %v\n%.300s", err, body)
	}
}

func TestOpen311(t *testing.T) {
	s, a := server(t)
	base := s.URL + "/open311/v2/"
	code, body, hdr := getAs(t, base+"discovery.json", "")
	if code != 200 || hdr.Get("Content-Type") != "application/json; charset=utf-8" || !strings.Contains(body, "GeoReport_v2") {
		t.Fatalf("discovery %d %s", code, body)
	}
	if code, body, hdr := getAs(t, base+"discovery.xml", ""); code != 200 || hdr.Get("Content-Type") != "text/xml; charset=utf-8" ||
		xml.Unmarshal([]byte(body), new(struct{})) != nil || !strings.Contains(body, "<endpoint>") {
		t.Fatalf("discovery.xml %d %.200s", code, body)
	}
	code, body, _ = getAs(t, base+"services.json", "")
	if code != 200 {
		t.Fatalf("services %d", code)
	}
	validate(t, schema(t, "services.json"), body)
	code, body, _ = getAs(t, base+"services/M06011.json", "")
	if code != 200 {
		t.Fatalf("service definition %d", code)
	}
	validate(t, schema(t, "service-definition.json"), body)
	if code, body, _ := getAs(t, base+"services.xml", ""); code != 200 || !strings.Contains(body, "<service_code>M06011</service_code>") {
		t.Fatalf("services.xml %d", code)
	}

	// Requests of the last 90 days (the demo clock ends 2026-11-20).
	code, body, _ = getAs(t, base+"requests.json?start_date=2026-09-01T00:00:00%2B08:00&end_date=2026-11-21T00:00:00%2B08:00&extensions=true", "")
	if code != 200 {
		t.Fatalf("requests %d %s", code, body)
	}
	validate(t, schema(t, "requests.json"), body)
	var reqs []map[string]any
	json.Unmarshal([]byte(body), &reqs)
	if len(reqs) == 0 || reqs[0]["extended_attributes"] == nil || !strings.Contains(reqs[0]["requested_datetime"].(string), "+08:00") {
		t.Fatalf("requests %.300s", body)
	}
	if notes, ok := reqs[0]["notes"].([]any); !ok || len(notes) == 0 || !strings.Contains(notes[0].(map[string]any)["datetime"].(string), "+08:00") {
		t.Fatalf("notes %v", reqs[0]["notes"])
	}
	code, body, _ = getAs(t, base+"servicerequestupdates.json?start_date=2026-11-01T00:00:00%2B08:00&end_date=2026-11-21T00:00:00%2B08:00", "")
	var ups []map[string]any
	if code != 200 || json.Unmarshal([]byte(body), &ups) != nil || len(ups) == 0 || ups[0]["update_id"] == "" || ups[0]["status"] == nil {
		t.Fatalf("updates %d %.200s", code, body)
	}
	if code, body, _ := getAs(t, base+"servicerequestupdates.xml", ""); code != 200 || !strings.Contains(body, "<service_request_updates>") {
		t.Fatalf("updates.xml %d %.100s", code, body)
	}
	if phone.MatchString(body) {
		t.Fatal("a phone number in Open311 output")
	}
	id := reqs[0]["service_request_id"].(string)
	code, body, _ = getAs(t, base+"requests/"+id+".json", "")
	if code != 200 {
		t.Fatalf("request %d", code)
	}
	validate(t, schema(t, "requests.json"), body)
	if code, body, _ := getAs(t, base+"requests.xml?service_request_id="+id, ""); code != 200 || !strings.Contains(body, "<service_request_id>"+id) {
		t.Fatalf("requests.xml by id %d %.200s", code, body)
	}
	// Nothing matches: an empty list, not 404.
	if code, body, _ := getAs(t, base+"requests.json?service_code=C05001&start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z", ""); code != 200 || strings.TrimSpace(body) != "[]" {
		t.Fatalf("empty %d %q", code, body)
	}
	// POST a request with an api_key; the contact stays with staff.
	cs, _ := a.Store.Cases(t.Context(), store.CaseFilter{State: caseflow.Dispatched, Limit: 1})
	key := tokenOf(t, a, "operator1")
	form := url.Values{"api_key": {key}, "service_code": {"M06011"}, "lat": {f6(cs[0].Point.Lat)}, "long": {f6(cs[0].Point.Lon)},
		"description": {"路边垃圾"}, "first_name": {"小明"}, "last_name": {"李"}, "phone": {"13712345678"}, "email": {"li@example.com"}}
	resp, err := http.PostForm(base+"requests.json", form)
	if err != nil {
		t.Fatal(err)
	}
	var created []struct {
		ID string `json:"service_request_id"`
	}
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(created) != 1 || created[0].ID == "" {
		t.Fatalf("POST requests: %d %+v", resp.StatusCode, created)
	}
	c, _ := a.Store.CaseByNumber(t.Context(), created[0].ID)
	if c.Channel != caseflow.ChannelOpen311 || c.Reporter.Phone != "13712345678" {
		t.Fatalf("created %+v", c)
	}
	_, body, _ = getAs(t, base+"requests/"+created[0].ID+".json", "")
	if strings.Contains(body, "小明") || strings.Contains(body, "1371234") || strings.Contains(body, "example.com") {
		t.Fatalf("personal data in Open311: %s", body)
	}
	if code, body, _ := getAs(t, base+"tokens/"+created[0].ID+".json", ""); code != 200 || !strings.Contains(body, created[0].ID) {
		t.Fatalf("token %d", code)
	}
	// mySociety's POST servicerequestupdates: the description becomes a
	// note on the case (a comment), its state unchanged; XML works too.
	before, _ := a.Store.CaseByNumber(t.Context(), created[0].ID)
	up := url.Values{"api_key": {key}, "service_request_id": {created[0].ID}, "description": {"晚上又堆了很多"}, "status": {"OPEN"},
		"updated_datetime": {"2026-11-20T11:00:00+08:00"}, "email": {"li@example.com"}, "media_url": {"https://example.org/p.jpg"}}
	resp, err = http.PostForm(base+"servicerequestupdates.xml", up)
	if err != nil {
		t.Fatal(err)
	}
	ub, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(ub), "<update_id>"+created[0].ID+"-") || resp.Header.Get("Content-Type") != "text/xml; charset=utf-8" {
		t.Fatalf("POST servicerequestupdates: %d %s", resp.StatusCode, ub)
	}
	after, _ := a.Store.CaseByNumber(t.Context(), created[0].ID)
	evs, _ := a.Store.Events(t.Context(), after.ID)
	last := evs[len(evs)-1]
	if after.State != before.State || last.Action != caseflow.ActComment || !strings.Contains(last.Data.Note, "晚上又堆了很多") || !strings.Contains(last.Data.Note, "example.org/p.jpg") || strings.Contains(last.Data.Note, "li@example.com") {
		t.Fatalf("after the update: %s, last event %s %q", after.State, last.Action, last.Data.Note)
	}
	for _, bad := range []struct {
		form url.Values
		want int
	}{
		{url.Values{"service_request_id": {created[0].ID}, "description": {"x"}}, 403},
		{url.Values{"api_key": {key}, "description": {"x"}}, 400},
		{url.Values{"api_key": {key}, "service_request_id": {created[0].ID}}, 400},
		{url.Values{"api_key": {key}, "service_request_id": {"nope"}, "description": {"x"}}, 404},
		{url.Values{"api_key": {key}, "service_request_id": {created[0].ID}, "description": {"x"}, "status": {"fixed"}}, 400},
		{url.Values{"api_key": {key}, "service_request_id": {created[0].ID}, "description": {"x"}, "updated_datetime": {"yesterday"}}, 400},
	} {
		resp, err := http.PostForm(base+"servicerequestupdates.json", bad.form)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != bad.want || !strings.Contains(string(b), "description") {
			t.Errorf("update %v: %d %s", bad.form, resp.StatusCode, b)
		}
	}
	// Errors in the spec's format.
	for _, tt := range []struct {
		form url.Values
		want int
	}{
		{url.Values{"service_code": {"M06011"}, "lat": {"40.1"}, "long": {"113.3"}}, 403},
		{url.Values{"api_key": {"wrong"}, "service_code": {"M06011"}, "lat": {"40.1"}, "long": {"113.3"}}, 403},
		{url.Values{"api_key": {key}, "service_code": {"X0"}, "lat": {"40.1"}, "long": {"113.3"}}, 404},
		{url.Values{"api_key": {key}, "service_code": {"M06011"}, "address_string": {"北苑路"}}, 400},
		{url.Values{"api_key": {key}, "service_code": {"M06011"}, "lat": {"north"}, "long": {"113.3"}}, 400},
		{url.Values{"api_key": {key}, "service_code": {"M06011"}, "lat": {"95"}, "long": {"113.3"}, "description": {"x"}}, 400},
	} {
		resp, err := http.PostForm(base+"requests.json", tt.form)
		if err != nil {
			t.Fatal(err)
		}
		var errs []struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		}
		json.NewDecoder(resp.Body).Decode(&errs)
		resp.Body.Close()
		if resp.StatusCode != tt.want || len(errs) != 1 || errs[0].Code != tt.want || errs[0].Description == "" {
			t.Errorf("%v: %d %+v", tt.form, resp.StatusCode, errs)
		}
	}
	for _, bad := range []string{"requests.json?start_date=yesterday", "servicerequestupdates.json?end_date=today", "requests.json?status=pending", "requests.json?page_size=5000", "requests/none.json", "services/X0.json", "services.csv"} {
		if code, body, _ := getAs(t, base+bad, ""); code < 400 || code >= 500 || !strings.Contains(body, "description") {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}
}

func f6(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
