package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// A query the engine refuses (more variables than it takes) answers an
// error, leaves nothing behind in the statement cache, and the store keeps
// answering and closes cleanly afterwards (it used to panic on Close).
func TestRefusedQueryLeavesTheStoreWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := setup(t, s)
		c := f.Report(t, t0)
		n := 70_000 // above PostgreSQL's 65,535 parameters
		if s.Dialect() == store.SQLite {
			n = 33_000 // above SQLite's 32,766
		}
		numbers := make([]string, n)
		for i := range numbers {
			numbers[i] = fmt.Sprintf("X%07d", i)
		}
		// (SQLite takes seconds to refuse it: the web layer bounds id lists.)
		if _, err := s.Open311Requests(t.Context(), store.Open311Query{Numbers: numbers, Limit: 10}); err == nil {
			t.Fatalf("%d numbers: no error", n)
		}
		got, err := s.Open311Requests(t.Context(), store.Open311Query{Numbers: []string{c.Number}, Limit: 10})
		if err != nil || len(got) != 1 {
			t.Fatalf("afterwards: %v, %d cases", err, len(got))
		}
		panicked := make(chan any, 1)
		go func() {
			defer func() { panicked <- recover() }()
			s.Close()
		}()
		select {
		case v := <-panicked:
			if v != nil {
				t.Fatalf("Close panicked: %v", v)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Close hangs")
		}
	})
}

// PhotoInUse says whether any case names a photo: orphan uploads are
// deleted by it, so a named one must always say so.
func TestPhotoInUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := setup(t, s)
		c := f.Report(t, t0)
		f.Do(t, c, caseflow.Command{Action: caseflow.ActVoid, Actor: f.Disp, At: t0.Add(time.Minute), Reason: "重复", Photos: []string{"named"}})
		for id, want := range map[string]bool{"named": true, "orphan": false} {
			if got, err := s.PhotoInUse(t.Context(), id); err != nil || got != want {
				t.Errorf("%s: %v %v, want %v", id, got, err, want)
			}
		}
	})
}

// Long lists are not kept prepared: each length is a statement of its own,
// and kept on every read connection they would fill the cache and memory.
func TestLongListsAreNotKeptPrepared(t *testing.T) {
	s := storetest.Open(t, store.SQLite)
	list := func(n int) []string {
		l := make([]string, n)
		for i := range l {
			l[i] = fmt.Sprintf("X%07d", i)
		}
		return l
	}
	kept := s.PreparedReadsForTest()
	for n := 101; n <= 130; n++ {
		if _, err := s.Open311Requests(t.Context(), store.Open311Query{Numbers: list(n), Limit: 10}); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.PreparedReadsForTest(); got != kept {
		t.Fatalf("30 lists of 101 to 130 ids: %d statements kept, was %d", got, kept)
	}
	s.Open311Requests(t.Context(), store.Open311Query{Numbers: list(5), Limit: 10})
	if got := s.PreparedReadsForTest(); got != kept+1 {
		t.Fatalf("a short list: %d statements kept, want %d", got, kept+1)
	}
}
