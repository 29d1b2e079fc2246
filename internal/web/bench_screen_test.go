package web_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkScreenRefresh: one refresh of the command display — every
// request /screen makes each 30 s, GET /api/v1/dashboard with 环比 and the
// stages alone with 同比, sent at once as the page sends them, with a screen token — over
// loopback. Each refresh's time is kept and the p50 and p95 reported, the
// figures BENCHMARKS.md has. The database is $XIUHUA_BENCH_DB (a demo
// built with `xiuhua demo -cases N -no-serve`, a SQLite file or a
// postgres:// URL), or the 20,000-case test demo for the CI smoke run.
func BenchmarkScreenRefresh(b *testing.B) {
	s, a := benchServer(b, 20000)
	token, _, err := a.CreateScopedToken(context.Background(), "admin", "bench wall", "screen")
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{}
	get := func(q string) {
		req, _ := http.NewRequest("GET", s.URL+"/api/v1/dashboard?"+q, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			b.Error(err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Errorf("dashboard %s: %d", q, resp.StatusCode)
		}
	}
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		var wg sync.WaitGroup
		for _, q := range []string{"compare=mom&top=10", "compare=yoy&only=stages"} {
			wg.Go(func() { get(q) })
		}
		wg.Wait()
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	pct := func(p float64) float64 { return float64(took[int(p*float64(len(took)-1))]) / 1e6 }
	b.ReportMetric(pct(0.5), "ms-p50")
	b.ReportMetric(pct(0.95), "ms-p95")
}
