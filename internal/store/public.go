package store

import (
	"context"
	"fmt"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
)

// Public place queries: the open problems residents may see in a box (the
// board's map, and what is already reported near a resident's pin). Both
// take the public rule (publish.Listable, publish.VerifyFirst) and keep to
// categories marked public, so what they return is what Decide lists.

// publicWhere is mapWhere for open cases of public categories under rule.
func (s *Store) publicWhere(box Bound, category string, rule PublicRule) (string, []any) {
	where, args := s.mapWhere(MapFilter{Box: box, OpenOnly: true, Category: category})
	where += ` AND category_id IN (SELECT id FROM categories WHERE public)`
	// The box and the open states narrow by the tile index; the rule's
	// states must not make SQLite read the state index instead (every
	// case of every listable state).
	if cond := rule.whereState("", "state || ''", &args); cond != "" {
		where += ` AND ` + cond
	}
	return where, args
}

// PublicOpen lists up to limit open cases of public categories in a box
// that rule lists, with their tasks; more says there were more.
func (s *Store) PublicOpen(ctx context.Context, box Bound, category string, rule PublicRule, limit int) (cs []caseflow.Case, more bool, err error) {
	if err := box.Valid(); err != nil {
		return nil, false, err
	}
	where, args := s.publicWhere(box, category, rule)
	for _, rg := range s.ranges(box) {
		args[4], args[5] = rg[0], rg[1]
		page, err := s.queryCases(ctx, `SELECT `+caseCols+` FROM cases WHERE `+where+fmt.Sprintf(` LIMIT %d`, limit+1-len(cs)), args...)
		if err != nil {
			return nil, false, fmt.Errorf("store: public open cases: %w", err)
		}
		cs = append(cs, page...)
		if len(cs) > limit {
			return cs[:limit], true, nil
		}
	}
	return cs, false, nil
}

// PublicMarkers lists up to limit open cases of public categories in a
// box that rule lists, as map markers; more says there were more.
func (s *Store) PublicMarkers(ctx context.Context, box Bound, rule PublicRule, limit int) (ns []Nearby, more bool, err error) {
	if err := box.Valid(); err != nil {
		return nil, false, err
	}
	where, args := s.publicWhere(box, "", rule)
	for _, rg := range s.ranges(box) {
		args[4], args[5] = rg[0], rg[1]
		rows, err := rdb{s}.QueryContext(ctx, `SELECT `+mapCols+` FROM cases WHERE `+where+fmt.Sprintf(` LIMIT %d`, limit+1-len(ns)), args...)
		if err != nil {
			return nil, false, fmt.Errorf("store: public markers: %w", err)
		}
		for rows.Next() {
			var n Nearby
			var at int64
			if err := rows.Scan(&n.ID, &n.Number, &n.Category, &n.State, &n.Lon, &n.Lat, &n.UnitGrid, &at); err != nil {
				rows.Close()
				return nil, false, err
			}
			n.ReportedAt = time.UnixMilli(at).UTC()
			ns = append(ns, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, false, err
		}
		if len(ns) > limit {
			return ns[:limit], true, nil
		}
	}
	return ns, false, nil
}

// MeToos counts the residents' me-too events (caseflow.ActMeToo) of each
// case.
func (s *Store) MeToos(ctx context.Context, ids []int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := rdb{s}.QueryContext(ctx, `SELECT case_id, count(*) FROM events WHERE action = 'me_too' AND case_id IN (`+placeholders(1, len(ids))+`) GROUP BY case_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: me-too counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
