package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("xiuhua %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "xiuhua.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// fingerprint is what a restored system must hold: the counts, every
// event, and a month's evaluation of the streets.
func fingerprint(t *testing.T, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	sum, err := st.Summarize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	rows, err := st.DB().Query(`SELECT case_id, seq, action, to_state, at, data FROM events ORDER BY case_id, seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c, seq, at int64
		var a, s, d string
		rows.Scan(&c, &seq, &a, &s, &at, &d)
		fmt.Fprintln(h, c, seq, a, s, at, d)
	}
	rows.Close()
	a, err := app.New(ctx, st, app.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := app.ParsePeriod("2026-10")
	e, err := a.Evaluate(ctx, ledger.ByStreet, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := json.Marshal(e.Rows)
	return fmt.Sprintf("%+v events %x evaluation %x", sum, h.Sum(nil), sha256.Sum256(ev))
}

// A backup taken while a server runs and another writer changes cases is
// consistent; restored, it is the same system: counts, every event,
// evaluation figures and photos.
func TestBackupAndRestore(t *testing.T) {
	bin := binary(t)
	a := t.TempDir()
	run(t, bin, "demo", "-cases", "500", "-no-serve", "-data", a)
	os.MkdirAll(filepath.Join(a, "photos", "2026"), 0o750)
	os.WriteFile(filepath.Join(a, "photos", "2026", "after.jpg"), []byte("\xff\xd8\xff photo"), 0o640)

	srv := startServeSQLite(t, bin, a)
	// Another writer keeps transitioning cases during the backup.
	st := openStore(t, a)
	ctx := context.Background()
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writes atomic.Int64
	policy := mustPolicy(t, st)
	cs, _ := st.Cases(ctx, store.CaseFilter{State: caseflow.Dispatched, Limit: 200})
	if len(cs) == 0 {
		t.Fatal("no dispatched case to write to")
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			c := cs[i%len(cs)]
			// Reminders are overlays: the old version stays valid.
			cmd := caseflow.Command{Action: caseflow.ActRemind, Actor: caseflow.Actor{Role: caseflow.Leader}, At: time.Now(),
				ExpectedVersion: c.Version, Note: "请加快处置"}
			if _, _, err := st.Transition(ctx, c.ID, cmd, policy); err == nil {
				writes.Add(1)
			}
		}
	}()
	time.Sleep(200 * time.Millisecond) // writes are under way
	online := filepath.Join(t.TempDir(), "online")
	out := run(t, bin, "backup", "-o", online, "-data", a)
	stop.Store(true)
	wg.Wait()
	srv.Process.Signal(os.Interrupt)
	srv.Wait()
	if !strings.Contains(out, "backed up") {
		t.Fatalf("backup said %s", out)
	}
	// The online copy is consistent: every case has exactly its history.
	c1 := t.TempDir()
	run(t, bin, "restore", online, "-data", c1)
	var bad int
	if err := openStore(t, c1).DB().QueryRow(`SELECT count(*) FROM cases c
		WHERE c.version <> (SELECT count(*) FROM events e WHERE e.case_id = c.id)`).Scan(&bad); err != nil || bad != 0 {
		t.Fatalf("%d cases whose history does not match their version (%v)", bad, err)
	}
	t.Logf("%d writes ran beside the online backup", writes.Load())

	// A quiet copy restores to the same system.
	quiet := filepath.Join(t.TempDir(), "quiet")
	run(t, bin, "backup", "-o", quiet, "-data", a)
	c2 := t.TempDir()
	run(t, bin, "restore", quiet, "-data", c2)
	if got, want := fingerprint(t, openStore(t, c2)), fingerprint(t, st); got != want {
		t.Fatalf("restored system differs:\n%s\n%s", got, want)
	}
	if b, err := os.ReadFile(filepath.Join(c2, "photos", "2026", "after.jpg")); err != nil || string(b) != "\xff\xd8\xff photo" {
		t.Fatalf("photo not restored: %v", err)
	}
	// Refusals: a non-empty target, a damaged backup, an existing folder.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"restore", quiet, "-data", c2}, "already holds a database"},
		{[]string{"backup", "-o", quiet, "-data", a}, "already exists"},
		{[]string{"restore", t.TempDir(), "-data", t.TempDir()}, "not a backup folder"},
	} {
		out, err := exec.Command(bin, tt.args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), tt.want) {
			t.Errorf("%v: %v %s", tt.args, err, out)
		}
	}
	f, _ := os.OpenFile(filepath.Join(quiet, "xiuhua.db"), os.O_WRONLY, 0)
	f.WriteAt([]byte("damage"), 5000)
	f.Close()
	if out, err := exec.Command(bin, "restore", quiet, "-data", t.TempDir()).CombinedOutput(); err == nil || !strings.Contains(string(out), "damaged") {
		t.Errorf("a damaged backup was restored: %s", out)
	}
}

func mustPolicy(t *testing.T, st *store.Store) caseflow.Clock {
	a, err := app.New(context.Background(), st, app.Config{})
	if err != nil {
		t.Error(err)
	}
	return a.Policy
}

func startServeSQLite(t *testing.T, bin, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-data", dir, "-addr", "127.0.0.1:0", "-watch-every", "200ms", "-watch-lease", "2s", "-rate-limits", "staff-writes=0")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	buf := make([]byte, 4096)
	deadline := time.Now().Add(time.Minute)
	var got strings.Builder
	for time.Now().Before(deadline) && !strings.Contains(got.String(), "running at") {
		n, err := out.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if !strings.Contains(got.String(), "running at") {
		t.Fatalf("serve did not start: %s", got.String())
	}
	return cmd
}

// PostgreSQL is backed up with pg_dump and restored with pg_restore, as the
// README says: dump a schema, drop it, restore it, the same counts.
func TestPostgresDumpAndRestore(t *testing.T) {
	db := storetest.PostgresURL(t)
	if _, err := exec.LookPath("pg_dump"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pg_dump is missing under CI")
		}
		t.Skip("pg_dump not installed")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := storetest.NewFixture(t, st)
	for i := range 20 {
		c := f.Report(t, storetest.T0.Add(time.Duration(i)*time.Minute))
		f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: storetest.T0.Add(time.Hour)})
	}
	before, _ := st.Summarize(ctx)
	u, _ := url.Parse(db)
	schema := u.Query().Get("search_path")
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	base := u.String()
	dump := filepath.Join(t.TempDir(), "xiuhua.dump")
	if out, err := exec.Command("pg_dump", "-Fc", "-n", schema, "-f", dump, base).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v %s", err, out)
	}
	if _, err := st.DB().Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pg_restore", "-d", base, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v %s", err, out)
	}
	st2, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	after, err := st2.Summarize(ctx)
	if err != nil || after != before || after.Cases != 20 {
		t.Fatalf("restored %+v (%v), dumped %+v", after, err, before)
	}
	if ok, err := st2.MigrationsCurrent(ctx); err != nil || !ok {
		t.Fatalf("restored schema not current: %v %v", ok, err)
	}
}

// The load generator drives a real server: reports are created and read
// back, nothing fails; it refuses any address but loopback.
func TestLoadGenerator(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	run(t, bin, "demo", "-cases", "300", "-no-serve", "-data", dir)
	out := run(t, bin, "token", "create", "-user", "dispatcher1", "-name", "load", "-data", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	cmd := exec.Command(bin, "serve", "-data", dir, "-addr", "127.0.0.1:0", "-rate-limits", "staff-writes=0") // one account, load generator speed
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	buf := make([]byte, 4096)
	var got strings.Builder
	for !strings.Contains(got.String(), "running at") {
		n, err := stdout.Read(buf)
		if err != nil {
			t.Fatalf("serve: %v %s", err, got.String())
		}
		got.Write(buf[:n])
	}
	url := strings.TrimSpace(strings.SplitN(got.String(), "running at ", 2)[1])
	url = strings.TrimSuffix(strings.Fields(url)[0], "/")
	for _, mode := range []string{"create", "read"} {
		out := run(t, bin, "load", "-url", url, "-token", token, "-mode", mode, "-rate", "40", "-clients", "4", "-for", "2s")
		var reqs, okN, refused, failed int
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "requests ") {
				fmt.Sscanf(l, "requests %d: ok %d, refused %d, failed %d", &reqs, &okN, &refused, &failed)
			}
		}
		if okN < 20 || failed != 0 || refused != 0 {
			t.Fatalf("%s: %s", mode, out)
		}
	}
	if out, err := exec.Command(bin, "load", "-url", "http://example.com", "-token", "x").CombinedOutput(); err == nil || !strings.Contains(string(out), "loopback") {
		t.Fatalf("a remote target was accepted: %s", out)
	}
}
