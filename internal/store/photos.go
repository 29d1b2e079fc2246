package store

import (
	"context"
	"fmt"

	"github.com/xiuhua/xiuhua/internal/caseflow"
)

// Photo references: which cases name an uploaded photo as evidence. Who
// may see a photo's original follows from those cases (package access
// decides, in the web layer); the store only finds them.

const insertPhotoRefSQL = `INSERT INTO photo_refs (photo_id, case_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`

// photoRefs records that a case's event names photos, in the event's
// transaction.
func photoRefs(ctx context.Context, tx *wtx, caseID int64, photos []string) error {
	for _, id := range photos {
		if _, err := tx.ExecContext(ctx, insertPhotoRefSQL, id, caseID); err != nil {
			return fmt.Errorf("store: photo %s of case %d: %w", id, caseID, err)
		}
	}
	return nil
}

// maxPhotoCases bounds PhotoCases: a photo is evidence on a case or two
// (the same file sent again has the same id).
const maxPhotoCases = 50

// PhotoCases are the cases (at most 50, oldest first) that name a photo
// in their events; none for a photo no case uses.
func (s *Store) PhotoCases(ctx context.Context, photoID string) ([]*caseflow.Case, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT case_id FROM photo_refs WHERE photo_id = $1 ORDER BY case_id LIMIT $2`, photoID, maxPhotoCases)
	if err != nil {
		return nil, fmt.Errorf("store: cases of photo %s: %w", photoID, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*caseflow.Case, 0, len(ids))
	for _, id := range ids {
		c, err := s.Case(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// PhotoInUse reports whether any case names the photo, or an alarm waiting
// for review has it as its snapshot (orphan uploads are deleted after a
// while; these never are: an accepted alarm's snapshots are its case's).
func (s *Store) PhotoInUse(ctx context.Context, photoID string) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM photo_refs WHERE photo_id = $1
		UNION ALL SELECT 1 FROM alarms WHERE status = 'suspected' AND snapshots LIKE '%' || $1 || '%' LIMIT 1) t`, photoID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: is photo %s in use: %w", photoID, err)
	}
	return n > 0, nil
}
