package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/hotline"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// BenchmarkKnowledgeSearch is the desk's knowledge search (GET
// /api/v1/knowledge?q=…, the store's scan and the ranking) over a
// knowledge base of $XIUHUA_BENCH_POINTS points (default 5,000, the size
// of a district hotline's base; the smoke run uses 500), on each engine.
// The case table plays no part in it: at 10,000,000 cases it costs the
// same. It reports the p95 of one search.
func BenchmarkKnowledgeSearch(b *testing.B) {
	n := 5000
	if v := os.Getenv("XIUHUA_BENCH_POINTS"); v != "" {
		n, _ = strconv.Atoi(v)
	} else if testing.Short() || os.Getenv("XIUHUA_BENCH_FULL") == "" {
		n = 500
	}
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			if d == store.Postgres && os.Getenv("XIUHUA_TEST_POSTGRES") == "" && os.Getenv("CI") == "" {
				b.Skip("no PostgreSQL")
			}
			ctx := context.Background()
			st := storetest.Open(b, d)
			rng := rand.New(rand.NewPCG(1, 2))
			words := []string{"早市", "夜市", "摆摊", "垃圾", "清运", "井盖", "路灯", "暖气", "供暖", "噪声", "施工", "停车", "单车", "广告", "树木", "积雪", "燃气", "食品", "办事", "时限"}
			at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			points := make([]hotline.Point, 0, n)
			for i := range n {
				w := func() string { return words[rng.IntN(len(words))] }
				points = append(points, hotline.Point{Category: []string{"城市管理", w()}, Title: fmt.Sprintf("%s和%s的办理（%d）", w(), w(), i),
					Content: fmt.Sprintf("关于%s的问题，按%s受理，派相关部门办理；涉及%s的，由属地街道协调。", w(), w(), w()),
					Issuer:  "平城区城市管理局", Kind: hotline.FAQ, Keywords: []string{w(), w()}, Scope: "平城区", From: "2026-01-01", UpdatedAt: at, UpdatedBy: "admin"})
			}
			for i := 0; i < len(points); i += 1000 {
				if err := st.SaveKnowledge(ctx, points[i:min(i+1000, len(points))]); err != nil {
					b.Fatal(err)
				}
			}
			a := &app.App{Store: st, Now: func() time.Time { return at }}
			queries := []string{"早市 摆摊", "垃圾", "暖气 不热", "井盖", "夜间 施工 噪声", "单车"}
			var took []time.Duration
			i := 0
			for b.Loop() {
				start := time.Now()
				if _, err := a.SearchKnowledge(ctx, queries[i%len(queries)], 5); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
				i++
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(n), "points")
		})
	}
}
