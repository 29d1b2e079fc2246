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
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Limits. A photo's decoded pixels, not its file, are what cost memory: a
// 291 KB PNG can hold 6000×6000 16-bit pixels (288 MB). So before decoding,
// the header says what decoding will take (decodeCost, by format, bit
// depth, chroma subsampling, progressive or interlaced storage), and a
// photo over MaxDecode is refused; the public copy and thumbnail are then
// made without a full-size intermediate (shrink).
const (
	MaxBytes  = 10 << 20 // an upload
	MaxPixels = 25e6     // a decoded image's width × height
	MaxDecode = 48 << 20 // a decoded image's memory, with the copies made from it
	PublicMax = 1600     // the public copy's longest side
	ThumbMax  = 320
)

// Errors a client can act on.
var (
	ErrTooLarge    = fmt.Errorf("photo larger than %d MB", MaxBytes>>20)
	ErrUnsupported = errors.New("only JPEG, PNG and WebP photos are accepted")
	ErrPixels      = errors.New("photo too large to decode")
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

// Store takes a photo of size bytes in (size < 0: unknown), through the
// process's gate: it waits its turn, briefly, and answers ErrBusy when the
// wait is over.
func Store(ctx context.Context, b Blobs, r io.Reader, size int64) (Photo, error) {
	if size > MaxBytes {
		return Photo{}, ErrTooLarge
	}
	// The upload is received into a file first, so that a client sending
	// slowly holds a connection and a file, not the memory photos being
	// taken in need; the memory is taken once the whole file is here.
	f, err := spool(b)
	if err != nil {
		return Photo{}, fmt.Errorf("photos: %w", err)
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	n, err := io.Copy(f, io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return Photo{}, err
	}
	if n > MaxBytes {
		return Photo{}, ErrTooLarge
	}
	release, err := gate.hold(ctx, gate.bodies, n)
	if err != nil {
		return Photo{}, err
	}
	defer release()
	data := make([]byte, n)
	if _, err := f.ReadAt(data, 0); err != nil {
		return Photo{}, fmt.Errorf("photos: %w", err)
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
		return Photo{}, fmt.Errorf("%w: %d×%d pixels, at most %.0f million; send a smaller photo (a phone camera's usual setting fits)",
			ErrPixels, cfg.Width, cfg.Height, MaxPixels/1e6)
	}
	cost, err := decodeCost(kind, data, cfg)
	if err != nil {
		return Photo{}, fmt.Errorf("%w: the %s is damaged: %v", ErrUnsupported, strings.TrimPrefix(kind, "image/"), err)
	}
	if cost > MaxDecode {
		return Photo{}, fmt.Errorf("%w: this %d×%d %s would take %d MB to decode, at most %d MB; send a smaller photo (a phone camera's usual setting fits)",
			ErrPixels, cfg.Width, cfg.Height, strings.TrimPrefix(kind, "image/"), cost>>20, MaxDecode>>20)
	}
	pub, thumb, w, h, err := gate.decode(ctx, cost, func() ([]byte, []byte, int, int, error) {
		img, err := decode(bytes.NewReader(data))
		if err != nil {
			return nil, nil, 0, 0, fmt.Errorf("%w: the %s is damaged: %v", ErrUnsupported, strings.TrimPrefix(kind, "image/"), err)
		}
		o := 1
		if kind == "image/jpeg" {
			o = jpegOrientation(data)
		}
		// The copies are made small first and turned upright after, so
		// turning costs a copy of the small picture, not of the original.
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		if o >= 5 {
			w, h = h, w
		}
		pub := orient(fit(img, PublicMax), o)
		img = nil // the big one can go while the copies are encoded
		pb, err := encode(pub)
		if err != nil {
			return nil, nil, 0, 0, err
		}
		tb, err := encode(fit(pub, ThumbMax))
		return pb, tb, w, h, err
	})
	if err != nil {
		return Photo{}, err
	}
	sum := sha256.Sum256(data)
	p := Photo{ID: hex.EncodeToString(sum[:]), Type: kind, Width: w, Height: h}
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

// incoming is where uploads are received, under a Dir (a data volume, not
// a /tmp that may be memory).
const incoming = "incoming"

// spool creates the file an upload is received into.
func spool(b Blobs) (*os.File, error) {
	dir := os.TempDir()
	if d, ok := b.(Dir); ok {
		dir = filepath.Join(string(d), incoming)
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, err
		}
	}
	return os.CreateTemp(dir, ".up-*")
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

// File is a photo file opened for reading.
type File interface {
	io.ReadSeeker
	io.Closer
}

// Opener is Blobs that can open a file without reading it whole, so that
// serving a photo holds a buffer, not the file, however slow the reader.
type Opener interface {
	Open(ctx context.Context, key string) (File, error)
}

// Open opens a file; os.ErrNotExist when there is none.
func (d Dir) Open(_ context.Context, key string) (File, error) {
	return os.Open(filepath.Join(string(d), filepath.FromSlash(key)))
}

// OpenPublic opens the public copy (thumb: the thumbnail), OpenOriginal
// the original; from Blobs that cannot open, they read the file whole.
func OpenPublic(ctx context.Context, b Blobs, id string, thumb bool) (File, error) {
	if thumb {
		return open(ctx, b, thumbKey(id))
	}
	return open(ctx, b, publicKey(id))
}

// OpenOriginal opens the file as uploaded.
func OpenOriginal(ctx context.Context, b Blobs, id string) (File, error) {
	return open(ctx, b, originalKey(id))
}

func open(ctx context.Context, b Blobs, key string) (File, error) {
	if o, ok := b.(Opener); ok {
		return o.Open(ctx, key)
	}
	data, err := b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return nopCloser{bytes.NewReader(data)}, nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func encode(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	return buf.Bytes(), err
}

// fit scales img down so its longest side is at most max.
func fit(img image.Image, max int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch {
	case w <= max && h <= max:
	case w >= h:
		h, w = h*max/w, max
	default:
		w, h = w*max/h, max
	}
	return shrink(img, max1(w), max1(h))
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

// shrink scales img to dw×dh, no larger than it, by averaging the source
// pixels each target pixel covers (a box filter, good for shrinking). It
// converts one source row at a time, so it holds the target and a few rows
// whatever the source's size; x/image/draw's kernels keep a float64 buffer
// of target width × source height (300 MB for 6000×6000 to 1600).
func shrink(img image.Image, dw, dh int) *image.RGBA {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	xs, ys := spans(sw, dw), spans(sh, dh)
	row := image.NewRGBA(image.Rect(0, 0, sw, 1))
	hrow := make([]float32, 4*dw) // the last source row read, shrunk across
	acc := make([]float32, 4*dw)
	last := -1
	for dy := 0; dy < dh; dy++ {
		clear(acc)
		for _, yw := range ys.of(dy) {
			if yw.i != last {
				draw.Draw(row, row.Rect, img, image.Pt(b.Min.X, b.Min.Y+yw.i), draw.Src)
				for dx := 0; dx < dw; dx++ {
					var r, g, bl, a float32
					for _, xw := range xs.of(dx) {
						p := row.Pix[4*xw.i : 4*xw.i+4 : 4*xw.i+4]
						r += xw.w * float32(p[0])
						g += xw.w * float32(p[1])
						bl += xw.w * float32(p[2])
						a += xw.w * float32(p[3])
					}
					hrow[4*dx], hrow[4*dx+1], hrow[4*dx+2], hrow[4*dx+3] = r, g, bl, a
				}
				last = yw.i
			}
			for k, v := range hrow {
				acc[k] += yw.w * v
			}
		}
		out := dst.Pix[dy*dst.Stride : dy*dst.Stride+4*dw]
		for k, v := range acc {
			out[k] = uint8(min(255, v+0.5))
		}
	}
	return dst
}

// weight is how much source pixel i counts in a target pixel.
type weight struct {
	i int
	w float32
}

// spanList is, for each target pixel along one axis, the source pixels it
// covers and their weights (summing to 1).
type spanList struct {
	start []int // into ws, one per target pixel and one more
	ws    []weight
}

func (l spanList) of(d int) []weight { return l.ws[l.start[d]:l.start[d+1]] }

func spans(src, dst int) spanList {
	scale := float64(src) / float64(dst)
	l := spanList{start: make([]int, 0, dst+1), ws: make([]weight, 0, dst*(int(scale)+2))}
	for d := 0; d < dst; d++ {
		l.start = append(l.start, len(l.ws))
		lo, hi := float64(d)*scale, float64(d+1)*scale
		for i := int(lo); i < src && float64(i) < hi; i++ {
			if cover := math.Min(hi, float64(i+1)) - math.Max(lo, float64(i)); cover > 0 {
				l.ws = append(l.ws, weight{i, float32(cover / scale)})
			}
		}
	}
	l.start = append(l.start, len(l.ws))
	return l
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
