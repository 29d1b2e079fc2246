package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestGroupCommitIsolatesFailures sends many writes at once, so that
// SQLite commits them in groups, with refusals mixed in: an unknown
// category on create, a stale version on a transition. Every write that
// answered success is in the database with its event; every refused one
// left nothing behind, and its neighbours in the group were not disturbed.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t, store.SQLite)
	f := storetest.NewFixture(t, s)
	base := f.Report(t, storetest.T0)
	txs0, commits0 := s.GroupStats()

	const n = 400
	var mu sync.Mutex
	var created []int64
	refused, stale, moved := 0, 0, 0
	var wg sync.WaitGroup
	sem := make(chan struct{}, 48)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			at := storetest.T0.Add(time.Duration(i+1) * time.Second)
			if i%10 == 3 {
				// A stale command on the shared case: refused, writes nothing.
				_, _, err := s.Transition(ctx, base.ID, caseflow.Command{Action: caseflow.ActComment, Actor: f.Disp, At: at,
					Note: "旧版本", ExpectedVersion: 99}, f.Policy)
				var ce *caseflow.Error
				mu.Lock()
				defer mu.Unlock()
				if errors.As(err, &ce) && ce.Code == caseflow.CodeStale {
					stale++
				} else {
					t.Errorf("stale comment: %v", err)
				}
				return
			}
			if i%10 == 7 {
				_, _, err := s.Transition(ctx, base.ID, caseflow.Command{Action: caseflow.ActComment, Actor: f.Disp, At: at,
					Note: "补充说明", ExpectedVersion: base.Version}, f.Policy)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("comment: %v", err)
				}
				moved++
				return
			}
			c := &caseflow.Case{Channel: caseflow.ChannelPatrol, CategoryID: "M06011", Urgency: caseflow.Normal,
				Description: "垃圾", Address: "路口", Point: caseflow.Point{Lon: 113.3, Lat: 40.09},
				Place: base.Place, Reporter: caseflow.Reporter{AccountID: f.Worker.AccountID}}
			if i%5 == 1 {
				c.CategoryID = "X99999"
			}
			ev, err := caseflow.Report(c, f.Worker, at, f.Policy)
			if err != nil {
				t.Error(err)
				return
			}
			err = s.CreateCase(ctx, c, &ev, f.Policy)
			mu.Lock()
			defer mu.Unlock()
			if c.CategoryID == "X99999" {
				var ce *caseflow.Error
				if !errors.As(err, &ce) || ce.Field != "category" {
					t.Errorf("unknown category: got %v", err)
				}
				refused++
				return
			}
			if err != nil {
				t.Errorf("create: %v", err)
				return
			}
			created = append(created, c.ID)
		}()
	}
	wg.Wait()
	txs, commits := s.GroupStats()
	txs, commits = txs-txs0, commits-commits0
	t.Logf("%d created, %d refused, %d stale, %d comments; %d write transactions in %d commits", len(created), refused, stale, moved, txs, commits)
	if commits >= txs {
		t.Fatalf("no write transactions were committed together (%d in %d commits); the test proves nothing", txs, commits)
	}

	counts, err := s.CountCases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[caseflow.Reported] != int64(len(created))+1 {
		t.Errorf("%d cases reported in the database, %d creates answered success (plus the shared case)", counts[caseflow.Reported], len(created))
	}
	for _, id := range created {
		evs, err := s.Events(ctx, id)
		if err != nil || len(evs) != 1 || evs[0].Action != caseflow.ActReport {
			t.Fatalf("case %d: events %v, %v", id, evs, err)
		}
	}
	evs, err := s.Events(ctx, base.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != moved+1 {
		t.Errorf("the shared case has %d events; want its report and %d comments, and nothing from %d stale commands", len(evs), moved, stale)
	}
	for i, e := range evs {
		if e.Seq != i+1 {
			t.Errorf("event %d has seq %d: a gap", i, e.Seq)
		}
	}
}

// TestGroupCommitSurvivesAPanic: a write that panics gets an error, and the
// committer goes on serving the next ones.
func TestGroupCommitSurvivesAPanic(t *testing.T) {
	s := storetest.Open(t, store.SQLite)
	f := storetest.NewFixture(t, s)
	if err := s.PanicInWriteForTest(); err == nil {
		t.Fatal("a panicking write reported success")
	}
	c := f.Report(t, storetest.T0) // the committer still works
	if c.ID == 0 {
		t.Fatal("no case after the panic")
	}
}
