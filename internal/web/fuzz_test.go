package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/web"
)

// The JSON report decoder: any body gets a 2xx or a 4xx, never a 500, and
// a refused body writes nothing.
func FuzzReportJSON(f *testing.F) {
	for _, s := range []string{`{"category":"M06011","description":"垃圾","lon":113.3,"lat":40.08}`, `{"category":1}`, `[]`, `{"lon":1e400}`,
		`{"category":"M06011","lon":113.3,"lat":40.08,"description":"\u0000😀<script>"}`, `{`, ``} {
		f.Add(s)
	}
	s, a := server(f)
	key := tokenOf(f, a, "operator1")
	f.Fuzz(func(t *testing.T, body string) {
		before, _ := a.Store.CountCases(t.Context())
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/cases", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%q: %d", body, resp.StatusCode)
		}
		if resp.StatusCode >= 400 {
			after, _ := a.Store.CountCases(t.Context())
			if total(after) != total(before) {
				t.Fatalf("%q refused with %d but wrote a case", body, resp.StatusCode)
			}
		}
	})
}

// The Open311 form decoder: the same promises.
func FuzzOpen311Post(f *testing.F) {
	for _, s := range []string{"service_code=M06011&lat=40.08&long=113.3&description=x", "api_key=&lat=NaN", "lat=%zz", "a=1&a=2", ""} {
		f.Add(s)
	}
	s, a := server(f)
	key := tokenOf(f, a, "operator1")
	f.Fuzz(func(t *testing.T, form string) {
		req, _ := http.NewRequest("POST", s.URL+"/open311/v2/requests.json", strings.NewReader("api_key="+key+"&"+form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%q: %d", form, resp.StatusCode)
		}
	})
}

// jsonRoute is a route that takes a JSON body, with its path filled in and
// who calls it.
type jsonRoute struct {
	method, path, access, fields string
}

// jsonRoutes are the routes of the OpenAPI document that take a JSON body
// (not image bytes), in a fixed order; the imports (a GeoJSON grid layer, a
// holiday file) only check theirs (dry_run).
func jsonRoutes(t testing.TB, base string, fill *strings.Replacer) []jsonRoute {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]map[string]struct {
			Access string `json:"x-access"`
			Body   *struct {
				Description string `json:"description"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var out []jsonRoute
	for path, ops := range doc.Paths {
		for method, op := range ops {
			imports := method == "post" && (path == "/api/v1/admin/grids" || path == "/api/v1/admin/holidays")
			switch {
			case imports:
				out = append(out, jsonRoute{"POST", path + "?dry_run=true", op.Access, ""})
			case op.Body != nil && !strings.Contains(op.Body.Description, "bytes"):
				out = append(out, jsonRoute{strings.ToUpper(method), fill.Replace(path), op.Access, op.Body.Description})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].method+out[i].path < out[j].method+out[j].path })
	return out
}

// Every route's JSON decoder, called as the role it is for (the
// administrator, a dispatcher, or anyone): any body gets a 2xx or a 4xx,
// never a 500, and a refused body writes no case and no event. The rate
// limits are off: the fuzzer is one client.
func FuzzEveryJSONRoute(f *testing.F) {
	_, a := server(f)
	s := httptest.NewServer(web.New(a, web.WithLimits(web.Limits{})))
	f.Cleanup(s.Close)
	ctx := context.Background()
	cs, err := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	if err != nil || len(cs) == 0 {
		f.Fatal("no case to act on")
	}
	fill := strings.NewReplacer("{number}", cs[0].Number, "{action}", "dispatch", "{id}", "M90009", "{day}", "2026-12-30",
		"{username}", "dispatcher2")
	routes := jsonRoutes(f, s.URL, fill)
	if len(routes) < 12 || !strings.Contains(fmt.Sprint(routes), "/api/v1/admin/grids?dry_run=true") {
		f.Fatalf("only %d JSON routes: %v", len(routes), routes)
	}
	for i, r := range routes {
		all := map[string]any{}
		for _, m := range fieldRE.FindAllStringSubmatch(r.fields, -1) {
			all[m[1]] = "x"
		}
		b, _ := json.Marshal(all)
		for _, body := range []string{string(b), `{}`, `{"version": 1, "reason": "测试", "photos": ["` + strings.Repeat("0", 64) + `"]}`,
			`{"limits": [{"scope": "M06011", "amount": -1}]}`, `{"assignments": [{"unit": 1e308}], "deadline": "2026-13-40"}`,
			`[` + strings.Repeat("[", 1000), `{"a":` + strings.Repeat(`"\u0000"`, 3), "\xff\xfe{}", ``,
			`{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[1e308, 0]]]}, "properties": {}}]}`,
			`{"year": 2027, "days": [{"name": "元旦", "date": "2027-02-30", "isOffDay": true}]}`} {
			f.Add(uint8(i), body)
		}
	}
	admin, dispatcher := tokenOf(f, a, "admin"), tokenOf(f, a, "dispatcher1")
	counts := func() (n, e int64) {
		a.Store.DB().QueryRowContext(ctx, `SELECT count(*) FROM cases`).Scan(&n)
		a.Store.DB().QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&e)
		return
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		r := routes[int(which)%len(routes)]
		token := dispatcher
		switch r.access {
		case "admin":
			token = admin
		case "":
			token = ""
		}
		cases0, events0 := counts()
		code, out, _ := send(t, r.method, s.URL+r.path, token, strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
		if code >= 500 {
			t.Fatalf("%s %s %q: %d %.200s", r.method, r.path, body, code, out)
		}
		if code >= 400 {
			if cases1, events1 := counts(); cases1 != cases0 || events1 != events0 {
				t.Fatalf("%s %s %q refused with %d but wrote %d cases and %d events", r.method, r.path, body, code, cases1-cases0, events1-events0)
			}
		}
	})
}

func total[K comparable](m map[K]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}
