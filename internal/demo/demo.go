// Package demo builds a ready Pingcheng: the real streets, communities and
// catalog, unit grids generated over the real outline, departments and
// accounts, and a year of simulated cases through the whole loop,
// including the stories of the Datong Daily page.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/deadline"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/photos"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/refdata"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Password is every demo account's password.
const Password = "xiuhua2026"

// Options tune the demo.
type Options struct {
	Cases int       // simulated cases over the year; default 60,000
	Days  int       // length of the simulated period; default 365
	Seed  uint64    // the same seed gives the same city
	End   time.Time // the simulated period ends here; default now
	Log   *slog.Logger
	// Photos, when set, receives the evidence photos the simulated
	// report-backs and checks show (without it they name none that exist).
	Photos photos.Blobs
}

// Result says what was built.
type Result struct {
	Logins     []Login
	Streets    int
	Coms       int
	Grids      int
	UnitGrids  int
	Categories int
	Knowledge  int // knowledge points
	Cases      int64
	Took       map[string]time.Duration
}

// Build fills an empty, migrated store.
func Build(ctx context.Context, st *store.Store, o Options) (*Result, error) {
	if o.Cases == 0 {
		o.Cases = 60_000
	}
	if o.Days == 0 {
		o.Days = 365
	}
	if o.End.IsZero() {
		o.End = time.Now()
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if n, err := st.CountCases(ctx); err != nil {
		return nil, err
	} else if len(n) > 0 {
		return nil, fmt.Errorf("demo: the database already holds cases; use an empty data directory")
	}
	res := &Result{Took: map[string]time.Duration{}}
	lap := time.Now()
	mark := func(what string) {
		res.Took[what] = time.Since(lap)
		o.Log.Info("demo: "+what, "took", time.Since(lap).Round(time.Millisecond))
		lap = time.Now()
	}

	divs, err := places.ParseDivisions(bytes.NewReader(refdata.Divisions()))
	if err != nil {
		return nil, err
	}
	if err := st.SaveDivisions(ctx, divs); err != nil {
		return nil, err
	}
	for _, d := range divs {
		switch d.Level {
		case places.LevelStreet:
			res.Streets++
		case places.LevelCommunity:
			res.Coms++
		}
	}
	cats, err := catalog.Parse(bytes.NewReader(refdata.Catalog()))
	if err != nil {
		return nil, err
	}
	if err := st.SaveCategories(ctx, cats); err != nil {
		return nil, err
	}
	if err := saveQuestions(ctx, st); err != nil {
		return nil, err
	}
	res.Categories = len(cats)
	limits := deadline.DefaultLimits()
	if err := st.SaveTimeLimits(ctx, limits); err != nil {
		return nil, err
	}
	if res.Knowledge, err = saveKnowledge(ctx, st, o.End); err != nil {
		return nil, err
	}
	mark("divisions, catalog, time limits and knowledge base")

	outline, err := places.ParseOutline(refdata.Outline())
	if err != nil {
		return nil, err
	}
	from := o.End.AddDate(0, 0, -o.Days-30).UTC().Truncate(24 * time.Hour)
	lay, err := places.GenerateLayout(outline, divs, places.LayoutOptions{Seed: o.Seed + 1, ValidFrom: from})
	if err != nil {
		return nil, err
	}
	if err := st.SaveLayer(ctx, lay.Grids, lay.Units, from); err != nil {
		return nil, err
	}
	res.Grids, res.UnitGrids = len(lay.Grids), len(lay.Units)
	mark(fmt.Sprintf("%d unit grids in %d grids", len(lay.Units), len(lay.Grids)))

	// Demo accounts share one password, hashed once (argon2id is slow on
	// purpose; hundreds of grid workers would take seconds otherwise).
	hash, err := org.HashPassword(Password)
	if err != nil {
		return nil, err
	}
	ppl, err := createPeople(ctx, st, divs, lay.Grids, hash)
	if err != nil {
		return nil, err
	}
	res.Logins = ppl.logins
	mark("units and accounts")

	cal, err := calendar.New(calendar.DefaultWindows, refdata.Holidays()...)
	if err != nil {
		return nil, err
	}
	pol, err := deadline.NewPolicy(cal, limits)
	if err != nil {
		return nil, err
	}
	loader, err := st.NewLoader(ctx)
	if err != nil {
		return nil, err
	}
	loader.Alerting, loader.Now = pol, o.End
	// The store is empty (checked above): its indexes are built once at
	// the end instead of row by row.
	if err := loader.DeferIndexes(); err != nil {
		return nil, err
	}
	units, err := st.Units(ctx)
	if err != nil {
		return nil, err
	}
	routes, err := routeTable(units, divs, lay.Grids, cats)
	if err != nil {
		return nil, err
	}
	if err := st.ReplaceDispatchRules(ctx, routes.Rules(), o.End); err != nil {
		return nil, err
	}
	sim := newSim(o, pol, cal, ppl, lay, divs, cats, routes)
	if o.Photos != nil {
		if sim.photos, err = makePhotos(ctx, o.Photos, o.Seed); err != nil {
			return nil, err
		}
	}
	if err := sim.run(loader); err != nil {
		return nil, err
	}
	if err := loader.Close(); err != nil {
		return nil, err
	}
	res.Cases = loader.Loaded
	mark(fmt.Sprintf("%d simulated cases", loader.Loaded))
	return res, nil
}
