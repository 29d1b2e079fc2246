package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/sheet"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Period is an evaluation period in Asia/Shanghai: [From, To).
type Period struct {
	Name     string    `json:"name"` // "2026-11", "2026-Q4", "2026", "2026-W47", "2026-11-01..2026-11-15"
	From, To time.Time `json:"-"`
}

// ParsePeriod reads a month (2026-11), a quarter (2026-Q4), a year (2026),
// an ISO week (2026-W47) or a custom range of days (2026-11-01..2026-11-15,
// both days included).
func ParsePeriod(v string) (Period, error) {
	loc := calendar.Shanghai
	bad := fmt.Errorf("period %q: want 2026-11, 2026-Q4, 2026, 2026-W47 or 2026-11-01..2026-11-15", v)
	switch {
	case strings.Contains(v, ".."):
		a, b, _ := strings.Cut(v, "..")
		from, err1 := time.ParseInLocation(time.DateOnly, a, loc)
		to, err2 := time.ParseInLocation(time.DateOnly, b, loc)
		if err1 != nil || err2 != nil || to.Before(from) {
			return Period{}, bad
		}
		return Period{v, from, to.AddDate(0, 0, 1)}, nil
	case strings.Contains(v, "-Q"):
		y, err1 := strconv.Atoi(v[:strings.Index(v, "-Q")])
		q, err2 := strconv.Atoi(v[strings.Index(v, "-Q")+2:])
		if err1 != nil || err2 != nil || q < 1 || q > 4 || y < 2000 || y > 2200 {
			return Period{}, bad
		}
		from := time.Date(y, time.Month(3*q-2), 1, 0, 0, 0, 0, loc)
		return Period{v, from, from.AddDate(0, 3, 0)}, nil
	case strings.Contains(v, "-W"):
		y, err1 := strconv.Atoi(v[:strings.Index(v, "-W")])
		w, err2 := strconv.Atoi(v[strings.Index(v, "-W")+2:])
		if err1 != nil || err2 != nil || w < 1 || w > 53 || y < 2000 || y > 2200 {
			return Period{}, bad
		}
		// ISO week 1 holds January 4th; weeks start on Monday.
		jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, loc)
		monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
		from := monday.AddDate(0, 0, 7*(w-1))
		if wy, _ := from.ISOWeek(); wy != y {
			return Period{}, bad
		}
		return Period{v, from, from.AddDate(0, 0, 7)}, nil
	case len(v) == 7:
		from, err := time.ParseInLocation("2006-01", v, loc)
		if err != nil {
			return Period{}, bad
		}
		return Period{v, from, from.AddDate(0, 1, 0)}, nil
	case len(v) == 4:
		y, err := strconv.Atoi(v)
		if err != nil || y < 2000 || y > 2200 {
			return Period{}, bad
		}
		from := time.Date(y, 1, 1, 0, 0, 0, 0, loc)
		return Period{v, from, from.AddDate(1, 0, 0)}, nil
	}
	return Period{}, bad
}

// Evaluation is a group's evaluation for a period.
type Evaluation struct {
	Group       ledger.Group   `json:"group"`
	Period      Period         `json:"period"`
	From        time.Time      `json:"from"`
	To          time.Time      `json:"to"`
	AsOf        time.Time      `json:"as_of"`
	Published   bool           `json:"published"`
	PublishedAt *time.Time     `json:"published_at,omitempty"`
	Weights     ledger.Weights `json:"weights"`
	// MinSample is the sample a row needs to be ranked (ledger.SampleOf).
	MinSample int64         `json:"min_sample"`
	Rows      []ledger.Row  `json:"rows"`
	rates     []ledger.Rate // the city's rates table (ledger.RatesFor)
}

// Rates is the rates table the evaluation was made with.
func (e *Evaluation) Rates() []ledger.Rate {
	if e.rates == nil {
		return ledger.Rates
	}
	return e.rates
}

// Rerank ranks the rows again with another minimum sample (a reader who
// wants every unit ranked asks for 0).
func (e *Evaluation) Rerank(min int64) {
	e.MinSample = min
	e.Rows = ledger.EvaluateRankedWith(e.Rates(), e.Rows, e.Weights, ledger.SampleOf(e.Group), min)
}

// Evaluate returns a period's evaluation: the published figures when the
// period is published (exactly as they were), else figures computed now.
// weights nil means the defaults; a published period keeps its own.
func (a *App) Evaluate(ctx context.Context, g ledger.Group, p Period, w ledger.Weights) (*Evaluation, error) {
	if !slices.Contains(ledger.Groups, g) {
		return nil, fmt.Errorf("evaluation: unknown group %q (department, street, community or worker)", g)
	}
	rates := ledger.RatesFor(a.cfg.Hotline)
	if pub, err := a.Store.PublishedEvaluation(ctx, g, p.From, p.To); err == nil {
		at := pub.PublishedAt.In(calendar.Shanghai)
		return &Evaluation{Group: g, Period: p, From: p.From, To: p.To, AsOf: pub.AsOf.In(calendar.Shanghai), Published: true,
			PublishedAt: &at, Weights: pub.Weights, MinSample: ledger.DefaultMinSample, rates: rates,
			Rows: ledger.EvaluateRankedWith(rates, pub.Rows, pub.Weights, ledger.SampleOf(g), ledger.DefaultMinSample)}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if w == nil {
		w = ledger.DefaultWeights()
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	counts, asOf, err := a.EvaluationCounts(ctx, g, p, false)
	if err != nil {
		return nil, err
	}
	rows, err := a.members(ctx, g, counts)
	if err != nil {
		return nil, err
	}
	return &Evaluation{Group: g, Period: p, From: p.From, To: p.To, AsOf: asOf.In(calendar.Shanghai), Weights: w,
		MinSample: ledger.DefaultMinSample, rates: rates, Rows: ledger.EvaluateRankedWith(rates, rows, w, ledger.SampleOf(g), ledger.DefaultMinSample)}, nil
}

// EvaluationCounts counts a period's figures as of now: for a past period
// as of its end, for the current one with everything recorded so far (a
// close today counts, an overdue case is overdue by the minute). recount
// counts from the cases instead of the maintained aggregates.
func (a *App) EvaluationCounts(ctx context.Context, g ledger.Group, p Period, recount bool) (map[string]map[string]int64, time.Time, error) {
	asOf, cutoff := a.Now(), p.To
	if asOf.After(p.To) {
		asOf = p.To
	} else {
		cutoff = store.Forever
	}
	counts, err := a.Store.EvaluationCounts(ctx, store.EvalQuery{Group: g, From: p.From, To: p.To, AsOf: asOf, Cutoff: cutoff,
		Recount: recount}, a.Policy)
	return counts, asOf, err
}

// members names the group's members: every department (or street, or
// grid worker) is listed, with zero counts when nothing happened.
func (a *App) members(ctx context.Context, g ledger.Group, counts map[string]map[string]int64) ([]ledger.Row, error) {
	var rows []ledger.Row
	addRow := func(id, key, name string) {
		rows = append(rows, ledger.Row{Key: key, Name: name, Counts: counts[id]})
	}
	switch g {
	case ledger.ByDepartment:
		units, err := a.Store.Units(ctx)
		if err != nil {
			return nil, err
		}
		for _, u := range units {
			id := strconv.FormatInt(u.ID, 10)
			if u.Kind == org.KindDepartment || u.Kind == org.KindStreet || u.Kind == org.KindProperty || counts[id] != nil {
				addRow(id, u.Code, u.Name)
			}
		}
	case ledger.ByStreet, ledger.ByCommunity:
		divs, err := a.Store.Divisions(ctx)
		if err != nil {
			return nil, err
		}
		level := places.LevelStreet
		if g == ledger.ByCommunity {
			level = places.LevelCommunity
		}
		for _, d := range divs {
			if d.Level == level {
				addRow(d.Code, d.Code, d.Name)
			}
		}
	case ledger.ByWorker:
		accts, err := a.Store.Accounts(ctx)
		if err != nil {
			return nil, err
		}
		for _, acc := range accts {
			id := strconv.FormatInt(acc.ID, 10)
			if acc.Role == "grid_worker" || counts[id] != nil {
				addRow(id, acc.Username, acc.Name)
			}
		}
	}
	return rows, nil
}

// Publish freezes a period's evaluation as computed now. A period can be
// published once, and only after it has ended.
func (a *App) Publish(ctx context.Context, g ledger.Group, p Period, w ledger.Weights, by string) (*Evaluation, error) {
	if a.Now().Before(p.To) {
		return nil, fmt.Errorf("evaluation: period %s has not ended; publish it after %s", p.Name, p.To.In(calendar.Shanghai).Format(time.DateTime))
	}
	e, err := a.Evaluate(ctx, g, p, w)
	if err != nil {
		return nil, err
	}
	if e.Published {
		return nil, store.ErrPublished
	}
	pub := &store.Published{Group: g, From: p.From, To: p.To, AsOf: e.AsOf, Weights: e.Weights, Rows: e.Rows,
		PublishedAt: a.Now(), PublishedBy: by}
	if err := a.Store.Publish(ctx, pub); err != nil {
		return nil, err
	}
	return a.Evaluate(ctx, g, p, nil)
}

// WriteSheet writes the evaluation as a table: rank, unit, score, every
// count and every rate, and a totals row whose rates are those of the
// summed counts.
func (e *Evaluation) WriteSheet(f sheet.Format, w io.Writer) error {
	cols := []sheet.Column{{Header: "排名", Width: 6, Kind: sheet.Int}, {Header: "单位", Width: 24}, {Header: "代码", Width: 14},
		{Header: "综合得分", Width: 9}, {Header: "样本", Width: 7, Kind: sheet.Int}, {Header: "备注", Width: 18}}
	for _, c := range ledger.Counts {
		cols = append(cols, sheet.Column{Header: c.Name, Width: 9, Kind: sheet.Int})
	}
	for _, rt := range ledger.Rates {
		cols = append(cols, sheet.Column{Header: rt.Name, Width: 10, Kind: sheet.Percent})
	}
	title := fmt.Sprintf("综合评价 %s %s（截至 %s）", ledger.GroupNames[e.Group], e.Period.Name, e.AsOf.In(calendar.Shanghai).Format("2006-01-02 15:04"))
	if e.Published {
		title += " 已发布"
	}
	sw, err := sheet.New(f, w, title, cols, calendar.Shanghai)
	if err != nil {
		return err
	}
	row := func(rank any, name, key string, r ledger.Row) []any {
		note := ""
		if r.SmallSample {
			note = fmt.Sprintf("样本不足（少于 %d），不排名", e.MinSample)
		}
		vals := []any{rank, name, key, score(r.Score), r.Sample, note}
		for _, c := range ledger.Counts {
			vals = append(vals, r.Counts[c.Key])
		}
		for _, rt := range ledger.Rates {
			vals = append(vals, r.Rates[rt.Key])
		}
		return vals
	}
	totals := map[string]int64{}
	for _, r := range e.Rows {
		for _, c := range ledger.Counts {
			totals[c.Key] += r.Counts[c.Key]
		}
		var rank any
		if r.Rank > 0 {
			rank = r.Rank
		}
		if err := sw.Row(row(rank, r.Name, r.Key, r)...); err != nil {
			return err
		}
	}
	sum := ledger.EvaluateRankedWith(e.Rates(), []ledger.Row{{Key: "total", Counts: totals}}, e.Weights, ledger.SampleOf(e.Group), 0)[0]
	if err := sw.Totals(row(nil, "合计", "", sum)...); err != nil {
		return err
	}
	return sw.Close()
}

// score is a composite score for a sheet: a number to two places (a
// number cell in .xlsx), nil for none.
func score(f *float64) any {
	if f == nil {
		return nil
	}
	return math.Round(*f*100) / 100
}
