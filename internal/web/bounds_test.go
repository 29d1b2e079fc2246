package web_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/web"
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

// Staff writes and photo uploads are limited per account (and per network,
// ten times as many): over the limit a 429 with Retry-After names what was
// limited; another account, and reads, go on.
func TestStaffWritesAndUploadsAreLimited(t *testing.T) {
	_, a := server(t)
	s := httptest.NewServer(web.New(a, web.WithLimits(web.Limits{StaffWrites: 3, Uploads: 2})))
	defer s.Close()
	var pic bytes.Buffer
	png.Encode(&pic, image.NewGray(image.Rect(0, 0, 40, 30)))
	op, disp := tokenOf(t, a, "operator1"), tokenOf(t, a, "dispatcher1")
	upload := func(token string) (int, string, http.Header) {
		return send(t, "POST", s.URL+"/api/v1/photos", token, bytes.NewReader(pic.Bytes()), nil)
	}
	for i := range 2 {
		if code, body, _ := upload(op); code != 201 {
			t.Fatalf("upload %d: %d %s", i+1, code, body)
		}
	}
	if code, body, h := upload(op); code != 429 || h.Get("Retry-After") == "" || !strings.Contains(body, "photo uploads from this account") {
		t.Fatalf("third upload in a minute: %d %s (Retry-After %q)", code, body, h.Get("Retry-After"))
	}
	if code, body, _ := upload(disp); code != 201 {
		t.Fatalf("another account's upload: %d %s", code, body)
	}
	write := func(token string) (int, string) {
		code, body, _ := send(t, "POST", s.URL+"/api/v1/cases", token, strings.NewReader(`{"category": 1}`), nil)
		return code, body
	}
	for i := range 3 {
		if code, body := write(op); code != 400 {
			t.Fatalf("write %d: %d %s", i+1, code, body)
		}
	}
	if code, body := write(op); code != 429 || !strings.Contains(body, "writes from this account") {
		t.Fatalf("fourth write in a minute: %d %s", code, body)
	}
	if code, _, _ := getAs(t, s.URL+"/api/v1/cases?limit=1", op); code != 200 {
		t.Fatalf("a read after the writes: %d", code)
	}
	if code, body := write(disp); code != 400 {
		t.Fatalf("another account's write: %d %s", code, body)
	}
}
