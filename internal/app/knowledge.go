package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/hotline"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Today is the Beijing day now, YYYY-MM-DD.
func (a *App) Today() string { return a.Now().In(calendar.Shanghai).Format(time.DateOnly) }

// knowledgeCandidates is how many points matching every term a desk
// search ranks; the rest are older points matching as well.
const knowledgeCandidates = 400

// SearchKnowledge is the desk's search beside the intake form: points
// holding every word of q, in force first, best match first.
func (a *App) SearchKnowledge(ctx context.Context, q string, limit int) ([]hotline.Point, error) {
	terms := hotline.Terms(q)
	cands, err := a.Store.KnowledgePoints(ctx, store.KnowledgeFilter{Terms: terms, Limit: knowledgeCandidates})
	if err != nil {
		return nil, err
	}
	return hotline.Rank(cands, terms, a.Today(), limit), nil
}

// KnowledgeLike is what the desk offers unasked for a text that is not a
// search (the category just chosen): the points sharing most of its
// pieces (hotline.Pieces), in force first.
func (a *App) KnowledgeLike(ctx context.Context, text string, limit int) ([]hotline.Point, error) {
	pieces := hotline.Pieces(text)
	if len(pieces) == 0 {
		return []hotline.Point{}, nil
	}
	cands, err := a.Store.KnowledgePoints(ctx, store.KnowledgeFilter{Terms: pieces, Any: true, Limit: knowledgeCandidates})
	if err != nil {
		return nil, err
	}
	return hotline.RankLike(cands, pieces, a.Today(), limit), nil
}

// SaveKnowledgePoint checks a point and adds it (no id) or replaces it.
func (a *App) SaveKnowledgePoint(ctx context.Context, by string, p hotline.Point) (hotline.Point, error) {
	if err := p.Check(); err != nil {
		return p, err
	}
	p.UpdatedAt, p.UpdatedBy = a.Now().UTC().Truncate(time.Millisecond), by
	ps := []hotline.Point{p}
	if err := a.Store.SaveKnowledge(ctx, ps); err != nil {
		return p, err
	}
	return ps[0], nil
}

// KnowledgeImport is a knowledge file's preview or its outcome.
type KnowledgeImport struct {
	Rows     int             `json:"rows"`
	Added    int             `json:"added"`
	Replaced int             `json:"replaced"`
	Imported bool            `json:"imported"` // false for a preview
	Sample   []hotline.Point `json:"sample"`   // the first rows as read
}

// ImportKnowledge reads a knowledge file (.xlsx or .csv with the columns
// of hotline.Columns), checks every row, and with commit writes them all
// in one transaction — or none: any error names its line and column.
func (a *App) ImportKnowledge(ctx context.Context, by, name string, r io.Reader, commit bool) (*KnowledgeImport, error) {
	t, err := ledger.ReadTable(name, r)
	if err != nil {
		return nil, err
	}
	rows, err := hotline.ParseFile(t.Header, t.Rows, t.Lines)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, row := range rows {
		if row.Point.ID != 0 {
			ids = append(ids, row.Point.ID)
		}
	}
	found, err := a.Store.KnowledgeExist(ctx, ids)
	if err != nil {
		return nil, err
	}
	res := &KnowledgeImport{Rows: len(rows), Sample: []hotline.Point{}}
	var missing hotline.FileErrors
	at := a.Now().UTC().Truncate(time.Millisecond)
	points := make([]hotline.Point, 0, len(rows))
	for _, row := range rows {
		p := row.Point
		if p.ID != 0 && !found[p.ID] {
			missing = append(missing, hotline.FileError{Line: row.Line, Column: hotline.Columns[0].Header, Field: "id",
				Msg: fmt.Sprintf("there is no point %d (leave 编号 empty to add a new one)", p.ID)})
		}
		if p.ID != 0 {
			res.Replaced++
		} else {
			res.Added++
		}
		p.UpdatedAt, p.UpdatedBy = at, by
		points = append(points, p)
		if len(res.Sample) < 10 {
			res.Sample = append(res.Sample, p)
		}
	}
	if len(missing) > 0 {
		return nil, missing
	}
	if !commit {
		return res, nil
	}
	if err := a.Store.SaveKnowledge(ctx, points); err != nil {
		if errors.Is(err, store.ErrNotFound) { // deleted since the check
			return nil, hotline.FileErrors{{Line: 1, Field: "id", Msg: err.Error()}}
		}
		return nil, err
	}
	res.Imported = true
	return res, nil
}

// KnownKnowledge checks that every id names a point: the answer at the
// desk cites the points it used.
func (a *App) KnownKnowledge(ctx context.Context, ids []int64) error {
	found, err := a.Store.KnowledgeExist(ctx, ids)
	if err != nil {
		return err
	}
	for i, id := range ids {
		if !found[id] {
			return &hotline.PointError{Field: fmt.Sprintf("knowledge[%d]", i), Msg: fmt.Sprintf("there is no knowledge point %d", id)}
		}
	}
	return nil
}
