package app_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

func TestParsePeriod(t *testing.T) {
	for _, tt := range []struct{ in, from, to string }{
		{"2026-11", "2026-11-01", "2026-12-01"},
		{"2026-Q4", "2026-10-01", "2027-01-01"},
		{"2026", "2026-01-01", "2027-01-01"},
		{"2026-W48", "2026-11-23", "2026-11-30"},
		{"2026-W01", "2025-12-29", "2026-01-05"},
		{"2026-11-01..2026-11-15", "2026-11-01", "2026-11-16"},
	} {
		p, err := app.ParsePeriod(tt.in)
		if err != nil || p.From.Format(time.DateOnly) != tt.from || p.To.Format(time.DateOnly) != tt.to || p.From.Location().String() != "Asia/Shanghai" {
			t.Errorf("%s: %v %v %v", tt.in, p.From, p.To, err)
		}
	}
	for _, bad := range []string{"", "2026-13", "2026-Q5", "2026-W54", "11/2026", "2026-11-15..2026-11-01"} {
		if _, err := app.ParsePeriod(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Four cases in one street in March 2026, with counts worked out by hand;
// then publishing freezes them.
func TestEvaluationByHand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, st)
		if err := st.SaveDivisions(ctx, []places.Division{{Code: "140213053", Name: "迎宾街道", Level: places.LevelStreet},
			{Code: "140213053001", Name: "社区", Level: places.LevelCommunity, ParentCode: "140213053"}}); err != nil {
			t.Fatal(err)
		}
		at := storetest.T0 // Monday 2 March 2026, 09:00
		step := func(c *caseflow.Case, d time.Duration, cmd caseflow.Command) *caseflow.Case {
			cmd.At = at.Add(d)
			return f.Do(t, c, cmd)
		}
		dispatch := caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true}}}
		back := caseflow.Command{Action: caseflow.ActReportBack, Actor: f.Handler, Note: "已清运", Photos: []string{"a.jpg"}}
		reg := caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp}
		// A: closed on time.
		a := f.Report(t, at)
		a = step(a, 10*time.Minute, reg)
		a = step(a, 20*time.Minute, dispatch)
		a = step(a, time.Hour, caseflow.Command{Action: caseflow.ActSign, Actor: f.Handler})
		a = step(a, 2*time.Hour, back)
		a = step(a, 3*time.Hour, caseflow.Command{Action: caseflow.ActCheckPass, Actor: f.Worker})
		step(a, 4*time.Hour, caseflow.Command{Action: caseflow.ActClose, Actor: f.Disp})
		// B: dispatched and left open: overdue by the end of March.
		b := f.Report(t, at)
		b = step(b, 10*time.Minute, reg)
		step(b, 20*time.Minute, dispatch)
		// C: voided after registering.
		c := f.Report(t, at)
		c = step(c, 10*time.Minute, reg)
		step(c, 20*time.Minute, caseflow.Command{Action: caseflow.ActVoid, Actor: f.Disp, Reason: "误报"})
		// D: reworked once, then closed.
		d := f.Report(t, at)
		d = step(d, 10*time.Minute, reg)
		d = step(d, 20*time.Minute, dispatch)
		d = step(d, time.Hour, caseflow.Command{Action: caseflow.ActSign, Actor: f.Handler})
		d = step(d, 2*time.Hour, back)
		d = step(d, 3*time.Hour, caseflow.Command{Action: caseflow.ActCheckFail, Actor: f.Worker, Reason: "仍有残留"})
		d = step(d, 5*time.Hour, back)
		d = step(d, 6*time.Hour, caseflow.Command{Action: caseflow.ActCheckPass, Actor: f.Worker})
		step(d, 7*time.Hour, caseflow.Command{Action: caseflow.ActClose, Actor: f.Disp})

		a2, err := app.New(ctx, st, app.Config{})
		if err != nil {
			t.Fatal(err)
		}
		a2.Now = func() time.Time { return time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC) }
		march, _ := app.ParsePeriod("2026-03")
		e, err := a2.Evaluate(ctx, ledger.ByStreet, march, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Rows) != 1 || e.Rows[0].Key != "140213053" || e.Rows[0].Name != "迎宾街道" {
			t.Fatalf("rows %+v", e.Rows)
		}
		want := map[string]int64{"registered": 4, "due": 3, "closed": 2, "closed_on_time": 2, "reworked": 1, "overdue_open": 1,
			"tasks": 3, "handled": 2, "handled_on_time": 2}
		for k, v := range want {
			if got := e.Rows[0].Counts[k]; got != v {
				t.Errorf("%s = %d, want %d", k, got, v)
			}
		}
		if r := e.Rows[0].Rates["close_rate"]; r == nil || *r != 2.0/3 {
			t.Errorf("close rate %v", r)
		}
		w, err := a2.Evaluate(ctx, ledger.ByWorker, march, nil)
		if err != nil {
			t.Fatal(err)
		}
		var worker ledger.Row
		for _, r := range w.Rows {
			if r.Key == "worker" {
				worker = r
			}
		}
		if worker.Counts["reports"] != 4 || worker.Counts["valid_reports"] != 3 || worker.Counts["checks"] != 3 || worker.Counts["checked_on_time"] != 3 {
			t.Errorf("grid worker counts %+v", worker.Counts)
		}
		dep, err := a2.Evaluate(ctx, ledger.ByDepartment, march, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Three due cases are too few to be ranked; asked to rank every
		// unit, it is first.
		if r := dep.Rows[0]; r.Key != "hwc" || r.Counts["due"] != 3 || r.Rank != 0 || !r.SmallSample || r.Sample != 3 || r.Score == nil {
			t.Errorf("department %+v", r)
		}
		if dep.Rerank(0); dep.Rows[0].Rank != 1 || dep.Rows[0].SmallSample {
			t.Errorf("department ranked with no minimum %+v", dep.Rows[0])
		}

		// Publishing freezes the figures: suspending B afterwards changes the
		// live community evaluation but not the published street one.
		if _, err := a2.Publish(ctx, ledger.ByStreet, march, nil, "leader"); err != nil {
			t.Fatal(err)
		}
		if _, err := a2.Publish(ctx, ledger.ByStreet, march, nil, "leader"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("published twice: %v", err)
		}
		april, _ := app.ParsePeriod("2026-04")
		if _, err := a2.Publish(ctx, ledger.ByStreet, april, nil, "leader"); err == nil {
			t.Fatal("published a period that has not ended")
		}
		bb, _ := st.Case(ctx, b.ID)
		bb = f.Do(t, bb, caseflow.Command{Action: caseflow.ActRequestSuspension, Actor: f.Handler, At: time.Date(2026, 4, 2, 2, 0, 0, 0, time.UTC), Reason: "需规划部门论证"})
		f.Do(t, bb, caseflow.Command{Action: caseflow.ActApproveSuspension, Actor: f.Disp, At: time.Date(2026, 4, 2, 3, 0, 0, 0, time.UTC)})
		again, err := a2.Evaluate(ctx, ledger.ByStreet, march, ledger.Weights{"close_rate": 1})
		if err != nil {
			t.Fatal(err)
		}
		if !again.Published || !reflect.DeepEqual(again.Rows, e.Rows) || !reflect.DeepEqual(again.Weights, e.Weights) {
			t.Fatalf("the published figures changed:\n%+v\n%+v", again.Rows, e.Rows)
		}
		live, _ := a2.Evaluate(ctx, ledger.ByCommunity, march, nil)
		if live.Rows[0].Counts["due"] != 2 {
			t.Fatalf("the live community figures did not see the change: %+v", live.Rows[0].Counts)
		}
	})
}

// The SQL counts agree with a plain recomputation over every case of a
// simulated year, month by month and street by street.
func TestEvaluationAgreesWithRecount(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	end := time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC)
	if _, err := demo.Build(ctx, st, demo.Options{Cases: 3000, Seed: 11, End: end}); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, st, app.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a.Now = func() time.Time { return end }
	var all []caseflow.Case
	for before := int64(0); ; {
		page, err := st.Cases(ctx, store.CaseFilter{Limit: 500, Before: before})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		before = page[len(page)-1].ID
	}
	for _, month := range []string{"2026-02", "2026-07", "2026-11"} {
		p, _ := app.ParsePeriod(month)
		asOf := end
		if asOf.After(p.To) {
			asOf = p.To
		}
		want := map[string]map[string]int64{}
		inc := func(street, k string) {
			if want[street] == nil {
				want[street] = map[string]int64{}
			}
			want[street][k]++
		}
		for _, c := range all {
			if c.RegisteredAt.IsZero() || c.RegisteredAt.Before(p.From) || !c.RegisteredAt.Before(p.To) {
				continue
			}
			inc(c.Place.Street, "registered")
			if c.State == caseflow.Voided || c.State == caseflow.Suspended {
				continue
			}
			inc(c.Place.Street, "due")
			if !c.ClosedAt.IsZero() && c.ClosedAt.Before(asOf) {
				inc(c.Place.Street, "closed")
				if c.CloseType == caseflow.CloseNormal {
					inc(c.Place.Street, "closed_on_time")
				}
			}
			if c.Reworks > 0 || c.Reopens > 0 {
				inc(c.Place.Street, "reworked")
			}
			if c.State != caseflow.Closed && !c.Deadline.IsZero() && c.Deadline.Before(asOf) {
				inc(c.Place.Street, "overdue_open")
			}
		}
		e, err := a.Evaluate(ctx, ledger.ByStreet, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, r := range e.Rows {
			for _, k := range []string{"registered", "due", "closed", "closed_on_time", "reworked", "overdue_open"} {
				if r.Counts[k] != want[r.Key][k] {
					t.Errorf("%s %s %s: SQL %d, recount %d", month, r.Key, k, r.Counts[k], want[r.Key][k])
				}
				checked += int(want[r.Key][k])
			}
		}
		if checked == 0 {
			t.Fatalf("%s: nothing to compare", month)
		}
		t.Logf("%s: %d counted figures agree", month, checked)
	}
	// The demo was loaded in bulk: the maintained aggregates agree with
	// counting the cases, for ledgers and for every aggregated group.
	nov, _ := app.ParsePeriod("2026-11")
	for _, lf := range []store.CaseFilter{{}, {Street: all[0].Place.Street}, {Community: all[0].Place.Community},
		{Category: all[0].CategoryID}, {Street: all[0].Place.Street, From: nov.From, To: nov.To}, {From: nov.From}} {
		lf.Now = end
		fast, err := st.Ledger(ctx, lf)
		if err != nil {
			t.Fatal(err)
		}
		lf.Recount = true
		slow, err := st.Ledger(ctx, lf)
		if err != nil {
			t.Fatal(err)
		}
		if fast != slow || slow.Total == 0 {
			t.Errorf("ledger %+v: aggregates %+v, recount %+v", lf, fast, slow)
		}
	}
	for _, g := range []ledger.Group{ledger.ByDepartment, ledger.ByStreet, ledger.ByCommunity} {
		for _, name := range []string{"2026-03", "2026-Q2", "2026-W30", "2026-11", "2026", "2026-08-07..2026-09-12"} {
			p, err := app.ParsePeriod(name)
			if err != nil {
				t.Fatal(err)
			}
			fast, _, err := a.EvaluationCounts(ctx, g, p, false)
			if err != nil {
				t.Fatal(err)
			}
			slow, _, err := a.EvaluationCounts(ctx, g, p, true)
			if err != nil {
				t.Fatal(err)
			}
			n := int64(0)
			for key, m := range slow {
				for _, c := range ledger.Counts {
					if fast[key][c.Key] != m[c.Key] {
						t.Errorf("%s %s, %s %s: aggregates %d, recount %d", g, name, key, c.Key, fast[key][c.Key], m[c.Key])
					}
					n += m[c.Key]
				}
			}
			for key := range fast {
				if slow[key] == nil {
					t.Errorf("%s %s: aggregates count member %q, the recount does not", g, name, key)
				}
			}
			if n == 0 {
				t.Errorf("%s %s: nothing counted", g, name)
			}
		}
	}
}
