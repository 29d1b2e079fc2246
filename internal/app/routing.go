package app

import (
	"context"
	"fmt"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/routing"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Known is what dispatch rules may name: the catalog, the units and the
// divisions and grids valid at a moment.
func Known(ctx context.Context, st *store.Store, at time.Time) (routing.Known, error) {
	k := routing.Known{Categories: map[string]bool{}, Areas: map[string]bool{}}
	cats, err := st.Categories(ctx)
	if err != nil {
		return k, err
	}
	for _, c := range cats {
		k.Categories[c.ID] = true
	}
	if k.Units, err = st.Units(ctx); err != nil {
		return k, err
	}
	divs, err := st.Divisions(ctx)
	if err != nil {
		return k, err
	}
	for _, d := range divs {
		k.Areas[d.Code] = true
	}
	grids, err := st.Grids(ctx, at)
	if err != nil {
		return k, err
	}
	for _, g := range grids {
		k.Areas[g.Code] = true
	}
	return k, nil
}

// ReloadRoutes rebuilds the dispatch table from the store.
func (a *App) ReloadRoutes(ctx context.Context) error {
	rules, err := a.Store.DispatchRules(ctx)
	if err != nil {
		return err
	}
	k, err := Known(ctx, a.Store, a.Now())
	if err != nil {
		return err
	}
	t, err := routing.New(rules, k)
	if err != nil {
		return fmt.Errorf("app: the stored dispatch table is invalid: %w", err)
	}
	a.routes.Store(t)
	return nil
}

// Routes is the current dispatch table.
func (a *App) Routes() *routing.Table { return a.routes.Load() }

// RouteResult is a dry run: the place of a point and the decision.
type RouteResult struct {
	Place    caseflow.Place   `json:"place"`
	Decision routing.Decision `json:"decision"`
}

// Route says where a report of a category at a point would go and which
// rule would decide it, without writing anything.
// returned are the departments that already gave the case back (for a
// case being dispatched again; nil for a new report).
func (a *App) Route(lon, lat float64, categoryID, ownership string, returned []int64) (RouteResult, error) {
	u, err := a.Index().Locate(lon, lat)
	if err != nil {
		return RouteResult{}, err
	}
	p := caseflow.Place{UnitGrid: u.Code, Grid: u.Grid, Community: u.Community, Street: u.Street}
	d, err := a.Routes().RouteAvoiding(categoryID, p, ownership, returned)
	return RouteResult{Place: p, Decision: d}, err
}

// AutoDispatch dispatches a registered case by the table; the event keeps
// why each department got it.
func (a *App) AutoDispatch(ctx context.Context, caseID int64, actor caseflow.Actor, ownership string) (*caseflow.Case, caseflow.Event, error) {
	c, err := a.Store.Case(ctx, caseID)
	if err != nil {
		return nil, caseflow.Event{}, err
	}
	d, err := a.Routes().RouteAvoiding(c.CategoryID, c.Place, ownership, c.ReturnedBy())
	if err != nil {
		return nil, caseflow.Event{}, err
	}
	return a.Act(ctx, caseID, caseflow.Command{Action: caseflow.ActDispatch, Actor: actor, At: a.Now(),
		ExpectedVersion: c.Version, Assignments: d.Assignments()})
}

// Duplicate search defaults: a category may set its own radius.
const (
	DuplicateRadius = 50.0 // metres
	DuplicateWindow = 30 * 24 * time.Hour
)

// Duplicates lists open cases of the category near a point, reported in
// the window before now, nearest first: what a dispatcher should consider
// merging a new report into. exclude leaves one case out (the report).
func (a *App) Duplicates(ctx context.Context, categoryID string, lon, lat float64, exclude int64) ([]store.Nearby, float64, error) {
	r, err := a.Store.DuplicateRadius(ctx, categoryID, DuplicateRadius)
	if err != nil {
		return nil, 0, err
	}
	ns, err := a.Store.OpenNearby(ctx, categoryID, lon, lat, r, a.Now().Add(-DuplicateWindow), exclude, 20)
	return ns, r, err
}
