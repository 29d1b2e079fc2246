package demo

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/xiuhua/xiuhua/internal/hotline"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/store"
)

// knowledgeFile is the demo's knowledge base, in the file format the
// centre imports. Its points were written for the demo after the kinds of
// answers a district hotline gives; they are illustrations, not the
// district's published rules.
//
//go:embed knowledge.csv
var knowledgeFile []byte

// saveKnowledge reads the demo's knowledge file through the import's own
// parser and stores it.
func saveKnowledge(ctx context.Context, st *store.Store, at time.Time) (int, error) {
	t, err := ledger.ReadTable("knowledge.csv", bytes.NewReader(knowledgeFile))
	if err != nil {
		return 0, fmt.Errorf("demo: knowledge: %w", err)
	}
	rows, err := hotline.ParseFile(t.Header, t.Rows, t.Lines)
	if err != nil {
		return 0, fmt.Errorf("demo: knowledge: %w", err)
	}
	points := make([]hotline.Point, len(rows))
	for i, r := range rows {
		points[i] = r.Point
		points[i].UpdatedAt, points[i].UpdatedBy = at.UTC().Truncate(time.Millisecond), "admin"
	}
	return len(points), st.SaveKnowledge(ctx, points)
}
