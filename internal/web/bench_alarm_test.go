package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/alarm"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// BenchmarkAlarmIntake pushes alarms at 100 a second, one alarm a push,
// from 200 cameras through the real handler over loopback, for
// $XIUHUA_BENCH_SECONDS (default 20) on each engine, and reports the
// latency percentiles of the pushes: half are parking alarms that file a
// case or repeat it, half vending alarms that queue as 疑似 or repeat, a
// tenth below the threshold. No snapshots (a snapshot's decoding is the
// photos package's, measured there).
func BenchmarkAlarmIntake(b *testing.B) {
	secs := 20
	if v := os.Getenv("XIUHUA_BENCH_SECONDS"); v != "" {
		fmt.Sscan(v, &secs)
	}
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			s, a := alarmServer(b, d)
			ctx := context.Background()
			cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
			pt := cs[0].Point
			for i := range 200 {
				dv := &alarm.Device{Source: "bench", Code: fmt.Sprintf("B%03d", i), Name: fmt.Sprintf("摄像头 %d", i), Kind: alarm.Video,
					Point: alarm.Point{Lon: pt.Lon, Lat: pt.Lat}, Threshold: 0.5, Active: true,
					Raises: []alarm.Raise{{Category: "M09009", Events: []string{"illegal_parking"}, Auto: true},
						{Category: "M09006", Events: []string{"street_vending"}}}}
				if err := a.SaveDevice(ctx, dv); err != nil {
					b.Fatal(err)
				}
			}
			token, _, err := a.CreateScopedToken(ctx, "admin", "bench", "alarms")
			if err != nil {
				b.Fatal(err)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			rng := rand.New(rand.NewPCG(1, 2))
			seq := 0
			for b.Loop() {
				var mu sync.Mutex
				var lat []time.Duration
				var wg sync.WaitGroup
				failed := 0
				tick := time.NewTicker(10 * time.Millisecond)
				n := secs * 100
				for range n {
					<-tick.C
					seq++
					event := "illegal_parking"
					if rng.IntN(2) == 1 {
						event = "street_vending"
					}
					conf := 0.9
					if rng.IntN(10) == 0 {
						conf = 0.3
					}
					body, _ := json.Marshal(map[string]any{"source": "bench", "device": fmt.Sprintf("B%03d", rng.IntN(200)), "event_id": fmt.Sprint("x", seq),
						"event_type": event, "confidence": conf, "at": a.Now().Format(time.RFC3339)})
					wg.Add(1)
					go func() {
						defer wg.Done()
						req, _ := http.NewRequest("POST", s.URL+"/api/v1/alarms", strings.NewReader(string(body)))
						req.Header.Set("Authorization", "Bearer "+token)
						req.Header.Set("Content-Type", "application/json")
						start := time.Now()
						resp, err := client.Do(req)
						d := time.Since(start)
						mu.Lock()
						defer mu.Unlock()
						if err != nil || resp.StatusCode != 200 {
							failed++
						}
						if resp != nil {
							resp.Body.Close()
						}
						lat = append(lat, d)
					}()
				}
				tick.Stop()
				wg.Wait()
				slices.Sort(lat)
				pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
				b.ReportMetric(pct(0.5), "ms-p50")
				b.ReportMetric(pct(0.95), "ms-p95")
				b.ReportMetric(pct(0.99), "ms-p99")
				b.ReportMetric(float64(failed), "failed")
			}
		})
	}
}
