package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"

	"github.com/xiuhua/xiuhua/internal/photos"
)

// The demo's evidence photos: a few drawn street scenes, stored like
// uploads, so report-backs and checks show pictures instead of broken
// images. "after" scenes are tidy, "check" ones seen from a grid worker's
// phone on site.
var photoKinds = map[string]int{"after": 6, "check": 3}

// makePhotos draws and stores the scenes, by kind.
func makePhotos(ctx context.Context, b photos.Blobs, seed uint64) (map[string][]string, error) {
	out := map[string][]string{}
	for kind, n := range photoKinds {
		for i := range n {
			rng := rand.New(rand.NewPCG(seed, uint64(len(kind)*100+i)))
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, scene(rng, kind == "check"), &jpeg.Options{Quality: 80}); err != nil {
				return nil, err
			}
			p, err := photos.Store(ctx, b, &buf, int64(buf.Len()))
			if err != nil {
				return nil, fmt.Errorf("demo: photo %s %d: %w", kind, i, err)
			}
			out[kind] = append(out[kind], p.ID)
		}
	}
	return out, nil
}

// scene draws a street: sky, buildings, a pavement with a kerb, a road,
// a green belt and a few bins; a check adds the pale cast of a phone's
// close-up.
func scene(rng *rand.Rand, check bool) image.Image {
	const w, h = 800, 600
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill := func(x0, y0, x1, y1 int, c color.RGBA) {
		for y := max(0, y0); y < min(h, y1); y++ {
			for x := max(0, x0); x < min(w, x1); x++ {
				img.SetRGBA(x, y, c)
			}
		}
	}
	for y := range 260 { // sky, lighter to the horizon
		c := color.RGBA{uint8(120 + y/4), uint8(170 + y/5), 230, 255}
		fill(0, y, w, y+1, c)
	}
	for x := 0; x < w; { // buildings
		bw, bh := 60+rng.IntN(120), 80+rng.IntN(160)
		g := uint8(150 + rng.IntN(70))
		fill(x, 260-bh, x+bw, 260, color.RGBA{g, g - 10, g - 25, 255})
		for wy := 260 - bh + 12; wy < 250; wy += 24 { // windows
			for wx := x + 8; wx < x+bw-12; wx += 20 {
				fill(wx, wy, wx+10, wy+12, color.RGBA{90, 110, 140, 255})
			}
		}
		x += bw + 4
	}
	fill(0, 260, w, 300, color.RGBA{70, 140, 70, 255})   // green belt
	fill(0, 300, w, 380, color.RGBA{190, 180, 165, 255}) // pavement
	fill(0, 380, w, 388, color.RGBA{120, 120, 120, 255}) // kerb
	fill(0, 388, w, h, color.RGBA{80, 80, 85, 255})      // road
	for x := 40; x < w; x += 160 {                       // lane marks
		fill(x, 490, x+80, 498, color.RGBA{235, 235, 235, 255})
	}
	for range 2 + rng.IntN(3) { // bins on the pavement
		x := 40 + rng.IntN(w-120)
		c := []color.RGBA{{40, 120, 60, 255}, {60, 90, 160, 255}, {150, 60, 50, 255}}[rng.IntN(3)]
		fill(x, 312, x+36, 372, c)
		fill(x-2, 306, x+38, 314, color.RGBA{c.R / 2, c.G / 2, c.B / 2, 255})
	}
	if check {
		for y := range h {
			for x := range w {
				p := img.RGBAAt(x, y)
				img.SetRGBA(x, y, color.RGBA{uint8(min(255, int(p.R)+25)), uint8(min(255, int(p.G)+20)), p.B, 255})
			}
		}
	}
	return img
}
