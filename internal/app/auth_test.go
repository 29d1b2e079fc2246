package app

import (
	"fmt"
	"testing"
	"time"
)

// A flood of refused sign-ins writes one audit row per username and
// network a minute, and past the cap one for the rest.
func TestRefusalsLoggedOncePerMinute(t *testing.T) {
	var r refusals
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	logged := 0
	for i := range 100 {
		if r.first("leader 203.0.113.0/24", t0.Add(time.Duration(i)*100*time.Millisecond)) {
			logged++
		}
	}
	if logged != 1 {
		t.Fatalf("100 refusals in ten seconds logged %d times, want once", logged)
	}
	if !r.first("leader 203.0.113.0/24", t0.Add(time.Minute)) || !r.first("leader 198.51.100.0/24", t0.Add(time.Minute)) {
		t.Fatal("the next minute, or another network, is not logged")
	}
	logged = 0
	for i := range 3 * maxRefusalKeys {
		if r.first(fmt.Sprint("user", i, " 203.0.113.0/24"), t0.Add(2*time.Minute)) {
			logged++
		}
	}
	if logged != maxRefusalKeys+1 {
		t.Fatalf("%d distinct refusals in a minute logged %d times, want %d", 3*maxRefusalKeys, logged, maxRefusalKeys+1)
	}
}
