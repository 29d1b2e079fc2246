package photos_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/xiuhua/xiuhua/internal/photos"
	"github.com/xiuhua/xiuhua/internal/photos/photostest"
)

// Bombs of every accepted format are refused from their headers, before
// any decoding.
func TestBombsAreRefusedBeforeDecoding(t *testing.T) {
	for _, b := range photostest.Bombs() {
		if b.Name == "16-bit PNG 6000×6000" && len(b.B) > 1<<20 {
			t.Fatalf("the 16-bit bomb is %d KB", len(b.B)>>10)
		}
		_, err := photos.Store(context.Background(), photos.Dir(t.TempDir()), bytes.NewReader(b.B), int64(len(b.B)))
		if !errors.Is(err, photos.ErrPixels) {
			t.Errorf("%s: %v", b.Name, err)
		}
	}
}

// What a phone sends goes through: a 12-megapixel baseline JPEG, and
// large PNGs under the bound; the copies keep the picture.
func TestPhonePhotosAreTaken(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 90, 240 // red-ish
	}
	for y := 0; y < 3000; y++ {
		for x := 2000; x < 4000; x++ {
			img.Y[y*img.YStride+x] = 255 // the right half light
		}
	}
	var j bytes.Buffer
	jpeg.Encode(&j, img, &jpeg.Options{Quality: 90})
	dir := photos.Dir(t.TempDir())
	ctx := context.Background()
	p, err := photos.Store(ctx, dir, bytes.NewReader(j.Bytes()), int64(j.Len()))
	if err != nil || p.Width != 4000 || p.Height != 3000 {
		t.Fatalf("12 MP JPEG: %+v %v", p, err)
	}
	pub, _ := photos.Public(ctx, dir, p.ID, false)
	c, err := jpeg.Decode(bytes.NewReader(pub))
	if err != nil || c.Bounds().Dx() != photos.PublicMax || c.Bounds().Dy() != 1200 {
		t.Fatalf("public copy %v %v", c.Bounds(), err)
	}
	l, r := color.GrayModel.Convert(c.At(100, 600)).(color.Gray), color.GrayModel.Convert(c.At(1500, 600)).(color.Gray)
	if l.Y+60 > r.Y {
		t.Fatalf("the halves are %d and %d bright", l.Y, r.Y)
	}
	var big bytes.Buffer
	png.Encode(&big, image.NewNRGBA(image.Rect(0, 0, 3000, 2000)))
	if _, err := photos.Store(ctx, dir, bytes.NewReader(big.Bytes()), -1); err != nil {
		t.Fatalf("6 MP PNG: %v", err)
	}
	if _, err := photos.Store(ctx, dir, bytes.NewReader(photostest.Phone(4000, 3000, 1)), -1); err != nil {
		t.Fatalf("12 MP JPEG of noise: %v", err)
	}
}

// The 16-bit bomb is a real PNG: it decodes (a small one, here).
func TestFlat16IsAPNG(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(photostest.Flat16(30, 20)))
	if err != nil || img.Bounds().Dx() != 30 || img.ColorModel() != color.NRGBA64Model {
		t.Fatalf("not a 30×20 16-bit PNG: %v", err)
	}
	if n := len(photostest.Flat16(6000, 6000)); n > 400<<10 {
		t.Fatalf("6000×6000: %d KB", n>>10)
	}
}
