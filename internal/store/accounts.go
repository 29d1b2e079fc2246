package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/org"
)

// AccountFilter picks a page of accounts for the admin pages: Q is text in
// the username, the name or the unit's name or code; Role and UnitID narrow
// it; Offset and Limit page it (the caller bounds Limit).
type AccountFilter struct {
	Q      string
	Role   caseflow.Role
	UnitID int64
	Offset int
	Limit  int
}

// AccountsPage lists one page of accounts by username, with a grid
// worker's grids, and how many match in all.
func (s *Store) AccountsPage(ctx context.Context, f AccountFilter) ([]org.Account, int, error) {
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(f.Q)) + "%"
	where := ` FROM accounts a JOIN units u ON u.id = a.unit_id
		WHERE ($1 = '' OR lower(a.username) LIKE $2 ESCAPE '\' OR lower(a.name) LIKE $3 ESCAPE '\'
			OR lower(u.name) LIKE $4 ESCAPE '\' OR lower(u.code) LIKE $5 ESCAPE '\')
		AND ($6 = '' OR a.role = $7) AND ($8 = 0 OR a.unit_id = $9)`
	args := []any{f.Q, like, like, like, like, string(f.Role), string(f.Role), f.UnitID, f.UnitID}
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*)`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count accounts: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT a.id, a.username, a.name, a.role, a.unit_id, a.active`+where+
		` ORDER BY a.username, a.id LIMIT $10 OFFSET $11`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: accounts: %w", err)
	}
	defer rows.Close()
	out := []org.Account{}
	at := map[int64]int{}
	for rows.Next() {
		var a org.Account
		if err := rows.Scan(&a.ID, &a.Username, &a.Name, &a.Role, &a.UnitID, &a.Active); err != nil {
			return nil, 0, err
		}
		at[a.ID] = len(out)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for id, i := range at {
		gs, err := s.r.QueryContext(ctx, `SELECT grid FROM account_grids WHERE account_id = $1 ORDER BY grid`, id)
		if err != nil {
			return nil, 0, err
		}
		for gs.Next() {
			var g string
			if err := gs.Scan(&g); err != nil {
				gs.Close()
				return nil, 0, err
			}
			out[i].Grids = append(out[i].Grids, g)
		}
		gs.Close()
		if err := gs.Err(); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}
