package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/routing"
)

// ReplaceDispatchRules swaps the whole dispatch table in one transaction:
// an import either lands complete or not at all. Rule ids are kept.
func (s *Store) ReplaceDispatchRules(ctx context.Context, rules []routing.Rule, at time.Time) error {
	return s.tx(ctx, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM dispatch_rules`); err != nil {
			return err
		}
		for _, r := range rules {
			if err := insertRule(ctx, tx, r, at); err != nil {
				return err
			}
		}
		return nil
	})
}

func insertRule(ctx context.Context, tx *wtx, r routing.Rule, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO dispatch_rules (id, category, area, ownership, lead, assist, note, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r.ID, r.Category, r.Area, r.Ownership, r.Lead, strings.Join(r.Assist, "|"), r.Note, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: dispatch rule #%d: %w", r.ID, err)
	}
	return nil
}

// AddDispatchRule appends a rule with the next id, after validate accepts
// the table with it added.
func (s *Store) AddDispatchRule(ctx context.Context, r *routing.Rule, at time.Time, validate func([]routing.Rule) error) error {
	return s.tx(ctx, func(tx *wtx) error {
		rules, err := s.dispatchRules(ctx, tx)
		if err != nil {
			return err
		}
		r.ID = 1
		for _, x := range rules {
			r.ID = max(r.ID, x.ID+1)
		}
		if err := validate(append(rules, *r)); err != nil {
			return err
		}
		return insertRule(ctx, tx, *r, at)
	})
}

// DeleteDispatchRule removes a rule.
func (s *Store) DeleteDispatchRule(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM dispatch_rules WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("dispatch rule #%d: %w", id, ErrNotFound)
	}
	return nil
}

// DispatchRules lists the dispatch table by id.
func (s *Store) DispatchRules(ctx context.Context) ([]routing.Rule, error) {
	return s.dispatchRules(ctx, s.r)
}

func (s *Store) dispatchRules(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]routing.Rule, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, category, area, ownership, lead, assist, note FROM dispatch_rules ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: dispatch rules: %w", err)
	}
	defer rows.Close()
	var rules []routing.Rule
	for rows.Next() {
		var r routing.Rule
		var assist string
		if err := rows.Scan(&r.ID, &r.Category, &r.Area, &r.Ownership, &r.Lead, &assist, &r.Note); err != nil {
			return nil, err
		}
		if assist != "" {
			r.Assist = strings.Split(assist, "|")
		}
		rules = append(rules, r)
	}
	return rules, rows.Err()
}
