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

// HolidayFile is a holiday file imported at run time.
type HolidayFile struct {
	Year       int       `json:"year"`
	Body       []byte    `json:"-"`
	ImportedAt time.Time `json:"imported_at"`
	ImportedBy string    `json:"imported_by"`
}

// SaveHolidayFile keeps a year's holiday file, replacing an earlier import
// of the same year.
func (s *Store) SaveHolidayFile(ctx context.Context, f HolidayFile) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO holiday_files (year, body, imported_at, imported_by) VALUES ($1, $2, $3, $4)
		ON CONFLICT (year) DO UPDATE SET body = excluded.body, imported_at = excluded.imported_at, imported_by = excluded.imported_by`,
		f.Year, string(f.Body), f.ImportedAt.UnixMilli(), f.ImportedBy)
	if err != nil {
		return fmt.Errorf("store: holiday file %d: %w", f.Year, err)
	}
	return nil
}

// HolidayFiles lists the imported holiday files by year.
func (s *Store) HolidayFiles(ctx context.Context) ([]HolidayFile, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT year, body, imported_at, imported_by FROM holiday_files ORDER BY year`)
	if err != nil {
		return nil, fmt.Errorf("store: holiday files: %w", err)
	}
	defer rows.Close()
	var fs []HolidayFile
	for rows.Next() {
		var f HolidayFile
		var body string
		var at int64
		if err := rows.Scan(&f.Year, &body, &at, &f.ImportedBy); err != nil {
			return nil, err
		}
		f.Body, f.ImportedAt = []byte(body), time.UnixMilli(at).UTC()
		fs = append(fs, f)
	}
	return fs, rows.Err()
}

// CasesWithDeadlinesAfter lists, by id after afterID, up to limit cases
// with a running deadline later than t (a calendar change may move it).
func (s *Store) CasesWithDeadlinesAfter(ctx context.Context, t time.Time, afterID int64, limit int) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT case_id FROM watches
		WHERE deadline > $1 AND case_id > $2 AND watch_key NOT LIKE 'sup:%' ORDER BY case_id LIMIT $3`, t.UnixMilli(), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: cases with deadlines: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
