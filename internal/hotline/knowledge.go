// Package hotline owns what the 12345 hotline knows and decides beyond the
// case loop: here, the knowledge base (知识库) an operator answers from.
package hotline

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Kind is what sort of knowledge a point is (知识类型).
type Kind string

// The kinds of GB/T 44191-2024's knowledge base for government hotlines.
const (
	Policy   Kind = "policy"   // 政策法规
	Guide    Kind = "guide"    // 办事指南
	FAQ      Kind = "faq"      // 常见问答
	Notice   Kind = "notice"   // 通知公告
	Contacts Kind = "contacts" // 机构通讯 (who to call for what)
)

// Kinds in the order the knowledge page offers them.
var Kinds = []Kind{FAQ, Guide, Policy, Notice, Contacts}

// Point is one knowledge point (知识点): an answer an operator may give,
// with the fields of GB/T 44191-2024 — category path, title, content,
// issuer, kind, keywords, scope and validity.
type Point struct {
	ID        int64     `json:"id"`
	Category  []string  `json:"category"` // 知识分类, outermost first: 城市管理 / 市容环境 / 占道经营
	Title     string    `json:"title"`    // 知识标题
	Content   string    `json:"content"`  // 知识内容: what the operator reads out or sends
	Issuer    string    `json:"issuer"`   // 发布单位: the unit answerable for it
	Kind      Kind      `json:"kind"`     // 知识类型
	Keywords  []string  `json:"keywords"` // 关键词: everyday words callers use
	Scope     string    `json:"scope"`    // 适用范围: where or to whom it applies
	From      string    `json:"from"`     // 生效日期, YYYY-MM-DD (Beijing)
	Until     string    `json:"until"`    // 失效日期, YYYY-MM-DD, inclusive; "" for no end
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// Limits of a point.
const (
	MaxTitle    = 100
	MaxContent  = 5000
	MaxKeywords = 12
	MaxKeyword  = 20
	MaxLevels   = 4
	MaxName     = 50 // a category level, the issuer
	MaxScope    = 100
)

// PointError is a point refused, naming the field at fault.
type PointError struct {
	Field string
	Msg   string
}

func (e *PointError) Error() string { return "knowledge: " + e.Field + ": " + e.Msg }

// Check says what is wrong with a point, the first field at fault; it
// trims the text fields and drops empty and repeated keywords first.
func (p *Point) Check() error {
	p.Title, p.Content = strings.TrimSpace(p.Title), strings.TrimSpace(p.Content)
	p.Issuer, p.Scope = strings.TrimSpace(p.Issuer), strings.TrimSpace(p.Scope)
	p.From, p.Until = strings.TrimSpace(p.From), strings.TrimSpace(p.Until)
	p.Category = tidy(p.Category)
	p.Keywords = tidy(p.Keywords)
	if p.Kind == "" {
		p.Kind = FAQ
	}
	n := utf8.RuneCountInString
	switch {
	case len(p.Category) == 0:
		return &PointError{"category", "name the category, outermost first (城市管理/市容环境)"}
	case len(p.Category) > MaxLevels:
		return &PointError{"category", fmt.Sprintf("at most %d levels", MaxLevels)}
	case p.Title == "":
		return &PointError{"title", "a title is needed"}
	case n(p.Title) > MaxTitle:
		return &PointError{"title", fmt.Sprintf("at most %d characters", MaxTitle)}
	case p.Content == "":
		return &PointError{"content", "the content is needed: what the operator tells the caller"}
	case n(p.Content) > MaxContent:
		return &PointError{"content", fmt.Sprintf("at most %d characters", MaxContent)}
	case p.Issuer == "":
		return &PointError{"issuer", "name the unit that issues it"}
	case n(p.Issuer) > MaxName:
		return &PointError{"issuer", fmt.Sprintf("at most %d characters", MaxName)}
	case !slices.Contains(Kinds, p.Kind):
		return &PointError{"kind", fmt.Sprintf("unknown kind %q", p.Kind)}
	case len(p.Keywords) > MaxKeywords:
		return &PointError{"keywords", fmt.Sprintf("at most %d keywords", MaxKeywords)}
	case n(p.Scope) > MaxScope:
		return &PointError{"scope", fmt.Sprintf("at most %d characters", MaxScope)}
	}
	for _, c := range p.Category {
		if n(c) > MaxName || strings.Contains(c, "/") {
			return &PointError{"category", fmt.Sprintf("level %q: at most %d characters, no /", c, MaxName)}
		}
	}
	for _, k := range p.Keywords {
		if n(k) > MaxKeyword {
			return &PointError{"keywords", fmt.Sprintf("keyword %q: at most %d characters", k, MaxKeyword)}
		}
	}
	if p.From == "" {
		return &PointError{"from", "the day it takes effect is needed"}
	}
	from, err := time.Parse(time.DateOnly, p.From)
	if err != nil {
		return &PointError{"from", fmt.Sprintf("%q is not a day (YYYY-MM-DD)", p.From)}
	}
	if p.Until != "" {
		until, err := time.Parse(time.DateOnly, p.Until)
		if err != nil {
			return &PointError{"until", fmt.Sprintf("%q is not a day (YYYY-MM-DD)", p.Until)}
		}
		if until.Before(from) {
			return &PointError{"until", "it ends before it takes effect"}
		}
	}
	return nil
}

// tidy trims each entry and drops empty and repeated ones.
func tidy(list []string) []string {
	out := []string{}
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Status is where a point stands on a day.
type Status string

const (
	InForce    Status = "in_force"    // 有效
	NotYet     Status = "not_yet"     // 未生效
	Expired    Status = "expired"     // 已过期: flagged, never offered as an answer
	ExpiresOut Status = "expires_out" // 即将过期: in force, ending within ExpiryWarning
)

// ExpiryWarning is how long before its end a point is flagged for review.
const ExpiryWarning = 30 * 24 * time.Hour

// StatusOn is the point's status on the Beijing day of today (YYYY-MM-DD).
func (p *Point) StatusOn(today string) Status {
	switch {
	case p.Until != "" && p.Until < today:
		return Expired
	case p.From > today:
		return NotYet
	case p.Until != "":
		t, err1 := time.Parse(time.DateOnly, today)
		u, err2 := time.Parse(time.DateOnly, p.Until)
		if err1 == nil && err2 == nil && u.Sub(t) < ExpiryWarning {
			return ExpiresOut
		}
	}
	return InForce
}

// Terms are a desk search's words: split on spaces and punctuation,
// lower-cased, at most eight.
func Terms(q string) []string {
	f := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return r == ' ' || r == '\u3000' || strings.ContainsRune(",，、;；。.?？!！/", r)
	})
	f = tidy(f)
	return f[:min(len(f), 8)]
}

// Pieces are the words of a text that is not a search — a category's
// name, say — cut so that its parts can meet the points' words: Chinese
// runs become their overlapping pairs of characters (积存垃圾 → 积存, 存垃,
// 垃圾), other words stay whole.
func Pieces(s string) []string {
	var out []string
	for _, w := range Terms(s) {
		r := []rune(w)
		if len(r) <= 2 || !allHan(r) {
			out = append(out, w)
			continue
		}
		for i := 0; i+1 < len(r); i++ {
			out = append(out, string(r[i:i+2]))
		}
	}
	return tidy(out)[:min(len(tidy(out)), 16)]
}

func allHan(r []rune) bool {
	for _, c := range r {
		if !unicode.Is(unicode.Han, c) {
			return false
		}
	}
	return true
}

// SearchText is the text a point is found by (the store keeps it beside
// the point): every field a term may match, lower-cased.
func (p *Point) SearchText() string {
	return strings.ToLower(strings.Join([]string{strings.Join(p.Category, "/"), p.Title,
		strings.Join(p.Keywords, " "), p.Content, p.Issuer, p.Scope}, "\n"))
}

// Like ranks a point for pieces (see Pieces): how many occur anywhere,
// a piece in the title counting twice. Zero: none does.
func (p *Point) Like(pieces []string) int {
	title, all := strings.ToLower(p.Title), p.SearchText()
	n := 0
	for _, t := range pieces {
		switch {
		case strings.Contains(title, t):
			n += 2
		case strings.Contains(all, t):
			n++
		}
	}
	return n
}

// Score ranks a point for the terms: every term must occur somewhere;
// a term in the title weighs most, then a keyword, the category, the
// content. Zero: not a match.
func (p *Point) Score(terms []string) int {
	title, cat := strings.ToLower(p.Title), strings.ToLower(strings.Join(p.Category, "/"))
	score := 0
	for _, t := range terms {
		s := 0
		switch {
		case strings.Contains(title, t):
			s = 8
		case slices.ContainsFunc(p.Keywords, func(k string) bool { return strings.Contains(strings.ToLower(k), t) }):
			s = 5
		case strings.Contains(cat, t):
			s = 3
		case strings.Contains(strings.ToLower(p.Content), t) || strings.Contains(strings.ToLower(p.Issuer+p.Scope), t):
			s = 1
		}
		if s == 0 {
			return 0
		}
		score += s
	}
	return max(score, 1)
}

// Rank orders candidates for the terms on today: matches only, points in
// force before flagged ones, then by score, then the newest first; at most
// limit of them.
func Rank(cands []Point, terms []string, today string, limit int) []Point {
	return rank(cands, func(p *Point) int {
		if len(terms) == 0 {
			return 1
		}
		return p.Score(terms)
	}, today, limit)
}

// RankLike orders candidates like Rank, scored by Like: the points that
// share most with a category's name, say.
func RankLike(cands []Point, pieces []string, today string, limit int) []Point {
	return rank(cands, func(p *Point) int { return p.Like(pieces) }, today, limit)
}

func rank(cands []Point, score func(*Point) int, today string, limit int) []Point {
	type hit struct {
		p     Point
		score int
		late  bool
	}
	var hits []hit
	for _, p := range cands {
		s := score(&p)
		if s == 0 {
			continue
		}
		st := p.StatusOn(today)
		hits = append(hits, hit{p, s, st == Expired || st == NotYet})
	}
	sort.SliceStable(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.late != b.late {
			return !a.late
		}
		if a.score != b.score {
			return a.score > b.score
		}
		return a.p.UpdatedAt.After(b.p.UpdatedAt)
	})
	out := make([]Point, 0, min(len(hits), limit))
	for _, h := range hits[:min(len(hits), limit)] {
		out = append(out, h.p)
	}
	return out
}
