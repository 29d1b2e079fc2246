// Package ledger defines the evaluation (综合评价): what each count and
// rate means, in one place, and how a composite score and a ranking are
// made from them. The store counts; this package names, divides and ranks.
package ledger

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Group is what an evaluation is made for.
type Group string

const (
	ByDepartment Group = "department" // a department's lead tasks and its own tasks
	ByStreet     Group = "street"     // cases in the street
	ByCommunity  Group = "community"  // cases in the community
	ByWorker     Group = "worker"     // a grid worker's reports, verifications and checks
)

// Groups lists the groups.
var Groups = []Group{ByDepartment, ByStreet, ByCommunity, ByWorker}

// Count is a stored figure: a numerator or a denominator.
type Count struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Doc  string `json:"doc"`
}

// Counts are every figure the store computes. "The period" is [from, to);
// "as of" is the moment the evaluation looks at (the end of the period for
// a past period, now for the current one): closes, reports back and
// dispatches count up to the end of a past period, and for the current
// period everything recorded so far; "overdue" is measured at that moment.
var Counts = []Count{
	{"registered", "立案数", "cases registered (立案) in the period; for a department, cases it leads"},
	{"due", "应结案数", "registered cases that should be closed: all of them except those voided, merged or suspended (挂账) when the evaluation is made (a published evaluation keeps the figures of its day)"},
	{"closed", "结案数", "due cases closed as of the evaluation"},
	{"closed_on_time", "按期结案数", "closed cases whose close type is normal (not overdue, not a special exception)"},
	{"tasks", "应处置数", "department tasks dispatched in the period, not returned, on cases not voided or suspended"},
	{"handled", "处置数", "of those tasks, the ones reported back (处理反馈) as of the evaluation"},
	{"handled_on_time", "按期处置数", "handled tasks reported back by their deadline"},
	{"reworked", "返工数", "due cases sent back for rework (返工) or reopened (重办) at least once"},
	{"overdue_open", "超期未结案数", "due cases still open and past their deadline as of the evaluation"},
	{"returned", "回退数", "returns (回退) approved in the period"},
	{"extended", "延期数", "extensions (延期) approved in the period"},
	{"suspended", "挂账数", "suspensions (挂账) approved in the period"},
	{"return_refused", "不同意回退数", "returns (退单) refused at review in the period, for the department that asked to return (an upheld one is 回退数)"},
	{"disputed", "派单争议数", "returns the centre sent to arbitration (派单争议) in the period, for the department that asked to return"},
	{"arbitrated_away", "仲裁改派数", "arbitrations (仲裁) decided in the period that named another department to lead: the return was upheld"},
	{"arbitrated_back", "仲裁维持数", "arbitrations decided in the period that named the department that asked to return to lead again: the return was refused"},
	{"arbitrated_late", "仲裁超期数", "of those arbitrations (either way), the ones decided after the arbitration's limit (the time-limit table's arbitrate step, from the dispute)"},
	{"hotline", "热线件数", "12345 hotline cases reported in the period, not merged as duplicates"},
	{"contact_due", "应联系数", "hotline orders due for first contact (首次联系): the lead department's tasks, not returned, on orders not voided, whose contact limit falls in the period"},
	{"contacted_on_time", "按时联系数", "of those, the ones whose requester was contacted by the limit"},
	{"callbacks", "回访数", "callbacks (回访) in the period that reached the requester and got a rating (满意, 基本满意 or 不满意), on hotline orders; attempts not reached or refused do not count, nor does a 不满意 its review found not justified"},
	{"solved", "解决数", "of those callbacks, the ones answered “solved”"},
	{"satisfied", "满意数", "of those callbacks, the ones rated 满意 or 基本满意"},
	{"fully_satisfied", "满意数（不含基本满意）", "of those callbacks, the ones rated 满意"},
	{"unjustified", "不计入的差评数", "callbacks in the period rated 不满意 that the review found not justified: left out of 回访数, 解决数 and 满意数"},
	{"reports", "上报数", "cases a grid worker reported in the period"},
	{"valid_reports", "有效上报数", "of those, the ones not voided (a merged duplicate counts: the problem was real)"},
	{"verifications", "核实数", "verifications (核实) a grid worker made in the period"},
	{"verified_on_time", "按时核实数", "verifications made before the case's register deadline"},
	{"checks", "核查数", "on-site checks (核查) a grid worker made in the period"},
	{"checked_on_time", "按时核查数", "checks made before the check deadline"},
}

// Rate is a ratio of two counts.
type Rate struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Num  string `json:"numerator"`
	Den  string `json:"denominator"`
	Doc  string `json:"doc"`
}

// Rates are the evaluation's ratios. A rate with a zero denominator has no
// value (it is left out of the score, not counted as 0 or 100 %).
var Rates = []Rate{
	{"close_rate", "结案率", "closed", "due", "结案数 ÷ 应结案数"},
	{"on_time_close_rate", "按期结案率", "closed_on_time", "due", "按期结案数 ÷ 应结案数"},
	{"on_time_handle_rate", "按期处置率", "handled_on_time", "tasks", "按期处置数 ÷ 应处置数"},
	{"rework_rate", "返工率", "reworked", "due", "返工数 ÷ 应结案数 (lower is better)"},
	{"response_rate", "响应率", "contacted_on_time", "contact_due", "按时联系数 ÷ 应联系数: requesters contacted within the first-contact limit ÷ orders due for contact"},
	{"solve_rate", "解决率", "solved", "callbacks", "解决数 ÷ 回访数: the requester's own word at the callback"},
	{"satisfaction_rate", "满意率", "satisfied", "callbacks", "满意数 ÷ 回访数, 基本满意 counted as satisfied (a city counting 满意 only sets -satisfaction satisfied-only: 满意数（不含基本满意） ÷ 回访数)"},
	{"valid_report_rate", "有效上报率", "valid_reports", "reports", "有效上报数 ÷ 上报数"},
	{"on_time_verify_rate", "按时核实率", "verified_on_time", "verifications", "按时核实数 ÷ 核实数"},
	{"on_time_check_rate", "按时核查率", "checked_on_time", "checks", "按时核查数 ÷ 核查数"},
}

// HotlineRules are the choices 12345 centres make differently about the
// three rates (响应率, 解决率, 满意率).
type HotlineRules struct {
	// SatisfiedOnly: 满意率 counts 满意 only; otherwise 满意 and 基本满意
	// both count as satisfied (the default, as most centres publish it).
	SatisfiedOnly bool `json:"satisfied_only"`
}

// RatesFor is the rates table with a city's hotline choices.
func RatesFor(h HotlineRules) []Rate {
	rs := slices.Clone(Rates)
	for i := range rs {
		if rs[i].Key == "satisfaction_rate" && h.SatisfiedOnly {
			rs[i].Num, rs[i].Doc = "fully_satisfied", "满意数（不含基本满意） ÷ 回访数: this city counts 满意 only (-satisfaction satisfied-only)"
		}
	}
	return rs
}

// lowerIsBetter rates enter the score as 1 − rate.
var lowerIsBetter = map[string]bool{"rework_rate": true}

// Weights of the composite score by rate key. Rates not named weigh 0.
type Weights map[string]float64

// DefaultWeights follow common 数字城管 practice: closing on time matters
// most, then handling on time, then the residents' verdict.
func DefaultWeights() Weights {
	return Weights{"on_time_close_rate": 30, "close_rate": 15, "on_time_handle_rate": 20, "rework_rate": 10,
		"response_rate": 5, "solve_rate": 5, "satisfaction_rate": 10, "valid_report_rate": 2, "on_time_verify_rate": 1.5,
		"on_time_check_rate": 1.5}
}

// Validate refuses unknown rates and negative weights.
func (w Weights) Validate() error {
	var errs []error
	for k, v := range w {
		if !slices.ContainsFunc(Rates, func(r Rate) bool { return r.Key == k }) {
			errs = append(errs, fmt.Errorf("weight for unknown rate %q", k))
		}
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("weight of %s must be a non-negative number", k))
		}
	}
	return errors.Join(errs...)
}

// Row is one unit's evaluation.
type Row struct {
	Key    string              `json:"key"` // unit code, division code or username
	Name   string              `json:"name"`
	Counts map[string]int64    `json:"counts"`
	Rates  map[string]*float64 `json:"rates"` // nil: no denominator
	Score  *float64            `json:"score"` // nil: no weighted rate has a value
	Rank   int                 `json:"rank"`  // 1 = best; 0 = unranked (no score, or too small a sample)
	// Sample is the count the ranking's minimum applies to (应结案数, or a
	// grid worker's 上报数); SmallSample marks a scored row left out of the
	// ranking because its sample is under the minimum.
	Sample      int64 `json:"sample"`
	SmallSample bool  `json:"small_sample,omitempty"`
}

// GroupNames are the groups as people call them.
var GroupNames = map[Group]string{ByDepartment: "部门", ByStreet: "街道", ByCommunity: "社区", ByWorker: "网格员"}

// DefaultMinSample is the smallest sample a unit needs to be ranked, so a
// unit with two cases, both closed on time, does not top the ranking at
// 100: its figures are shown, its rank is not given.
const DefaultMinSample = 10

// SampleOf names the count that is a group's sample.
func SampleOf(g Group) string {
	if g == ByWorker {
		return "reports"
	}
	return "due"
}

// Evaluate turns counts into rates, scores and ranks, best first; rows
// without a score come last, by key. Every scored row is ranked.
func Evaluate(rows []Row, w Weights) []Row { return EvaluateRanked(rows, w, "", 0) }

// EvaluateRanked evaluates as Evaluate does and ranks only the rows whose
// sample count is at least min; the others keep their rates and score and
// come after the ranked ones, best first.
func EvaluateRanked(rows []Row, w Weights, sample string, min int64) []Row {
	return EvaluateRankedWith(Rates, rows, w, sample, min)
}

// EvaluateRankedWith is EvaluateRanked with a city's rates table (RatesFor).
func EvaluateRankedWith(rates []Rate, rows []Row, w Weights, sample string, min int64) []Row {
	for i := range rows {
		r := &rows[i]
		if r.Counts == nil {
			r.Counts = map[string]int64{}
		}
		r.Rates = map[string]*float64{}
		var sum, weight float64
		for _, rt := range rates {
			den := r.Counts[rt.Den]
			if den == 0 {
				r.Rates[rt.Key] = nil
				continue
			}
			v := float64(r.Counts[rt.Num]) / float64(den)
			r.Rates[rt.Key] = &v
			if wt := w[rt.Key]; wt > 0 {
				// A lower-is-better rate enters the score as 1 − rate; the
				// published rate stays the rate itself (goodness is a copy, so
				// the pointer kept above is not changed).
				goodness := v
				if lowerIsBetter[rt.Key] {
					goodness = 1 - v
				}
				sum += wt * goodness
				weight += wt
			}
		}
		r.Score, r.Rank = nil, 0
		if weight > 0 {
			s := math.Round(sum/weight*10000) / 100 // 0–100, two decimals
			r.Score = &s
		}
		if sample != "" {
			r.Sample = r.Counts[sample]
		}
		r.SmallSample = r.Score != nil && r.Sample < min
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		switch {
		case a.SmallSample != b.SmallSample && a.Score != nil && b.Score != nil:
			if b.SmallSample {
				return -1
			}
			return 1
		case a.Score != nil && b.Score != nil && *a.Score != *b.Score:
			if *a.Score > *b.Score {
				return -1
			}
			return 1
		case a.Score != nil && b.Score == nil:
			return -1
		case a.Score == nil && b.Score != nil:
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	rank := 0
	for i := range rows {
		if rows[i].Score == nil || rows[i].SmallSample {
			continue
		}
		// Equal scores share a rank (1, 2, 2, 4).
		if i == 0 || rows[i-1].Score == nil || *rows[i-1].Score != *rows[i].Score {
			rank = i + 1
		}
		rows[i].Rank = rank
	}
	return rows
}

// Definitions is the documentation of every count and rate, for the API
// and the UI.
func Definitions() map[string]any { return DefinitionsFor(HotlineRules{}) }

// DefinitionsFor documents the counts and rates with a city's hotline
// choices.
func DefinitionsFor(h HotlineRules) map[string]any {
	return map[string]any{"counts": Counts, "rates": RatesFor(h), "default_weights": DefaultWeights(),
		"hotline": map[string]any{"rules": h, "doc": "the three rates of the 12345 hotline: 响应率 by the first contact's limit (the time-limit table's contact step), " +
			"解决率 and 满意率 by the callbacks that reached the requester; a 不满意 whose review (复核) finds it not justified is left out of the unit's rates, " +
			"a justified one counts and reopens the order. 基本满意 counts as satisfied unless -satisfaction satisfied-only. " +
			"The rates enter the composite score by their weights; the ranking's minimum sample applies to the whole row"},
		"ranking": map[string]any{"min_sample": DefaultMinSample, "sample": map[Group]string{ByDepartment: SampleOf(ByDepartment),
			ByStreet: SampleOf(ByStreet), ByCommunity: SampleOf(ByCommunity), ByWorker: SampleOf(ByWorker)},
			"doc": "a unit is ranked when its sample (应结案数; a grid worker's 上报数) is at least min_sample; smaller ones keep their rates and score, unranked"}}
}
