package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// startServe runs `xiuhua serve` on db and waits until it listens.
func startServe(t *testing.T, bin, db string, extra ...string) *exec.Cmd {
	t.Helper()
	cmd, _ := serveOn(t, bin, append([]string{"-db", db, "-data", t.TempDir()}, extra...)...)
	return cmd
}

// Two `xiuhua serve` processes share one PostgreSQL while many cases are
// overdue. The one holding the watcher lease is killed mid-way; the other
// takes over when the lease lapses. Every case gets exactly one reminder
// and one supervision order.
func TestTwoServersEscalateOnce(t *testing.T) {
	db := storetest.PostgresURL(t)
	bin := binary(t)
	ctx := context.Background()
	s, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := storetest.NewFixture(t, s)
	const n = 150
	start := time.Now().Add(-40 * 24 * time.Hour)
	for i := range n {
		at := start.Add(time.Duration(i) * time.Minute)
		c := f.Report(t, at)
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: at.Add(time.Minute)})
		f.Do(t, c, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, At: at.Add(2 * time.Minute),
			Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true}}})
	}
	count := func(action caseflow.Action) int {
		var k int
		if err := s.DB().QueryRow(`SELECT count(*) FROM events WHERE action = $1`, action).Scan(&k); err != nil {
			t.Fatal(err)
		}
		return k
	}

	a := startServe(t, bin, db)
	b := startServe(t, bin, db)
	// Kill whichever holds the lease once it has done some of the work.
	deadline := time.Now().Add(time.Minute)
	for count(caseflow.ActRemind) < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("no reminders after a minute (%d)", count(caseflow.ActRemind))
		}
		time.Sleep(20 * time.Millisecond)
	}
	var holder string
	if err := s.DB().QueryRow(`SELECT holder FROM leases WHERE name = 'watcher'`).Scan(&holder); err != nil {
		t.Fatal(err)
	}
	victim, survivor := a, b
	if strings.Contains(holder, fmt.Sprintf("/%d/", b.Process.Pid)) {
		victim, survivor = b, a
	}
	victim.Process.Signal(syscall.SIGKILL)
	victim.Wait()
	partial := count(caseflow.ActRemind) + count(caseflow.ActSupervise)

	deadline = time.Now().Add(2 * time.Minute)
	for count(caseflow.ActRemind) < n || count(caseflow.ActSupervise) < n {
		if time.Now().After(deadline) {
			t.Fatalf("after the takeover: %d reminders, %d orders of %d", count(caseflow.ActRemind), count(caseflow.ActSupervise), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // a few more sweeps: nothing may be repeated
	survivor.Process.Signal(syscall.SIGINT)
	if err := survivor.Wait(); err != nil {
		t.Fatalf("survivor did not stop cleanly: %v", err)
	}
	t.Logf("the killed instance had taken %d of %d steps", partial, 2*n)
	rows, err := s.DB().Query(`SELECT case_id, action, count(*) FROM events WHERE action IN ('remind', 'supervise')
		GROUP BY case_id, action HAVING count(*) <> 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, k int64
		var action string
		rows.Scan(&id, &action, &k)
		t.Errorf("case %d: %d × %s", id, k, action)
	}
	if r, o := count(caseflow.ActRemind), count(caseflow.ActSupervise); r != n || o != n {
		t.Fatalf("%d reminders and %d orders, want %d each", r, o, n)
	}
}
