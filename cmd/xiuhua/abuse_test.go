package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/photos/photostest"
	"github.com/xiuhua/xiuhua/internal/store"
)

// The abuse suite: `xiuhua serve` on the demo (60,000 cases, as `xiuhua
// demo` builds it), behind a trusted proxy
// (loopback) so that X-Forwarded-For gives each simulated client its own
// address, takes floods of anonymous reports and photos from many
// networks, decompression bombs of every accepted format, a staff account
// uploading as fast as it can, and oversized and malformed bodies. Each
// answer is checked, the server stays up, nothing half-written remains
// (cases and events, photos and their copies, temporary files), and the
// process's peak resident memory (VmHWM, read from /proc) stays under
// 300 MB.
func TestAbuseSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("abuse suite: not in -short")
	}
	const peakLimitMB = 300
	bin := binary(t)
	data := t.TempDir()
	xiuhua(t, bin, "demo", "-no-serve", "-cases", "60000", "-data", data)
	out := xiuhua(t, bin, "token", "create", "-user", "operator1", "-name", "abuse", "-data", data)
	token := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	// The default rate limits ("" over serveOn's), the demo's data.
	srv, base := serveOn(t, bin, "-data", data, "-trusted-proxies", "127.0.0.1", "-rate-limits", "")
	pid := srv.Process.Pid
	st, err := store.Open(context.Background(), filepath.Join(data, "xiuhua.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	count := func() (cases, events int64) {
		st.DB().QueryRow(`SELECT count(*) FROM cases`).Scan(&cases)
		st.DB().QueryRow(`SELECT count(*) FROM events`).Scan(&events)
		return
	}
	client := &http.Client{Timeout: time.Minute}
	type answer struct {
		code       int
		body       string
		retryAfter string
	}
	call := func(method, path, from, auth, ct string, body []byte) answer {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		if from != "" {
			req.Header.Set("X-Forwarded-For", from)
		}
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := client.Do(req)
		if err != nil {
			return answer{code: -1, body: err.Error()}
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, string(b), resp.Header.Get("Retry-After")}
	}
	alive := func(phase string) {
		t.Helper()
		if a := call("GET", "/healthz", "", "", "", nil); a.code != 200 {
			t.Fatalf("after %s: /healthz %d %s", phase, a.code, a.body)
		}
		if err := srv.Process.Signal(syscall.Signal(0)); err != nil {
			t.Fatalf("after %s: the server process is gone: %v", phase, err)
		}
	}
	// parallel runs n calls on 16 clients and returns their answers.
	parallel := func(n int, f func(i int) answer) []answer {
		out := make([]answer, n)
		var wg sync.WaitGroup
		next := make(chan int)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					out[i] = f(i)
				}
			}()
		}
		for i := range n {
			next <- i
		}
		close(next)
		wg.Wait()
		return out
	}
	hwm := func() int {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			t.Fatalf("reading the server's memory: %v", err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
				kb, _ := strconv.Atoi(f[1])
				return kb / 1024
			}
		}
		t.Fatal("no VmHWM in /proc/PID/status")
		return 0
	}
	idle := hwm()

	// A point inside the jurisdiction and a public category.
	var list struct {
		Cases []struct{ Lon, Lat float64 } `json:"cases"`
	}
	if a := call("GET", "/api/v1/cases?limit=1", "", token, "", nil); a.code != 200 || json.Unmarshal([]byte(a.body), &list) != nil || len(list.Cases) == 0 {
		t.Fatalf("a case to report near: %d %.200s", a.code, a.body)
	}
	var cats struct {
		Categories []struct {
			ID string `json:"id"`
		} `json:"categories"`
	}
	if a := call("GET", "/api/v1/catalog?public=true", "", "", "", nil); a.code != 200 || json.Unmarshal([]byte(a.body), &cats) != nil || len(cats.Categories) == 0 {
		t.Fatalf("public categories: %d %.200s", a.code, a.body)
	}
	report, _ := json.Marshal(map[string]any{"category": cats.Categories[0].ID, "description": "楼下垃圾没人清", "lon": list.Cases[0].Lon, "lat": list.Cases[0].Lat,
		"name": "张三", "phone": "13900000000"})

	bombs := photostest.Bombs()

	t.Run("reports from many networks", func(t *testing.T) {
		// 40 networks send 13 reports each: 10 a minute are taken from
		// each, the rest are told when to come back; every case taken is
		// whole, and nothing else is written.
		const networks, each = 40, 13
		cases0, events0 := count()
		start := time.Now()
		got := parallel(networks*each, func(i int) answer {
			return call("POST", "/api/v1/public/reports", fmt.Sprintf("198.18.%d.%d", i%networks, 1+i/networks), "", "application/json", report)
		})
		refilled := int(time.Since(start) / (6 * time.Second)) // a token every 6 s comes back meanwhile
		created := map[int]int{}
		for i, a := range got {
			switch {
			case a.code == 201:
				created[i%networks]++
			case a.code == 429 && a.retryAfter != "" && strings.Contains(a.body, "your network"):
			default:
				t.Fatalf("report %d: %d %.200s", i, a.code, a.body)
			}
		}
		total := 0
		for n := range networks {
			if created[n] < 10 || created[n] > 10+refilled {
				t.Errorf("network %d: %d reports taken, want 10", n, created[n])
			}
			total += created[n]
		}
		cases1, events1 := count()
		if cases1-cases0 != int64(total) || events1-events0 != int64(total) {
			t.Fatalf("%d reports taken; %d cases and %d events written", total, cases1-cases0, events1-events0)
		}
		alive("the report flood")
	})

	t.Run("public reads from one network", func(t *testing.T) {
		// The home page counts and pages cases: 120 a minute from a
		// network, then 429; another network still reads.
		start := time.Now()
		got := parallel(150, func(i int) answer { return call("GET", "/", fmt.Sprintf("198.22.0.%d", 1+i), "", "", nil) })
		refilled := int(time.Since(start) / (500 * time.Millisecond))
		n := map[int]int{}
		for _, a := range got {
			n[a.code]++
		}
		if n[200] < 120 || n[200] > 120+refilled || n[200]+n[429] != 150 {
			t.Errorf("150 home pages from one network: %v, want 120 × 200 and the rest 429", n)
		}
		if a := call("GET", "/", "198.22.1.1", "", "", nil); a.code != 200 {
			t.Errorf("the home page from another network: %d", a.code)
		}
		alive("the reads")
	})

	demoPhotos := photoFiles(t, filepath.Join(data, "photos"))
	phone12 := photostest.Phone(4000, 3000, 1) // a 12 MP phone photo, about 7 MB

	t.Run("photos, bombs and oversize uploads", func(t *testing.T) {
		// 16 phone photos of 12 megapixels at once, each from its own
		// network, with every bomb, an 11 MB file and a cut-off JPEG: the
		// photos are taken or shed (503, Retry-After), the rest refused.
		phone := make([][]byte, 16)
		for i := range phone {
			phone[i] = photostest.Variant(phone12, i)
		}
		type upload struct {
			name string
			b    []byte
			want []int
		}
		var ups []upload
		for i, p := range phone {
			ups = append(ups, upload{fmt.Sprintf("phone photo %d", i), p, []int{201, 503}})
		}
		for _, b := range bombs {
			ups = append(ups, upload{b.Name, b.B, []int{413, 503}}) // refused, or shed before it is read
		}
		ups = append(ups, upload{"an 11 MB file", make([]byte, 11<<20), []int{413}},
			upload{"a cut-off JPEG", phone[0][:100_000], []int{415, 503}})
		got := parallel(len(ups), func(i int) answer {
			return call("POST", "/api/v1/public/photos", fmt.Sprintf("198.19.%d.9", i), "", "", ups[i].b)
		})
		var ids []string
		for i, a := range got {
			ok := false
			for _, w := range ups[i].want {
				ok = ok || a.code == w
			}
			if !ok || (a.code == 503 && a.retryAfter == "") {
				t.Errorf("%s: %d %.300s (Retry-After %q)", ups[i].name, a.code, a.body, a.retryAfter)
			}
			if a.code == 413 && !strings.Contains(a.body, `"too_large"`) {
				t.Errorf("%s: %s", ups[i].name, a.body)
			}
			var p struct{ ID string }
			if a.code == 201 && json.Unmarshal([]byte(a.body), &p) == nil {
				ids = append(ids, p.ID)
			}
		}
		if len(ids) < 4 {
			t.Fatalf("only %d of %d phone photos taken", len(ids), len(phone))
		}
		for _, id := range ids {
			for _, q := range []string{"", "?thumb=1"} {
				if a := call("GET", "/api/v1/photos/"+id+q, "", "", "", nil); a.code != 200 || !strings.HasPrefix(a.body, "\xff\xd8") {
					t.Errorf("photo %s%s: %d", id[:8], q, a.code)
				}
			}
		}
		// On disk: each new original has its copies, and no upload is
		// half-written (the demo has photos of its own).
		files := photoFiles(t, filepath.Join(data, "photos"))
		for id := range demoPhotos {
			delete(files, id)
		}
		if len(files) != len(ids) {
			t.Errorf("%d photos taken, %d new on disk", len(ids), len(files))
		}
		for id, n := range files {
			if n != 3 {
				t.Errorf("photo %s has %d of its 3 files", id[:8], n)
			}
		}
		t.Logf("%d of %d phone photos taken, the rest shed; peak so far %d MB", len(ids), len(phone), hwm())
		alive("the photo flood")
	})

	t.Run("slow uploads", func(t *testing.T) {
		// Eight clients announce 10 MB photos and send them a trickle at
		// a time: they hold connections and files, not the photo memory,
		// and a resident's photo meanwhile is taken.
		host := strings.TrimPrefix(base, "http://")
		for i := range 8 {
			c, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			fmt.Fprintf(c, "POST /api/v1/public/photos HTTP/1.1\r\nHost: %s\r\nX-Forwarded-For: 198.23.%d.1\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", host, i, 10_000_000)
			c.Write(photostest.Phone(64, 48, uint64(i))[:200])
		}
		time.Sleep(500 * time.Millisecond) // the server is reading them
		if a := call("POST", "/api/v1/public/photos", "198.23.100.1", "", "", photostest.Variant(phone12, 99)); a.code != 201 {
			t.Fatalf("a photo while eight uploads trickle in: %d %.300s", a.code, a.body)
		}
		alive("the slow uploads")
	})

	t.Run("bombs one by one", func(t *testing.T) {
		// Not shed this time: each is refused from its header, at once.
		for i, b := range bombs {
			if a := call("POST", "/api/v1/public/photos", fmt.Sprintf("198.21.%d.9", i), "", "", b.B); a.code != 413 || !strings.Contains(a.body, "too large to decode") {
				t.Errorf("%s: %d %.300s", b.Name, a.code, a.body)
			}
		}
		alive("the bombs")
	})

	t.Run("a staff account uploading", func(t *testing.T) {
		// 40 small photos from one account: 30 a minute are taken.
		start := time.Now()
		got := parallel(40, func(i int) answer {
			var b bytes.Buffer
			img := image.NewGray(image.Rect(0, 0, 64, 48))
			img.Pix[0] = byte(i)
			png.Encode(&b, img)
			return call("POST", "/api/v1/photos", "", token, "", b.Bytes())
		})
		n := map[int]int{}
		for _, a := range got {
			n[a.code]++
			if a.code == 429 && (a.retryAfter == "" || !strings.Contains(a.body, "photo uploads from this account")) {
				t.Errorf("429 without Retry-After or reason: %s", a.body)
			}
		}
		refilled := int(time.Since(start) / (2 * time.Second)) // a token every 2 s comes back meanwhile
		if n[201] < 30 || n[201] > 30+refilled || n[201]+n[429] != 40 {
			t.Errorf("40 uploads from one account: %v, want 30 × 201 and 10 × 429", n)
		}
		alive("the staff uploads")
	})

	t.Run("oversized and malformed bodies", func(t *testing.T) {
		cases0, events0 := count()
		for i, b := range []struct {
			body string
			want int
		}{
			{`{"description": "` + strings.Repeat("大", 1<<20) + `"}`, 413},
			{`{"category": "M06011", "lon":`, 400},
			{`[` + strings.Repeat(`[`, 100_000), 400},
			{strings.Repeat(`{"a":`, 20_000), 400},
			{`{"photos": [` + strings.Repeat(`"x",`, 10_000) + `"x"]}`, 400},
		} {
			if a := call("POST", "/api/v1/public/reports", fmt.Sprintf("198.20.%d.1", i), "", "application/json", []byte(b.body)); a.code != b.want {
				t.Errorf("body %d (%d bytes): %d %.200s, want %d", i, len(b.body), a.code, a.body, b.want)
			}
		}
		ids := strings.Repeat("1,", 5000)
		if a := call("GET", "/open311/v2/requests.json?service_request_id="+ids, "198.20.99.1", "", "", nil); a.code != 400 || !strings.Contains(a.body, "service_request_id") {
			t.Errorf("5,000 Open311 ids: %d %.200s", a.code, a.body)
		}
		if cases1, events1 := count(); cases1 != cases0 || events1 != events0 {
			t.Errorf("refused bodies wrote %d cases and %d events", cases1-cases0, events1-events0)
		}
		alive("the bad bodies")
	})

	peak := hwm()
	t.Logf("server peak resident memory: %d MB idle, %d MB after the floods (limit %d MB)", idle, peak, peakLimitMB)
	if peak >= peakLimitMB {
		t.Fatalf("peak resident memory %d MB, want under %d MB", peak, peakLimitMB)
	}
	// And it still shuts down cleanly.
	srv.Process.Signal(syscall.SIGINT)
	if err := srv.Wait(); err != nil {
		t.Fatalf("shutdown after the floods: %v", err)
	}
}

// photoFiles counts the files of each photo (original, public copy,
// thumbnail) under a photos directory, failing on a temporary file left.
func photoFiles(t *testing.T, dir string) map[string]int {
	t.Helper()
	files := map[string]int{}
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		if strings.HasPrefix(e.Name(), ".up-") {
			t.Errorf("a temporary file is left: %s", p)
		}
		if rel, _ := filepath.Rel(dir, p); strings.Count(rel, string(filepath.Separator)) == 2 { // original|public|thumb/ab/ID
			files[strings.TrimSuffix(e.Name(), ".jpg")]++
		}
		return nil
	})
	return files
}
