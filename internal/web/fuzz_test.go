package web_test

import (
	"net/http"
	"strings"
	"testing"
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

func total[K comparable](m map[K]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}
