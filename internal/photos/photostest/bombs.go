// Package photostest makes pictures for tests: decompression bombs of
// every accepted format, and photos as a phone takes them.
package photostest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"math/rand/v2"
)

// Bomb is a small file whose pixels would take far more memory than the
// file.
type Bomb struct {
	Name string
	B    []byte
}

// Bombs are bombs of each accepted format. The 16-bit PNG is a real image
// (a flat 6000×6000 compresses to about 300 KB and decodes to 288 MB); the
// others are headers that claim a size, as a decoder reads them first.
func Bombs() []Bomb {
	return []Bomb{
		{"16-bit PNG 6000×6000", Flat16(6000, 6000)},
		{"PNG 100000×100000", PNGHeader(100000, 100000, 8, 6, 0)},
		{"RGBA PNG 4500×4500", PNGHeader(4500, 4500, 8, 6, 0)},
		{"interlaced RGB PNG 3500×3000", PNGHeader(3500, 3000, 8, 2, 1)},
		{"16-bit grey PNG 3000×3000", PNGHeader(3000, 3000, 16, 0, 0)},
		{"JPEG 65535×65535", JPEGHeader(65535, 65535, 0xC0, 0x22, 0x11, 0x11)},
		{"progressive 4:4:4 JPEG 3000×3000", JPEGHeader(3000, 3000, 0xC2, 0x11, 0x11, 0x11)},
		{"progressive 4:2:0 JPEG 4000×3000", JPEGHeader(4000, 3000, 0xC2, 0x22, 0x11, 0x11)},
		{"CMYK JPEG 4000×3000", JPEGHeader(4000, 3000, 0xC0, 0x11, 0x11, 0x11, 0x11)},
		{"lossy WebP 16383×16383", WebPHeader(16383, 16383, false)},
		{"lossless WebP 4000×4000", WebPHeader(4000, 4000, true)},
	}
}

// Phone is a w×h baseline 4:2:0 JPEG of noise (noise keeps the file as
// large, and its decoding as slow, as a detailed photo's: 4000×3000 is
// about 7 MB).
func Phone(w, h int, seed uint64) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range img.Y {
		img.Y[i] = uint8(r.IntN(256))
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(100+r.IntN(16)), uint8(140+r.IntN(16))
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 75})
	return b.Bytes()
}

// Flat16 is a real, flat w×h 16-bit RGBA PNG, compressed row by row
// without making the image (6000×6000: about 300 KB).
func Flat16(w, h int) []byte {
	var idat bytes.Buffer
	z := zlib.NewWriter(&idat)
	row := make([]byte, 1+8*w) // filter byte 0, then zero pixels
	for range h {
		z.Write(row)
	}
	z.Close()
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
	ihdr = append(ihdr, 16, 6, 0, 0, 0)
	b := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
	return append(append(b, pngChunk("IDAT", idat.Bytes())...), pngChunk("IEND", nil)...)
}

func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(append(b, typ...), data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// PNGHeader is a PNG signature and IHDR, with an empty IDAT.
func PNGHeader(w, h int, depth, colorType, interlace byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
	ihdr = append(ihdr, depth, colorType, 0, 0, interlace)
	b := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
	return append(append(b, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...), pngChunk("IEND", nil)...)
}

// JPEGHeader is SOI, a JFIF header (so a decoder's config stops at the
// frame) and a frame header (0xC0 baseline, 0xC2 progressive) with the
// given sampling factors, then EOI.
func JPEGHeader(w, h int, sof byte, sampling ...byte) []byte {
	seg := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(len(sampling))}
	for i, s := range sampling {
		seg = append(seg, byte(i+1), s, 0)
	}
	b := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	b = append(b, 0xFF, sof, byte((len(seg)+2)>>8), byte(len(seg)+2))
	return append(append(b, seg...), 0xFF, 0xD9)
}

// WebPHeader is a RIFF WebP with a VP8 (lossy) or VP8L (lossless) header.
func WebPHeader(w, h int, lossless bool) []byte {
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

// Variant is a JPEG with a comment saying n after its start: another file
// (another photo id) of the same picture, without encoding it again.
func Variant(jpg []byte, n int) []byte {
	c := []byte(fmt.Sprintf("variant %d", n))
	seg := append([]byte{0xFF, 0xFE, byte((len(c) + 2) >> 8), byte(len(c) + 2)}, c...)
	return append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
}
