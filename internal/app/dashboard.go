package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/store"
)

// The dashboard's figures in one answer: what the command display (大屏)
// shows on every refresh and what other screen builders read. Every count
// is one the store reads through an index or the maintained aggregates;
// the web tests recount each from the raw rows.

// Comparisons: 同比 (year on year) and 环比 (the period before).
const (
	CompareYoY = "yoy"
	CompareMoM = "mom"
)

// Sorts of a top list.
var TopSorts = []string{"reported", "open", "closed", "overdue"}

// MaxTop is the longest top list (and overdue and supervision list).
const MaxTop = 50

// DashboardQuery asks for the dashboard's figures.
type DashboardQuery struct {
	Compare  string // "", CompareYoY or CompareMoM
	Workdays bool   // count working days only, in both spans
	Top      int    // rows of each top list, 1–MaxTop
	Sort     string // a TopSorts entry
	Period   *Period
	// StagesOnly answers the stages alone: a second comparison for the
	// same refresh needs nothing else.
	StagesOnly bool
}

// Figure is a count and, when compared, the earlier span's count and the
// change (ChangePct nil when the earlier span counted nothing).
type Figure struct {
	Value     int64    `json:"value"`
	Previous  *int64   `json:"previous,omitempty"`
	Change    *int64   `json:"change,omitempty"`
	ChangePct *float64 `json:"change_pct,omitempty"`
}

func compare(v, prev int64) Figure {
	f := Figure{Value: v, Previous: &prev}
	d := v - prev
	f.Change = &d
	if prev != 0 {
		pct := float64(d) / float64(prev) * 100
		f.ChangePct = &pct
	}
	return f
}

// Span is a stretch of time the stages are counted over, [From, To); Days
// is how many of its days count (its working days with workdays).
type Span struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Days int       `json:"days"`
}

// StageFigures are the cases reaching each stage in a span, compared with
// an earlier span when asked.
type StageFigures struct {
	Span     Span              `json:"span"`
	Previous *Span             `json:"previous,omitempty"`
	Stages   map[string]Figure `json:"stages"`
}

// TopRow is one street, unit or category of a top list.
type TopRow struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	store.TopCount
	Open int64 `json:"open"` // of the period's reports, those neither closed nor voided
}

// CaseList is a list of cases for the wall and how many there are.
type CaseList struct {
	Total int64              `json:"total"`
	Cases []store.ScreenCase `json:"cases"`
}

// Focus is the street × category pair reported most in the last Days days
// (today and the days before it, whole days), with the Days before: the sentence "近7天 鼓楼街道 积存垃圾渣土 问题较突出，
// 较前7天上升 35%" is written from it at the edge.
type Focus struct {
	Days         int      `json:"days"`
	Street       string   `json:"street"`
	StreetName   string   `json:"street_name"`
	Category     string   `json:"category"`
	CategoryName string   `json:"category_name"`
	Count        int64    `json:"count"`
	Previous     int64    `json:"previous"`
	ChangePct    *float64 `json:"change_pct,omitempty"`
}

// Dashboard is the dashboard's answer.
type Dashboard struct {
	AsOf     time.Time           `json:"as_of"`
	Compare  string              `json:"compare,omitempty"`
	Workdays bool                `json:"workdays"`
	Sort     string              `json:"sort"`
	Today    StageFigures        `json:"today"`
	Period   StageFigures        `json:"period"`
	Name     string              `json:"period_name"`
	Open     int64               `json:"open"`          // open now, every case
	Top      map[string][]TopRow `json:"top,omitempty"` // street, unit, category
	Overdue  CaseList            `json:"overdue"`
	Orders   CaseList            `json:"supervision"`
	Heat     []store.MapCluster  `json:"heat"`
	Focus    *Focus              `json:"focus,omitempty"`
}

// FocusDays is the window of the written sentence (近7天).
const FocusDays = 7

// Dashboard counts the dashboard's figures as of now. The period of the
// top lists and the period's stages is q.Period, or this month so far.
func (a *App) Dashboard(ctx context.Context, q DashboardQuery) (*Dashboard, error) {
	if q.Compare != "" && q.Compare != CompareYoY && q.Compare != CompareMoM {
		return nil, errors.New("compare must be yoy or mom")
	}
	if q.Top == 0 {
		q.Top = 5
	}
	if q.Sort == "" {
		q.Sort = "reported"
	}
	now := a.Now()
	loc := calendar.Shanghai
	y, m, d := now.In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	month := time.Date(y, m, 1, 0, 0, 0, 0, loc)
	out := &Dashboard{AsOf: now.In(loc), Compare: q.Compare, Workdays: q.Workdays, Sort: q.Sort, Top: map[string][]TopRow{}}
	cal := a.Policy.Calendar()
	working := func(t time.Time) bool { return !q.Workdays || cal.IsWorkingDay(t) }

	// Today so far, and the month (or the asked period) so far. The earlier
	// span has the same length from its own start, cut at its own end.
	pFrom, pTo, name := month, now, month.Format("2006-01")
	if q.Period != nil {
		pFrom, pTo, name = q.Period.From, q.Period.To, q.Period.Name
		if pTo.After(now) {
			pTo = now
		}
	}
	out.Name = name
	var err error
	dayBefore := func(t time.Time) time.Time { return t.AddDate(0, 0, -1) }
	if out.Today, err = a.stageFigures(ctx, today, now, today.AddDate(0, 0, 1), q.Compare, dayBefore, working); err != nil {
		return nil, err
	}
	if out.Period, err = a.stageFigures(ctx, pFrom, pTo, q.periodEnd(month), q.Compare, q.before(), working); err != nil {
		return nil, err
	}

	if q.StagesOnly {
		return out, nil
	}

	// Top lists of the period: whole days of reports (the maintained
	// totals), up to the end of today.
	topTo := pTo
	if !topTo.Equal(q.periodTo()) {
		topTo = today.AddDate(0, 0, 1)
	}
	names, err := a.dashboardNames(ctx)
	if err != nil {
		return nil, err
	}
	for _, by := range []string{store.TopStreet, store.TopUnit, store.TopCategory} {
		counts, err := a.Store.TopCounts(ctx, by, pFrom, topTo, now)
		if err != nil {
			return nil, err
		}
		rows := make([]TopRow, 0, len(counts))
		for k, c := range counts {
			if k == "" {
				continue
			}
			rows = append(rows, TopRow{Key: k, Name: names[by][k], TopCount: *c, Open: c.Reported - c.Closed - c.Voided})
		}
		val := func(r TopRow) int64 {
			switch q.Sort {
			case "open":
				return r.Open
			case "closed":
				return r.Closed
			case "overdue":
				return r.Overdue
			}
			return r.Reported
		}
		if by == store.TopUnit { // units by code, as everywhere else
			for i := range rows {
				rows[i].Key = names["unit_code"][rows[i].Key]
			}
		}
		rows = slices.DeleteFunc(rows, func(r TopRow) bool { return val(r) == 0 })
		slices.SortFunc(rows, func(a, b TopRow) int { return cmp.Or(cmp.Compare(val(b), val(a)), cmp.Compare(a.Key, b.Key)) })
		if len(rows) > q.Top {
			rows = rows[:q.Top]
		}
		out.Top[by] = rows
	}

	// The overdue cases and the supervision orders waiting.
	if out.Overdue.Cases, out.Overdue.Total, err = a.Store.OverdueCases(ctx, now, q.Top); err != nil {
		return nil, err
	}
	if out.Orders.Cases, out.Orders.Total, err = a.Store.SupervisionOrders(ctx, q.Top); err != nil {
		return nil, err
	}
	for _, l := range []*CaseList{&out.Overdue, &out.Orders} {
		for i := range l.Cases {
			c := &l.Cases[i]
			c.UnitName = names[store.TopUnit][strconv.FormatInt(c.Unit, 10)]
			c.StreetName, c.CategoryName = names[store.TopStreet][c.Street], names[store.TopCategory][c.Category]
			c.Deadline = c.Deadline.In(loc)
		}
	}
	if out.Open, err = a.Store.OpenCount(ctx); err != nil {
		return nil, err
	}

	// The heat map: open cases counted per grid (the map's clusters).
	if b, ok := a.districtBound(); ok {
		res, err := a.Store.Map(ctx, store.MapFilter{Box: b, OpenOnly: true, Limit: 1})
		if err != nil {
			return nil, err
		}
		out.Heat = append([]store.MapCluster{}, res.Clusters...)
	}

	// The sentence: the pair reported most in the last 7 days.
	f := &Focus{Days: FocusDays}
	day := store.DayOf(now) // 近7天: today and the six days before
	last, err := a.Store.StreetCategoryCounts(ctx, day-FocusDays+1, day+1)
	if err != nil {
		return nil, err
	}
	for _, p := range last {
		if p.Street != "" && (p.Count > f.Count || p.Count == f.Count && p.Street+p.Category < f.Street+f.Category) {
			f.Street, f.Category, f.Count = p.Street, p.Category, p.Count
		}
	}
	if f.Count > 0 {
		before, err := a.Store.StreetCategoryCounts(ctx, day-2*FocusDays+1, day-FocusDays+1)
		if err != nil {
			return nil, err
		}
		for _, p := range before {
			if p.Street == f.Street && p.Category == f.Category {
				f.Previous = p.Count
			}
		}
		f.ChangePct = compare(f.Count, f.Previous).ChangePct
		f.StreetName, f.CategoryName = names[store.TopStreet][f.Street], names[store.TopCategory][f.Category]
		out.Focus = f
	}
	return out, nil
}

// periodEnd is where the period ends: its own end, or this month's.
func (q DashboardQuery) periodEnd(month time.Time) time.Time {
	if q.Period == nil {
		return month.AddDate(0, 1, 0)
	}
	return q.Period.To
}

// before steps back one period for 环比: a month, a quarter, a year, a
// week or a range of as many days.
func (q DashboardQuery) before() func(time.Time) time.Time {
	p := q.Period
	switch {
	case p == nil || len(p.Name) == 7:
		return func(t time.Time) time.Time { return t.AddDate(0, -1, 0) }
	case strings.Contains(p.Name, "-Q"):
		return func(t time.Time) time.Time { return t.AddDate(0, -3, 0) }
	case len(p.Name) == 4:
		return func(t time.Time) time.Time { return t.AddDate(-1, 0, 0) }
	}
	days := int(p.To.Sub(p.From).Hours()/24 + 0.5) // a week, or a range of days
	return func(t time.Time) time.Time { return t.AddDate(0, 0, -days) }
}

func (q DashboardQuery) periodTo() time.Time {
	if q.Period == nil {
		return time.Time{}
	}
	return q.Period.To
}

// stageFigures counts the stages over [from, to) and, when asked, over the
// earlier span of the same length: for 环比 one step back (the day before —
// the working day before, with workdays — or the period before), for 同比
// the same days a year before. The earlier span ends where its own day or
// period does (end, stepped back).
func (a *App) stageFigures(ctx context.Context, from, to, end time.Time, compareTo string, back func(time.Time) time.Time, working func(time.Time) bool) (StageFigures, error) {
	days, err := a.Store.StageDays(ctx, from, to)
	if err != nil {
		return StageFigures{}, err
	}
	sum := func(days map[string]map[int64]int64, st string) int64 {
		var n int64
		for d, v := range days[st] {
			if working(time.Unix(d*86400, 0).Add(-8 * time.Hour)) {
				n += v
			}
		}
		return n
	}
	span := func(from, to time.Time) Span {
		s := Span{From: from.In(calendar.Shanghai), To: to.In(calendar.Shanghai)}
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			if working(d) {
				s.Days++
			}
		}
		return s
	}
	out := StageFigures{Span: span(from, to), Stages: map[string]Figure{}}
	if compareTo == "" {
		for _, st := range store.Stages {
			out.Stages[st] = Figure{Value: sum(days, st)}
		}
		return out, nil
	}
	year := func(t time.Time) time.Time { return t.AddDate(-1, 0, 0) }
	step := back
	if compareTo == CompareYoY {
		step = year
	}
	pf, pend := step(from), step(end)
	if compareTo == CompareMoM && end.Sub(from) <= 24*time.Hour { // a day: the working day before, with workdays
		for i := 0; i < 60 && !working(pf); i++ {
			pf = back(pf)
		}
		pend = pf.AddDate(0, 0, 1)
	}
	if compareTo == CompareMoM && pend.After(from) {
		pend = from
	}
	pt := pf.Add(to.Sub(from))
	if pt.After(pend) {
		pt = pend
	}
	prev, err := a.Store.StageDays(ctx, pf, pt)
	if err != nil {
		return StageFigures{}, err
	}
	ps := span(pf, pt)
	out.Previous = &ps
	for _, st := range store.Stages {
		out.Stages[st] = compare(sum(days, st), sum(prev, st))
	}
	return out, nil
}

// dashboardNames names streets, units and categories by key.
func (a *App) dashboardNames(ctx context.Context) (map[string]map[string]string, error) {
	out := map[string]map[string]string{store.TopStreet: {}, store.TopUnit: {}, store.TopCategory: {}, "unit_code": {}}
	divs, err := a.Store.Divisions(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range divs {
		if d.Level == places.LevelStreet {
			out[store.TopStreet][d.Code] = d.Name
		}
	}
	units, err := a.Store.Units(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		id := strconv.FormatInt(u.ID, 10)
		out[store.TopUnit][id], out["unit_code"][id] = u.Name, u.Code
	}
	cats, err := a.Store.Categories(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cats {
		out[store.TopCategory][c.ID] = c.Name
	}
	return out, nil
}

// bounds remembers the box of the unit grids of the index in use.
var bounds struct {
	sync.Mutex
	ix *places.Index
	b  store.Bound
}

// districtBound is the box around every unit grid.
func (a *App) districtBound() (store.Bound, bool) {
	ix := a.Index()
	if ix == nil || ix.Len() == 0 {
		return store.Bound{}, false
	}
	bounds.Lock()
	defer bounds.Unlock()
	if bounds.ix == ix {
		return bounds.b, true
	}
	var b store.Bound
	for i, u := range ix.Units() {
		g := u.Geometry.Bound()
		if i == 0 {
			b = store.Bound{MinLon: g.Min[0], MinLat: g.Min[1], MaxLon: g.Max[0], MaxLat: g.Max[1]}
			continue
		}
		b.MinLon, b.MinLat = min(b.MinLon, g.Min[0]), min(b.MinLat, g.Min[1])
		b.MaxLon, b.MaxLat = max(b.MaxLon, g.Max[0]), max(b.MaxLat, g.Max[1])
	}
	bounds.ix, bounds.b = ix, b
	return b, true
}

// ScreenTokens lists the screen tokens, newest first (never the tokens).
func (a *App) ScreenTokens(ctx context.Context) ([]store.APIToken, error) {
	ts, err := a.Store.Tokens(ctx, access.ScopeScreen)
	for i := range ts {
		ts[i].CreatedAt = ts[i].CreatedAt.In(calendar.Shanghai)
		if ts[i].RevokedAt != nil {
			t := ts[i].RevokedAt.In(calendar.Shanghai)
			ts[i].RevokedAt = &t
		}
	}
	return ts, err
}

// RevokeScreenToken revokes a live screen token; any other id is not
// found.
func (a *App) RevokeScreenToken(ctx context.Context, id int64) error {
	ts, err := a.Store.Tokens(ctx, access.ScopeScreen)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ts, func(t store.APIToken) bool { return t.ID == id && t.RevokedAt == nil }) {
		return fmt.Errorf("screen token %d: %w", id, store.ErrNotFound)
	}
	return a.Store.RevokeToken(ctx, id, a.Now())
}
