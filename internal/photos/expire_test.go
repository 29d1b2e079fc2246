package photos_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/photos"
)

// The expiry deletes orphans at once, then only looks at photos come of
// age since its last run — also after a restart.
func TestExpireOrphansRemembersWhereItGot(t *testing.T) {
	dir := photos.Dir(t.TempDir())
	put := func(shade uint8, age time.Duration) string {
		img := image.NewGray(image.Rect(0, 0, 8, 8))
		img.Pix[0] = shade
		var b bytes.Buffer
		png.Encode(&b, img)
		p, err := photos.Store(context.Background(), dir, &b, -1)
		if err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		filepath.Walk(string(dir), func(path string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() && filepath.Base(path)[:8] == p.ID[:8] {
				os.Chtimes(path, old, old)
			}
			return err
		})
		return p.ID
	}
	orphan, named := put(1, 30*time.Hour), put(2, 30*time.Hour)
	looked := map[string]int{}
	used := func(_ context.Context, id string) (bool, error) { looked[id]++; return id == named, nil }
	run := func() {
		if _, err := dir.ExpireOrphans(context.Background(), 24*time.Hour, used); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if _, err := photos.Original(context.Background(), dir, orphan); err == nil {
		t.Fatal("the orphan is still there")
	}
	if _, err := photos.Original(context.Background(), dir, named); err != nil {
		t.Fatalf("the named photo is gone: %v", err)
	}
	run() // a restart: the named photo came of age long before the last pass
	if looked[named] != 1 {
		t.Fatalf("the named photo was looked up %d times, want once", looked[named])
	}
}
