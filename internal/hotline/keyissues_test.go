package hotline

import "testing"

func TestKeyIssueLists(t *testing.T) {
	month := []PairCount{
		{"M06011", "a", 16, 0}, // 10 → 16: rising
		{"M06011", "b", 14, 5}, // 10 → 14: up by 4 only; repeated
		{"M06010", "a", 3, 3},  // 0 → 3: not a trend; repeated, all of them
		{"M06010", "b", 30, 2}, // the most frequent; 2 repeats are not enough
		{"M06012", "a", 6, 0},  // 0 → 6: rising
	}
	before := []PairCount{{"M06011", "a", 10, 0}, {"M06011", "b", 10, 0}, {"M06010", "b", 29, 0}}
	frequent, rising, repeats := KeyIssues(month, before, 3)
	want := func(name string, got []KeyIssue, pairs ...string) {
		t.Helper()
		if len(got) != len(pairs) {
			t.Fatalf("%s: %+v", name, got)
		}
		for i, p := range pairs {
			if got[i].Category+"/"+got[i].Street != p || got[i].Rank != i+1 {
				t.Errorf("%s #%d: %s/%s, want %s", name, i+1, got[i].Category, got[i].Street, p)
			}
		}
	}
	want("frequent", frequent, "M06010/b", "M06011/a", "M06011/b")
	want("rising", rising, "M06011/a", "M06012/a")
	want("repeats", repeats, "M06011/b", "M06010/a")
	if r := repeats[1]; r.Rate != 1 || r.Prev != 0 || r.Rise != 3 {
		t.Errorf("M06010/a: %+v", r)
	}
	if l := frequent[1].Keys; len(l) != 2 || l[0] != "frequent" || l[1] != "rising" {
		t.Errorf("the lists M06011/a is on: %v", l)
	}
}
