package publish

import (
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/caseflow"
)

func TestDecide(t *testing.T) {
	for _, tt := range []struct {
		name   string
		c      caseflow.Case
		public bool
		list   View
		lookup View
	}{
		{"unverified report", caseflow.Case{State: caseflow.Reported}, true, View{}, View{Show: true}},
		{"verified report", caseflow.Case{State: caseflow.Reported, Verified: true}, true, View{true, true, true}, View{true, true, true}},
		{"registered, not verified", caseflow.Case{State: caseflow.Registered}, true, View{Show: true, Place: true}, View{Show: true, Place: true}},
		{"closed, verified", caseflow.Case{State: caseflow.Closed, Verified: true}, true, View{true, true, true}, View{true, true, true}},
		{"non-public category", caseflow.Case{State: caseflow.InProgress, Verified: true}, false, View{}, View{}},
		{"voided", caseflow.Case{State: caseflow.Voided, Verified: true}, true, View{}, View{}},
		{"merged away", caseflow.Case{State: caseflow.Voided, DuplicateOf: 7}, true, View{}, View{}},
	} {
		if got := Decide(&tt.c, tt.public, List); got != tt.list {
			t.Errorf("%s, listed: %+v, want %+v", tt.name, got, tt.list)
		}
		if got := Decide(&tt.c, tt.public, Lookup); got != tt.lookup {
			t.Errorf("%s, by number: %+v, want %+v", tt.name, got, tt.lookup)
		}
	}
	c := caseflow.Case{State: caseflow.Registered, Description: "张三家门口垃圾"}
	if got := Text(&c, Decide(&c, true, List)); got != "" {
		t.Errorf("an unverified text is shown: %q", got)
	}
}

// A merged-away report names the case it went into, and only when the
// public may follow that one.
func TestMergedInto(t *testing.T) {
	into := caseflow.Case{ID: 7, State: caseflow.Dispatched}
	merged := caseflow.Case{ID: 9, State: caseflow.Voided, DuplicateOf: 7}
	for _, tt := range []struct {
		name       string
		c, into    caseflow.Case
		pub, inPub bool
		want       bool
	}{
		{"into a dispatched public case", merged, into, true, true, true},
		{"into a case of a hidden category", merged, into, true, false, false},
		{"of a hidden category", merged, into, false, true, false},
		{"into a voided case", merged, caseflow.Case{ID: 7, State: caseflow.Voided}, true, true, false},
		{"into another case than its own", merged, caseflow.Case{ID: 8, State: caseflow.Dispatched}, true, true, false},
		{"not merged", caseflow.Case{ID: 9, State: caseflow.Voided}, into, true, true, false},
	} {
		if got := MergedInto(&tt.c, tt.pub, &tt.into, tt.inPub); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMask(t *testing.T) {
	for _, tt := range []struct{ in, gone, kept string }{
		{"电话13912345678请回电", "13912345678", "电话"},
		{"call 139 1234 5678 now", "1234", "call"},
		{"座机0352-1234567", "1234567", "座机"},
		{"身份证14020219800101123X", "19800101", "身份证"},
		{"全角１３９１２３４５６７８", "１３９", ""},
		{"mail wang.li@example.cn please", "wang.li", "please"},
		{"永泰南路3号楼2单元501室门口", "501", "门口"},
		{"住在3-2-501", "501", "住在"},
		{"垃圾3天没人清，第2次反映", "", "3天"},
	} {
		got := Mask(tt.in)
		if tt.gone != "" && strings.Contains(got, tt.gone) {
			t.Errorf("Mask(%q) = %q keeps %q", tt.in, got, tt.gone)
		}
		if !strings.Contains(got, tt.kept) {
			t.Errorf("Mask(%q) = %q lost %q", tt.in, got, tt.kept)
		}
	}
}

func TestPoint(t *testing.T) {
	a := Point(caseflow.Point{Lon: 113.30012, Lat: 40.09071})
	b := Point(caseflow.Point{Lon: 113.30398, Lat: 40.09449})
	if a != b || a != (caseflow.Point{Lon: 113.3025, Lat: 40.0925}) {
		t.Fatalf("two points of one cell: %+v and %+v", a, b)
	}
}
