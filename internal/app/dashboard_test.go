package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// The dashboard's stages (whole days from the maintained counts, today
// from the cases), its top streets (maintained totals) and its overdue
// count agree with plain SQL over the raw rows on SQLite and PostgreSQL;
// the web tests recount every other figure.
func TestDashboardAgreesOnBothEngines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		end := time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC)
		if _, err := demo.Build(ctx, st, demo.Options{Cases: 1500, Days: 120, Seed: 9, End: end}); err != nil {
			t.Fatal(err)
		}
		a, err := app.New(ctx, st, app.Config{})
		if err != nil {
			t.Fatal(err)
		}
		a.Now = func() time.Time { return end }
		d, err := a.Dashboard(ctx, app.DashboardQuery{Compare: app.CompareMoM, Top: 50})
		if err != nil {
			t.Fatal(err)
		}
		month := time.Date(2026, 11, 1, 0, 0, 0, 0, calendar.Shanghai)
		count := func(q string, args ...any) int64 {
			var n int64
			if err := st.DB().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for stage, q := range map[string]string{
			"reported":   `SELECT count(*) FROM cases WHERE reported_at >= $1 AND reported_at < $2`,
			"registered": `SELECT count(*) FROM cases WHERE registered_at >= $1 AND registered_at < $2`,
			"dispatched": `SELECT count(*) FROM tasks WHERE lead AND dispatched_at >= $1 AND dispatched_at < $2`,
			"closed":     `SELECT count(*) FROM cases WHERE state = 'closed' AND closed_at >= $1 AND closed_at < $2`,
		} {
			want := count(q, month.UnixMilli(), end.UnixMilli())
			prev := count(q, month.AddDate(0, -1, 0).UnixMilli(), month.AddDate(0, -1, 0).Add(end.Sub(month)).UnixMilli())
			got := d.Period.Stages[stage]
			if got.Value != want || got.Previous == nil || *got.Previous != prev || want == 0 {
				t.Errorf("%s this month: %d (before %v), recounted %d (before %d)", stage, got.Value, got.Previous, want, prev)
			}
		}
		for _, r := range d.Top["street"] {
			want := count(`SELECT count(*) FROM cases WHERE street = $1 AND reported_at >= $2 AND reported_at < $3`, r.Key, month.UnixMilli(), month.AddDate(0, 0, 20).UnixMilli())
			if r.Reported != want {
				t.Errorf("street %s: %d reported, recounted %d", r.Name, r.Reported, want)
			}
		}
		if len(d.Top["street"]) < 3 {
			t.Errorf("only %d streets ranked", len(d.Top["street"]))
		}
		// A past period against the one before it: October against September, whole.
		oct, _ := app.ParsePeriod("2026-10")
		d2, err := a.Dashboard(ctx, app.DashboardQuery{Compare: app.CompareMoM, Period: &oct})
		if err != nil {
			t.Fatal(err)
		}
		sep := time.Date(2026, 9, 1, 0, 0, 0, 0, calendar.Shanghai)
		want := count(`SELECT count(*) FROM cases WHERE reported_at >= $1 AND reported_at < $2`, oct.From.UnixMilli(), oct.To.UnixMilli())
		prev := count(`SELECT count(*) FROM cases WHERE reported_at >= $1 AND reported_at < $2`, sep.UnixMilli(), oct.From.UnixMilli())
		if f := d2.Period.Stages["reported"]; f.Value != want || f.Previous == nil || *f.Previous != prev || prev == 0 {
			t.Errorf("October reported: %d (September %v), recounted %d (%d)", f.Value, f.Previous, want, prev)
		}
		// The week's focus: the pair reported most today and the six days before.
		today := time.Date(2026, 11, 20, 0, 0, 0, 0, calendar.Shanghai)
		var street, cat string
		var n int64
		if err := st.DB().QueryRowContext(ctx, `SELECT street, category_id, count(*) FROM cases WHERE reported_at >= $1 AND reported_at < $2 AND street <> ''
			GROUP BY street, category_id ORDER BY count(*) DESC, street || category_id LIMIT 1`, today.AddDate(0, 0, -6).UnixMilli(), today.AddDate(0, 0, 1).UnixMilli()).Scan(&street, &cat, &n); err != nil {
			t.Fatal(err)
		}
		if d.Focus == nil || d.Focus.Street != street || d.Focus.Category != cat || d.Focus.Count != n {
			t.Errorf("focus: %+v, recounted %s %s %d", d.Focus, street, cat, n)
		}
		if want := count(`SELECT count(*) FROM cases WHERE state NOT IN ('closed', 'voided', 'suspended') AND deadline < $1`, end.UnixMilli()); d.Overdue.Total != want {
			t.Errorf("overdue: %d, recounted %d", d.Overdue.Total, want)
		}
	})
}
