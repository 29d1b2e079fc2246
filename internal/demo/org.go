package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/routing"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Departments are the demo's units: the ones the Datong Daily page names,
// and the usual departments a district's digital city management dispatches to.
var departments = []org.Unit{
	{Code: "zhzx", Name: "平城区城市管理指挥中心", Kind: org.KindCentre},
	{Code: "rx12345", Name: "平城区12345政府热线督办科", Kind: org.KindCentre},
	{Code: "qld", Name: "平城区人民政府", Kind: org.KindLeadership},
	{Code: "hwc", Name: "平城区环卫处", Kind: org.KindDepartment},
	{Code: "ylc", Name: "平城区园林管理处", Kind: org.KindDepartment},
	{Code: "jddd", Name: "平城区环境治理监督大队", Kind: org.KindDepartment},
	{Code: "zfj", Name: "平城区城市管理综合行政执法大队", Kind: org.KindDepartment},
	{Code: "szc", Name: "平城区市政设施管理处", Kind: org.KindDepartment},
	{Code: "jtj", Name: "平城区交通运输局", Kind: org.KindDepartment},
	{Code: "scj", Name: "平城区市场监督管理局", Kind: org.KindDepartment},
	{Code: "xfj", Name: "平城区消防救援大队", Kind: org.KindDepartment},
	{Code: "wy-hbjy", Name: "鸿宾嘉苑物业服务中心", Kind: org.KindProperty},
	{Code: "wy-tsyy", Name: "天胜雅园物业服务中心", Kind: org.KindProperty},
	{Code: "wy-bxy", Name: "北馨园小区物业服务中心", Kind: org.KindProperty},
}

// Login is a demo account to print.
type Login struct {
	Username string        `json:"username"`
	Role     caseflow.Role `json:"role"`
	Unit     string        `json:"unit"`
	Note     string        `json:"note"`
}

// named are the demo accounts printed for people to try, with what they are.
var named = map[string]string{
	"admin":            "系统管理员 administrator",
	"dispatcher1":      "派遣员/值班长 dispatcher",
	"operator1":        "12345坐席 hotline operator",
	"leader":           "区领导 district leader",
	"inspector":        "环境治理监督大队巡查 patrol inspector",
	"h-hwc":            "环卫处处置人员 department handler",
	"gw14021305300101": "网格员 grid worker, 北馨园社区第1网格",
}

// Logins lists the named demo accounts of an existing demo database.
func Logins(ctx context.Context, st *store.Store) ([]Login, error) {
	accts, err := st.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	units, err := st.Units(ctx)
	if err != nil {
		return nil, err
	}
	unitName := map[int64]string{}
	for _, u := range units {
		unitName[u.ID] = u.Name
	}
	var out []Login
	for _, a := range accts {
		if n, ok := named[a.Username]; ok {
			out = append(out, Login{Username: a.Username, Role: a.Role, Unit: unitName[a.UnitID], Note: n})
		}
	}
	return out, nil
}

type people struct {
	units        map[string]org.Unit // by code
	streetOffice map[string]org.Unit // by street division code
	worker       map[string]caseflow.Actor
	dispatchers  []caseflow.Actor
	operators    []caseflow.Actor
	leader       caseflow.Actor
	inspector    caseflow.Actor // 环境治理监督大队 patrol
	handlers     map[int64]caseflow.Actor
	logins       []Login
}

func createPeople(ctx context.Context, st *store.Store, divs []places.Division, grids []places.Grid, passwordHash string) (*people, error) {
	p := &people{units: map[string]org.Unit{}, streetOffice: map[string]org.Unit{}, worker: map[string]caseflow.Actor{}, handlers: map[int64]caseflow.Actor{}}
	for _, u := range departments {
		if err := st.CreateUnit(ctx, &u); err != nil {
			return nil, err
		}
		p.units[u.Code] = u
	}
	for _, d := range divs {
		if d.Level != places.LevelStreet {
			continue
		}
		u := org.Unit{Code: "jd" + d.Code, Name: d.Name + "办事处", Kind: org.KindStreet, Street: d.Code}
		if err := st.CreateUnit(ctx, &u); err != nil {
			return nil, err
		}
		p.units[u.Code] = u
		p.streetOffice[d.Code] = u
	}
	account := func(username, name string, role caseflow.Role, unit org.Unit, grids []string) (caseflow.Actor, error) {
		a := org.Account{Username: username, Name: name, Role: role, UnitID: unit.ID, PasswordHash: passwordHash,
			Phone: fmt.Sprintf("1390352%04d", len(p.logins)%10000), Grids: grids}
		if err := st.CreateAccount(ctx, &a); err != nil {
			return caseflow.Actor{}, err
		}
		if n, ok := named[username]; ok {
			p.logins = append(p.logins, Login{Username: username, Role: role, Unit: unit.Name, Note: n})
		}
		return caseflow.Actor{AccountID: a.ID, Role: role, UnitID: unit.ID}, nil
	}
	var err error
	if _, err = account("admin", "系统管理员", caseflow.Admin, p.units["zhzx"], nil); err != nil {
		return nil, err
	}
	for i, n := range []string{"王调度", "李调度"} {
		a, err := account(fmt.Sprintf("dispatcher%d", i+1), n, caseflow.Dispatcher, p.units["zhzx"], nil)
		if err != nil {
			return nil, err
		}
		p.dispatchers = append(p.dispatchers, a)
	}
	for i, n := range []string{"赵坐席", "钱坐席"} {
		a, err := account(fmt.Sprintf("operator%d", i+1), n, caseflow.Operator, p.units["rx12345"], nil)
		if err != nil {
			return nil, err
		}
		p.operators = append(p.operators, a)
	}
	if p.leader, err = account("leader", "孙区长", caseflow.Leader, p.units["qld"], nil); err != nil {
		return nil, err
	}
	if p.inspector, err = account("inspector", "周队员", caseflow.GridWorker, p.units["jddd"], nil); err != nil {
		return nil, err
	}
	// One handler account per department, property company and street office.
	for i, u := range p.sortedUnits() {
		if u.Kind == org.KindCentre || u.Kind == org.KindLeadership {
			continue
		}
		a, err := account("h-"+u.Code, personName(i), caseflow.Handler, u, nil)
		if err != nil {
			return nil, err
		}
		p.handlers[u.ID] = a
	}
	// One grid worker per grid, employed by the street office.
	for i, g := range grids {
		a, err := account("gw"+g.Code, personName(1000+i), caseflow.GridWorker, p.streetOffice[g.Street], []string{g.Code})
		if err != nil {
			return nil, err
		}
		p.worker[g.Code] = a
	}
	return p, nil
}

// personName is a made-up person's name, the same for the same i: the
// demo's handlers and grid workers are people to those who work with them,
// not their role twice (网格员 · 网格员).
func personName(i int) string {
	surnames := []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧")
	given := []rune("伟芳敏静丽强磊军洋勇艳杰涛明超霞平刚桂英华玉兰红")
	second := []rune("晓建志国文春海")
	return string(surnames[i%len(surnames)]) + string(second[(i/len(surnames))%len(second)]) + string(given[(i*7)%len(given)])
}

func (p *people) sortedUnits() []org.Unit {
	out := make([]org.Unit, 0, len(p.units))
	for _, u := range p.units {
		out = append(out, u)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].ID < out[j-1].ID; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// dispatchRules is the demo's dispatch table (派单目录): categories and
// major classes to the departments the Datong Daily names, two local
// arrangements in 振华街道's compounds (天胜雅园社区), and a property rule the
// dispatcher can use. Everything else goes to the street office (属地).
func dispatchRules() []routing.Rule {
	byCat := []struct{ dept, cats string }{
		{"hwc", "M06010 M06011 M06012 M06014 M06020 M06041 M06042"},
		{"zfj", "M06001 M06002"},
		{"jddd", "M06027 M06028 M08004"},
		{"ylc", "M06017 M06018 M06021 M06022 M06045 M06047"},
		{"szc", "M06013 M06048 M06049 M06050 M06051 M06052"},
		{"jtj", "M09009"}, {"xfj", "M09012"}, {"scj", "M09015"},
	}
	var rules []routing.Rule
	add := func(r routing.Rule) {
		r.ID = int64(len(rules) + 1)
		rules = append(rules, r)
	}
	for _, b := range byCat {
		for _, c := range strings.Fields(b.cats) {
			add(routing.Rule{Category: c, Area: routing.Any, Lead: b.dept})
		}
	}
	for _, b := range []struct{ class, dept string }{{"C01", "szc"}, {"M01", "szc"}, {"C02", "jtj"}, {"M02", "jtj"},
		{"C03", "hwc"}, {"M03", "hwc"}, {"C04", "ylc"}, {"M04", "ylc"}, {"M07", "zfj"}, {"M08", "zfj"}, {"M09", "zfj"}} {
		add(routing.Rule{Category: b.class, Area: routing.Any, Lead: b.dept})
	}
	add(routing.Rule{Category: "M06011", Area: "140213054011", Lead: "hwc", Assist: []string{"jd140213054"},
		Note: "鸿宾嘉苑一带积存垃圾：环卫处牵头，街道配合"})
	add(routing.Rule{Category: "M06045", Area: "140213054011", Lead: "ylc", Assist: []string{"wy-tsyy"},
		Note: "天胜雅园毁绿种菜：园林处牵头，物业配合"})
	add(routing.Rule{Category: "M06", Area: "140213054011", Ownership: "property", Lead: "wy-hbjy", Assist: []string{"zfj"},
		Note: "物业管理区域内市容问题由物业负责，执法配合"})
	return rules
}

// routeTable validates the demo's rules against what the demo created.
func routeTable(units []org.Unit, divs []places.Division, grids []places.Grid, cats []catalog.Category) (*routing.Table, error) {
	k := routing.Known{Categories: map[string]bool{}, Units: units, Areas: map[string]bool{}}
	for _, c := range cats {
		k.Categories[c.ID] = true
	}
	for _, d := range divs {
		k.Areas[d.Code] = true
	}
	for _, g := range grids {
		k.Areas[g.Code] = true
	}
	return routing.New(dispatchRules(), k)
}

func isUrban(name string) bool { return !strings.Contains(name, "村") }
