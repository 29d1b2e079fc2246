package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runLoad is the load generator: it drives a running server over HTTP
// (loopback only) and prints throughput and latency percentiles.
//
//	xiuhua load -url http://127.0.0.1:8080 -token T -mode create -rate 500 -for 30s
//	xiuhua load -url … -token T -mode read -clients 64 -for 30s
//	xiuhua load -url http://127.0.0.1:8081,http://127.0.0.1:8082 -token T -mode loop -acks acks.txt
//
// Several URLs are used round-robin. Mode loop files a case, registers it
// and dispatches it by the table, as the dispatcher whose token it has;
// -acks appends every acknowledged write to a file, one line each
// ("case NUMBER", "register NUMBER VERSION", "dispatch NUMBER VERSION"),
// written before the next request so a crash test can check that nothing
// acknowledged was lost.
func runLoad(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "server URL (loopback only); several, comma-separated, are used round-robin")
	token := fs.String("token", "", "API token (xiuhua token create -user dispatcher1 -name load)")
	mapState := fs.String("map", "all", "read: map boxes of every case (all) or of open cases (open), as the command centre shows by default")
	mode := fs.String("mode", "read", "create (POST /api/v1/cases at -rate), call (a hotline intake with request type and caller at -rate, as an operator's token), read (case lists and map boxes from -clients) or loop (create, register, dispatch)")
	acks := fs.String("acks", "", "append every acknowledged write to this file (mode create or loop)")
	rate := fs.Int("rate", 0, "create: requests a second (0: as fast as -clients allow)")
	clients := fs.Int("clients", 64, "concurrent clients")
	dur := fs.Duration("for", 30*time.Second, "how long")
	bbox := fs.String("bbox", "113.20,39.95,113.45,40.20", "where to place reports and map boxes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bases := strings.Split(*base, ",")
	for _, b := range bases {
		u, err := url.Parse(b)
		if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "::1") {
			return fmt.Errorf("load: -url must be loopback addresses, not %q", b)
		}
	}
	*base = bases[0]
	var next atomic.Uint64
	pick := func() string { return bases[next.Add(1)%uint64(len(bases))] }
	if *token == "" {
		return fmt.Errorf("load: -token is required")
	}
	switch *mode {
	case "create", "call", "read", "loop":
	default:
		return fmt.Errorf("load: -mode must be create, call, read or loop, not %q", *mode)
	}
	var ackMu sync.Mutex
	var ackFile *os.File
	if *acks != "" {
		f, err := os.OpenFile(*acks, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("load: -acks: %w", err)
		}
		defer f.Close()
		ackFile = f
	}
	ack := func(line string) {
		if ackFile == nil {
			return
		}
		ackMu.Lock()
		ackFile.WriteString(line + "\n") // unbuffered: on disk before the next request
		ackMu.Unlock()
	}
	var b [4]float64
	if _, err := fmt.Sscanf(*bbox, "%f,%f,%f,%f", &b[0], &b[1], &b[2], &b[3]); err != nil {
		return fmt.Errorf("load: -bbox: %w", err)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *clients * 2}}
	// Reports go where cases already are (inside the jurisdiction): the
	// points of existing cases, or the centres of their unit grids where a
	// box holds many, fetched once over 8 × 8 boxes (a larger box is
	// counted per grid: too few places, all duplicates of each other).
	var points [][2]float64
	for i := range 64 {
		w, h := (b[2]-b[0])/8, (b[3]-b[1])/8
		x0, y0 := b[0]+float64(i%8)*w, b[1]+float64(i/8)*h
		req, err := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/map?state=all&limit=5000&bbox=%f,%f,%f,%f", *base, x0, y0, x0+w, y0+h), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+*token)
		resp, err := client.Do(req)
		if err != nil {
			break // the server is gone (the crash tests kill it): random points, and the failures counted below
		}
		var m struct {
			Points []struct {
				Lon float64 `json:"lon"`
				Lat float64 `json:"lat"`
			} `json:"points"`
			Clusters []struct {
				Lon      float64 `json:"lon"`
				Lat      float64 `json:"lat"`
				UnitGrid string  `json:"unit_grid"`
			} `json:"clusters"`
		}
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		for _, p := range m.Points {
			points = append(points, [2]float64{p.Lon, p.Lat})
		}
		for _, p := range m.Clusters {
			if p.UnitGrid != "" {
				points = append(points, [2]float64{p.Lon, p.Lat})
			}
		}
	}
	var mu sync.Mutex
	var lat []time.Duration
	var ok, failed, refused atomic.Int64
	codes := map[int]int{}
	record := func(d time.Duration, code int) {
		mu.Lock()
		lat = append(lat, d)
		codes[code]++
		mu.Unlock()
		switch {
		case code >= 200 && code < 300:
			ok.Add(1)
		case code == 0 || code >= 500:
			failed.Add(1)
		default:
			refused.Add(1)
		}
	}
	do := func(rng *rand.Rand) {
		var req *http.Request
		lon, latv := b[0]+rng.Float64()*(b[2]-b[0]), b[1]+rng.Float64()*(b[3]-b[1])
		if len(points) > 0 && *mode != "read" {
			p := points[rng.IntN(len(points))]
			lon, latv = p[0], p[1]
		}
		send := func(method, path string, body any) (int, []byte) {
			var r io.Reader
			if body != nil {
				j, _ := json.Marshal(body)
				r = bytes.NewReader(j)
			}
			req, _ = http.NewRequest(method, pick()+path, r)
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set("Authorization", "Bearer "+*token)
			start := time.Now()
			resp, err := client.Do(req)
			code := 0
			var out []byte
			if err == nil {
				out, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				code = resp.StatusCode
			}
			record(time.Since(start), code)
			return code, out
		}
		switch *mode {
		case "create", "call", "loop":
			body := map[string]any{"category": "M06011", "description": "负载测试：路边垃圾堆积", "lon": lon, "lat": latv}
			if *mode == "call" { // the hotline desk: a caller from a pool of numbers, so some call again
				body["request_type"] = "complaint"
				body["caller"] = map[string]any{"name": "负载测试", "phone": fmt.Sprintf("139%08d", rng.IntN(20000)), "callback": true}
			}
			code, out := send("POST", "/api/v1/cases", body)
			var c struct {
				Number  string `json:"number"`
				Version int    `json:"version"`
			}
			if code != 201 || json.Unmarshal(out, &c) != nil {
				return
			}
			ack("case " + c.Number)
			if *mode != "loop" {
				return
			}
			for _, step := range []struct {
				action string
				body   map[string]any
			}{{"register", map[string]any{}}, {"dispatch", map[string]any{"auto": true}}} {
				step.body["version"] = c.Version
				code, out := send("POST", "/api/v1/cases/"+c.Number+"/actions/"+step.action, step.body)
				if code != 200 || json.Unmarshal(out, &c) != nil {
					return
				}
				ack(fmt.Sprintf("%s %s %d", step.action, c.Number, c.Version))
			}
		default:
			switch rng.IntN(4) {
			case 0: // the command centre's queue tabs, as the UI asks for them
				send("GET", "/api/v1/cases?"+centreTabs[rng.IntN(len(centreTabs))]+"limit=100", nil)
			case 1: // a street's cases
				send("GET", "/api/v1/cases?limit=50&street="+streets[rng.IntN(len(streets))], nil)
			default:
				send("GET", fmt.Sprintf("/api/v1/map?state=%s&limit=2000&bbox=%.5f,%.5f,%.5f,%.5f", *mapState, lon, latv, lon+0.005, latv+0.005), nil)
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *dur)
	defer cancel()
	work := make(chan struct{}, *clients)
	var wg sync.WaitGroup
	for i := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for range work {
				do(rng)
			}
		}()
	}
	start := time.Now()
	if *rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(*rate))
	loop:
		for {
			select {
			case <-ctx.Done():
				break loop
			case <-t.C:
				select {
				case work <- struct{}{}:
				default: // every client busy: the server is behind; count it as a miss
					record(0, -1)
				}
			}
		}
		t.Stop()
	} else {
	fill:
		for {
			select {
			case <-ctx.Done():
				break fill
			case work <- struct{}{}:
			}
		}
	}
	close(work)
	wg.Wait()
	took := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	fmt.Printf("mode %s, %d clients, rate %d/s, %s\n", *mode, *clients, *rate, took.Round(time.Millisecond))
	fmt.Printf("requests %d: ok %d, refused %d, failed %d; %.0f ok/s\n", len(lat), ok.Load(), refused.Load(), failed.Load(),
		float64(ok.Load())/took.Seconds())
	fmt.Printf("latency p50 %s, p95 %s, p99 %s, max %s\n", pct(0.5).Round(time.Microsecond), pct(0.95).Round(time.Microsecond),
		pct(0.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	var cs []string
	for c, n := range codes {
		cs = append(cs, fmt.Sprintf("%d×%d", c, n))
	}
	slices.Sort(cs)
	fmt.Printf("status codes: %s (-1: not sent, all clients busy)\n", strings.Join(cs, " "))
	return nil
}

// centreTabs are the command centre's queue tabs (internal/web/ui/centre.js).
var centreTabs = []string{"state=reported&", "state=registered&", "state=pending_close&", "state=in_progress&", "overdue=true&", ""}

// streets are Pingcheng's street codes, for list queries.
var streets = []string{"140213050", "140213051", "140213052", "140213053", "140213054", "140213055", "140213056", "140213057",
	"140213058", "140213059", "140213060", "140213061", "140213062", "140213063", "140213064", "140213065", "140213066", "140213067"}
