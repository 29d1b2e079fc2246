package photos_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"testing"

	"github.com/xiuhua/xiuhua/internal/photos"
	"github.com/xiuhua/xiuhua/internal/photos/photostest"
)

// The photo decoders: any file is taken or refused with an error a client
// can act on (not a photo, too many pixels, too large), never a panic; a
// taken one has its public copy and thumbnail.
func FuzzStore(f *testing.F) {
	var j, p bytes.Buffer
	jpeg.Encode(&j, image.NewRGBA(image.Rect(0, 0, 30, 20)), nil)
	png.Encode(&p, image.NewPaletted(image.Rect(0, 0, 30, 20), color.Palette{color.Black, color.White}))
	webp, _ := os.ReadFile("testdata/gopher.webp")
	f.Add(j.Bytes())
	f.Add(p.Bytes())
	f.Add(webp)
	for _, b := range photostest.Bombs()[1:] { // headers only: the big PNG is a seed too slow to mutate
		f.Add(b.B)
	}
	dir := photos.Dir(f.TempDir())
	f.Fuzz(func(t *testing.T, b []byte) {
		ph, err := photos.Store(context.Background(), dir, bytes.NewReader(b), int64(len(b)))
		switch {
		case err == nil:
			for _, thumb := range []bool{false, true} {
				if c, err := photos.Public(context.Background(), dir, ph.ID, thumb); err != nil || len(c) == 0 {
					t.Fatalf("taken, but no copy (thumb %v): %v", thumb, err)
				}
			}
		case errors.Is(err, photos.ErrUnsupported), errors.Is(err, photos.ErrPixels), errors.Is(err, photos.ErrTooLarge):
		default:
			t.Fatalf("%d bytes: %v", len(b), err)
		}
	})
}
