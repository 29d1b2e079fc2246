package photos

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"os"
	"runtime"
	"testing"

	"golang.org/x/image/webp"
)

// decodeCost is never below what the decoder allocates: each format and
// pixel kind is decoded and its allocations counted against the estimate
// (less what it adds for the public copy and thumbnail). (Progressive and
// interlaced files, which Go cannot write, are counted from the decoders'
// code: see decodeCost.)
func TestCostCoversTheDecoder(t *testing.T) {
	enc := func(img image.Image) []byte {
		var b bytes.Buffer
		png.Encode(&b, img)
		return b.Bytes()
	}
	var j bytes.Buffer
	jpeg.Encode(&j, image.NewRGBA(image.Rect(0, 0, 1999, 1501)), nil)
	pal := image.NewPaletted(image.Rect(0, 0, 1500, 1000), color.Palette{color.Black, color.White})
	webpb, _ := os.ReadFile("testdata/gopher.webp")
	r := image.Rect(0, 0, 1500, 1000)
	for name, b := range map[string][]byte{
		"JPEG 4:2:0": j.Bytes(), "PNG grey": enc(image.NewGray(r)), "PNG grey 16": enc(image.NewGray16(r)),
		"PNG RGBA": enc(image.NewRGBA(r)), "PNG NRGBA": enc(image.NewNRGBA(r)), "PNG 16-bit": enc(image.NewNRGBA64(r)),
		"PNG paletted": enc(pal), "WebP lossless": webpb,
	} {
		kind := http.DetectContentType(b)
		decode, config := map[string]func([]byte) (image.Image, error){
			"image/jpeg": func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) },
			"image/png":  func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) },
			"image/webp": func(b []byte) (image.Image, error) { return webp.Decode(bytes.NewReader(b)) },
		}[kind], map[string]func([]byte) (image.Config, error){
			"image/jpeg": func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) },
			"image/png":  func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) },
			"image/webp": func(b []byte) (image.Config, error) { return webp.DecodeConfig(bytes.NewReader(b)) },
		}[kind]
		cfg, err := config(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cost, err := decodeCost(kind, b, cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cost -= copiesCost
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := decode(b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		runtime.ReadMemStats(&after)
		if used := int64(after.TotalAlloc - before.TotalAlloc); used > cost {
			t.Errorf("%s: the decoder allocated %d KB, the estimate says %d KB", name, used>>10, cost>>10)
		}
	}
}
