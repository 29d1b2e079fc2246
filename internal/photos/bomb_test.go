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
	"testing"
)

// Bombs: small files whose pixels would take far more memory than the file.
// PNG bombs are real images (a flat 16-bit 6000×6000 compresses to 291 KB);
// the others are headers that claim a size, as a decoder reads them first.

// pngChunk is one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(append(b, typ...), data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// pngHeader is a PNG signature and IHDR, with an empty IDAT.
func pngHeader(w, h int, depth, colorType, interlace byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
	ihdr = append(ihdr, depth, colorType, 0, 0, interlace)
	b := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
	return append(append(b, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...), pngChunk("IEND", nil)...)
}

// jpegHeader is SOI and a frame header (SOF0 baseline, SOF2 progressive)
// with the given sampling factors, after a JFIF header, then EOI.
func jpegHeader(w, h int, sof byte, sampling ...byte) []byte {
	seg := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(len(sampling))}
	for i, s := range sampling {
		seg = append(seg, byte(i+1), s, 0)
	}
	b := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0} // JFIF: the decoder's config stops at the frame
	b = append(b, 0xFF, sof, byte((len(seg)+2)>>8), byte(len(seg)+2))
	return append(append(b, seg...), 0xFF, 0xD9)
}

// webpHeader is a RIFF WebP with a VP8 (lossy) or VP8L (lossless) header.
func webpHeader(w, h int, lossless bool) []byte {
	var chunk []byte
	if lossless {
		v := uint32(w-1) | uint32(h-1)<<14
		chunk = append([]byte("VP8L"), 5, 0, 0, 0, 0x2f, byte(v), byte(v>>8), byte(v>>16), byte(v>>24), 0)
	} else {
		chunk = append([]byte("VP8 "), 10, 0, 0, 0, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, byte(w), byte(w>>8), byte(h), byte(h>>8))
	}
	b := append([]byte("RIFF"), 0, 0, 0, 0)
	b = append(append(b, "WEBP"...), chunk...)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func TestBombsAreRefusedBeforeDecoding(t *testing.T) {
	var flat16 bytes.Buffer
	png.Encode(&flat16, image.NewRGBA64(image.Rect(0, 0, 6000, 6000)))
	if flat16.Len() > 1<<20 {
		t.Fatalf("the 16-bit bomb is %d KB", flat16.Len()>>10)
	}
	for _, tt := range []struct {
		name string
		b    []byte
	}{
		{"16-bit PNG 6000×6000 (291 KB)", flat16.Bytes()},
		{"PNG 100000×100000", pngHeader(100000, 100000, 8, 6, 0)},
		{"RGBA PNG 4500×4500 (81 MB)", pngHeader(4500, 4500, 8, 6, 0)},
		{"interlaced RGB PNG 3500×3000", pngHeader(3500, 3000, 8, 2, 1)},
		{"16-bit grey PNG 3000×3000", pngHeader(3000, 3000, 16, 0, 0)},
		{"JPEG 65535×65535", jpegHeader(65535, 65535, 0xC0, 0x22, 0x11, 0x11)},
		{"progressive 4:4:4 JPEG 3000×3000", jpegHeader(3000, 3000, 0xC2, 0x11, 0x11, 0x11)},
		{"progressive 4:2:0 JPEG 4000×3000", jpegHeader(4000, 3000, 0xC2, 0x22, 0x11, 0x11)},
		{"CMYK JPEG 4000×3000", jpegHeader(4000, 3000, 0xC0, 0x11, 0x11, 0x11, 0x11)},
		{"lossy WebP 16383×16383", webpHeader(16383, 16383, false)},
		{"lossless WebP 4000×4000", webpHeader(4000, 4000, true)},
	} {
		_, err := Store(context.Background(), Dir(t.TempDir()), bytes.NewReader(tt.b), int64(len(tt.b)))
		if !errors.Is(err, ErrPixels) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

// What a phone sends goes through: a 12-megapixel baseline JPEG, and
// large PNGs and JPEGs under the bound; the copies keep the picture.
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
	dir := Dir(t.TempDir())
	p, err := Store(context.Background(), dir, bytes.NewReader(j.Bytes()), int64(j.Len()))
	if err != nil || p.Width != 4000 || p.Height != 3000 {
		t.Fatalf("12 MP JPEG: %+v %v", p, err)
	}
	pub, _ := Public(context.Background(), dir, p.ID, false)
	c, err := jpeg.Decode(bytes.NewReader(pub))
	if err != nil || c.Bounds().Dx() != PublicMax || c.Bounds().Dy() != 1200 {
		t.Fatalf("public copy %v %v", c.Bounds(), err)
	}
	l, r := color.GrayModel.Convert(c.At(100, 600)).(color.Gray), color.GrayModel.Convert(c.At(1500, 600)).(color.Gray)
	if l.Y+60 > r.Y {
		t.Fatalf("the halves are %d and %d bright", l.Y, r.Y)
	}
	var big bytes.Buffer
	png.Encode(&big, image.NewNRGBA(image.Rect(0, 0, 3000, 2000)))
	if _, err := Store(context.Background(), dir, bytes.NewReader(big.Bytes()), -1); err != nil {
		t.Fatalf("6 MP PNG: %v", err)
	}
}
