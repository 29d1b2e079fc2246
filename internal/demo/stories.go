package demo

import (
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/store"
)

// storyCase is a case from the Datong Daily page, scripted step by step.
type storyCase struct {
	at        time.Time
	community string // where it happened
	category  string
	channel   caseflow.Channel
	desc      string
	address   string
	script    func(s *sim, h *history, c *caseflow.Case)
}

// stories places the page's cases in the last weeks of the simulated
// period, so they are easy to find in the demo.
func (s *sim) stories() map[string][]storyCase {
	end := s.o.End.In(calendar.Shanghai)
	day := func(back int, hour int) time.Time {
		d := end.AddDate(0, 0, -back)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, 15, 0, 0, calendar.Shanghai)
	}
	u := func(code string) caseflow.Actor { return s.ppl.handlers[s.ppl.units[code].ID] }
	disp := func() caseflow.Actor { return s.ppl.dispatchers[0] }
	unit := func(code string) int64 { return s.ppl.units[code].ID }
	closeOut := func(s *sim, h *history, worker caseflow.Actor) {
		h.do(s.work(h.at, 1, 3), caseflow.Command{Action: caseflow.ActCheckPass, Actor: worker, Photos: []string{s.photo("check", 0)}, Note: "现场核查已整改到位"})
		h.do(s.work(h.at, 0.2, 1), caseflow.Command{Action: caseflow.ActClose, Actor: disp()})
	}
	list := []storyCase{
		{at: day(40, 9), community: "140213063004", category: "M06013", channel: caseflow.ChannelPatrol,
			desc: "北苑路便道面包砖破损、松动，行人容易绊倒", address: "北苑路人行道",
			script: func(s *sim, h *history, c *caseflow.Case) {
				h.do(s.work(h.at, 0.2, 0.5), caseflow.Command{Action: caseflow.ActRegister, Actor: disp()})
				h.do(s.work(h.at, 0.1, 0.3), caseflow.Command{Action: caseflow.ActDispatch, Actor: disp(), Assignments: s.route(c).Assignments()})
				h.do(s.work(h.at, 0.2, 0.5), caseflow.Command{Action: caseflow.ActSign, Actor: u("szc")})
				h.do(s.work(h.at, 5, 9), caseflow.Command{Action: caseflow.ActReportBack, Actor: u("szc"), Note: "已更换破损面包砖 36 块", Photos: []string{s.photo("after", 0)}})
				closeOut(s, h, s.ppl.worker[c.Place.Grid])
			}},
		{at: day(30, 10), community: "140213054011", category: "M06011", channel: caseflow.ChannelPatrol,
			desc: "鸿宾嘉苑小区垃圾转运点多年未清理，垃圾堆积", address: "鸿宾嘉苑小区垃圾转运点",
			script: func(s *sim, h *history, c *caseflow.Case) {
				h.do(s.work(h.at, 0.1, 0.3), caseflow.Command{Action: caseflow.ActRegister, Actor: disp()})
				so := s.ppl.streetOffice[c.Place.Street]
				// Inside the compound: the dispatcher marks it property-managed,
				// and the table's property rule names 物业 and 执法; 环卫 and the
				// street office join by hand.
				dec, err := s.routes.Route(c.CategoryID, c.Place, "property")
				if err != nil {
					panic(err)
				}
				h.do(s.work(h.at, 0.1, 0.3), caseflow.Command{Action: caseflow.ActDispatch, Actor: disp(), Assignments: append(dec.Assignments(),
					caseflow.Assignment{UnitID: unit("hwc"), Rule: "manual: 环卫清运"}, caseflow.Assignment{UnitID: so.ID, Rule: "manual: 属地街道配合"})})
				for _, a := range []caseflow.Actor{u("wy-hbjy"), u("zfj"), u("hwc"), s.ppl.handlers[so.ID]} {
					h.do(s.work(h.at, 0.1, 0.5), caseflow.Command{Action: caseflow.ActSign, Actor: a})
				}
				for _, a := range []caseflow.Actor{u("zfj"), u("hwc"), s.ppl.handlers[so.ID], u("wy-hbjy")} {
					h.do(s.work(h.at, 1, 4), caseflow.Command{Action: caseflow.ActReportBack, Actor: a, Note: "联合清理完毕，共清运垃圾 12 车", Photos: []string{s.photo("after", 1)}})
				}
				closeOut(s, h, s.ppl.inspector)
			}},
		{at: day(20, 15), community: "140213054011", category: "M06045", channel: caseflow.ChannelPatrol,
			desc: "天胜雅园小区公共绿化带被居民开垦种菜", address: "天胜雅园小区绿化带",
			script: func(s *sim, h *history, c *caseflow.Case) {
				h.do(s.work(h.at, 0.1, 0.4), caseflow.Command{Action: caseflow.ActRegister, Actor: disp()})
				h.do(s.work(h.at, 0.1, 0.3), caseflow.Command{Action: caseflow.ActSupervise, Actor: s.ppl.leader, Reason: "12345热线督办：问题挂牌，限期恢复绿地"})
				so := s.ppl.streetOffice[c.Place.Street]
				h.do(s.work(h.at, 0.1, 0.3), caseflow.Command{Action: caseflow.ActDispatch, Actor: disp(), Assignments: append(s.route(c).Assignments(),
					caseflow.Assignment{UnitID: so.ID, Rule: "manual: 属地街道配合"})})
				for _, a := range []caseflow.Actor{u("ylc"), s.ppl.handlers[so.ID], u("wy-tsyy")} {
					h.do(s.work(h.at, 0.1, 1), caseflow.Command{Action: caseflow.ActSign, Actor: a})
				}
				for _, a := range []caseflow.Actor{s.ppl.handlers[so.ID], u("wy-tsyy"), u("ylc")} {
					h.do(s.work(h.at, 4, 12), caseflow.Command{Action: caseflow.ActReportBack, Actor: a, Note: "入户劝导，菜地已清除，补植草坪", Photos: []string{s.photo("after", 2)}})
				}
				closeOut(s, h, s.ppl.worker[c.Place.Grid])
			}},
	}
	// 迎宾街道 ledger sweep: the nine problem types found in one day.
	for i, st := range []struct{ comm, desc string }{
		{"140213053001", "北馨园小区楼后垃圾堆放"}, {"140213053006", "明珠小区内私搭乱建棚房"},
		{"140213053004", "迎宾路违规废品收购站"}, {"140213053008", "振兴街路灯损坏"},
		{"140213053011", "永安里楼道野广告"}, {"140213053013", "华安小区杂物堵塞消防通道"},
		{"140213053007", "惠民里无证餐饮店"}, {"140213053005", "绿园小区绿地被占种菜"},
		{"140213053003", "万城小区门口便道砖破损"},
	} {
		i, st := i, st
		list = append(list, storyCase{at: day(8, 9).Add(time.Duration(i*25) * time.Minute), community: st.comm,
			category: seedCategory(i), channel: caseflow.ChannelPatrol, desc: st.desc + "（迎宾街道问题台账排查）", address: "迎宾街道",
			script: func(s *sim, h *history, c *caseflow.Case) {
				h.do(s.work(h.at, 0.1, 0.5), caseflow.Command{Action: caseflow.ActRegister, Actor: disp()})
				dec := s.route(c)
				lead := dec.Lead
				h.do(s.work(h.at, 0.1, 0.3), caseflow.Command{Action: caseflow.ActDispatch, Actor: disp(), Assignments: dec.Assignments()})
				if i >= 7 {
					return // still being followed up (继续跟进)
				}
				h.do(s.work(h.at, 0.2, 1), caseflow.Command{Action: caseflow.ActSign, Actor: s.ppl.handlers[lead.ID]})
				h.do(s.work(h.at, 2, 8), caseflow.Command{Action: caseflow.ActReportBack, Actor: s.ppl.handlers[lead.ID], Note: "已整改", Photos: []string{s.photo("after", 3)}})
				closeOut(s, h, s.ppl.worker[c.Place.Grid])
			}})
	}
	out := map[string][]storyCase{}
	for _, st := range list {
		k := st.at.Format("20060102")
		out[k] = append(out[k], st)
	}
	return out
}

func seedCategory(i int) string {
	ids := []string{"M06011", "M06001", "M09004", "M01037", "M07001", "M09012", "M09015", "M06045", "M06013"}
	return ids[i]
}

func (s *sim) story(l *store.Loader, st storyCase) error {
	var cell *places.UnitGrid
	for i := range s.allCells {
		if s.allCells[i].Community == st.community {
			cell = &s.allCells[i]
			break
		}
	}
	if cell == nil || st.at.After(s.o.End) {
		return nil
	}
	worker := s.ppl.worker[cell.Grid]
	actor := worker
	if st.category == "M06011" && st.community == "140213054011" {
		actor = s.ppl.inspector // found on patrol by the supervision team
	}
	c := &caseflow.Case{Number: s.number(st.at), Channel: st.channel, CategoryID: st.category, Urgency: caseflow.Normal,
		Description: st.desc, Address: st.address, Point: s.pointIn(*cell), Reporter: caseflow.Reporter{AccountID: actor.AccountID},
		Place: caseflow.Place{UnitGrid: cell.Code, Grid: cell.Grid, Community: cell.Community, Street: cell.Street}}
	ev, err := caseflow.Report(c, actor, st.at, s.pol)
	if err != nil {
		return err
	}
	h := &history{s: s, c: c, events: []caseflow.Event{ev}, at: ev.At}
	st.script(s, h, c)
	return l.Add(c, h.events)
}
