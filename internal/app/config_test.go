package app_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/deadline"
	"github.com/xiuhua/xiuhua/internal/routing"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// Two instances on one database: a time limit, a district day off made by
// the command line, and a new category with its dispatch rule made on one
// side reach the other instance without a restart.
func TestConfigReachesSecondInstance(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			st1, target := storetest.OpenTarget(t, d)
			st2 := storetest.OpenAgain(t, target)
			f := storetest.NewFixture(t, st1) // units for the dispatch table
			a, err := app.New(ctx, st1, app.Config{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := app.New(ctx, st2, app.Config{})
			if err != nil {
				t.Fatal(err)
			}
			fctx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); b.FollowConfig(fctx, 20*time.Millisecond, 0) }()
			defer func() { stop(); <-done }()

			start := time.Date(2026, 11, 2, 9, 0, 0, 0, calendar.Shanghai) // a Monday
			due := func(x *app.App) time.Time {
				return x.Policy.Due(caseflow.StepHandle, "M06011", caseflow.Normal, start)
			}
			// waitFor polls until cond holds on instance b (or gives up
			// after a generous while: this is not a timing test).
			waitFor := func(what string, cond func() bool) {
				t.Helper()
				for end := time.Now().Add(30 * time.Second); !cond(); {
					if time.Now().After(end) {
						t.Fatalf("instance b never saw %s", what)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			before := due(b)
			if !before.Equal(due(a)) {
				t.Fatalf("the instances disagree before any change: %s and %s", due(a), before)
			}
			// 1. The admin of instance a doubles 积存垃圾渣土's time limit.
			ls := deadline.DefaultLimits()
			for i := range ls {
				if ls[i].Scope == "M06011" && ls[i].Step == caseflow.StepHandle {
					ls[i].Amount = 4
				}
			}
			if err := st1.SaveTimeLimits(ctx, ls); err != nil {
				t.Fatal(err)
			}
			if err := a.ConfigChanged(ctx, app.ConfigPolicy); err != nil {
				t.Fatal(err)
			}
			if due(a).Equal(before) {
				t.Fatal("instance a did not apply its own change")
			}
			waitFor("the new time limit", func() bool { return due(b).Equal(due(a)) })

			// 2. The command line (no instance of its own) makes Tuesday a
			// day off: both servers count it for new deadlines.
			withLimit := due(b)
			if err := st1.SaveCalendarDay(ctx, store.CalendarDay{Day: "2026-11-03", Note: "区里调休"}, time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := st1.BumpConfig(ctx, app.ConfigPolicy, time.Now()); err != nil {
				t.Fatal(err)
			}
			waitFor("the district's day off", func() bool {
				return !b.Policy.Calendar().IsWorkingDay(start.AddDate(0, 0, 1)) && due(b).After(withLimit)
			})
			// 4 working days from Monday 09:00 ended Friday 09:00; with
			// Tuesday off they end the next Monday 09:00.
			if got, want := due(b), time.Date(2026, 11, 9, 9, 0, 0, 0, calendar.Shanghai); !withLimit.Equal(time.Date(2026, 11, 6, 9, 0, 0, 0, calendar.Shanghai)) || !got.Equal(want) {
				t.Fatalf("the deadline was %s and with Tuesday off is %s, want %s", withLimit, got, want)
			}

			// 3. The admin of instance a adds a local category and a
			// dispatch rule sending it to 园林管理处: instance b routes a
			// report of the new category there.
			if err := st1.SaveCategories(ctx, []catalog.Category{{ID: "M90001", Kind: catalog.Matter, Code: "90001", MajorClass: "地方事项",
				Name: "占道晾晒", Public: true}}); err != nil {
				t.Fatal(err)
			}
			rule := &routing.Rule{Category: "M90001", Area: routing.Any, Lead: f.Gar.Code}
			if err := st1.AddDispatchRule(ctx, rule, time.Now(), func([]routing.Rule) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if err := a.ConfigChanged(ctx, app.ConfigRoutes); err != nil {
				t.Fatal(err)
			}
			place := caseflow.Place{Street: "140213053", Grid: storetest.Grid}
			waitFor("the new category's dispatch rule", func() bool {
				d, err := b.Routes().Route("M90001", place, "")
				return err == nil && d.Lead.Code == f.Gar.Code
			})
			if cats, err := st2.Categories(ctx); err != nil || !slices.ContainsFunc(cats, func(c catalog.Category) bool { return c.ID == "M90001" }) {
				t.Fatalf("instance b's catalog lacks the new category: %v", err)
			}
		})
	}
}
