// Package photos takes evidence photos in: it accepts JPEG, PNG and WebP
// by their content (not their name), keeps the original for staff, and
// makes a public copy and a thumbnail that are re-encoded from pixels — so
// no EXIF (GPS, device) survives — with the camera's orientation applied.
// Files live behind the Blobs interface: a folder today, an S3-compatible
// store later.
package photos

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Limits.
const (
	MaxBytes  = 10 << 20 // an upload
	MaxPixels = 40e6     // a decoded image (a 10 MB file can claim 60,000²)
	PublicMax = 1600     // the public copy's longest side
	ThumbMax  = 320
)

// Errors a client can act on.
var (
	ErrTooLarge    = fmt.Errorf("photo larger than %d MB", MaxBytes>>20)
	ErrUnsupported = errors.New("only JPEG, PNG and WebP photos are accepted")
)

// Blobs stores files by key.
type Blobs interface {
	Put(ctx context.Context, key string, b []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
}

// Dir is Blobs in a folder.
type Dir string

// Put writes atomically: a temporary file renamed into place.
func (d Dir) Put(_ context.Context, key string, b []byte) error {
	p := filepath.Join(string(d), filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".up-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	tmp.Close()
	return os.Rename(tmp.Name(), p)
}

// Get reads a file; os.ErrNotExist when there is none.
func (d Dir) Get(_ context.Context, key string) ([]byte, error) {
	return os.ReadFile(filepath.Join(string(d), filepath.FromSlash(key)))
}

// Photo is a stored photo.
type Photo struct {
	ID     string `json:"id"` // sha256 of the original, hex
	Type   string `json:"type"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// Keys of a photo's files.
func originalKey(id string) string { return "original/" + id[:2] + "/" + id }
func publicKey(id string) string   { return "public/" + id[:2] + "/" + id + ".jpg" }
func thumbKey(id string) string    { return "thumb/" + id[:2] + "/" + id + ".jpg" }

// ValidID reports whether s looks like a photo id.
func ValidID(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Store takes a photo in.
func Store(ctx context.Context, b Blobs, r io.Reader) (Photo, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return Photo{}, err
	}
	if len(data) > MaxBytes {
		return Photo{}, ErrTooLarge
	}
	kind := http.DetectContentType(data)
	var decode func(io.Reader) (image.Image, error)
	var config func(io.Reader) (image.Config, error)
	switch kind {
	case "image/jpeg":
		decode, config = jpeg.Decode, jpeg.DecodeConfig
	case "image/png":
		decode, config = png.Decode, png.DecodeConfig
	case "image/webp":
		decode, config = webp.Decode, webp.DecodeConfig
	default:
		return Photo{}, fmt.Errorf("%w (this file is %s)", ErrUnsupported, kind)
	}
	cfg, err := config(bytes.NewReader(data))
	if err != nil {
		return Photo{}, fmt.Errorf("%w: the %s is damaged: %v", ErrUnsupported, strings.TrimPrefix(kind, "image/"), err)
	}
	if float64(cfg.Width)*float64(cfg.Height) > MaxPixels {
		return Photo{}, fmt.Errorf("photo of %d×%d pixels is too large", cfg.Width, cfg.Height)
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return Photo{}, fmt.Errorf("%w: the %s is damaged: %v", ErrUnsupported, strings.TrimPrefix(kind, "image/"), err)
	}
	if kind == "image/jpeg" {
		img = orient(img, jpegOrientation(data))
	}
	sum := sha256.Sum256(data)
	p := Photo{ID: hex.EncodeToString(sum[:]), Type: kind, Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	pub, err := encode(fit(img, PublicMax))
	if err != nil {
		return p, err
	}
	thumb, err := encode(fit(img, ThumbMax))
	if err != nil {
		return p, err
	}
	for _, f := range []struct {
		key string
		b   []byte
	}{{originalKey(p.ID), data}, {publicKey(p.ID), pub}, {thumbKey(p.ID), thumb}} {
		if err := b.Put(ctx, f.key, f.b); err != nil {
			return p, fmt.Errorf("photos: %w", err)
		}
	}
	return p, nil
}

// Public is the EXIF-free public copy (JPEG); thumb selects the thumbnail.
func Public(ctx context.Context, b Blobs, id string, thumb bool) ([]byte, error) {
	if thumb {
		return b.Get(ctx, thumbKey(id))
	}
	return b.Get(ctx, publicKey(id))
}

// Original is the file as uploaded, for staff.
func Original(ctx context.Context, b Blobs, id string) ([]byte, error) {
	return b.Get(ctx, originalKey(id))
}

func encode(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	return buf.Bytes(), err
}

// fit scales img down so its longest side is at most max.
func fit(img image.Image, max int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= max && h <= max {
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
		return dst
	}
	if w >= h {
		h, w = h*max/w, max
	} else {
		w, h = w*max/h, max
	}
	dst := image.NewRGBA(image.Rect(0, 0, max1(w), max1(h)))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

// jpegOrientation reads the EXIF orientation (1–8) of a JPEG; 1 when it
// has none.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	i := 2
	for i+4 <= len(b) && b[i] == 0xFF {
		marker := b[i+1]
		size := int(binary.BigEndian.Uint16(b[i+2:]))
		if marker == 0xDA || size < 2 || i+2+size > len(b) {
			return 1
		}
		seg := b[i+4 : i+2+size]
		if marker == 0xE1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + size
	}
	return 1
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[off:]))
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
		}
	}
	return 1
}

// orient turns pixels the way EXIF orientation o says the camera held them.
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	swap := o >= 5
	dw, dh := w, h
	if swap {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			dst.Set(dx, dy, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}
