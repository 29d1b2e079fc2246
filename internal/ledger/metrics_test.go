package ledger

import (
	"testing"
)

func TestRatesScoresAndRanks(t *testing.T) {
	rows := Evaluate([]Row{
		{Key: "a", Counts: map[string]int64{"due": 10, "closed": 9, "closed_on_time": 8, "reworked": 1}},
		{Key: "b", Counts: map[string]int64{"due": 10, "closed": 10, "closed_on_time": 10}},
		{Key: "c", Counts: map[string]int64{"due": 10, "closed": 9, "closed_on_time": 8, "reworked": 1}},
		{Key: "d", Counts: map[string]int64{}},
	}, Weights{"close_rate": 1, "on_time_close_rate": 2, "rework_rate": 1})
	if rows[0].Key != "b" || *rows[0].Score != 100 || rows[0].Rank != 1 {
		t.Fatalf("best: %+v", rows[0])
	}
	// a and c tie: (0.9 + 2×0.8 + (1−0.1)) / 4 = 85 %, both rank 2.
	if rows[1].Key != "a" || rows[2].Key != "c" || *rows[1].Score != 85 || rows[1].Rank != 2 || rows[2].Rank != 2 {
		t.Fatalf("ties: %+v %+v", rows[1], rows[2])
	}
	if rows[3].Key != "d" || rows[3].Score != nil || rows[3].Rank != 0 || rows[3].Rates["close_rate"] != nil {
		t.Fatalf("a unit with nothing to judge: %+v", rows[3])
	}
	if r := rows[1].Rates["close_rate"]; r == nil || *r != 0.9 {
		t.Fatalf("close rate %v", r)
	}
	if err := (Weights{"close_rate": -1, "speed": 1}).Validate(); err == nil {
		t.Fatal("bad weights accepted")
	}
	if err := DefaultWeights().Validate(); err != nil {
		t.Fatal(err)
	}
}

// Every rate divides counts that exist, and every count is documented.
func TestDefinitionsAreComplete(t *testing.T) {
	known := map[string]bool{}
	for _, c := range Counts {
		if c.Key == "" || c.Name == "" || c.Doc == "" {
			t.Errorf("count %+v is not documented", c)
		}
		known[c.Key] = true
	}
	for _, r := range Rates {
		if !known[r.Num] || !known[r.Den] || r.Name == "" || r.Doc == "" {
			t.Errorf("rate %+v", r)
		}
	}
}
