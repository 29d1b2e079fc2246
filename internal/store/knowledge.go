package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/hotline"
)

const knowledgeCols = `id, category, title, content, issuer, kind, keywords, scope, valid_from, valid_until, updated_at, updated_by`

// SaveKnowledge writes points in one transaction: a point with an id
// replaces that point (ErrNotFound, naming it, when there is none and
// nothing is written), one without is added and gets its id.
func (s *Store) SaveKnowledge(ctx context.Context, points []hotline.Point) error {
	return s.tx(ctx, func(tx *wtx) error {
		for i := range points {
			p := &points[i]
			cat, _ := json.Marshal(p.Category)
			kw, _ := json.Marshal(p.Keywords)
			args := []any{string(cat), p.Title, p.Content, p.Issuer, string(p.Kind), string(kw), p.Scope, p.From, p.Until,
				p.SearchText(), p.UpdatedAt.UnixMilli(), p.UpdatedBy}
			if p.ID == 0 {
				if err := tx.QueryRowContext(ctx, `INSERT INTO knowledge_points (category, title, content, issuer, kind, keywords,
					scope, valid_from, valid_until, search, updated_at, updated_by)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`, args...).Scan(&p.ID); err != nil {
					return fmt.Errorf("store: add knowledge point: %w", err)
				}
				continue
			}
			res, err := tx.ExecContext(ctx, `UPDATE knowledge_points SET category = $1, title = $2, content = $3, issuer = $4,
				kind = $5, keywords = $6, scope = $7, valid_from = $8, valid_until = $9, search = $10, updated_at = $11,
				updated_by = $12 WHERE id = $13`, append(args, p.ID)...)
			if err != nil {
				return fmt.Errorf("store: save knowledge point %d: %w", p.ID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("knowledge point %d: %w", p.ID, ErrNotFound)
			}
		}
		return nil
	})
}

// DeleteKnowledge removes a point.
func (s *Store) DeleteKnowledge(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM knowledge_points WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("knowledge point %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// KnowledgePoint reads one point.
func (s *Store) KnowledgePoint(ctx context.Context, id int64) (hotline.Point, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+knowledgeCols+` FROM knowledge_points WHERE id = $1`, id)
	if err != nil {
		return hotline.Point{}, err
	}
	ps, err := scanKnowledge(rows)
	if err != nil {
		return hotline.Point{}, err
	}
	if len(ps) == 0 {
		return hotline.Point{}, fmt.Errorf("knowledge point %d: %w", id, ErrNotFound)
	}
	return ps[0], nil
}

// KnowledgeFilter picks points: each term occurs in the point's search
// text (with Any: at least one does); Expired on Day: only points ended
// before it.
type KnowledgeFilter struct {
	Terms   []string
	Any     bool
	Expired bool
	Day     string // YYYY-MM-DD, for Expired
	Before  int64  // cursor: ids below it
	Limit   int
}

// KnowledgePoints lists points newest first by the filter.
func (s *Store) KnowledgePoints(ctx context.Context, f KnowledgeFilter) ([]hotline.Point, error) {
	var where []string
	var args []any
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	var terms []string
	for _, t := range f.Terms {
		args = append(args, "%"+esc.Replace(t)+"%")
		terms = append(terms, fmt.Sprintf(`search LIKE $%d ESCAPE '\'`, len(args)))
	}
	switch {
	case len(terms) > 0 && f.Any:
		where = append(where, "("+strings.Join(terms, " OR ")+")")
	default:
		where = append(where, terms...)
	}
	if f.Expired {
		args = append(args, f.Day)
		where = append(where, fmt.Sprintf(`valid_until <> '' AND valid_until < $%d`, len(args)))
	}
	if f.Before > 0 {
		args = append(args, f.Before)
		where = append(where, fmt.Sprintf(`id < $%d`, len(args)))
	}
	q := `SELECT ` + knowledgeCols + ` FROM knowledge_points`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	args = append(args, max(f.Limit, 1))
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: knowledge points: %w", err)
	}
	return scanKnowledge(rows)
}

// CountKnowledge counts every point and those ended before day.
func (s *Store) CountKnowledge(ctx context.Context, day string) (all, expired int, err error) {
	err = rdb{s}.QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(CASE WHEN valid_until <> '' AND valid_until < $1 THEN 1 ELSE 0 END), 0)
		FROM knowledge_points`, day).Scan(&all, &expired)
	return all, expired, err
}

// KnowledgeExist says which of ids are points.
func (s *Store) KnowledgeExist(ctx context.Context, ids []int64) (map[int64]bool, error) {
	found := map[int64]bool{}
	for _, id := range ids {
		var n int
		err := rdb{s}.QueryRowContext(ctx, `SELECT 1 FROM knowledge_points WHERE id = $1`, id).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found[id] = true
	}
	return found, nil
}

func scanKnowledge(rows *sql.Rows) ([]hotline.Point, error) {
	defer rows.Close()
	var out []hotline.Point
	for rows.Next() {
		var p hotline.Point
		var cat, kw, kind string
		var at int64
		if err := rows.Scan(&p.ID, &cat, &p.Title, &p.Content, &p.Issuer, &kind, &kw, &p.Scope, &p.From, &p.Until, &at, &p.UpdatedBy); err != nil {
			return nil, err
		}
		p.Kind, p.UpdatedAt = hotline.Kind(kind), time.UnixMilli(at).UTC()
		if err := json.Unmarshal([]byte(cat), &p.Category); err != nil {
			return nil, fmt.Errorf("store: knowledge point %d: category: %w", p.ID, err)
		}
		if err := json.Unmarshal([]byte(kw), &p.Keywords); err != nil {
			return nil, fmt.Errorf("store: knowledge point %d: keywords: %w", p.ID, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
