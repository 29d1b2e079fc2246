package photos

import (
	"encoding/binary"
	"errors"
	"image"
	"image/color"
)

// copiesCost is what the public copy and thumbnail take, with the JPEG
// encoder's buffers.
const copiesCost = PublicMax*PublicMax*4 + ThumbMax*ThumbMax*4 + 2<<20

// decodeCost is what decoding data will take in memory, in bytes, as the
// decoders the package uses allocate it (image/jpeg, image/png,
// x/image/webp), plus the public copy and thumbnail made from it. It reads
// the headers only.
func decodeCost(kind string, data []byte, cfg image.Config) (int64, error) {
	px := int64(cfg.Width) * int64(cfg.Height)
	// The copies, and the decoder's own state: tables, inflate window,
	// two rows of at most 8 bytes a pixel.
	copies := int64(copiesCost) + 256<<10 + 16*int64(cfg.Width)
	switch kind {
	case "image/jpeg":
		n, err := jpegCost(data)
		return n + copies, err
	case "image/png":
		// The decoder's image: 1, 2, 4 or 8 bytes a pixel. Grey and
		// truecolour may become NRGBA once a tRNS chunk is read, so they
		// count as that. Interlaced (Adam7) images are decoded pass by
		// pass into images of their own before merging: twice.
		var bpp int64
		switch cfg.ColorModel {
		case color.GrayModel, color.RGBAModel, color.NRGBAModel:
			bpp = 4
		case color.Gray16Model, color.RGBA64Model, color.NRGBA64Model:
			bpp = 8
		default: // a palette
			bpp = 1
		}
		n := px * bpp
		if len(data) > 28 && data[28] == 1 {
			n *= 2
		}
		return n + copies, nil
	case "image/webp":
		n, err := webpCost(data, px)
		return n + copies, err
	}
	return 0, errors.New("unknown kind " + kind)
}

// jpegCost reads the frame header: per component, the decoder keeps one
// byte a sample (whole 8×8 blocks of whole MCUs), and a progressive JPEG
// also keeps 64 int32 coefficients a block until the end. Four-component
// (CMYK) JPEGs are converted into a CMYK image of four bytes a pixel.
func jpegCost(b []byte) (int64, error) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 0, errors.New("no JPEG start")
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return 0, errors.New("bad marker")
		}
		m := b[i+1]
		if m == 0xFF { // fill byte
			i++
			continue
		}
		size := int(binary.BigEndian.Uint16(b[i+2:]))
		if size < 2 || i+2+size > len(b) {
			return 0, errors.New("truncated segment")
		}
		seg := b[i+4 : i+2+size]
		// SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
		if m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC {
			if len(seg) < 6 {
				return 0, errors.New("short frame header")
			}
			h, w, nc := int64(binary.BigEndian.Uint16(seg[1:])), int64(binary.BigEndian.Uint16(seg[3:])), int(seg[5])
			if len(seg) < 6+3*nc || nc == 0 {
				return 0, errors.New("short frame header")
			}
			var hmax, vmax int64 = 1, 1
			for c := 0; c < nc; c++ {
				hmax, vmax = max(hmax, int64(seg[7+3*c]>>4)), max(vmax, int64(seg[7+3*c]&15))
			}
			mcux, mcuy := (w+8*hmax-1)/(8*hmax), (h+8*vmax-1)/(8*vmax)
			var samples int64
			for c := 0; c < nc; c++ {
				samples += mcux * int64(seg[7+3*c]>>4) * mcuy * int64(seg[7+3*c]&15) * 64
			}
			n := samples
			if m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE { // progressive
				n += samples * 4
			}
			if nc == 4 {
				n += w * h * 4
			}
			return n, nil
		}
		if m == 0xDA || m == 0xD9 {
			break
		}
		i += 2 + size
	}
	return 0, errors.New("no frame header")
}

// webpCost walks the RIFF chunks to the image data. Lossy (VP8) frames
// decode to 4:2:0 YCbCr, 1.5 bytes a pixel; lossless (VP8L) ones to NRGBA,
// and a colour-indexed one keeps a second copy while it expands: 8 bytes.
// An alpha channel (ALPH) adds a byte a pixel, and a lossless-compressed
// one is decoded as a lossless image first.
func webpCost(b []byte, px int64) (int64, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return 0, errors.New("no RIFF header")
	}
	var n int64
	for i := 12; i+8 <= len(b); {
		id, size := string(b[i:i+4]), int64(binary.LittleEndian.Uint32(b[i+4:]))
		switch id {
		case "ALPH":
			n += px
			if i+8 < len(b) && b[i+8]&3 == 1 { // lossless-compressed alpha
				n += px * 8
			}
		case "VP8 ":
			return n + px*3/2, nil
		case "VP8L":
			return n + px*8, nil
		}
		if size > int64(len(b)) {
			break
		}
		i += 8 + int(size) + int(size&1)
	}
	return 0, errors.New("no image data")
}
