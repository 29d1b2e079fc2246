// Package routing is the dispatch table (派单目录): which department handles
// a category of problem in an area, with 属地 (the street office of the
// place) where no rule matches. Rules are data; the most specific one wins,
// and every decision says which rule made it.
package routing

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/places"
)

// Any matches every category or every area.
const Any = "*"

// Rule sends a category (an id like "M06011", a major class like "M06",
// or "*") in an area (a street, community or grid code, or "*"), and
// optionally for one kind of ownership ("property" for a compound managed
// by a property company, "public", …), to a lead department and assisting
// ones.
type Rule struct {
	ID        int64    `json:"id"`
	Category  string   `json:"category"`
	Area      string   `json:"area"`
	Ownership string   `json:"ownership,omitempty"`
	Lead      string   `json:"lead"` // unit code
	Assist    []string `json:"assist,omitempty"`
	Note      string   `json:"note,omitempty"`
}

// String names a rule for people: "#12 M06011 × 140213053 → hwc".
func (r Rule) String() string {
	s := fmt.Sprintf("#%d %s × %s", r.ID, r.Category, r.Area)
	if r.Ownership != "" {
		s += " (" + r.Ownership + ")"
	}
	s += " → " + r.Lead
	if len(r.Assist) > 0 {
		s += " + " + strings.Join(r.Assist, ", ")
	}
	return s
}

// specificity ranks a rule: category (exact 2, class 1, any 0), area
// (grid 3, community 2, street 1, any 0), ownership (1 when named).
func (r Rule) specificity() (cat, area, own int) {
	switch {
	case r.Category == Any:
	case len(r.Category) == 3:
		cat = 1
	default:
		cat = 2
	}
	switch len(r.Area) {
	case 14:
		area = 3
	case 12:
		area = 2
	case 9:
		area = 1
	}
	if r.Ownership != "" {
		own = 1
	}
	return
}

// Score orders matching rules: a rule for the named ownership first, then
// the narrower area (grid, community, street, all), then the narrower
// category (exact, class, all); equal scores go to the lower id. A local
// arrangement thus beats a district-wide rule, as a district expects.
func (r Rule) Score() int {
	c, a, o := r.specificity()
	return o*100 + a*10 + c
}

// Known is what rules may name.
type Known struct {
	Categories map[string]bool // category ids
	Units      []org.Unit
	Areas      map[string]bool // street, community and grid codes
}

// Table is a validated dispatch table. It is read-only and safe for
// concurrent use.
type Table struct {
	rules   []Rule
	byCat   map[string][]int // category id, class or "*" → rules
	units   map[string]org.Unit
	streets map[string]org.Unit // street code → its street office
}

// New validates rules against what is known. All errors are reported
// together, each naming its rule.
func New(rules []Rule, k Known) (*Table, error) {
	t := &Table{rules: slices.Clone(rules), byCat: map[string][]int{}, units: map[string]org.Unit{}, streets: map[string]org.Unit{}}
	for _, u := range k.Units {
		t.units[u.Code] = u
		if u.Kind == org.KindStreet && u.Street != "" {
			t.streets[u.Street] = u
		}
	}
	classes := map[string]bool{}
	for id := range k.Categories {
		if len(id) >= 3 {
			classes[id[:3]] = true
		}
	}
	var errs []error
	seen := map[string]int64{}
	for i, r := range t.rules {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("rule %s: %s", r.label(i), fmt.Sprintf(format, args...)))
		}
		switch {
		case r.Category == "":
			bad("category is empty (an id like M06011, a class like M06, or *)")
		case r.Category == Any:
		case len(r.Category) == 3 && !classes[r.Category]:
			bad("unknown major class %q", r.Category)
		case len(r.Category) != 3 && !k.Categories[r.Category]:
			bad("unknown category %q", r.Category)
		}
		switch {
		case r.Area == "":
			bad("area is empty (a street, community or grid code, or *)")
		case r.Area != Any && k.Areas != nil && !k.Areas[r.Area]:
			bad("unknown area %q", r.Area)
		case r.Area != Any && len(r.Area) != 9 && len(r.Area) != 12 && len(r.Area) != 14:
			bad("area %q is not a street (9 digits), community (12) or grid (14) code", r.Area)
		}
		if _, ok := t.units[r.Lead]; !ok {
			bad("unknown lead department %q", r.Lead)
		}
		for _, a := range r.Assist {
			if _, ok := t.units[a]; !ok {
				bad("unknown assisting department %q", a)
			} else if a == r.Lead {
				bad("department %q is both lead and assisting", a)
			}
		}
		key := r.Category + "|" + r.Area + "|" + r.Ownership
		if prev, dup := seen[key]; dup {
			bad("same category, area and ownership as rule #%d", prev)
		}
		seen[key] = r.ID
		t.byCat[r.Category] = append(t.byCat[r.Category], i)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

func (r Rule) label(i int) string {
	if r.ID != 0 {
		return fmt.Sprintf("#%d", r.ID)
	}
	return fmt.Sprintf("%d", i+1)
}

// Rules returns the table's rules.
func (t *Table) Rules() []Rule { return slices.Clone(t.rules) }

// Decision is where a case goes and why.
type Decision struct {
	Lead    org.Unit   `json:"lead"`
	Assist  []org.Unit `json:"assist,omitempty"`
	Rule    *Rule      `json:"rule,omitempty"` // nil: 属地 fallback
	Why     string     `json:"why"`
	Matched []Rule     `json:"matched,omitempty"` // every matching rule, best first (dry-run)
}

// Assignments are the decision as dispatch assignments, each carrying why.
func (d Decision) Assignments() []caseflow.Assignment {
	as := []caseflow.Assignment{{UnitID: d.Lead.ID, Lead: true, Rule: d.Why}}
	for _, u := range d.Assist {
		as = append(as, caseflow.Assignment{UnitID: u.ID, Rule: d.Why + "（协办）"})
	}
	return as
}

// ErrNoRoute means neither a rule nor a street office fits the place.
var ErrNoRoute = errors.New("no rule and no street office for the place")

// Route decides for a category at a place. ownership may be empty.
func (t *Table) Route(categoryID string, p caseflow.Place, ownership string) (Decision, error) {
	best := -1
	var matched []int
	for _, key := range [3]string{categoryID, class(categoryID), Any} {
		for _, i := range t.byCat[key] {
			r := &t.rules[i]
			if !r.matchesPlace(p) || (r.Ownership != "" && r.Ownership != ownership) {
				continue
			}
			matched = append(matched, i)
			if best < 0 || r.Score() > t.rules[best].Score() || (r.Score() == t.rules[best].Score() && r.ID < t.rules[best].ID) {
				best = i
			}
		}
	}
	if best < 0 {
		so, ok := t.streets[p.Street]
		if !ok {
			return Decision{}, fmt.Errorf("routing: %s at street %q: %w", categoryID, p.Street, ErrNoRoute)
		}
		return Decision{Lead: so, Why: "属地：派单目录无匹配规则 → " + so.Name}, nil
	}
	d := t.decision(t.rules[best])
	slices.SortFunc(matched, func(a, b int) int {
		if s := t.rules[b].Score() - t.rules[a].Score(); s != 0 {
			return s
		}
		return int(t.rules[a].ID - t.rules[b].ID)
	})
	for _, i := range matched {
		d.Matched = append(d.Matched, t.rules[i])
	}
	return d, nil
}

// decision is a rule's decision: its lead, its assists and why.
func (t *Table) decision(r Rule) Decision {
	d := Decision{Lead: t.units[r.Lead], Rule: &r, Why: fmt.Sprintf("派单目录规则 #%d（%s × %s%s）→ %s", r.ID, words(r.Category, "全部类别"),
		words(r.Area, "全区"), map[bool]string{true: " × " + r.Ownership, false: ""}[r.Ownership != ""], t.units[r.Lead].Name)}
	for _, a := range r.Assist {
		d.Assist = append(d.Assist, t.units[a])
	}
	return d
}

// ErrAllReturned means every department the table and the place name for
// a case has returned it: a dispatcher decides by hand.
var ErrAllReturned = errors.New("every department the dispatch table names has returned the case")

// RouteAvoiding decides as Route does, passing over the rules, and the
// street office, whose lead already returned the case (returned: unit
// ids): after an approved return the next department the table names is
// suggested, not the one that just gave the case back.
func (t *Table) RouteAvoiding(categoryID string, p caseflow.Place, ownership string, returned []int64) (Decision, error) {
	d, err := t.Route(categoryID, p, ownership)
	if err != nil || !slices.Contains(returned, d.Lead.ID) {
		return d, err
	}
	for _, r := range d.Matched {
		if !slices.Contains(returned, t.units[r.Lead].ID) {
			next := t.decision(r)
			next.Matched, next.Why = d.Matched, next.Why+"（"+d.Lead.Name+"已退回）"
			return next, nil
		}
	}
	if so, ok := t.streets[p.Street]; ok && !slices.Contains(returned, so.ID) {
		return Decision{Lead: so, Matched: d.Matched, Why: "属地：派单目录所列单位均已退回 → " + so.Name}, nil
	}
	return Decision{}, fmt.Errorf("routing: %s at street %q: %w", categoryID, p.Street, ErrAllReturned)
}

func words(code, any string) string {
	if code == Any {
		return any
	}
	return code
}

func class(categoryID string) string {
	if len(categoryID) < 3 {
		return ""
	}
	return categoryID[:3]
}

func (r *Rule) matchesPlace(p caseflow.Place) bool {
	return r.Area == Any || r.Area == p.Street || r.Area == p.Community || r.Area == p.Grid
}

// CSVHeader is the dispatch table's file format.
var CSVHeader = []string{"category", "area", "ownership", "lead", "assist", "note"}

// ParseCSV reads a dispatch table: category,area,ownership,lead,assist,note
// with assisting departments separated by "|". A rule's id is its line
// number, so errors name the line. Bad rows come back as
// places.ImportErrors.
func ParseCSV(r io.Reader) ([]Rule, error) {
	cr := csv.NewReader(r)
	if err := places.ReadHeader(cr, CSVHeader); err != nil {
		return nil, err
	}
	cr.FieldsPerRecord = len(CSVHeader)
	var rules []Rule
	var errs places.ImportErrors
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, places.RowError{Line: places.LineOf(cr, err), Msg: err.Error()})
			if len(errs) > 50 {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		rule := Rule{ID: int64(line), Category: strings.TrimSpace(rec[0]), Area: strings.TrimSpace(rec[1]),
			Ownership: strings.TrimSpace(rec[2]), Lead: strings.TrimSpace(rec[3]), Note: strings.TrimSpace(rec[5])}
		if a := strings.TrimSpace(rec[4]); a != "" {
			for _, u := range strings.Split(a, "|") {
				rule.Assist = append(rule.Assist, strings.TrimSpace(u))
			}
		}
		if rule.Category == "" || rule.Area == "" || rule.Lead == "" {
			errs = append(errs, places.RowError{Line: line, Column: "category/area/lead", Msg: "category, area and lead are required"})
			continue
		}
		rules = append(rules, rule)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return rules, nil
}
