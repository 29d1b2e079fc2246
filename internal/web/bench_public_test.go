package web_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/web"
)

// BenchmarkPublicReads: the resident's map reads, one at a time over
// loopback without rate limits, on a demo of $XIUHUA_BENCH_CASES cases
// (default 20,000): the board's map of every open public problem, and a
// pin's place and nearby open problems at random points of the district.
func BenchmarkPublicReads(b *testing.B) {
	n := 20000
	if v := os.Getenv("XIUHUA_BENCH_CASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("XIUHUA_BENCH_CASES=%q: %v", v, err)
		}
	}
	_, a := serverWith(b, n)
	s := httptest.NewServer(web.New(a, web.WithLimits(web.Limits{})))
	b.Cleanup(s.Close)
	get := func(b *testing.B, url string) {
		resp, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %d", url, resp.StatusCode)
		}
	}
	b.Run("map", func(b *testing.B) {
		for b.Loop() {
			get(b, s.URL+"/api/v1/public/map")
		}
	})
	// The Atom feeds (#19): the board's, a street's, a 1 km circle's, a case's.
	cs, _ := a.Store.Cases(context.Background(), store.CaseFilter{State: caseflow.Closed, Limit: 1})
	for _, f := range []struct{ name, q string }{{"feed", ""}, {"feed-street", "?street=140213053"},
		{"feed-circle", "?lat=40.0900&lon=113.3000&r=1000"}} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				get(b, s.URL+"/feeds/board.atom"+f.q)
			}
		})
	}
	b.Run("feed-case", func(b *testing.B) {
		for b.Loop() {
			get(b, s.URL+"/feeds/cases/"+cs[0].Number+".atom")
		}
	})
	for _, cat := range []string{"", "&category=M06011"} {
		b.Run("nearby"+cat[min(len(cat), 1):], func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				get(b, fmt.Sprintf("%s/api/v1/public/nearby?lon=%.5f&lat=%.5f%s", s.URL, 113.26+r.Float64()*0.08, 40.06+r.Float64()*0.06, cat))
			}
		})
	}
}
