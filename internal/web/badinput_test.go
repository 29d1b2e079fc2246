package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/web"
)

// hostile is text no field should choke on: SQL and script injection,
// Chinese, emoji, right-to-left and control characters, and a lot of it
// (about 7 KB: under the 64 KB body limit, over every field's length).
var hostile = "'; DROP TABLE cases; -- <script>alert(1)</script> 北苑路便道砖破损 🚧🗑️\u202e\u0007" + strings.Repeat("长文本😀", 500)

// fieldRE takes the field names out of a route's body description
// ("version, reason, assignments[{unit, lead}], …").
var goType = regexp.MustCompile(`float64|int64|struct \{|caseflow\.|\[\]string|map\[`)

var fieldRE = regexp.MustCompile(`(?:^|, )([a-z_]+)`)

// Every write route of the API (from the OpenAPI document) and of Open311
// gets malformed, mistyped, unknown, hostile and oversize bodies: each is a
// 4xx with a message in the route's error format — never a 500, never a
// page of data — and nothing is written: the cases and their events stay
// as they were. Public routes are called from a new client address each
// time (through a trusted proxy), from a network of its own, and staff
// writes are not limited here, so that rate limits (tested in
// limits_test.go) do not answer for them.
func TestEveryWriteRouteRefusesBadBodies(t *testing.T) {
	_, a := server(t)
	s := httptest.NewServer(web.New(a, web.WithTrustedProxies([]string{"127.0.0.1"}),
		web.WithLimits(web.Limits{PublicReads: web.DefaultLimits.PublicReads, PublicWrites: web.DefaultLimits.PublicWrites})))
	defer s.Close()
	ctx := context.Background()
	_, body, _ := getAs(t, s.URL+"/api/v1/openapi.json", "")
	var doc struct {
		Paths map[string]map[string]struct {
			Access string `json:"x-access"`
			Body   struct {
				Description string `json:"description"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	fill := strings.NewReplacer("{number}", cs[0].Number, "{action}", "dispatch", "{id}", "M90009", "{day}", "2026-12-30",
		"{username}", "dispatcher2")
	admin, dispatcher := tokenOf(t, a, "admin"), tokenOf(t, a, "dispatcher1")
	counts := func() (int64, int64) {
		var n, e int64
		a.Store.DB().QueryRowContext(ctx, `SELECT count(*) FROM cases`).Scan(&n)
		a.Store.DB().QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&e)
		return n, e
	}
	cases0, events0 := counts()
	var client atomic.Int64
	call := func(method, path, token, ct, body string) (int, string, string) {
		code, out, h := send(t, method, s.URL+path, token, strings.NewReader(body), map[string]string{"Content-Type": ct,
			"X-Forwarded-For": fmt.Sprintf("10.%d.%d.9", client.Add(1)/250, client.Load()%250)})
		return code, h.Get("Content-Type"), out
	}
	type bad struct{ name, ct, body string }
	common := []bad{
		{"malformed JSON", "application/json", `{"category": "M06011", "lon":`},
		{"an array", "application/json", `[1, 2, 3]`},
		{"a string", "application/json", `"report"`},
		{"unknown fields", "application/json", `{"zzz_unknown": 1, "admin": true}`},
		{"oversize", "application/json", `{"description": "` + strings.Repeat("大", 25<<20/3) + `"}`},
		{"XML to a JSON API", "text/xml", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>`},
	}
	walked, fields := 0, 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			method = strings.ToUpper(method)
			if method == "GET" || method == "DELETE" || path == "/api/v1/session" && method != "POST" {
				continue // no body to refuse
			}
			token := dispatcher
			switch op.Access {
			case "admin":
				token = admin
			case "":
				token = ""
			}
			walked++
			bodies := append([]bad{}, common...)
			if d := op.Body.Description; !strings.Contains(d, "bytes") && !strings.Contains(d, "GeoJSON") {
				for _, m := range fieldRE.FindAllStringSubmatch(d, -1) {
					fields++
					// Every field given a value of a type it never takes, and
					// all of them the hostile text (strings too long for any
					// field, numbers and flags that are not).
					bodies = append(bodies, bad{"wrong type for " + m[1], "application/json", `{"` + m[1] + `": {"nested": [true]}}`})
					h, _ := json.Marshal(map[string]string{m[1]: hostile})
					bodies = append(bodies, bad{"hostile text in " + m[1], "application/json", string(h)})
				}
				all := map[string]any{}
				for _, m := range fieldRE.FindAllStringSubmatch(d, -1) {
					all[m[1]] = hostile
				}
				b, _ := json.Marshal(all)
				bodies = append(bodies, bad{"hostile text in every field", "application/json", string(b)})
			}
			for _, b := range bodies {
				code, ct, out := call(method, fill.Replace(path), token, b.ct, b.body)
				if code < 400 || code >= 500 || code == 429 {
					t.Errorf("%s %s, %s: %d %.200s", method, path, b.name, code, out)
					continue
				}
				var p struct{ Detail, Title string }
				if ct != "application/problem+json" || json.Unmarshal([]byte(out), &p) != nil || p.Detail == "" {
					t.Errorf("%s %s, %s: %d answered %q %.200s, want a problem saying what is wrong", method, path, b.name, code, ct, out)
				}
				if goType.MatchString(p.Detail) {
					t.Errorf("%s %s, %s: %q names a Go type", method, path, b.name, p.Detail)
				}
			}
		}
	}
	if walked < 15 || fields < 40 {
		t.Fatalf("only %d write routes and %d fields walked", walked, fields)
	}

	// Open311: form bodies, in both formats.
	form := func(v url.Values) string { return v.Encode() }
	o311 := []struct{ name, body string }{
		{"no api_key", form(url.Values{"service_code": {"M06011"}, "lat": {"40.09"}, "long": {"113.3"}})},
		{"unknown service code", form(url.Values{"api_key": {dispatcher}, "service_code": {"M99999"}, "lat": {"40.09"}, "long": {"113.3"}})},
		{"invalid coordinates", form(url.Values{"api_key": {dispatcher}, "service_code": {"M06011"}, "lat": {"north"}, "long": {"1e999"}})},
		{"outside the district", form(url.Values{"api_key": {dispatcher}, "service_code": {"M06011"}, "lat": {"-33.9"}, "long": {"151.2"}})},
		{"hostile text", form(url.Values{"api_key": {dispatcher}, "service_code": {hostile}, "description": {hostile}, "lat": {"40.09"}, "long": {"113.3"},
			"attribute[" + hostile[:20] + "]": {hostile}, "media_url": {"javascript:alert(1)"}})},
		{"not a form", "%zz&&==%"},
		{"oversize", "description=" + strings.Repeat("a", 2<<20)},
	}
	for _, doc := range []string{"requests", "servicerequestupdates"} {
		for _, format := range []string{"json", "xml"} {
			for _, b := range o311 {
				code, ct, out := call("POST", "/open311/v2/"+doc+"."+format, "", "application/x-www-form-urlencoded", b.body)
				if code < 400 || code >= 500 || code == 429 {
					t.Errorf("Open311 %s.%s, %s: %d %.200s", doc, format, b.name, code, out)
					continue
				}
				if !strings.Contains(ct, format) || !strings.Contains(out, "description") {
					t.Errorf("Open311 %s.%s, %s: %d %q %.200s, want the spec's errors", doc, format, b.name, code, ct, out)
				}
			}
		}
	}

	if n, e := counts(); n != cases0 || e != events0 {
		t.Fatalf("bad bodies wrote: %d cases and %d events, before %d and %d", n, e, cases0, events0)
	}
	if code, _, _ := getAs(t, s.URL+"/api/v1/cases?limit=5", dispatcher); code != 200 {
		t.Fatalf("listing after the walk: %d", code)
	}
}
