package ledger

import (
	"math"
	"strconv"
	"strings"
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

// Every published rate is its numerator divided by its denominator, also
// for a lower-is-better rate whose score contribution is 1 − rate: a unit
// with 8 reworked of 161 due shows 返工率 5.0 %, not 95 %.
func TestPublishedRatesEqualTheirCounts(t *testing.T) {
	counts := map[string]int64{"due": 161, "closed": 150, "closed_on_time": 140, "reworked": 8, "tasks": 170,
		"handled": 160, "handled_on_time": 155, "hotline": 90, "contact_due": 88, "contacted_on_time": 80, "callbacks": 40, "solved": 30,
		"satisfied": 35, "fully_satisfied": 28, "reports": 60, "valid_reports": 57, "verifications": 20, "verified_on_time": 19,
		"checks": 30, "checked_on_time": 28}
	row := Evaluate([]Row{{Key: "u", Counts: counts}}, DefaultWeights())[0]
	var sum, weight float64
	for _, rt := range Rates {
		want := float64(counts[rt.Num]) / float64(counts[rt.Den])
		got := row.Rates[rt.Key]
		if got == nil || *got != want {
			t.Errorf("%s (%s) = %v, want %d/%d = %v", rt.Key, rt.Name, deref(got), counts[rt.Num], counts[rt.Den], want)
		}
		good := want
		if rt.Key == "rework_rate" {
			good = 1 - want
		}
		sum += DefaultWeights()[rt.Key] * good
		weight += DefaultWeights()[rt.Key]
	}
	if r := row.Rates["rework_rate"]; r == nil || formatPct(*r) != "5.0%" {
		t.Errorf("返工率 of 8 reworked in 161 shows %v", deref(r))
	}
	if want := math.Round(sum/weight*10000) / 100; row.Score == nil || *row.Score != want {
		t.Errorf("score %v, want %v", row.Score, want)
	}
}

// A city counting 满意 only divides 满意数（不含基本满意）; the default
// counts 基本满意 as satisfied; both are documented.
func TestSatisfactionChoice(t *testing.T) {
	counts := map[string]int64{"callbacks": 40, "satisfied": 35, "fully_satisfied": 28}
	def := EvaluateRankedWith(RatesFor(HotlineRules{}), []Row{{Key: "u", Counts: counts}}, DefaultWeights(), "", 0)[0]
	only := EvaluateRankedWith(RatesFor(HotlineRules{SatisfiedOnly: true}), []Row{{Key: "u", Counts: counts}}, DefaultWeights(), "", 0)[0]
	if *def.Rates["satisfaction_rate"] != 35.0/40 || *only.Rates["satisfaction_rate"] != 28.0/40 {
		t.Fatalf("满意率 %v by default, %v counting 满意 only", *def.Rates["satisfaction_rate"], *only.Rates["satisfaction_rate"])
	}
	for _, rt := range RatesFor(HotlineRules{SatisfiedOnly: true}) {
		if rt.Key == "satisfaction_rate" && (rt.Num != "fully_satisfied" || !strings.Contains(rt.Doc, "满意 only")) {
			t.Fatalf("the documented rate: %+v", rt)
		}
	}
	if Rates[6].Num != "satisfied" {
		t.Fatal("RatesFor changed the default table")
	}
}

func formatPct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// A unit with two cases, both closed on time, scores 100 but is not ranked
// above units with a real workload: it comes after them, unranked, with
// its sample shown.
func TestSmallSamplesAreNotRanked(t *testing.T) {
	rows := EvaluateRanked([]Row{
		{Key: "tiny", Counts: map[string]int64{"due": 2, "closed": 2, "closed_on_time": 2}},
		{Key: "big", Counts: map[string]int64{"due": 120, "closed": 110, "closed_on_time": 100}},
		{Key: "mid", Counts: map[string]int64{"due": 10, "closed": 8, "closed_on_time": 7}},
	}, Weights{"close_rate": 1, "on_time_close_rate": 1}, SampleOf(ByDepartment), DefaultMinSample)
	if rows[0].Key != "big" || rows[0].Rank != 1 || rows[1].Key != "mid" || rows[1].Rank != 2 {
		t.Fatalf("ranked: %+v / %+v", rows[0], rows[1])
	}
	tiny := rows[2]
	if tiny.Key != "tiny" || tiny.Rank != 0 || !tiny.SmallSample || tiny.Sample != 2 || tiny.Score == nil || *tiny.Score != 100 {
		t.Fatalf("the unit with two cases: %+v", tiny)
	}
	if rows[0].Sample != 120 || rows[0].SmallSample {
		t.Fatalf("the sample of a ranked unit: %+v", rows[0])
	}
}
