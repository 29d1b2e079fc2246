package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A long Open311 id list is a 400 naming the field (it used to be a 500
// that broke the next shutdown); a list at the bound still answers.
func TestOpen311ListsAreBounded(t *testing.T) {
	s, _ := server(t)
	ids := func(n int) string {
		l := make([]string, n)
		for i := range l {
			l[i] = fmt.Sprintf("20261120%04d", i)
		}
		return strings.Join(l, ",")
	}
	for _, tt := range []struct {
		query string
		code  int
	}{
		{"service_request_id=" + ids(100), http.StatusOK},
		{"service_request_id=" + ids(101), http.StatusBadRequest},
		{"service_request_id=" + ids(40_000), http.StatusBadRequest},
		{"service_code=" + ids(101), http.StatusBadRequest},
	} {
		code, body, _ := getAs(t, s.URL+"/open311/v2/requests.json?"+tt.query, "")
		field, _, _ := strings.Cut(tt.query, "=")
		if code != tt.code || (code == 400 && !strings.Contains(body, field+": at most 100")) {
			t.Errorf("%s (%d bytes): %d %.200s", field, len(tt.query), code, body)
		}
	}
}
