package demo_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/photos"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// The demo's report-backs show real pictures: every photo an event names
// is stored, has a public copy that decodes as an image, and is recorded
// as evidence on its case.
func TestDemoPhotosAreRealImages(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	dir := photos.Dir(t.TempDir())
	if _, err := demo.Build(ctx, st, demo.Options{Cases: 300, Seed: 3, End: time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC), Photos: dir}); err != nil {
		t.Fatal(err)
	}
	cs, err := st.Cases(ctx, store.CaseFilter{Limit: 300})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range cs {
		evs, _ := st.Events(ctx, c.ID)
		for _, e := range evs {
			for _, id := range e.Data.Photos {
				if !photos.ValidID(id) {
					t.Fatalf("case %s names photo %q, which is no photo id", c.Number, id)
				}
				if !seen[id] {
					b, err := photos.Public(ctx, dir, id, false)
					if err != nil {
						t.Fatalf("photo %s of case %s: %v", id, c.Number, err)
					}
					if img, err := jpeg.Decode(bytes.NewReader(b)); err != nil || img.Bounds().Dx() < 300 {
						t.Fatalf("photo %s does not decode as a picture: %v", id, err)
					}
					seen[id] = true
				}
				var n int
				err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM photo_refs WHERE photo_id = $1 AND case_id = $2`, id, c.ID).Scan(&n)
				if err != nil || n != 1 {
					t.Fatalf("photo %s is not recorded as evidence on case %s: %v", id, c.Number, err)
				}
			}
		}
	}
	if len(seen) < 3 {
		t.Fatalf("only %d distinct photos in the demo", len(seen))
	}
}
