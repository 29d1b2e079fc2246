package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// The inbox applies the scope the domain hands it exactly as access.Scope
// defines it: for each reader, the lines (and the unread count) are those
// addressed to them whose case access.CanSee lets them see.
func TestInboxFollowsTheDomainsScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		at := t0
		next := func() time.Time { at = at.Add(10 * time.Minute); return at }
		// Three cases dispatched to 环卫处: one in the fixture's grid, one
		// in another grid of another street, one there reported by the
		// fixture's worker.
		var cases []*caseflow.Case
		for i, place := range []caseflow.Place{
			{UnitGrid: storetest.Grid + "001", Grid: storetest.Grid, Community: "140213053001", Street: "140213053"},
			{UnitGrid: "14021300100201001", Grid: "14021300100201", Community: "140213001002", Street: "140213001"},
			{UnitGrid: "14021300100201002", Grid: "14021300100201", Community: "140213001002", Street: "140213001"},
		} {
			c := &caseflow.Case{Channel: caseflow.ChannelPatrol, CategoryID: "M06011", Urgency: caseflow.Normal, Description: "垃圾",
				Point: caseflow.Point{Lon: 113.31, Lat: 40.09}, Place: place}
			actor := f.Operator
			if i == 2 {
				c.Reporter.AccountID, actor = f.Worker.AccountID, f.Worker
			}
			ev, err := caseflow.Report(c, actor, next(), f.Policy)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateCase(ctx, c, &ev, f.Policy); err != nil {
				t.Fatal(err)
			}
			c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: next()})
			c = f.Do(t, c, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, At: next(),
				Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true}}})
			cases = append(cases, c)
		}
		byID := map[int64]*caseflow.Case{}
		for _, c := range cases {
			byID[c.ID] = c
		}
		readers := []access.Principal{
			{AccountID: f.Handler.AccountID, Role: caseflow.Handler, UnitID: f.Env.ID, UnitKind: org.KindDepartment},
			{AccountID: 900, Role: caseflow.Handler, UnitID: f.Env.ID, UnitKind: org.KindStreet, Street: "140213053"},
			{AccountID: 901, Role: caseflow.GridWorker, UnitID: f.Env.ID, Grids: []string{storetest.Grid}},
			{AccountID: f.Worker.AccountID, Role: caseflow.GridWorker, UnitID: f.Env.ID, Grids: []string{"14021399999999"}},
			{AccountID: 902, Role: caseflow.GridWorker, UnitID: f.Env.ID},
			{AccountID: 903, Role: caseflow.Leader, UnitID: f.Env.ID},
			{AccountID: 904, Role: caseflow.Resident, UnitID: f.Env.ID},
		}
		sees := []int{3, 3, 1, 1, 0, 3, 0} // of the three 环卫处 task notices
		for i, p := range readers {
			all, err := s.Inbox(ctx, store.Recipient{AccountID: p.AccountID, UnitID: p.UnitID, Role: p.Role, Scope: store.CaseScope{All: true}}, at, 100)
			if err != nil {
				t.Fatal(err)
			}
			var want []int64
			for _, n := range all.New {
				if access.CanSee(p, byID[n.CaseID]) {
					want = append(want, n.ID)
				}
			}
			in, err := s.Inbox(ctx, store.Recipient{AccountID: p.AccountID, UnitID: p.UnitID, Role: p.Role, Scope: store.CaseScope(access.ScopeOf(p))}, at, 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, n := range in.New {
				got = append(got, n.ID)
			}
			if !slices.Equal(got, want) || in.Unread != len(want) || len(want) != sees[i] {
				t.Errorf("%s %+v: lines %v, unread %d; want %v", p.Role, p, got, in.Unread, want)
			}
		}
		if in, _ := s.Inbox(ctx, store.Recipient{UnitID: f.Env.ID, Role: caseflow.Handler}, at, 100); len(in.New) != 0 || in.Unread != 0 {
			t.Errorf("the zero scope shows %d lines, %d unread", len(in.New), in.Unread)
		}
	})
}

// PhotoCases finds the cases whose events name a photo: the report's and
// a report back's evidence, each case once.
func TestPhotoCases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := setup(t, s)
		at := t0
		next := func() time.Time { at = at.Add(10 * time.Minute); return at }
		c := f.Report(t, next())
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: next()})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, At: next(),
			Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true}}})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActSign, Actor: f.Handler, At: next()})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActReportBack, Actor: f.Handler, At: next(), Note: "已清运", Photos: []string{"p-after", "p-both"}})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActCheckFail, Actor: f.Worker, At: next(), Reason: "仍有残留", Photos: []string{"p-both"}})
		other := f.Report(t, next())
		other = f.Do(t, other, caseflow.Command{Action: caseflow.ActVoid, Actor: f.Disp, At: next(), Reason: "重复", Photos: []string{"p-both"}})
		for _, tt := range []struct {
			photo string
			want  []int64
		}{{"p-after", []int64{c.ID}}, {"p-both", []int64{c.ID, other.ID}}, {"p-none", nil}} {
			cs, err := s.PhotoCases(ctx, tt.photo)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, pc := range cs {
				got = append(got, pc.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("cases of %s: %v, want %v", tt.photo, got, tt.want)
			}
		}
	})
}
