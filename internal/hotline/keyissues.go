package hotline

import (
	"cmp"
	"slices"
)

// The every-month key issues (每月一题): the month's category × street
// pairs that most need a lasting fix, from which a district picks the
// issues it will tackle as a whole rather than case by case. Three lists,
// each with the rule that puts a pair on it:
//
//   - frequent: the pairs with the most requests in the month;
//   - rising: requests up on the month before, by at least RiseMin and by
//     half again (a pair from 0 to 3 is not a trend; from 10 to 16 is);
//   - repeats: the pairs whose requests were most often the same matter
//     again (merged into an open order), at least RepeatMin of them.

// PairCount is one category × street pair's requests in a month.
type PairCount struct {
	Category string `json:"category"`
	Street   string `json:"street"`
	Count    int    `json:"count"`   // requests reported in the month (voided ones that were not repeats left out)
	Repeats  int    `json:"repeats"` // of them, the same matter again: merged into an open order
}

// KeyIssue is a pair on a list, with the month before for comparison.
type KeyIssue struct {
	PairCount
	Prev int      `json:"prev"`        // requests in the month before
	Rise int      `json:"rise"`        // Count − Prev
	Rate float64  `json:"repeat_rate"` // Repeats ÷ Count
	Rank int      `json:"rank"`        // on its list, from 1
	Why  string   `json:"why"`         // frequent, rising or repeats
	Keys []string `json:"lists"`       // every list the pair is on
}

// Rules of the lists.
const (
	RiseMin   = 5
	RepeatMin = 3
)

// KeyIssues are the three lists of the month, each at most n long.
func KeyIssues(month, before []PairCount, n int) (frequent, rising, repeats []KeyIssue) {
	prev := map[[2]string]int{}
	for _, p := range before {
		prev[[2]string{p.Category, p.Street}] += p.Count
	}
	all := make([]KeyIssue, 0, len(month))
	for _, p := range month {
		if p.Count == 0 {
			continue
		}
		k := KeyIssue{PairCount: p, Prev: prev[[2]string{p.Category, p.Street}]}
		k.Rise = k.Count - k.Prev
		k.Rate = float64(k.Repeats) / float64(k.Count)
		all = append(all, k)
	}
	// Ties go to the category, then the street, so a list reads the same
	// every time.
	tie := func(a, b KeyIssue) int {
		return cmp.Or(cmp.Compare(a.Category, b.Category), cmp.Compare(a.Street, b.Street))
	}
	pick := func(why string, keep func(KeyIssue) bool, order func(a, b KeyIssue) int) []KeyIssue {
		var l []KeyIssue
		for _, k := range all {
			if keep(k) {
				l = append(l, k)
			}
		}
		slices.SortFunc(l, func(a, b KeyIssue) int { return cmp.Or(order(a, b), tie(a, b)) })
		l = l[:min(len(l), n)]
		for i := range l {
			l[i].Rank, l[i].Why = i+1, why
		}
		return l
	}
	frequent = pick("frequent", func(KeyIssue) bool { return true }, func(a, b KeyIssue) int { return cmp.Compare(b.Count, a.Count) })
	rising = pick("rising", func(k KeyIssue) bool { return k.Rise >= RiseMin && 2*k.Count >= 3*k.Prev },
		func(a, b KeyIssue) int { return cmp.Or(cmp.Compare(b.Rise, a.Rise), cmp.Compare(b.Count, a.Count)) })
	repeats = pick("repeats", func(k KeyIssue) bool { return k.Repeats >= RepeatMin },
		func(a, b KeyIssue) int { return cmp.Or(cmp.Compare(b.Repeats, a.Repeats), cmp.Compare(b.Rate, a.Rate)) })
	on := map[[2]string][]string{}
	for _, l := range [][]KeyIssue{frequent, rising, repeats} {
		for _, k := range l {
			key := [2]string{k.Category, k.Street}
			on[key] = append(on[key], k.Why)
		}
	}
	for _, l := range [][]KeyIssue{frequent, rising, repeats} {
		for i := range l {
			l[i].Keys = on[[2]string{l[i].Category, l[i].Street}]
		}
	}
	return frequent, rising, repeats
}
