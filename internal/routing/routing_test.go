package routing

import (
	"errors"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/places"
)

var known = Known{
	Categories: map[string]bool{"M06011": true, "M06045": true, "M06013": true, "C01001": true},
	Units: []org.Unit{{ID: 1, Code: "hwc", Name: "环卫处", Kind: org.KindDepartment}, {ID: 2, Code: "ylc", Name: "园林处", Kind: org.KindDepartment},
		{ID: 3, Code: "szc", Name: "市政处", Kind: org.KindDepartment}, {ID: 4, Code: "wy", Name: "物业", Kind: org.KindProperty},
		{ID: 5, Code: "jd053", Name: "迎宾街道办事处", Kind: org.KindStreet, Street: "140213053"},
		{ID: 6, Code: "jd054", Name: "振华街道办事处", Kind: org.KindStreet, Street: "140213054"}},
	Areas: map[string]bool{"140213053": true, "140213054": true, "140213054011": true, "14021305401101": true},
}

var (
	inCompound = caseflow.Place{UnitGrid: "14021305401101001", Grid: "14021305401101", Community: "140213054011", Street: "140213054"}
	elsewhere  = caseflow.Place{UnitGrid: "14021305300101001", Grid: "14021305300101", Community: "140213053001", Street: "140213053"}
)

func table(t *testing.T) *Table {
	t.Helper()
	tb, err := New([]Rule{
		{ID: 1, Category: "M06", Area: Any, Lead: "hwc"},
		{ID: 2, Category: "M06045", Area: Any, Lead: "ylc"},
		{ID: 3, Category: "M06", Area: "140213054011", Lead: "hwc", Assist: []string{"jd054"}},
		{ID: 4, Category: "M06", Area: "140213054011", Ownership: "property", Lead: "wy", Assist: []string{"hwc"}},
		{ID: 5, Category: "M06013", Area: "14021305401101", Lead: "szc"},
		{ID: 6, Category: "C01", Area: "140213053", Lead: "jd053"},
	}, known)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestMostSpecificRuleWins(t *testing.T) {
	tb := table(t)
	for _, tt := range []struct {
		name      string
		cat       string
		place     caseflow.Place
		ownership string
		rule      int64 // 0: 属地 fallback
		lead      string
	}{
		{"class rule anywhere", "M06011", elsewhere, "", 1, "hwc"},
		{"exact category beats class", "M06045", elsewhere, "", 2, "ylc"},
		{"community rule beats district-wide class rule", "M06011", inCompound, "", 3, "hwc"},
		{"a community class rule beats a district-wide exact rule", "M06045", inCompound, "", 3, "hwc"},
		{"ownership makes it more specific", "M06011", inCompound, "property", 4, "wy"},
		{"an ownership rule needs the ownership", "M06011", inCompound, "public", 3, "hwc"},
		{"a grid rule beats a community rule", "M06013", inCompound, "", 5, "szc"},
		{"a named ownership beats any area", "M06013", inCompound, "property", 4, "wy"},
		{"a street rule for a class", "C01001", elsewhere, "", 6, "jd053"},
		{"no rule: street office", "C01001", inCompound, "", 0, "jd054"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := tb.Route(tt.cat, tt.place, tt.ownership)
			if err != nil {
				t.Fatal(err)
			}
			got := int64(0)
			if d.Rule != nil {
				got = d.Rule.ID
			}
			if got != tt.rule || d.Lead.Code != tt.lead {
				t.Fatalf("rule #%d → %s, want #%d → %s (%s)", got, d.Lead.Code, tt.rule, tt.lead, d.Why)
			}
			if d.Why == "" || (tt.rule == 0) != strings.HasPrefix(d.Why, "属地") {
				t.Fatalf("why: %q", d.Why)
			}
			as := d.Assignments()
			if !as[0].Lead || as[0].UnitID != d.Lead.ID || len(as) != 1+len(d.Assist) || as[0].Rule == "" {
				t.Fatalf("assignments %+v", as)
			}
		})
	}
	if _, err := tb.Route("C01001", caseflow.Place{Street: "140213099"}, ""); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("a street without an office: %v", err)
	}
}

func TestBadRulesAreNamed(t *testing.T) {
	_, err := New([]Rule{
		{ID: 7, Category: "M99999", Area: Any, Lead: "hwc"},
		{ID: 8, Category: "M06011", Area: Any, Lead: "nobody"},
		{ID: 9, Category: "M06011", Area: "140213099", Lead: "hwc"},
		{ID: 10, Category: "M06011", Area: Any, Lead: "hwc", Assist: []string{"hwc"}},
		{ID: 11, Category: "M06045", Area: Any, Lead: "ylc"},
		{ID: 12, Category: "M06045", Area: Any, Lead: "hwc"},
		{ID: 13, Category: "X9", Area: Any, Lead: "hwc"},
	}, known)
	if err == nil {
		t.Fatal("bad rules accepted")
	}
	for _, want := range []string{`rule #7: unknown category "M99999"`, `rule #8: unknown lead department "nobody"`,
		`rule #9: unknown area "140213099"`, `rule #10: department "hwc" is both lead and assisting`,
		`rule #12: same category, area and ownership as rule #11`, `rule #13: unknown category "X9"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestParseCSV(t *testing.T) {
	rules, err := ParseCSV(strings.NewReader("category,area,ownership,lead,assist,note\n" +
		"M06,*,,hwc,,全区市容环卫\n" +
		"M06,140213054011,property,wy,hwc|jd054,物业负责\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 || rules[1].ID != 3 || len(rules[1].Assist) != 2 || rules[1].Ownership != "property" {
		t.Fatalf("%+v", rules)
	}
	_, err = ParseCSV(strings.NewReader("category,area,ownership,lead,assist,note\nM06,*,,hwc,,\n,*,,hwc,,\nM06,*,,hwc\n"))
	var ie places.ImportErrors
	if !errors.As(err, &ie) || len(ie) != 2 || ie[0].Line != 3 || ie[1].Line != 4 {
		t.Fatalf("want errors on lines 3 and 4, got %v", err)
	}
	if _, err := ParseCSV(strings.NewReader("cat,area\n")); err == nil || !strings.Contains(err.Error(), "header") {
		t.Fatalf("bad header: %v", err)
	}
}

// After 园林处 returns a report of 非法占绿毁绿, the table suggests the next
// rule's department, not 园林处 again; once that one returns it too the
// street office is suggested; when everyone has, a dispatcher decides.
func TestRouteAvoidsWhoReturnedIt(t *testing.T) {
	tb := table(t)
	d, err := tb.RouteAvoiding("M06045", elsewhere, "", nil)
	if err != nil || d.Lead.Code != "ylc" {
		t.Fatalf("nothing returned yet: %+v %v", d.Lead, err)
	}
	d, err = tb.RouteAvoiding("M06045", elsewhere, "", []int64{2})
	if err != nil || d.Lead.Code != "hwc" || d.Rule == nil || d.Rule.ID != 1 || !strings.Contains(d.Why, "园林处已退回") {
		t.Fatalf("after 园林处 returned it: %+v %v", d, err)
	}
	d, err = tb.RouteAvoiding("M06045", elsewhere, "", []int64{2, 1})
	if err != nil || d.Lead.Code != "jd053" || d.Rule != nil {
		t.Fatalf("after both returned it: %+v %v", d, err)
	}
	if _, err := tb.RouteAvoiding("M06045", elsewhere, "", []int64{2, 1, 5}); !errors.Is(err, ErrAllReturned) {
		t.Fatalf("after everyone returned it: %v", err)
	}
}
