package store

import (
	"context"
	"fmt"
	"time"
)

// BumpConfig records that a part of the configuration changed.
func (s *Store) BumpConfig(ctx context.Context, part string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO config_generations (part, generation, changed_at) VALUES ($1, 1, $2)
		ON CONFLICT (part) DO UPDATE SET generation = config_generations.generation + 1, changed_at = excluded.changed_at`,
		part, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: bump config %s: %w", part, err)
	}
	return nil
}

// ConfigGenerations are the counters of every part that has changed.
func (s *Store) ConfigGenerations(ctx context.Context) (map[string]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT part, generation FROM config_generations`)
	if err != nil {
		return nil, fmt.Errorf("store: config generations: %w", err)
	}
	defer rows.Close()
	gens := map[string]int64{}
	for rows.Next() {
		var part string
		var g int64
		if err := rows.Scan(&part, &g); err != nil {
			return nil, err
		}
		gens[part] = g
	}
	return gens, rows.Err()
}
