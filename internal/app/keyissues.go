package app

import (
	"context"
	"fmt"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/hotline"
)

// KeyIssueLists are a month's every-month key issues (每月一题).
type KeyIssueLists struct {
	Month    string             `json:"month"` // 2026-11
	Channel  string             `json:"channel,omitempty"`
	Requests int                `json:"requests"` // every request of the month counted
	Frequent []hotline.KeyIssue `json:"frequent"`
	Rising   []hotline.KeyIssue `json:"rising"`
	Repeats  []hotline.KeyIssue `json:"repeats"`
}

// KeyIssues reads a month (YYYY-MM, Beijing; "" for the last full month)
// and the month before, and ranks their category × street pairs.
func (a *App) KeyIssues(ctx context.Context, month, channel string, n int) (*KeyIssueLists, error) {
	var from time.Time
	if month == "" {
		now := a.Now().In(calendar.Shanghai)
		from = time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, calendar.Shanghai)
	} else {
		var err error
		if from, err = time.ParseInLocation("2006-01", month, calendar.Shanghai); err != nil || from.Year() < 2000 || from.Year() > 2200 {
			return nil, &hotline.PointError{Field: "month", Msg: fmt.Sprintf("month %q: want a month such as 2026-11", month)}
		}
	}
	to := from.AddDate(0, 1, 0)
	cur, err := a.Store.PairCounts(ctx, from, to, channel)
	if err != nil {
		return nil, err
	}
	prev, err := a.Store.PairCounts(ctx, from.AddDate(0, -1, 0), from, channel)
	if err != nil {
		return nil, err
	}
	l := &KeyIssueLists{Month: from.Format("2006-01"), Channel: channel}
	for _, p := range cur {
		l.Requests += p.Count
	}
	l.Frequent, l.Rising, l.Repeats = hotline.KeyIssues(cur, prev, n)
	for _, list := range []*[]hotline.KeyIssue{&l.Frequent, &l.Rising, &l.Repeats} {
		if *list == nil {
			*list = []hotline.KeyIssue{}
		}
	}
	return l, nil
}
