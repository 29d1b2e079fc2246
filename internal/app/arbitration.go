package app

import (
	"context"
	"fmt"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/routing"
)

// RuleFromDecision is the dispatch rule an arbitration (派单争议) asks for,
// citing it: the case's category in its street goes to the decision's
// lead with its assisting units, so the same dispute does not come back.
// Without commit it is only checked against the table (a rule for that
// category and street may exist); with commit it is added.
func (a *App) RuleFromDecision(ctx context.Context, c *caseflow.Case, decision []caseflow.Assignment, reason string, commit bool) (*routing.Rule, error) {
	units, err := a.Store.Units(ctx)
	if err != nil {
		return nil, err
	}
	code := map[int64]string{}
	for _, u := range units {
		code[u.ID] = u.Code
	}
	note := []rune(fmt.Sprintf("仲裁 %s：%s", c.Number, reason))
	r := &routing.Rule{Category: c.CategoryID, Area: c.Place.Street, Note: string(note[:min(len(note), 100)])}
	for _, as := range decision {
		if as.Lead {
			r.Lead = code[as.UnitID]
		} else {
			r.Assist = append(r.Assist, code[as.UnitID])
		}
	}
	k, err := Known(ctx, a.Store, a.Now())
	if err != nil {
		return nil, err
	}
	var bad error
	if !commit {
		rules, err := a.Store.DispatchRules(ctx)
		if err != nil {
			return nil, err
		}
		if _, bad = routing.New(append(rules, *r), k); bad != nil {
			return nil, &caseflow.Error{Code: caseflow.CodeInvalid, Action: caseflow.ActArbitrate, Field: "add_rule", Msg: bad.Error()}
		}
		return r, nil
	}
	err = a.Store.AddDispatchRule(ctx, r, a.Now(), func(rules []routing.Rule) error {
		_, bad = routing.New(rules, k)
		return bad
	})
	if bad != nil {
		return nil, &caseflow.Error{Code: caseflow.CodeInvalid, Action: caseflow.ActArbitrate, Field: "add_rule", Msg: bad.Error()}
	}
	if err != nil {
		return nil, err
	}
	return r, a.ConfigChanged(ctx, ConfigRoutes)
}
