package web_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/xiuhua/xiuhua/internal/web"
)

// BenchmarkReads: one request at a time over loopback, signed in with a
// token, on a demo of $XIUHUA_BENCH_CASES cases (default 20,000): a
// street's newest 50 cases, and 500 m map boxes of every case and of open
// cases, with the read cache off (every request worked out) and on (the
// same list again: a hit; map boxes at random: misses).
func BenchmarkReads(b *testing.B) {
	n := 20000
	if v := os.Getenv("XIUHUA_BENCH_CASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("XIUHUA_BENCH_CASES=%q: %v", v, err)
		}
	}
	cached, a := serverWith(b, n)
	plain := httptest.NewServer(web.New(a, web.WithReadCache(false)))
	b.Cleanup(plain.Close)
	token := tokenOf(b, a, "dispatcher1")
	client := &http.Client{}
	get := func(b *testing.B, url string) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %d", url, resp.StatusCode)
		}
	}
	box := func(r *rand.Rand, state string) string {
		lon, lat := 113.26+r.Float64()*0.08, 40.06+r.Float64()*0.06
		return fmt.Sprintf("/api/v1/map?state=%s&limit=2000&bbox=%.5f,%.5f,%.5f,%.5f", state, lon, lat, lon+0.005, lat+0.005)
	}
	for _, srv := range []struct {
		name string
		url  string
	}{{"uncached", plain.URL}, {"cached", cached.URL}} {
		b.Run(srv.name+"/list-street", func(b *testing.B) {
			for b.Loop() {
				get(b, srv.url+"/api/v1/cases?limit=50&street=140213001")
			}
		})
		for _, state := range []string{"all", "open"} {
			b.Run(srv.name+"/map-"+state, func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				for b.Loop() {
					get(b, srv.url+box(r, state))
				}
			})
		}
	}
}
