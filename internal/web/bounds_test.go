package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/photos"
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

// Uploads no case names are deleted once older than the expiry, with their
// copies; a photo named by a report, and a fresh upload, stay.
func TestOrphanUploadsExpire(t *testing.T) {
	s, a := server(t)
	dir := a.Photos.(photos.Dir)
	upload := func(shade uint8) string {
		img := image.NewGray(image.Rect(0, 0, 40, 30))
		img.Pix[0] = shade
		var b bytes.Buffer
		png.Encode(&b, img)
		code, body, _ := send(t, "POST", s.URL+"/api/v1/public/photos", "", &b, nil)
		var p struct{ ID string }
		if code != 201 || json.Unmarshal([]byte(body), &p) != nil {
			t.Fatalf("upload: %d %s", code, body)
		}
		return p.ID
	}
	named, orphan := upload(1), upload(2)
	pt := a.Index().Units()[len(a.Index().Units())/2].Geometry.Bound().Center()
	body, _ := json.Marshal(map[string]any{"category": "M06010", "description": "楼下垃圾没人清", "lon": pt.Lon(), "lat": pt.Lat(),
		"photos": []string{named}})
	if code, out, _ := send(t, "POST", s.URL+"/api/v1/public/reports", "", bytes.NewReader(body), nil); code != 201 {
		t.Fatalf("report: %d %s", code, out)
	}
	old := time.Now().Add(-25 * time.Hour)
	filepath.WalkDir(string(dir), func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			os.Chtimes(p, old, old)
		}
		return nil
	})
	fresh := upload(3)
	n, err := dir.Expire(t.Context(), time.Time{}, time.Now().Add(-24*time.Hour), a.Store.PhotoInUse)
	if err != nil || n != 1 {
		t.Fatalf("expired %d photos, %v; want 1", n, err)
	}
	for id, want := range map[string]int{named: 200, fresh: 200, orphan: 404} {
		for _, q := range []string{"", "?thumb=1"} {
			if code, _, _ := getAs(t, s.URL+"/api/v1/photos/"+id+q, ""); code != want {
				t.Errorf("photo %s%s after the expiry: %d, want %d", id[:8], q, code, want)
			}
		}
	}
	if _, err := photos.Original(t.Context(), dir, orphan); err == nil {
		t.Error("the orphan's original is still there")
	}
}

// The board reads a bounded number of pages a request and its cursor walks
// the whole list once: no case twice, and no cursor at the end.
func TestBoardCursorWalksOnce(t *testing.T) {
	s, _ := server(t)
	for _, status := range []string{"open", "closed"} {
		seen, cursor, pages := map[string]bool{}, "", 0
		for {
			code, body, _ := getAs(t, s.URL+"/api/v1/public/board?status="+status+"&cursor="+cursor, "")
			var page struct {
				Cases      []struct{ Number string } `json:"cases"`
				NextCursor string                    `json:"next_cursor"`
			}
			if code != 200 || json.Unmarshal([]byte(body), &page) != nil {
				t.Fatalf("%s board: %d %.200s", status, code, body)
			}
			for _, c := range page.Cases {
				if seen[c.Number] {
					t.Fatalf("%s board: %s twice (page %d)", status, c.Number, pages+1)
				}
				seen[c.Number] = true
			}
			if pages++; page.NextCursor == "" || pages > 50 {
				break
			}
			cursor = page.NextCursor
		}
		if len(seen) == 0 || pages > 50 {
			t.Fatalf("%s board: %d cases in %d pages", status, len(seen), pages)
		}
		t.Logf("%s: %d cases in %d pages", status, len(seen), pages)
	}
}
