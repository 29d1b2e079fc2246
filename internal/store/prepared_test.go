package store_test

import (
	"fmt"
	"testing"
	"time"

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
		numbers := make([]string, 70_000) // above SQLite's 32,766 and PostgreSQL's 65,535 parameters
		for i := range numbers {
			numbers[i] = fmt.Sprintf("X%07d", i)
		}
		for range 2 {
			if _, err := s.Open311Requests(t.Context(), store.Open311Query{Numbers: numbers, Limit: 10}); err == nil {
				t.Fatal("70,000 numbers: no error")
			}
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
