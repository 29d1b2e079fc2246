package access

import (
	"errors"
	"testing"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/org"
)

// Who sees a case, role by role, in and out of scope.
func TestScope(t *testing.T) {
	c := &caseflow.Case{Number: "2026112500001", State: caseflow.Dispatched,
		Place:    caseflow.Place{Grid: "14021305300101", Street: "140213053"},
		Reporter: caseflow.Reporter{AccountID: 7},
		Tasks:    []caseflow.Task{{UnitID: 4, State: caseflow.TaskDispatched, Lead: true}}}
	for _, tt := range []struct {
		name string
		p    Principal
		see  bool
	}{
		{"dispatcher", Principal{Role: caseflow.Dispatcher}, true},
		{"leader", Principal{Role: caseflow.Leader}, true},
		{"operator", Principal{Role: caseflow.Operator}, true},
		{"admin", Principal{Role: caseflow.Admin}, true},
		{"the department", Principal{Role: caseflow.Handler, UnitID: 4, UnitKind: org.KindDepartment}, true},
		{"another department", Principal{Role: caseflow.Handler, UnitID: 5, UnitKind: org.KindDepartment}, false},
		{"the street office", Principal{Role: caseflow.Handler, UnitID: 9, UnitKind: org.KindStreet, Street: "140213053"}, true},
		{"another street office", Principal{Role: caseflow.Handler, UnitID: 10, UnitKind: org.KindStreet, Street: "140213054"}, false},
		{"the grid's worker", Principal{Role: caseflow.GridWorker, AccountID: 3, Grids: []string{"14021305300101"}}, true},
		{"the reporter, now elsewhere", Principal{Role: caseflow.GridWorker, AccountID: 7, Grids: []string{"14021305300102"}}, true},
		{"another grid's worker", Principal{Role: caseflow.GridWorker, AccountID: 8, Grids: []string{"14021305300102"}}, false},
		{"a resident", Principal{Role: caseflow.Resident}, false},
	} {
		if got := CanSee(tt.p, c); got != tt.see {
			t.Errorf("%s sees: %v, want %v", tt.name, got, tt.see)
		}
	}
	// The reporter may see the case but checks only in their own grids.
	c.State = caseflow.PendingCheck
	if err := CanAct(Principal{Role: caseflow.GridWorker, AccountID: 7, Grids: []string{"14021305300102"}}, c, caseflow.ActCheckPass); !errors.Is(err, caseflow.ErrNotYours) {
		t.Errorf("a check outside one's grids: %v", err)
	}
	if err := CanAct(Principal{Role: caseflow.GridWorker, Grids: []string{"14021305300101"}}, c, caseflow.ActCheckPass); err != nil {
		t.Errorf("the grid's worker checks: %v", err)
	}
	if err := CanAct(Principal{Role: caseflow.Handler, UnitID: 4}, c, caseflow.ActCheckPass); !errors.Is(err, caseflow.ErrWrongRole) {
		t.Errorf("a handler checks: %v", err)
	}
	if err := CanReport(Principal{Role: caseflow.GridWorker, Grids: []string{"A"}}, caseflow.Place{Grid: "B"}); !errors.Is(err, caseflow.ErrNotYours) {
		t.Errorf("a report outside one's grids: %v", err)
	}
	if err := CanReport(Principal{Role: caseflow.Handler}, caseflow.Place{}); !errors.Is(err, caseflow.ErrWrongRole) {
		t.Errorf("a handler reports: %v", err)
	}
}

// The zero Scope holds nothing, and empty fields never match empty places:
// a street office whose street is not set, or a grid worker with no grids,
// does not see cases that lack a street or grid.
func TestScopeHoldsNothingByDefault(t *testing.T) {
	bare := &caseflow.Case{Tasks: []caseflow.Task{{UnitID: 0}}}
	for _, p := range []Principal{
		{Role: caseflow.Handler, UnitKind: org.KindStreet},
		{Role: caseflow.GridWorker},
		{Role: caseflow.Resident},
		{Role: "visitor"},
	} {
		if CanSee(p, bare) {
			t.Errorf("%+v sees a case with no place, task unit or reporter", p)
		}
	}
	if (Scope{}).Holds(&caseflow.Case{}) {
		t.Error("the zero scope holds a case")
	}
	if !ScopeOf(Principal{Role: caseflow.Leader}).All || ScopeOf(Principal{Role: caseflow.Handler, UnitID: 3}).All {
		t.Error("only the centre, operators, leaders and admins see everything")
	}
}
