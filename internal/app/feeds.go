package app

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/xiuhua/xiuhua/internal/alert"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/publish"
	"github.com/xiuhua/xiuhua/internal/store"
)

// The board's feeds read here: the newest open public problems of the
// district or of an area (by the alerts' own rule, alert.Area.Contains),
// and a case's public steps. What a feed may show of each is package
// publish's; the web renders it.

// FeedMax bounds the entries of a feed.
const FeedMax = 50

const (
	feedPages      = 5    // store pages of 100 one feed reads at most (a filter the rule hides everything of would read them all)
	feedCircleRead = 5000 // open cases read for a circle's feed
)

// publicRule is publish's rule as a store filter.
var publicRule = store.PublicRule{Listable: publish.Listable, VerifyFirst: publish.VerifyFirst}

// AlertCase is a case as the alert rule sees it: what the board lists.
func AlertCase(c *caseflow.Case) alert.Case {
	return alert.Case{Number: c.Number, Category: c.CategoryID, Street: c.Place.Street, Community: c.Place.Community, Point: publish.Point(c.Point)}
}

// FeedCases are the newest open public problems of an area (the zero
// area: the whole board) and of a category or class, at most FeedMax,
// newest first, with the time of each one's last public step. public
// says which categories are public.
func (a *App) FeedCases(ctx context.Context, area alert.Area, category string, public map[string]bool) ([]caseflow.Case, map[int64]time.Time, error) {
	var out []caseflow.Case
	keep := func(c *caseflow.Case) bool {
		pv := publish.Decide(c, public[c.CategoryID], publish.List)
		return pv.Show && pv.Place && c.State.Open() && (area == (alert.Area{}) || area.Contains(AlertCase(c)))
	}
	if area.Circle != nil {
		b := area.Circle.Bound()
		cs, _, err := a.Store.PublicOpen(ctx, store.Bound{MinLon: b.Min.Lon(), MinLat: b.Min.Lat(), MaxLon: b.Max.Lon(), MaxLat: b.Max.Lat()},
			category, publicRule, feedCircleRead)
		if err != nil {
			return nil, nil, err
		}
		for i := range cs {
			if keep(&cs[i]) {
				out = append(out, cs[i])
			}
		}
		slices.SortFunc(out, func(a, b caseflow.Case) int { return cmp.Compare(b.ID, a.ID) })
		out = out[:min(len(out), FeedMax)]
	} else {
		f := store.CaseFilter{Street: area.Street, Community: area.Community, Category: category, Now: a.Now(), Limit: 100}
		for page := 0; page < feedPages && len(out) < FeedMax; page++ {
			cs, err := a.Store.Cases(ctx, f)
			if err != nil {
				return nil, nil, err
			}
			for i := range cs {
				if keep(&cs[i]) && len(out) < FeedMax {
					out = append(out, cs[i])
				}
			}
			if len(cs) < f.Limit {
				break
			}
			f.Before = cs[len(cs)-1].ID
		}
	}
	last := map[int64]time.Time{}
	if len(out) == 0 {
		return out, last, nil
	}
	ids := make([]int64, len(out))
	for i := range out {
		ids[i] = out[i].ID
	}
	ups, err := a.Store.Updates(ctx, time.Time{}, time.Time{}, ids, len(ids)*50, store.PublicRule{})
	if err != nil {
		return nil, nil, err
	}
	for _, u := range ups {
		if u.At.After(last[u.CaseID]) {
			last[u.CaseID] = u.At
		}
	}
	return out, last, nil
}

// PublicSteps are a case's state changes, newest first, at most FeedMax:
// its feed's entries. The caller has checked the public may see the case.
func (a *App) PublicSteps(ctx context.Context, caseID int64) ([]store.Update, error) {
	steps, err := a.Store.Updates(ctx, time.Time{}, time.Time{}, []int64{caseID}, 1000, store.PublicRule{})
	if err != nil {
		return nil, err
	}
	slices.Reverse(steps)
	return steps[:min(len(steps), FeedMax)], nil
}
