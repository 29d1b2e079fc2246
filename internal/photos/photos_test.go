package photos

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"strings"
	"testing"
)

// withExif puts an APP1 EXIF segment into a JPEG: orientation o and a GPS
// pointer, with a recognisable GPS string in the segment.
func withExif(t *testing.T, w, h, o int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), 80, 160, 255})
		}
	}
	var j bytes.Buffer
	jpeg.Encode(&j, img, nil)
	tiff := []byte("II*\x00\x08\x00\x00\x00")
	ifd := make([]byte, 2+2*12+4)
	binary.LittleEndian.PutUint16(ifd, 2)
	binary.LittleEndian.PutUint16(ifd[2:], 0x0112) // orientation
	binary.LittleEndian.PutUint16(ifd[4:], 3)
	binary.LittleEndian.PutUint32(ifd[6:], 1)
	binary.LittleEndian.PutUint16(ifd[10:], uint16(o))
	binary.LittleEndian.PutUint16(ifd[14:], 0x8825) // GPS IFD pointer
	binary.LittleEndian.PutUint16(ifd[16:], 4)
	binary.LittleEndian.PutUint32(ifd[18:], 1)
	binary.LittleEndian.PutUint32(ifd[22:], 60)
	seg := append([]byte("Exif\x00\x00"), append(tiff, ifd...)...)
	seg = append(seg, []byte("GPS 40.0853N 113.2906E Xiaomi-13")...)
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(len(seg)+2))
	b := j.Bytes()
	return append(append(append([]byte{}, b[:2]...), append(app1, seg...)...), b[2:]...)
}

func TestPublicCopiesHaveNoExifAndAreUpright(t *testing.T) {
	ctx := context.Background()
	dir := Dir(t.TempDir())
	orig := withExif(t, 40, 20, 6) // held rotated 90°: shown 20 wide, 40 high
	if jpegOrientation(orig) != 6 {
		t.Fatalf("orientation %d", jpegOrientation(orig))
	}
	p, err := Store(ctx, dir, bytes.NewReader(orig), -1)
	if err != nil {
		t.Fatal(err)
	}
	if p.Width != 20 || p.Height != 40 || p.Type != "image/jpeg" {
		t.Fatalf("photo %+v", p)
	}
	for _, thumb := range []bool{false, true} {
		pub, err := Public(ctx, dir, p.ID, thumb)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(pub, []byte("Exif")) || bytes.Contains(pub, []byte("GPS")) || bytes.Contains(pub, []byte("Xiaomi")) {
			t.Fatal("the public copy carries EXIF")
		}
		img, err := jpeg.Decode(bytes.NewReader(pub))
		if err != nil || img.Bounds().Dx() != 20 || img.Bounds().Dy() != 40 {
			t.Fatalf("public copy %v %v", img.Bounds(), err)
		}
	}
	if o, _ := Original(ctx, dir, p.ID); !bytes.Equal(o, orig) {
		t.Fatal("the original was not kept as uploaded")
	}
}

func TestFormatsAndRefusals(t *testing.T) {
	ctx := context.Background()
	dir := Dir(t.TempDir())
	var pngb bytes.Buffer
	png.Encode(&pngb, image.NewGray(image.Rect(0, 0, 3000, 10)))
	p, err := Store(ctx, dir, &pngb, -1)
	if err != nil || p.Type != "image/png" {
		t.Fatalf("png: %+v %v", p, err)
	}
	if thumb, _ := Public(ctx, dir, p.ID, true); thumb == nil {
		t.Fatal("no thumbnail")
	} else if img, _ := jpeg.Decode(bytes.NewReader(thumb)); img.Bounds().Dx() != ThumbMax {
		t.Fatalf("thumbnail %v", img.Bounds())
	}
	webpb, _ := os.ReadFile("testdata/gopher.webp")
	if p, err := Store(ctx, dir, bytes.NewReader(webpb), -1); err != nil || p.Type != "image/webp" {
		t.Fatalf("webp: %+v %v", p, err)
	}
	for name, b := range map[string][]byte{
		"a renamed executable": append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 200)...),
		"a GIF":                []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
		"a damaged JPEG":       []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00garbage"),
		"HTML":                 []byte("<html><script>alert(1)</script></html>"),
	} {
		if _, err := Store(ctx, dir, bytes.NewReader(b), -1); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Store(ctx, dir, bytes.NewReader(make([]byte, MaxBytes+1)), -1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize: %v", err)
	}
	if ValidID("../../etc/passwd") || !ValidID(p.ID) {
		t.Error("ValidID")
	}
}

// A small file that claims a huge picture is refused before decoding.
func TestPixelBomb(t *testing.T) {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	data := b.Bytes()
	// IHDR data starts at byte 16: width, height; its CRC follows the 13 bytes.
	binary.BigEndian.PutUint32(data[16:], 100000)
	binary.BigEndian.PutUint32(data[20:], 100000)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	if _, err := Store(context.Background(), Dir(t.TempDir()), bytes.NewReader(data), -1); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("pixel bomb: %v", err)
	}
}
