package main

import (
	"bufio"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// Crash safety: `xiuhua serve` is driven by the load generator (xiuhua
// load -mode loop: create, register, dispatch) and killed with SIGKILL at
// random moments, 20 times, then restarted. Every write the load generator
// saw acknowledged must be there, every case must be whole (its last event
// names its state, a dispatched case has its tasks), and the outbox must
// still deliver every message to a webhook. On SQLite and on PostgreSQL.

func TestCrashSafetySQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: not in -short")
	}
	data := t.TempDir()
	crashTest(t, []string{"-data", data}, func() string { return filepath.Join(data, "xiuhua.db") })
}

func TestCrashSafetyPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: not in -short")
	}
	db := storetest.PostgresURL(t)
	crashTest(t, []string{"-db", db, "-data", t.TempDir()}, func() string { return db })
}

var runningAt = regexp.MustCompile(`running at (http://[^\s/]+)`)

// serveOn starts `xiuhua serve` with args and returns it with its URL.
// Staff writes are not rate-limited: the load generator writes from one
// account far faster than a person does.
func serveOn(t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "-addr", "127.0.0.1:0", "-watch-every", "100ms", "-watch-lease", "2s",
		"-rate-limits", "staff-writes=0"}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	kill := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	defer kill.Stop()
	for sc.Scan() {
		if m := runningAt.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stdout)
			return cmd, strings.TrimSuffix(m[1], "/")
		}
	}
	t.Fatal("serve did not start")
	return nil, ""
}

func xiuhua(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("xiuhua %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func crashTest(t *testing.T, where []string, dsn func() string) {
	bin := binary(t)
	xiuhua(t, bin, append([]string{"demo", "-no-serve", "-cases", "300"}, where...)...)
	out := xiuhua(t, bin, append([]string{"token", "create", "-user", "dispatcher1", "-name", "crash"}, where...)...)
	token := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])

	// A webhook receiver that counts distinct messages.
	var mu sync.Mutex
	seen := map[string]bool{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		seen[r.Header.Get("X-Xiuhua-Message")] = true
		mu.Unlock()
	}))
	defer recv.Close()
	xiuhua(t, bin, append([]string{"webhook", "add", "-url", recv.URL, "-topics", "case.*"}, where...)...)

	acks := filepath.Join(t.TempDir(), "acks.txt")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	const kills = 20
	for i := range kills {
		srv, url := serveOn(t, bin, where...)
		up := time.Duration(300+rng.IntN(1200)) * time.Millisecond
		load := exec.Command(bin, "load", "-mode", "loop", "-url", url, "-token", token, "-clients", "8",
			"-for", (up + 300*time.Millisecond).String(), "-acks", acks)
		load.Stdout, load.Stderr = io.Discard, io.Discard
		if err := load.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(up)
		srv.Process.Signal(syscall.SIGKILL)
		srv.Wait()
		if err := load.Wait(); err != nil {
			t.Fatalf("kill %d: the load generator failed: %v", i+1, err)
		}
	}

	// Restart once more and check.
	srv, _ := serveOn(t, bin, where...)
	defer func() { srv.Process.Signal(syscall.SIGINT); srv.Wait() }()
	cases, steps, lost, got := checkAfter(t, dsn(), acks, func() int { mu.Lock(); defer mu.Unlock(); return len(seen) })
	t.Logf("%d kills: %d cases and %d transitions acknowledged, %d lost; %d webhook messages delivered", kills, cases, steps, lost, got)
}

// checkAfter checks a store after load: every acknowledged write in the
// acks file is there, every case is whole, and every case message reached
// the webhook (seen counts the distinct messages it received).
func checkAfter(t *testing.T, dsn, acks string, seen func() int) (cases, steps, lost, got int) {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := st.DB()
	f, err := os.Open(acks)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 2 && fields[0] == "case":
			cases++
			var n int
			db.QueryRow(`SELECT count(*) FROM cases WHERE number = $1`, fields[1]).Scan(&n)
			if n != 1 {
				lost++
				t.Errorf("acknowledged case %s: %d rows", fields[1], n)
			}
		case len(fields) == 3:
			steps++
			v, _ := strconv.Atoi(fields[2])
			var version, n int
			db.QueryRow(`SELECT version FROM cases WHERE number = $1`, fields[1]).Scan(&version)
			db.QueryRow(`SELECT count(*) FROM events e JOIN cases c ON c.id = e.case_id WHERE c.number = $1 AND e.action = $2`, fields[1], fields[0]).Scan(&n)
			if version < v || n != 1 {
				lost++
				t.Errorf("acknowledged %s of %s at version %d: case at version %d, %d such events", fields[0], fields[1], v, version, n)
			}
		default:
			t.Errorf("acks file: torn line %q", sc.Text())
		}
	}
	if cases < 10 || steps < 10 {
		t.Fatalf("only %d cases and %d steps acknowledged: the load did not run", cases, steps)
	}
	for what, q := range map[string]string{
		"cases without events": `SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.case_id = c.id)`,
		"cases whose last event names another state": `SELECT count(*) FROM cases c JOIN events e ON e.case_id = c.id
			WHERE e.seq = (SELECT max(seq) FROM events x WHERE x.case_id = c.id) AND e.to_state <> c.state`,
		"dispatched cases without a task": `SELECT count(*) FROM cases c WHERE c.state = 'dispatched' AND NOT EXISTS (SELECT 1 FROM tasks k WHERE k.case_id = c.id)`,
		"events out of sequence":          `SELECT count(*) FROM cases c WHERE (SELECT max(seq) FROM events e WHERE e.case_id = c.id) <> (SELECT count(*) FROM events e WHERE e.case_id = c.id)`,
	} {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n != 0 {
			t.Errorf("%d %s", n, what)
		}
	}
	// The outbox still delivers: every message reaches the webhook. How
	// long that takes depends on how much the load wrote. Delivery may
	// pause while a killed instance's claims run out (40 s: the webhook
	// client's 10 s timeout and 30 s, see watch.Deliverer), but not much
	// longer: the servers poll every 100 ms.
	var pending, delivered, outbox int
	last, progress := -1, time.Now()
	const stall = 40*time.Second + 20*time.Second // claims lapse, and slack for a busy machine
	for {
		db.QueryRow(`SELECT count(*) FROM outbox WHERE topic LIKE 'case.%'`).Scan(&outbox)
		db.QueryRow(`SELECT count(*) FROM deliveries WHERE state <> $1`, store.DeliveryDone).Scan(&pending)
		db.QueryRow(`SELECT count(*) FROM deliveries WHERE state = $1`, store.DeliveryDone).Scan(&delivered)
		if pending == 0 && delivered == outbox {
			break
		}
		if delivered != last {
			last, progress = delivered, time.Now()
		}
		if time.Since(progress) > stall {
			t.Fatalf("outbox: %d case messages, %d delivered, %d pending, and no delivery for %s", outbox, delivered, pending, stall)
		}
		time.Sleep(100 * time.Millisecond)
	}
	got = seen()
	if got != outbox {
		t.Errorf("the webhook saw %d distinct messages of %d", got, outbox)
	}
	return cases, steps, lost, got
}

// Three `xiuhua serve` processes share one PostgreSQL; the load generator
// sends its create → register → dispatch loops round-robin to all three,
// and one instance is killed half-way. Every acknowledged write is there,
// every case whole, and the survivors deliver every webhook message.
func TestThreeServersRoundRobin(t *testing.T) {
	if testing.Short() {
		t.Skip("not in -short")
	}
	db := storetest.PostgresURL(t)
	where := []string{"-db", db, "-data", t.TempDir()}
	bin := binary(t)
	xiuhua(t, bin, append([]string{"demo", "-no-serve", "-cases", "300"}, where...)...)
	out := xiuhua(t, bin, append([]string{"token", "create", "-user", "dispatcher1", "-name", "rr"}, where...)...)
	token := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	var mu sync.Mutex
	seen := map[string]int{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		seen[r.Header.Get("X-Xiuhua-Message")]++
		mu.Unlock()
	}))
	defer recv.Close()
	xiuhua(t, bin, append([]string{"webhook", "add", "-url", recv.URL, "-topics", "case.*"}, where...)...)
	var urls []string
	var srvs []*exec.Cmd
	for range 3 {
		srv, url := serveOn(t, bin, where...)
		srvs, urls = append(srvs, srv), append(urls, url)
	}
	acks := filepath.Join(t.TempDir(), "acks.txt")
	load := exec.Command(bin, "load", "-mode", "loop", "-url", strings.Join(urls, ","), "-token", token, "-clients", "12", "-for", "4s", "-acks", acks)
	var loadOut strings.Builder
	load.Stdout, load.Stderr = &loadOut, &loadOut
	if err := load.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	srvs[0].Process.Signal(syscall.SIGKILL)
	srvs[0].Wait()
	if err := load.Wait(); err != nil {
		t.Fatalf("load: %v\n%s", err, loadOut.String())
	}
	cases, steps, lost, got := checkAfter(t, db, acks, func() int { mu.Lock(); defer mu.Unlock(); return len(seen) })
	mu.Lock()
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	mu.Unlock()
	t.Logf("3 instances, one killed: %d cases and %d transitions acknowledged, %d lost; %d messages delivered, %d delivered twice\n%s",
		cases, steps, lost, got, dups, loadOut.String())
	for _, srv := range srvs[1:] {
		srv.Process.Signal(syscall.SIGINT)
		if err := srv.Wait(); err != nil {
			t.Errorf("an instance did not stop cleanly: %v", err)
		}
	}
}
