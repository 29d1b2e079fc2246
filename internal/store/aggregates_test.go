package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestAggregatesAgreeWithRecount walks cases through random transitions —
// returns, extensions, suspensions, rework, reopening, callbacks, merges,
// voids — over two months, then asks for evaluations of every aggregated
// group over months, weeks, a quarter and odd ranges of days, past and
// current, from the maintained aggregates and by counting the cases: they
// must agree figure for figure. The maintained table must also equal one
// rebuilt from scratch.
func TestAggregatesAgreeWithRecount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, s)
		rng := rand.New(rand.NewPCG(42, 7))
		hot := rand.New(rand.NewPCG(7, 42)) // the hotline steps' fields, apart from the walk's own draws
		streets := []caseflow.Place{
			{UnitGrid: storetest.Grid + "001", Grid: storetest.Grid, Community: "140213053001", Street: "140213053"},
			{UnitGrid: "14021300100101001", Grid: "14021300100101", Community: "140213001001", Street: "140213001"},
			{UnitGrid: "14021300100201001", Grid: "14021300100201", Community: "140213001002", Street: "140213001"},
			{UnitGrid: "14021300100201002", Grid: "14021300100201", Community: "140213001002", Street: "140213001"},
		}
		units := []int64{f.Env.ID, f.Gar.ID}
		now := storetest.T0
		var ids, pending []int64
		disp := rand.New(rand.NewPCG(3, 18)) // when to come back to a pending return
		applied := map[caseflow.Action]int{}
		for step := 0; step < 2500; step++ {
			now = now.Add(time.Duration(rng.IntN(90)) * time.Minute)
			if len(ids) == 0 || rng.Float64() < 0.2 {
				c := &caseflow.Case{Channel: caseflow.ChannelPatrol, CategoryID: "M06011", Urgency: caseflow.Normal,
					Description: "垃圾", Address: "路口",
					Point: caseflow.Point{Lon: 113.3 + float64(len(ids)%37)*0.0007, Lat: 40.09 + float64(len(ids)%23)*0.0009},
					Place: streets[rng.IntN(len(streets))], Reporter: caseflow.Reporter{AccountID: f.Worker.AccountID}}
				actor := f.Worker
				if rng.Float64() < 0.5 {
					c.Channel, actor, c.Reporter = caseflow.ChannelHotline, f.Operator, caseflow.Reporter{Name: "王先生", Phone: "13900000000"}
				}
				if rng.Float64() < 0.2 {
					c.CategoryID, c.Urgency = "M06045", caseflow.Urgent
				}
				ev, err := caseflow.Report(c, actor, now, f.Policy)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.CreateCase(ctx, c, &ev, f.Policy); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, c.ID)
				continue
			}
			id, back := ids[rng.IntN(len(ids))], false
			if len(pending) > 0 && disp.Float64() < 0.3 {
				// A return waiting for its review or its arbitration is
				// come back to until it is decided, so that each outcome
				// happens.
				id, pending, back = pending[0], pending[1:], true
			}
			c, err := s.Case(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if back && slices.ContainsFunc(c.Tasks, func(k caseflow.Task) bool {
				return k.State.Active() && (k.Request == caseflow.RequestReturn || k.Request == caseflow.RequestDispute)
			}) {
				pending = append(pending, id)
				// Every other arbitration waits past its limit.
				if i := slices.IndexFunc(c.Tasks, func(k caseflow.Task) bool { return k.Request == caseflow.RequestDispute }); i >= 0 &&
					c.ID%2 == 0 && !now.After(c.Tasks[i].RequestedDue) {
					continue
				}
			}
			// Moving forward is likelier than side steps, so that cases
			// close, get callbacks and reopen.
			var rules []caseflow.Rule
			total := 0.0
			decisions := []caseflow.Action{caseflow.ActApproveReturn, caseflow.ActRefuseReturn, caseflow.ActDispute, caseflow.ActArbitrate}
			for _, r := range caseflow.Rules {
				if slices.Contains(r.From, c.State) && (!back || slices.Contains(decisions, r.Action)) {
					rules = append(rules, r)
					total += weight[r.Action]
				}
			}
			if total == 0 {
				continue
			}
			x := rng.Float64() * total
			var r caseflow.Rule
			for _, r = range rules {
				if x -= weight[r.Action]; x < 0 {
					break
				}
			}
			yes, no := true, false
			pick := func() *bool {
				if rng.Float64() < 0.7 {
					return &yes
				}
				return &no
			}
			cmd := caseflow.Command{Action: r.Action, At: now, ExpectedVersion: c.Version, Reason: "原因", Note: "说明",
				Photos: []string{"p.jpg"}, Deadline: now.Add(time.Duration(24+rng.IntN(200)) * time.Hour),
				Found: pick(), Satisfied: pick(), Solved: pick(), Special: rng.Float64() < 0.1,
				// The hotline's steps: a contact within a few hours, sometimes
				// too late for its limit; callbacks on the three-point scale,
				// some not reached; reviews either way.
				ContactedAt: now.Add(-time.Duration(hot.IntN(600)) * time.Minute), Method: caseflow.ContactPhone, Reply: "答复",
				Rating: caseflow.Ratings[hot.IntN(len(caseflow.Ratings))], Justified: &[]bool{true, false}[hot.IntN(2)]}
			if x := hot.Float64(); r.Action == caseflow.ActCallback && x < 0.15 {
				cmd.Reach, cmd.Rating, cmd.Satisfied = caseflow.NotReached, "", nil
				if x < 0.05 {
					cmd.Reach = caseflow.Refused
				}
			}
			role := r.Roles[rng.IntN(len(r.Roles))]
			cmd.Actor = caseflow.Actor{Role: role, UnitID: f.Centre.ID}
			switch role {
			case caseflow.GridWorker:
				cmd.Actor = f.Worker
			case caseflow.Resident:
				cmd.Actor = caseflow.Actor{Role: caseflow.Resident}
			}
			var active []int64
			for _, tk := range c.Tasks {
				if tk.State.Active() {
					active = append(active, tk.UnitID)
				}
			}
			if len(active) > 0 {
				u := active[rng.IntN(len(active))]
				cmd.TaskUnit = u
				if role == caseflow.Handler {
					cmd.Actor = caseflow.Actor{AccountID: f.Handler.AccountID, Role: caseflow.Handler, UnitID: u}
				}
			}
			if r.Action == caseflow.ActDispute || r.Action == caseflow.ActArbitrate {
				cmd.TaskUnit = 0 // the task whose return waits for it
			}
			switch r.Action {
			case caseflow.ActDispatch, caseflow.ActArbitrate:
				lead := units[rng.IntN(2)]
				cmd.Assignments = []caseflow.Assignment{{UnitID: lead, Lead: true}}
				if rng.Float64() < 0.3 {
					cmd.Assignments = append(cmd.Assignments, caseflow.Assignment{UnitID: units[0] + units[1] - lead})
				}
			case caseflow.ActMerge:
				cmd.DuplicateOf = ids[rng.IntN(len(ids))]
			}
			if _, _, err := s.Transition(ctx, c.ID, cmd, f.Policy); err != nil {
				var ce *caseflow.Error
				if !errors.As(err, &ce) {
					t.Fatalf("%s on case %d: %v", r.Action, c.ID, err)
				}
				continue
			}
			applied[r.Action]++
			if r.Action == caseflow.ActRequestReturn && !slices.Contains(pending, c.ID) {
				pending = append(pending, c.ID)
			}
		}
		for _, a := range []caseflow.Action{caseflow.ActClose, caseflow.ActCallback, caseflow.ActReopen, caseflow.ActCheckFail,
			caseflow.ActApproveReturn, caseflow.ActApproveExtension, caseflow.ActApproveSuspension, caseflow.ActResume,
			caseflow.ActMerge, caseflow.ActVoid, caseflow.ActReportBack, caseflow.ActContact, caseflow.ActCallerAnswer, caseflow.ActReview, caseflow.ActFollow,
			caseflow.ActRefuseReturn, caseflow.ActDispute, caseflow.ActArbitrate} {
			if applied[a] == 0 {
				t.Errorf("the walk never made a %s; it proves less than it should", a)
			}
		}
		t.Logf("%d cases, transitions %v, last at %s", len(ids), applied, now.Format(time.DateTime))

		day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, calendar.Shanghai) }
		type period struct {
			from, to, asOf, cutoff time.Time
			fast                   bool // answered from the aggregates
		}
		mid := now.Add(-20 * 24 * time.Hour) // a "now" inside the walk: its period is current
		midDay := mid.In(calendar.Shanghai)
		periods := []period{
			{day(2026, 3, 1), day(2026, 4, 1), day(2026, 4, 1), day(2026, 4, 1), true},
			{day(2026, 4, 1), day(2026, 5, 1), day(2026, 5, 1), day(2026, 5, 1), true},
			{day(2026, 1, 1), day(2026, 4, 1), day(2026, 4, 1), day(2026, 4, 1), true},
			{day(2026, 3, 9), day(2026, 3, 16), day(2026, 3, 16), day(2026, 3, 16), true},
			{day(2026, 3, 5), day(2026, 3, 24), day(2026, 3, 24), day(2026, 3, 24), false},
			{day(2026, 1, 1), day(2027, 1, 1), day(2027, 1, 1), day(2027, 1, 1), true},
			{day(midDay.Year(), midDay.Month(), 1), day(midDay.Year(), midDay.Month()+1, 1), mid, store.Forever, true},
			{day(2026, 3, 17), day(2026, 3, 24), now, store.Forever, true},
		}
		compared := 0
		disputes := map[string]int64{} // the return disputes' figures seen, so that their comparison proves something
		for _, g := range []ledger.Group{ledger.ByDepartment, ledger.ByStreet, ledger.ByCommunity} {
			for _, p := range periods {
				q := store.EvalQuery{Group: g, From: p.from, To: p.to, AsOf: p.asOf, Cutoff: p.cutoff}
				if q.Fast() != p.fast {
					t.Errorf("%s..%s: fast path %v, want %v", p.from, p.to, q.Fast(), p.fast)
				}
				fast, err := s.EvaluationCounts(ctx, q, f.Policy)
				if err != nil {
					t.Fatal(err)
				}
				q.Recount = true
				slow, err := s.EvaluationCounts(ctx, q, f.Policy)
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("%s %s..%s", g, p.from.Format(time.DateOnly), p.to.Format(time.DateOnly))
				compared += diffCounts(t, name, fast, slow)
				for _, m := range slow {
					for _, k := range []string{"return_refused", "disputed", "arbitrated_away", "arbitrated_back", "arbitrated_late"} {
						disputes[k] += m[k]
					}
				}
			}
		}
		t.Logf("return disputes' figures compared: %v", disputes)
		for k, n := range disputes {
			if n == 0 {
				t.Errorf("no %s in any period compared: %v", k, disputes)
			}
		}
		if compared < 1000 {
			t.Fatalf("only %d counted figures compared", compared)
		}
		t.Logf("%d counted figures agree", compared)

		// Ledger totals: the district, a street, a community, a category or a
		// department, over all time or whole days.
		ledgers := 0
		for _, base := range []store.CaseFilter{{}, {Street: streets[1].Street}, {Community: streets[0].Community},
			{Category: "M06045"}, {UnitID: f.Env.ID}, {UnitID: f.Gar.ID}} {
			for _, p := range [][2]time.Time{{}, {day(2026, 3, 1), day(2026, 4, 1)}, {day(2026, 3, 10), {}},
				{day(2026, 4, 2), day(2026, 4, 9)}} {
				lf := base
				lf.From, lf.To, lf.Now = p[0], p[1], mid
				fast, err := s.Ledger(ctx, lf)
				if err != nil {
					t.Fatal(err)
				}
				lf.Recount = true
				slow, err := s.Ledger(ctx, lf)
				if err != nil {
					t.Fatal(err)
				}
				if fast != slow {
					t.Errorf("ledger %+v: aggregates %+v, recount %+v", base, fast, slow)
				}
				ledgers += int(slow.Total)
			}
		}
		if ledgers < 500 {
			t.Fatalf("the ledgers compared hold only %d cases", ledgers)
		}

		compareMap(t, s, ids)

		// Every task carries its case's state after all those writes (a
		// unit's lists and counts read it).
		var tasks, stale int
		if err := s.DB().QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(CASE WHEN t.case_state <> c.state THEN 1 ELSE 0 END), 0)
			FROM tasks t JOIN cases c ON c.id = t.case_id`).Scan(&tasks, &stale); err != nil || tasks < 200 || stale != 0 {
			t.Errorf("tasks: %d, %d of them with another state than their case's (%v)", tasks, stale, err)
		}

		kept := dumpAggregates(t, s)
		if _, err := s.RebuildAggregates(ctx); err != nil {
			t.Fatal(err)
		}
		rebuilt := dumpAggregates(t, s)
		if len(kept) != len(rebuilt) {
			t.Errorf("maintained aggregates have %d non-zero cells, rebuilt %d", len(kept), len(rebuilt))
		}
		for k, n := range rebuilt {
			if kept[k] != n {
				t.Errorf("aggregate %s: maintained %d, rebuilt %d", k, kept[k], n)
			}
		}
	})
}

// compareMap checks the map against the cases: clusters (forced by a
// limit of 1) count the cases of every 0.0025° tile a box touches, per
// unit grid, placed at their mean; points are exactly the box's cases.
func compareMap(t *testing.T, s *store.Store, ids []int64) {
	t.Helper()
	ctx := context.Background()
	var cs []*caseflow.Case
	for _, id := range ids {
		c, err := s.Case(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	tile := func(lon, lat float64) (int64, int64) { return int64((lat + 90) / 0.0025), int64((lon + 180) / 0.0025) }
	type cell struct {
		n        int
		lon, lat float64
	}
	compared := 0
	for _, b := range []store.Bound{{MinLon: 113.29, MinLat: 40.08, MaxLon: 113.34, MaxLat: 40.12},
		{MinLon: 113.3031, MinLat: 40.0952, MaxLon: 113.3107, MaxLat: 40.1013},
		{MinLon: 113.3, MinLat: 40.09, MaxLon: 113.3001, MaxLat: 40.1}, // one column of tiles
		{MinLon: 113.0, MinLat: 39.0, MaxLon: 113.35, MaxLat: 40.5}} {  // taller than the tile rows read one by one
		r0, c0 := tile(b.MinLon, b.MinLat)
		r1, c1 := tile(b.MaxLon, b.MaxLat)
		for _, open := range []bool{false, true} {
			want, inBox, total := map[string]*cell{}, 0, 0
			for _, c := range cs {
				if open && (c.State == caseflow.Closed || c.State == caseflow.Voided) {
					continue
				}
				if r, col := tile(c.Point.Lon, c.Point.Lat); r >= r0 && r <= r1 && col >= c0 && col <= c1 {
					w := want[c.Place.UnitGrid]
					if w == nil {
						w = &cell{}
						want[c.Place.UnitGrid] = w
					}
					w.n++
					w.lon += c.Point.Lon
					w.lat += c.Point.Lat
					total++
				}
				if c.Point.Lon >= b.MinLon && c.Point.Lon <= b.MaxLon && c.Point.Lat >= b.MinLat && c.Point.Lat <= b.MaxLat {
					inBox++
				}
			}
			if total < 2 {
				t.Fatalf("map box %+v open %v: only %d cases; the comparison proves little", b, open, total)
			}
			// Per grid: the unit grids' counts added up (a unit grid's code
			// is its grid's and three digits).
			wantGrid := map[string]*cell{}
			for code, w := range want {
				g := wantGrid[code[:len(code)-3]]
				if g == nil {
					g = &cell{}
					wantGrid[code[:len(code)-3]] = g
				}
				g.n, g.lon, g.lat = g.n+w.n, g.lon+w.lon, g.lat+w.lat
			}
			for _, limit := range []int{len(want), len(want) - 1} {
				if limit < 1 || limit >= total {
					continue
				}
				got, err := s.Map(ctx, store.MapFilter{Box: b, OpenOnly: open, Limit: limit})
				if err != nil {
					t.Fatal(err)
				}
				cells := want
				if limit < len(want) {
					cells = wantGrid
				}
				if got.Total != total || len(got.Clusters) != len(cells) || len(got.Points) != 0 {
					t.Errorf("map box %+v open %v limit %d: %d cases in %d clusters, want %d in %d", b, open, limit, got.Total, len(got.Clusters), total, len(cells))
				}
				for _, g := range got.Clusters {
					w := cells[g.UnitGrid+g.Grid]
					if w == nil || w.n != g.Count || math.Abs(w.lon/float64(w.n)-g.Lon) > 1e-6 || math.Abs(w.lat/float64(w.n)-g.Lat) > 1e-6 ||
						(limit < len(want)) != (g.Grid != "") {
						t.Errorf("map box %+v open %v limit %d: cluster %+v, want %+v", b, open, limit, g, w)
					}
				}
				compared++
			}
			pts, err := s.Map(ctx, store.MapFilter{Box: b, OpenOnly: open, Limit: 10000})
			if err != nil || pts.Total != inBox || len(pts.Points) != inBox {
				t.Errorf("map box %+v open %v: %d points (%v), want %d", b, open, len(pts.Points), err, inBox)
			}
		}
	}
	if compared < 8 {
		t.Fatalf("map: only %d clustered answers compared", compared)
	}
	t.Logf("map: %d clustered answers agree", compared)
}

// weight is how likely the walk takes each action when it may.
var weight = map[caseflow.Action]float64{
	caseflow.ActVerify: 1, caseflow.ActRegister: 3, caseflow.ActVoid: 0.2, caseflow.ActMerge: 0.2, caseflow.ActDispatch: 3,
	caseflow.ActSign: 3, caseflow.ActReportBack: 3, caseflow.ActRequestReturn: 0.4, caseflow.ActApproveReturn: 1,
	caseflow.ActRefuseReturn: 0.5, caseflow.ActRequestExtension: 0.4, caseflow.ActApproveExtension: 1,
	caseflow.ActRefuseExtension: 0.5, caseflow.ActRequestSuspension: 0.3, caseflow.ActApproveSuspension: 1,
	caseflow.ActRefuseSuspension: 0.5, caseflow.ActResume: 2, caseflow.ActCheckPass: 3, caseflow.ActCheckFail: 1,
	caseflow.ActClose: 3, caseflow.ActCallback: 1, caseflow.ActReopen: 0.4, caseflow.ActRemind: 0.1,
	caseflow.ActSupervise: 0.1, caseflow.ActReply: 0.2, caseflow.ActContact: 2, caseflow.ActCallerAnswer: 3, caseflow.ActReview: 6,
	caseflow.ActDispute: 1, caseflow.ActArbitrate: 1, caseflow.ActFollow: 1,
}

// diffCounts reports every figure where got and want differ and returns
// the sum of the figures compared.
func diffCounts(t *testing.T, name string, got, want map[string]map[string]int64) int {
	t.Helper()
	sum := 0
	for _, m := range []map[string]map[string]int64{got, want} {
		for key := range m {
			for _, c := range ledger.Counts {
				if got[key][c.Key] != want[key][c.Key] {
					t.Errorf("%s, %s %s: aggregates %d, recount %d", name, key, c.Key, got[key][c.Key], want[key][c.Key])
				}
				sum += int(want[key][c.Key])
			}
		}
	}
	return sum / 2
}

func dumpAggregates(t *testing.T, s *store.Store) map[string]int64 {
	t.Helper()
	rows, err := s.DB().Query(`SELECT grp, key, measure, day, cut, sum(n) FROM eval_agg
		GROUP BY grp, key, measure, day, cut HAVING sum(n) <> 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var g, key, m string
		var d, d2, n int64
		if err := rows.Scan(&g, &key, &m, &d, &d2, &n); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%s/%s/%s/%d/%d", g, key, m, d, d2)] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows, err = s.DB().Query(`SELECT tile, unit_grid, open, sum(n), sum(lon), sum(lat) FROM map_agg
		GROUP BY tile, unit_grid, open HAVING sum(n) <> 0 OR sum(lon) <> 0 OR sum(lat) <> 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var tile, open, n, lon, lat int64
		var grid string
		if err := rows.Scan(&tile, &grid, &open, &n, &lon, &lat); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("map/%d/%s/%d", tile, grid, open)] = n
		out[fmt.Sprintf("map/%d/%s/%d/lon", tile, grid, open)] = lon
		out[fmt.Sprintf("map/%d/%s/%d/lat", tile, grid, open)] = lat
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
