package store

import (
	"context"
	"fmt"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/notify"
)

// NoticeLines is the inbox lines notices about c would be written as,
// each audience resolved to its unit or its accounts as writeNotices
// resolves it, without writing anything: the notification rules' dry run.
func (s *Store) NoticeLines(ctx context.Context, c *caseflow.Case, ns []notify.Notice) ([]notify.Line, error) {
	var out []notify.Line
	ids := func(q string, args ...any) ([]int64, error) {
		rows, err := s.r.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var l []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			l = append(l, id)
		}
		return l, rows.Err()
	}
	for _, n := range ns {
		line := notify.Line{CaseID: c.ID, Kind: n.Kind, Params: n.Params, Level: n.Level, Ladder: n.Ladder}
		var units, accounts []int64
		var err error
		switch {
		case n.To == notify.Centre || (n.To == notify.Unit && n.UnitID == 0):
			units, err = ids(`SELECT min(id) FROM units WHERE kind = 'centre' HAVING min(id) IS NOT NULL`)
		case n.To == notify.Unit:
			units = []int64{n.UnitID}
		case n.To == notify.GridWorkers:
			accounts, err = ids(`SELECT a.id FROM account_grids g JOIN accounts a ON a.id = g.account_id WHERE g.grid = $1 AND a.active ORDER BY a.id`, c.Place.Grid)
		case n.To == notify.Leaders:
			accounts, err = ids(`SELECT id FROM accounts WHERE role = 'leader' AND active AND (unit_id = $1 OR NOT EXISTS (
				SELECT 1 FROM accounts WHERE role = 'leader' AND active AND unit_id = $2)) ORDER BY id`, n.UnitID, n.UnitID)
		case n.To == notify.Requester:
			if c.Reporter.AccountID != 0 {
				accounts = []int64{c.Reporter.AccountID}
			}
		default:
			err = fmt.Errorf("unknown audience %q", n.To)
		}
		if err != nil {
			return nil, fmt.Errorf("store: notice lines %s: %w", n.Kind, err)
		}
		for _, u := range units {
			l := line
			l.UnitID = u
			out = append(out, l)
		}
		for _, a := range accounts {
			l := line
			l.AccountID = a
			out = append(out, l)
		}
	}
	return out, nil
}
