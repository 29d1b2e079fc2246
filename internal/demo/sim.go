package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/deadline"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/routing"
	"github.com/xiuhua/xiuhua/internal/store"
)

// mix is the share of each category among simulated reports, after the
// shape of published 数字城管 statistics: garbage, wild posters, street
// order and parking dominate; components are a minority.
var mix = []struct {
	id string
	w  float64
}{
	{"M06010", 9}, {"M06011", 8}, {"M06042", 6}, {"M06012", 5}, {"M07001", 9}, {"M07002", 2}, {"M07003", 2},
	{"M09006", 7}, {"M09005", 5}, {"M09001", 4}, {"M09009", 6}, {"M09010", 3}, {"M09011", 3}, {"M09004", 1.5},
	{"M09012", 1}, {"M09015", 1}, {"M06001", 2.5}, {"M06036", 4}, {"M06013", 3}, {"M06017", 2.5}, {"M06045", 1.5},
	{"M06007", 1.5}, {"M06029", 1}, {"M06027", 1}, {"M06028", 1}, {"M08004", 1.5}, {"M08002", 1}, {"M08005", 1},
	{"M01001", 1}, {"M01002", 1}, {"M01003", 0.8}, {"M01037", 2}, {"M03005", 2}, {"M04002", 1}, {"M04013", 1},
	{"M02003", 0.5}, {"M10001", 0.8}, {"M06050", 0.8}, {"M06051", 0.6},
}

var phrases = map[string][]string{
	"M06010": {"路边暴露垃圾无人清理", "绿化带内有散落垃圾", "垃圾桶旁垃圾散落一地"},
	"M06011": {"小区门口积存建筑垃圾", "空地堆放垃圾渣土多日", "楼后垃圾堆积散发异味"},
	"M06042": {"垃圾箱满溢未及时清运", "垃圾站满溢，周边脏乱"},
	"M06012": {"道路不洁，路面有油污", "人行道泥土堆积"},
	"M07001": {"电线杆上张贴小广告", "单元门口乱贴办证小广告", "墙面喷涂野广告"},
	"M09006": {"商贩占道经营水果摊", "早点摊占用人行道经营"},
	"M09009": {"机动车停放在人行道上", "车辆堵塞小区消防通道口"},
	"M06001": {"楼顶私搭乱建彩钢房", "小区内违规搭建棚房"},
	"M06013": {"人行道面包砖破损松动", "路面坑洼破损"},
	"M06045": {"绿化带被开垦种菜", "公共绿地被占用堆物"},
	"M09004": {"居民区内违规废品收购站", "废品收购点占道堆放"},
	"M09012": {"杂物堵塞消防通道"},
	"M09015": {"无证餐饮店占道经营"},
	"M01037": {"路灯不亮", "路灯灯杆倾斜"},
	"M01001": {"供水井盖缺失", "井盖破损有安全隐患"},
}

type sim struct {
	o        Options
	rng      *rand.Rand
	pol      *deadline.Policy
	cal      *calendar.Calendar
	ppl      *people
	cells    []places.UnitGrid // urban cells, weighted by repetition
	allCells []places.UnitGrid
	names    map[string]string
	catName  map[string]string
	cum      []float64
	dayNo    map[string]int
	recent   map[string]*parent // the last dispatched case per category+grid, for duplicates
	routes   *routing.Table
	errCount int
	photos   map[string][]string // evidence photos by kind (makePhotos); none without photo storage
	callers  []caseflow.Reporter // recent hotline callers, some of whom call again
}

// photo is an evidence photo of a kind, the n-th of its pool; without
// stored photos, a name that shows nothing.
func (s *sim) photo(kind string, n int) string {
	pool := s.photos[kind]
	if len(pool) == 0 {
		return "demo/" + kind + ".jpg"
	}
	return pool[(n%len(pool)+len(pool))%len(pool)]
}

// route asks the dispatch table; the demo's places always have a street
// office, so it cannot fail.
func (s *sim) route(c *caseflow.Case) routing.Decision {
	d, err := s.routes.Route(c.CategoryID, c.Place, "")
	if err != nil {
		panic(err)
	}
	return d
}

func newSim(o Options, pol *deadline.Policy, cal *calendar.Calendar, ppl *people, lay *places.Layout, divs []places.Division, cats []catalog.Category, routes *routing.Table) *sim {
	s := &sim{o: o, rng: rand.New(rand.NewPCG(o.Seed, 2021_06)), pol: pol, cal: cal, ppl: ppl, routes: routes,
		names: map[string]string{}, catName: map[string]string{}, dayNo: map[string]int{}, recent: map[string]*parent{}}
	for _, d := range divs {
		s.names[d.Code] = d.Name
	}
	for _, c := range cats {
		s.catName[c.ID] = c.Name
	}
	for _, u := range lay.Units {
		s.allCells = append(s.allCells, u)
		if isUrban(s.names[u.Community]) {
			// Urban cells see many more reports than fields and villages.
			s.cells = append(s.cells, u, u, u, u, u, u)
		}
		s.cells = append(s.cells, u)
	}
	total := 0.0
	for _, m := range mix {
		total += m.w
		s.cum = append(s.cum, total)
	}
	return s
}

func (s *sim) pick() string {
	x := s.rng.Float64() * s.cum[len(s.cum)-1]
	i := sort.SearchFloat64s(s.cum, x)
	return mix[min(i, len(mix)-1)].id
}

// pointIn draws a point inside a unit grid.
func (s *sim) pointIn(u places.UnitGrid) caseflow.Point {
	b := u.Geometry.Bound()
	for i := 0; i < 20; i++ {
		// Rounded to 6 decimals (about 0.1 m), as a phone reports it; the
		// rounded point must still be inside.
		p := orb.Point{round6(b.Min.Lon() + s.rng.Float64()*(b.Max.Lon()-b.Min.Lon())), round6(b.Min.Lat() + s.rng.Float64()*(b.Max.Lat()-b.Min.Lat()))}
		if planar.MultiPolygonContains(u.Geometry, p) && !onBoundary(u.Geometry, p) {
			return caseflow.Point{Lon: p[0], Lat: p[1]}
		}
	}
	c, _ := planar.CentroidArea(u.Geometry)
	return caseflow.Point{Lon: c[0], Lat: c[1]}
}

func onBoundary(g places.Polygonal, p orb.Point) bool {
	b := g.Bound()
	return p[0] == b.Min.Lon() || p[0] == b.Max.Lon() || p[1] == b.Min.Lat() || p[1] == b.Max.Lat()
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func (s *sim) number(at time.Time) string {
	day := at.In(calendar.Shanghai).Format("20060102")
	s.dayNo[day]++
	return fmt.Sprintf("%s%05d", day, s.dayNo[day])
}

// parent is a dispatched case a later report may be merged into, with
// what its merged orders follow: when it first closed, and its answer.
type parent struct {
	c        *caseflow.Case
	closedAt time.Time // zero: not closed within the simulated period
	reply    string
	solved   bool
}

// parentOf reads a dispatched case's history for the orders merged into
// it: its first close and the answer it carried (the department's, or the
// centre's when it closed without one), as app.followMerged gives them.
func parentOf(c *caseflow.Case, evs []caseflow.Event) *parent {
	p := &parent{c: c, solved: true}
	for _, e := range evs {
		if a := e.Data.Answer; a != nil {
			p.reply, p.solved = a.Reply, a.Solved
		}
		if e.ToState == caseflow.Closed && e.FromState != caseflow.Closed {
			p.closedAt = e.At
			if p.reply == "" {
				p.reply = "您反映的问题已处理完毕，感谢您的监督。"
			}
			return p
		}
	}
	return p
}

// history collects one case's events while it moves through the loop.
type history struct {
	s      *sim
	c      *caseflow.Case
	events []caseflow.Event
	at     time.Time
	done   bool // reached the end of the simulated period
}

// do applies a command at t; once t passes the end of the period the
// case stays where it is.
func (h *history) do(t time.Time, cmd caseflow.Command) bool {
	if h.done || t.After(h.s.o.End) {
		h.done = true
		return false
	}
	if t.Before(h.at) {
		t = h.at.Add(time.Minute)
	}
	cmd.At, cmd.ExpectedVersion = t, h.c.Version
	ev, err := caseflow.Apply(h.c, cmd, h.s.pol)
	if err != nil {
		panic(fmt.Sprintf("demo: simulated %s on case %s: %v", cmd.Action, h.c.Number, err))
	}
	h.events = append(h.events, ev)
	h.at = ev.At
	return true
}

// work adds working time.
func (s *sim) work(t time.Time, minH, maxH float64) time.Time {
	d := minH + s.rng.Float64()*(maxH-minH)
	return s.cal.Add(t, time.Duration(d*float64(time.Hour)))
}

func (s *sim) run(l *store.Loader) error {
	start := s.o.End.AddDate(0, 0, -s.o.Days)
	stories := s.stories()
	// Fewer reports on off days. Each day gets its share of the total by
	// largest remainder, so the year holds exactly o.Cases cases.
	weights := make([]float64, s.o.Days)
	total := 0.0
	for d := range weights {
		weights[d] = 1.12
		if !s.cal.IsWorkingDay(start.AddDate(0, 0, d)) {
			weights[d] = 0.7
		}
		total += weights[d]
	}
	cum := 0.0
	made := 0
	for d := 0; d < s.o.Days; d++ {
		day := start.AddDate(0, 0, d).In(calendar.Shanghai)
		cum += weights[d] / total * float64(s.o.Cases)
		k := int(math.Round(cum)) - made
		times := make([]time.Time, k)
		base := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, calendar.Shanghai)
		for i := range times {
			// Reports between 06:30 and 21:30, most in working hours.
			h := 6.5 + s.rng.Float64()*15
			if s.rng.Float64() < 0.6 {
				h = 8.5 + s.rng.Float64()*9
			}
			times[i] = base.Add(time.Duration(h * float64(time.Hour))).Truncate(time.Second)
		}
		sort.Slice(times, func(a, b int) bool { return times[a].Before(times[b]) })
		todays := stories[base.Format("20060102")]
		for _, t := range times {
			for len(todays) > 0 && !todays[0].at.After(t) {
				if err := s.story(l, todays[0]); err != nil {
					return err
				}
				todays = todays[1:]
			}
			if t.After(s.o.End) {
				break
			}
			if err := s.one(l, t); err != nil {
				return err
			}
		}
		made += k
		for _, st := range todays {
			if err := s.story(l, st); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *sim) one(l *store.Loader, t time.Time) error {
	r := s.rng.Float64
	cat := s.pick()
	cell := s.cells[s.rng.IntN(len(s.cells))]
	worker := s.ppl.worker[cell.Grid]
	c := &caseflow.Case{Number: s.number(t), CategoryID: cat, Urgency: caseflow.Normal,
		Point: s.pointIn(cell), Place: caseflow.Place{UnitGrid: cell.Code, Grid: cell.Grid, Community: cell.Community, Street: cell.Street}}
	if r() < 0.08 {
		c.Urgency = caseflow.Urgent
	}
	ps := phrases[cat]
	desc := s.catName[cat]
	if len(ps) > 0 {
		desc = ps[s.rng.IntN(len(ps))]
	}
	c.Address = places.ShortName(s.names[cell.Community]) + "附近"
	c.Description = places.ShortName(s.names[cell.Community]) + desc
	var actor caseflow.Actor
	switch x := r(); {
	case x < 0.55:
		c.Channel, actor = caseflow.ChannelPatrol, worker
		c.Reporter = caseflow.Reporter{AccountID: worker.AccountID}
	case x < 0.9:
		c.Channel, actor = caseflow.ChannelHotline, s.ppl.operators[s.rng.IntN(2)]
		c.Reporter = caseflow.Reporter{Name: surname[s.rng.IntN(len(surname))] + "先生", Phone: fmt.Sprintf("139%08d", s.rng.IntN(1e8))}
		// One caller in twelve has called in the last weeks (重复来电):
		// the desk finds their earlier orders by the number.
		if n := len(s.callers); n > 0 && r() < 0.08 {
			c.Reporter = s.callers[s.rng.IntN(n)]
		} else if n < 400 {
			s.callers = append(s.callers, c.Reporter)
		} else {
			s.callers[s.rng.IntN(n)] = c.Reporter
		}
	case x < 0.97:
		c.Channel, actor = caseflow.ChannelWeb, caseflow.Actor{Role: caseflow.Resident}
	default:
		c.Channel, actor = caseflow.ChannelOpen311, caseflow.Actor{Role: caseflow.System}
	}
	ev, err := caseflow.Report(c, actor, t, s.pol)
	if err != nil {
		return err
	}
	var rtype caseflow.RequestType
	if c.Channel == caseflow.ChannelHotline {
		rtype = s.requestType()
		ev.Data.Intake = &caseflow.Intake{Type: rtype}
	}
	h := &history{s: s, c: c, events: []caseflow.Event{ev}, at: ev.At}
	disp := s.ppl.dispatchers[s.rng.IntN(len(s.ppl.dispatchers))]
	key := cat + "/" + cell.Grid

	// Duplicates of an open case nearby are merged (hotline and web), and
	// follow it: answered when it closes, then called back on their own.
	if prev, at := s.recent[key], s.work(t, 0.05, 0.5); prev != nil && c.Channel != caseflow.ChannelPatrol &&
		(prev.closedAt.IsZero() || at.Before(prev.closedAt)) && r() < 0.35 {
		h.do(at, caseflow.Command{Action: caseflow.ActMerge, Actor: s.ppl.operators[0], DuplicateOf: prev.c.ID, Reason: "重复件"})
		if !prev.closedAt.IsZero() && prev.closedAt.After(h.at) {
			solved := prev.solved
			if h.do(prev.closedAt, caseflow.Command{Action: caseflow.ActFollow, Actor: caseflow.Actor{Role: caseflow.System}, Reply: prev.reply, Solved: &solved}) {
				s.callback(h, disp, false)
			}
		}
		return l.Add(c, h.events)
	}
	// Most calls end at the desk (see deskOutcome).
	if c.Channel == caseflow.ChannelHotline && s.deskOutcome(h, rtype, t) {
		return l.Add(c, h.events)
	}
	if c.Channel != caseflow.ChannelPatrol {
		if r() < 0.6 {
			f := r() > 0.05
			h.do(s.work(t, 0.2, 2), caseflow.Command{Action: caseflow.ActVerify, Actor: worker, Found: &f})
			if !f {
				h.do(s.work(h.at, 0.1, 1), caseflow.Command{Action: caseflow.ActVoid, Actor: disp, Reason: "现场核实无此问题"})
				return l.Add(c, h.events)
			}
		}
		if r() < 0.05 {
			h.do(s.work(h.at, 0.1, 1), caseflow.Command{Action: caseflow.ActVoid, Actor: disp, Reason: "不属于城市管理受理范围"})
			return l.Add(c, h.events)
		}
	}
	if !h.do(s.work(h.at, 0.05, 0.9), caseflow.Command{Action: caseflow.ActRegister, Actor: disp}) {
		return l.Add(c, h.events)
	}
	dec := s.route(c)
	lead := dec.Lead
	as := dec.Assignments()
	if r() < 0.08 && len(as) == 1 {
		so := s.ppl.streetOffice[c.Place.Street]
		if so.ID != lead.ID {
			as = append(as, caseflow.Assignment{UnitID: so.ID, Rule: "manual: 属地街道协办"})
		}
	}
	// A first dispatch to the street office is sometimes returned (退单):
	// the review upholds most returns (回退, then 改派), refuses 15 % (the
	// street office keeps the order), and on a hotline order sends 35 %
	// to the leaders' arbitration (派单争议), which names the competent
	// department to lead with the street office assisting, or (three in
	// ten) the street office again; about one in eight arbitrations is
	// decided after its limit.
	decided := false
	if r() < 0.03 {
		wrong := s.ppl.streetOffice[c.Place.Street]
		if wrong.ID != lead.ID {
			if !h.do(s.work(h.at, 0.05, 0.5), caseflow.Command{Action: caseflow.ActDispatch, Actor: disp, Assignments: []caseflow.Assignment{{UnitID: wrong.ID, Lead: true, Rule: "manual"}}}) {
				return l.Add(c, h.events)
			}
			h.do(s.work(h.at, 0.2, 3), caseflow.Command{Action: caseflow.ActRequestReturn, Actor: s.ppl.handlers[wrong.ID], Reason: "不属本单位职责"})
			keep := []caseflow.Assignment{{UnitID: wrong.ID, Lead: true, Rule: "manual"}}
			switch x := r(); {
			case c.Channel == caseflow.ChannelHotline && x < 0.35:
				h.do(s.work(h.at, 0.1, 1), caseflow.Command{Action: caseflow.ActDispute, Actor: disp, TaskUnit: wrong.ID, Reason: "属地街道负有协调职责，退单理由不充分"})
				as = []caseflow.Assignment{{UnitID: lead.ID, Lead: true, Rule: "arbitration"}, {UnitID: wrong.ID}}
				why := "按职责清单由主管部门牵头办理，属地街道配合"
				if r() < 0.3 {
					as, lead, why = keep, wrong, "属地管理事项，由街道办事处牵头办理"
				}
				at := s.work(h.at, 1, 12)
				if r() < 0.12 {
					at = s.work(h.at, 15, 30) // past the two working days
				}
				h.do(at, caseflow.Command{Action: caseflow.ActArbitrate, Actor: s.ppl.leader, TaskUnit: wrong.ID, Assignments: as, Reason: why})
				decided = true
			case x >= 0.35 && x < 0.5:
				h.do(s.work(h.at, 0.1, 1), caseflow.Command{Action: caseflow.ActRefuseReturn, Actor: disp, TaskUnit: wrong.ID, Reason: "属地街道职责，请按时办理"})
				as, lead, decided = keep, wrong, true
			default:
				h.do(s.work(h.at, 0.1, 1), caseflow.Command{Action: caseflow.ActApproveReturn, Actor: disp, TaskUnit: wrong.ID})
			}
			if h.done {
				return l.Add(c, h.events)
			}
		}
	}
	if !decided && !h.do(s.work(h.at, 0.05, 0.6), caseflow.Command{Action: caseflow.ActDispatch, Actor: disp, Assignments: as}) {
		return l.Add(c, h.events)
	}
	dispatched := h.at
	hot := c.Channel == caseflow.ChannelHotline
	handle := func() {
		for _, a := range as {
			if h.done {
				return
			}
			hd := s.ppl.handlers[a.UnitID]
			if hasSigned(h.c, a.UnitID) {
				continue
			}
			h.do(s.work(dispatched, 0.05, 2.5), caseflow.Command{Action: caseflow.ActSign, Actor: hd})
		}
		if h.done {
			return
		}
		// A hotline order's lead contacts the requester first, mostly
		// within the limit (首次联系).
		if t := taskOf(h.c, lead.ID); hot && t != nil && t.State == caseflow.TaskSigned && t.ContactedAt.IsZero() && !t.ContactDue.IsZero() {
			frac := 0.1 + 0.8*s.rng.Float64()
			if r() < 0.06 {
				frac = 1.1 + s.rng.Float64()
			}
			at := s.cal.Add(t.DispatchedAt, time.Duration(frac*float64(s.cal.Between(t.DispatchedAt, t.ContactDue))))
			how := caseflow.ContactMethods[s.rng.IntN(len(caseflow.ContactMethods))]
			h.do(at.Add(5*time.Minute), caseflow.Command{Action: caseflow.ActContact, Actor: s.ppl.handlers[lead.ID], ContactedAt: at, Method: how, Note: "已联系诉求人，说明办理安排"})
		}
		if h.done {
			return
		}
		if r() < 0.04 {
			hd := s.ppl.handlers[lead.ID]
			due := taskOf(h.c, lead.ID).Deadline
			h.do(s.work(h.at, 0.5, 4), caseflow.Command{Action: caseflow.ActRequestExtension, Actor: hd, Reason: "需协调材料和人员", Deadline: s.cal.AddDays(due, 3)})
			if r() < 0.7 {
				h.do(s.work(h.at, 0.2, 2), caseflow.Command{Action: caseflow.ActApproveExtension, Actor: disp, TaskUnit: lead.ID})
			} else {
				h.do(s.work(h.at, 0.2, 2), caseflow.Command{Action: caseflow.ActRefuseExtension, Actor: disp, TaskUnit: lead.ID, Reason: "时限内可以完成"})
			}
		}
		if !h.done && r() < 0.015 {
			hd := s.ppl.handlers[lead.ID]
			h.do(s.work(h.at, 0.5, 4), caseflow.Command{Action: caseflow.ActRequestSuspension, Actor: hd, Reason: "涉及拆迁，待区政府统一安排"})
			h.do(s.work(h.at, 0.2, 2), caseflow.Command{Action: caseflow.ActApproveSuspension, Actor: disp, TaskUnit: lead.ID})
			h.do(s.work(h.at, 20, 120), caseflow.Command{Action: caseflow.ActResume, Actor: disp})
		}
		for _, a := range as {
			if h.done {
				return
			}
			t := taskOf(h.c, a.UnitID)
			if t == nil || t.State != caseflow.TaskSigned {
				continue
			}
			allowed := s.cal.Between(t.DispatchedAt, t.Deadline)
			frac := 0.15 + 0.7*s.rng.Float64()
			if r() < 0.08 {
				frac = 1.05 + s.rng.Float64()
			}
			doneAt := s.cal.Add(t.DispatchedAt, time.Duration(frac*float64(allowed)))
			// Late work draws a reminder (催办) and, when very late, a 督办.
			if frac > 1 && t.Deadline.Before(doneAt) {
				h.do(t.Deadline.Add(time.Minute), caseflow.Command{Action: caseflow.ActRemind, Actor: caseflow.Actor{Role: caseflow.System}, Note: "已超期，请尽快处置"})
				if frac > 1.5 {
					h.do(s.cal.Add(t.Deadline, 8*time.Hour), caseflow.Command{Action: caseflow.ActSupervise, Actor: s.ppl.leader, Reason: "超期未处置，区领导督办"})
				}
			}
			if hot && a.UnitID == lead.ID && !t.ContactedAt.IsZero() {
				// The lead answers the requester (办理结果); the order closes
				// once every department is done.
				solved := r() < 0.93
				cmd := caseflow.Command{Action: caseflow.ActCallerAnswer, Actor: s.ppl.handlers[a.UnitID], Solved: &solved,
					Reply: "您反映的问题已处理完毕，感谢您的监督。", Note: "已处置完毕", Photos: []string{s.photo("after", int(h.c.ID)+int(a.UnitID))}}
				if !solved {
					cmd.Reply, cmd.Reason = "您反映的问题涉及多个部门，已纳入整治计划，将于下季度统一处理。", "需纳入年度计划统筹解决"
				}
				h.do(doneAt, cmd)
				continue
			}
			h.do(doneAt, caseflow.Command{Action: caseflow.ActReportBack, Actor: s.ppl.handlers[a.UnitID], Note: "已处置完毕", Photos: []string{s.photo("after", int(h.c.ID)+int(a.UnitID))}})
		}
	}
	handle()
	for round := 0; !h.done && h.c.State == caseflow.PendingCheck && round < 3; round++ {
		if r() < 0.07 && round < 2 {
			h.do(s.work(h.at, 0.3, 4), caseflow.Command{Action: caseflow.ActCheckFail, Actor: worker, Reason: "现场核查未处置到位", Photos: []string{s.photo("check", int(h.c.ID))}})
			dispatched = h.at
			handle()
			continue
		}
		h.do(s.work(h.at, 0.3, 4), caseflow.Command{Action: caseflow.ActCheckPass, Actor: worker, Photos: []string{s.photo("check", int(h.c.ID))}})
	}
	if !h.done && h.c.State == caseflow.PendingClose {
		h.do(s.work(h.at, 0.05, 1.5), caseflow.Command{Action: caseflow.ActClose, Actor: disp})
	}
	// The callback (回访): some calls are not reached at first, a few
	// refused; a 不满意 is reviewed, and a justified one reopened.
	for round := 0; !h.done && h.c.State == caseflow.Closed && !h.c.CallbackDue.IsZero() && round < 2; round++ {
		if !s.callback(h, disp, true) {
			break
		}
		justified := r() < 0.5
		review := caseflow.Command{Action: caseflow.ActReview, Actor: disp, Justified: &justified, Reason: "诉求超出政策规定，已解释到位"}
		if justified {
			review.Reason = "核实问题仍未解决，退回重办"
		}
		h.do(s.work(h.at, 0.5, 3), review)
		if h.done || !justified {
			break
		}
		dispatched = h.at
		handle()
		for !h.done && h.c.State == caseflow.PendingCheck {
			h.do(s.work(h.at, 0.3, 4), caseflow.Command{Action: caseflow.ActCheckPass, Actor: worker})
		}
		if !h.done && h.c.State == caseflow.PendingClose {
			h.do(s.work(h.at, 0.05, 1.5), caseflow.Command{Action: caseflow.ActClose, Actor: disp})
		}
	}
	s.recent[key] = parentOf(c, h.events)
	return l.Add(c, h.events)
}

// callback calls a closed (or followed) order back once it is due: 12 %
// not reached at first, 3 % refused; when reached 78 % 满意, 14 % 基本满意,
// 8 % 不满意. It reports whether the call ended in a 不满意 that waits for
// its review (a merged order's has none: its parent's is reviewed).
func (s *sim) callback(h *history, disp caseflow.Actor, reviewed bool) bool {
	r := s.rng.Float64
	op := s.ppl.operators[1]
	if h.done || h.c.CallbackDue.IsZero() {
		return false
	}
	if r() < 0.12 {
		h.do(s.work(h.at, 1, 6), caseflow.Command{Action: caseflow.ActCallback, Actor: op, Reach: caseflow.NotReached})
	}
	if r() < 0.03 {
		h.do(s.work(h.at, 1, 6), caseflow.Command{Action: caseflow.ActCallback, Actor: op, Reach: caseflow.Refused})
		return false
	}
	rating := caseflow.RatingSatisfied
	switch x := r(); {
	case x < 0.08:
		rating = caseflow.RatingDissatisfied
	case x < 0.22:
		rating = caseflow.RatingFair
	}
	solved := rating != caseflow.RatingDissatisfied || r() < 0.3
	h.do(s.work(h.at, 4, 14), caseflow.Command{Action: caseflow.ActCallback, Actor: op, Rating: rating, Solved: &solved})
	return reviewed && !h.done && rating == caseflow.RatingDissatisfied
}

// requestType draws a call's request type in a district hotline's mix:
// 咨询 45 %, 投诉 30 %, 求助 15 %, 举报 5 %, 建议 4 %, 表扬 1 %.
func (s *sim) requestType() caseflow.RequestType {
	switch x := s.rng.Float64(); {
	case x < 0.45:
		return caseflow.Enquiry
	case x < 0.75:
		return caseflow.Complaint
	case x < 0.90:
		return caseflow.Help
	case x < 0.95:
		return caseflow.TipOff
	case x < 0.99:
		return caseflow.Suggestion
	}
	return caseflow.Praise
}

// deskOutcome ends a call at the desk when it ends there, and says so:
// 3 % transferred (110, 119, 122), 3 % not accepted, 2 % withdrawn by the
// caller, and of the rest answered directly 95 % of 咨询, 70 % of 建议,
// every 表扬, 15 % of 求助 and 10 % of 投诉 — more than half of all calls.
func (s *sim) deskOutcome(h *history, rt caseflow.RequestType, t time.Time) bool {
	op := s.ppl.operators[s.rng.IntN(2)]
	at := t.Add(time.Duration(2+s.rng.IntN(10)) * time.Minute)
	pick := func(l []string) string { return l[s.rng.IntN(len(l))] }
	switch x := s.rng.Float64(); {
	case x < 0.03:
		h.do(at, caseflow.Command{Action: caseflow.ActTransfer, Actor: op, Reason: pick([]string{"涉及治安，已转 110", "道路违法停车，已转 122", "闻到燃气味，已转 119"})})
		return true
	case x < 0.06:
		h.do(at, caseflow.Command{Action: caseflow.ActDecline, Actor: op, Reason: pick([]string{"属民事纠纷，建议通过人民调解或诉讼解决", "属市级部门职责，已告知市级热线"})})
		return true
	case x < 0.08:
		h.do(at, caseflow.Command{Action: caseflow.ActWithdraw, Actor: op, Reason: "来电人表示问题已自行解决"})
		return true
	}
	answered := map[caseflow.RequestType]float64{caseflow.Enquiry: 0.95, caseflow.Suggestion: 0.7, caseflow.Praise: 1, caseflow.Help: 0.15, caseflow.Complaint: 0.1}[rt]
	if s.rng.Float64() >= answered {
		return false
	}
	note := map[caseflow.RequestType]string{caseflow.Enquiry: "已按知识库答复来电人办理时间和办理地点", caseflow.Suggestion: "已记录来电人的建议，转相关部门参考",
		caseflow.Praise: "已记录来电人的表扬，转达相关单位", caseflow.Help: "已告知来电人求助渠道和联系电话", caseflow.Complaint: "已向来电人解释相关规定，来电人表示理解"}[rt]
	// Four in ten callers answered at the desk decline a callback; the
	// others are called back within a working day or two, nearly all
	// satisfied.
	noCallback := s.rng.Float64() < 0.4
	if noCallback {
		h.events[0].Data.Intake.NoCallback = true
	}
	if !h.do(at, caseflow.Command{Action: caseflow.ActAnswer, Actor: op, Note: note, NoCallback: noCallback}) || noCallback {
		return true
	}
	rating := caseflow.RatingSatisfied
	switch x := s.rng.Float64(); {
	case x < 0.03:
		rating = caseflow.RatingDissatisfied
	case x < 0.1:
		rating = caseflow.RatingFair
	}
	solved := rating != caseflow.RatingDissatisfied
	if !h.do(s.work(h.at, 2, 14), caseflow.Command{Action: caseflow.ActCallback, Actor: s.ppl.operators[1], Rating: rating, Solved: &solved}) || rating != caseflow.RatingDissatisfied {
		return true
	}
	no := false
	h.do(s.work(h.at, 0.5, 3), caseflow.Command{Action: caseflow.ActReview, Actor: s.ppl.dispatchers[0], Justified: &no, Reason: "已按政策规定答复，解释到位"})
	return true
}

func taskOf(c *caseflow.Case, unit int64) *caseflow.Task {
	for i := range c.Tasks {
		if c.Tasks[i].UnitID == unit && c.Tasks[i].State.Active() {
			return &c.Tasks[i]
		}
	}
	return nil
}

func hasSigned(c *caseflow.Case, unit int64) bool {
	t := taskOf(c, unit)
	return t == nil || t.State != caseflow.TaskDispatched
}

var surname = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "胡", "郭", "何", "高", "林"}
