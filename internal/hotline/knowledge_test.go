package hotline

import (
	"errors"
	"strings"
	"testing"
)

func point() Point {
	return Point{Category: []string{"城市管理", "市容环境", "占道经营"}, Title: "早市的经营时间",
		Content: "平城区早市每日 5:30 至 8:30 经营，过时须收摊。", Issuer: "平城区城市管理局", Kind: Guide,
		Keywords: []string{"早市", "摆摊", "早市"}, Scope: "平城区", From: "2026-01-01"}
}

func TestAPointIsCheckedFieldByField(t *testing.T) {
	for _, c := range []struct {
		field string
		edit  func(*Point)
	}{
		{"category", func(p *Point) { p.Category = []string{" "} }},
		{"category", func(p *Point) { p.Category = []string{"a", "b", "c", "d", "e"} }},
		{"category", func(p *Point) { p.Category = []string{"城市/管理"} }},
		{"title", func(p *Point) { p.Title = "  " }},
		{"title", func(p *Point) { p.Title = strings.Repeat("长", MaxTitle+1) }},
		{"content", func(p *Point) { p.Content = "" }},
		{"issuer", func(p *Point) { p.Issuer = "" }},
		{"kind", func(p *Point) { p.Kind = "rumour" }},
		{"keywords", func(p *Point) { p.Keywords = []string{strings.Repeat("词", MaxKeyword+1)} }},
		{"from", func(p *Point) { p.From = "" }},
		{"from", func(p *Point) { p.From = "2026-02-30" }},
		{"until", func(p *Point) { p.Until = "2025-12-31" }},
	} {
		p := point()
		c.edit(&p)
		var pe *PointError
		if err := p.Check(); !errors.As(err, &pe) || pe.Field != c.field {
			t.Errorf("want a refusal naming %s, got %v", c.field, err)
		}
	}
	p := point()
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	if len(p.Keywords) != 2 {
		t.Errorf("a repeated keyword is kept once: %v", p.Keywords)
	}
}

func TestStatusOnADay(t *testing.T) {
	p := point()
	p.Until = "2026-06-30"
	for today, want := range map[string]Status{"2025-12-31": NotYet, "2026-03-01": InForce,
		"2026-06-10": ExpiresOut, "2026-06-30": ExpiresOut, "2026-07-01": Expired} {
		if got := p.StatusOn(today); got != want {
			t.Errorf("%s: %s, want %s", today, got, want)
		}
	}
	p.Until = ""
	if p.StatusOn("2099-01-01") != InForce {
		t.Error("a point without an end stays in force")
	}
}

func TestTheDeskFindsTheAnswerFirst(t *testing.T) {
	market := point()
	market.ID = 1
	fee := Point{ID: 2, Category: []string{"城市管理", "市容环境"}, Title: "门前三包责任", Content: "沿街商户负责门前卫生，早市结束后清扫。",
		Issuer: "平城区城市管理局", Kind: FAQ, Keywords: []string{"门前三包"}, From: "2025-01-01"}
	old := market
	old.ID, old.Until = 3, "2025-12-31"
	old.Title = "早市的经营时间（旧）"
	cands := []Point{fee, old, market}
	got := Rank(cands, Terms("早市 时间"), "2026-12-04", 10)
	if len(got) != 2 || got[0].ID != 1 || got[1].ID != 3 {
		t.Fatalf("want the point in force first and the expired one after it, got %+v", ids(got))
	}
	if got := Rank(cands, Terms("早市，清扫"), "2026-12-04", 10); len(got) != 1 || got[0].ID != 2 {
		t.Errorf("every term must match (title, keywords or content): %v", ids(got))
	}
	if got := Rank(cands, Terms("占道经营"), "2026-12-04", 1); len(got) != 1 || got[0].ID != 1 {
		t.Errorf("the category path is searched too, and the limit holds: %v", ids(got))
	}
}

func ids(ps []Point) []int64 {
	var out []int64
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func TestAFileIsReadWholeOrNotAtAll(t *testing.T) {
	header := []string{"\ufeff知识标题", "知识分类", "知识内容", "发布单位", "知识类型", "关键词", "适用范围", "生效日期", "失效日期", "编号"}
	good := []string{"早市的经营时间", "城市管理/市容环境", "每日 5:30 至 8:30", "平城区城市管理局", "办事指南", "早市、摆摊", "平城区", "2026年1月5日", "46387", ""}
	rows, err := ParseFile(header, [][]string{good}, []int{2})
	if err != nil {
		t.Fatal(err)
	}
	p := rows[0].Point
	if p.Kind != Guide || p.From != "2026-01-05" || p.Until != "2026-12-31" || len(p.Keywords) != 2 || len(p.Category) != 2 {
		t.Errorf("read %+v", p)
	}
	badKind := append([]string{}, good...)
	badKind[4] = "小道消息"
	badDay := append([]string{}, good...)
	badDay[7] = "明年"
	dup1, dup2 := append([]string{}, good...), append([]string{}, good...)
	dup1[9], dup2[9] = "7", "7"
	_, err = ParseFile(header, [][]string{good, badKind, badDay, dup1, dup2}, []int{2, 3, 5, 6, 7})
	var fe FileErrors
	if !errors.As(err, &fe) || len(fe) != 3 {
		t.Fatalf("want three bad cells, got %v", err)
	}
	want := []FileError{{Line: 3, Column: "知识类型"}, {Line: 5, Column: "生效日期"}, {Line: 7, Column: "编号"}}
	for i, w := range want {
		if fe[i].Line != w.Line || fe[i].Column != w.Column {
			t.Errorf("error %d: %+v, want line %d column %s", i, fe[i], w.Line, w.Column)
		}
	}
	if _, err := ParseFile([]string{"知识标题"}, nil, nil); !errors.As(err, &fe) || fe[0].Line != 1 {
		t.Errorf("a header without the columns is refused on line 1: %v", err)
	}
}

func TestExcelDayNumbers(t *testing.T) {
	// 45658 is 2025-01-01 in Excel's count.
	if d, err := fileDay("45658"); err != nil || d != "2025-01-01" {
		t.Errorf("%s %v", d, err)
	}
	if _, err := fileDay("2026/2/29"); err == nil {
		t.Error("2026 has no 29 February")
	}
	if d, _ := fileDay("2026.3.1"); d != "2026-03-01" {
		t.Error(d)
	}
}

func TestACategoryNameMeetsItsAnswers(t *testing.T) {
	if got := Pieces("积存垃圾 M06"); strings.Join(got, ",") != "积存,存垃,垃圾,m06" {
		t.Errorf("pieces: %v", got)
	}
	rubbish := Point{ID: 1, Title: "生活垃圾清运时间", Content: "满溢的按暴露垃圾受理", From: "2026-01-01"}
	debris := Point{ID: 2, Title: "装修垃圾怎么清运", Content: "按渣土问题受理", From: "2026-01-01"}
	market := point()
	market.ID = 3
	got := RankLike([]Point{rubbish, market, debris}, Pieces("积存垃圾渣土"), "2026-12-04", 5)
	if len(got) != 2 || got[0].ID != 2 || got[1].ID != 1 {
		t.Errorf("垃圾 and 渣土 before 垃圾 alone, the market not at all: %v", ids(got))
	}
}
