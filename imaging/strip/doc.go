// Package strip removes the metadata of an image without re-encoding it:
// EXIF (GPS position, camera make, model and serial number, maker notes,
// EXIF thumbnails), XMP, IPTC, comments and other vendor data go, while
// the coded pixels are copied byte for byte. It is pure Go (no cgo, no
// libvips) and streams: it reads the container's structure piece by piece
// and copies payloads through fixed buffers, so a 100 MB image costs a few
// hundred kilobytes of memory.
//
// Usage, from a worker job, on an image stored as it is:
//
//	src, err := os.Open(path)
//	if err != nil {
//		return err
//	}
//	defer src.Close()
//	res, err := strip.Strip(dst, src, format.Name) // sniff.Format: "jpeg", "png", …
//	switch picpipe.ErrorCode(err) {
//	case "":
//		log.Printf("removed %v", res.Removed) // e.g. [EXIF XMP Comment]
//	case picpipe.ECodeInternal:
//		return err // reading src or writing dst failed: retry
//	default:
//		return err // decode_failed or unsupported_format: the file is refused
//	}
//
// # What stays
//
// What is needed to show the image as before stays: the coded image data,
// its tables and frame headers, animation, transparency, the colour
// description and the orientation.
//
// The ICC profile stays in every format (JPEG APP2 ICC_PROFILE, PNG iCCP,
// WebP ICCP, GIF ICCRGBG1012, HEIF colr). exiftool lists it as the
// ICC_Profile group, but it is colour, not metadata about the picture or
// its author: files stored as they are are not converted to sRGB, and a
// Display P3 photo would wash out without its profile. Its header names
// the software that made the profile, never the camera or the person.
//
// The orientation stays so that the image displays the same: when the
// EXIF said anything but the normal orientation (1), Strip writes back a
// minimal EXIF block of one tag, Orientation, in place of the original
// (a JPEG APP1 segment, a PNG eXIf chunk, a WebP EXIF chunk with its VP8X
// flag). exiftool then shows IFD0:Orientation and nothing else of EXIF.
// HEIF images are turned by their irot and imir properties, which stay;
// readers ignore the EXIF orientation of a HEIF file.
//
// # Per format
//
// JPEG: kept are the APP0 JFIF segment (without its thumbnail), APP2
// ICC_PROFILE segments, the APP14 Adobe segment (its colour transform
// flag is needed to decode CMYK and YCCK), every non-APPn segment and the
// entropy-coded data, byte for byte. Dropped are APP1 (EXIF, XMP,
// extended XMP), APP13 (Photoshop, IPTC), APP2 FlashPix and MPF, APP3 to
// APP15 (maker and vendor data), JFXX thumbnails, COM segments, and
// anything after EOI (MPF secondary images carry their own EXIF).
//
// PNG: kept are the critical chunks (known or not: dropping one would
// break the image) and the colour, transparency, aspect and animation
// chunks: tRNS, gAMA, cHRM, sRGB, iCCP, cICP, mDCV, cLLI, sBIT, bKGD,
// pHYs, acTL, fcTL, fdAT, with their CRCs. Every other ancillary chunk is
// dropped: text (tEXt, zTXt, iTXt, which also carry XMP and "Raw profile"
// EXIF and IPTC), eXIf, tIME, private chunks; so is anything after IEND.
//
// WebP: kept are VP8X, VP8, VP8L, ALPH, ANIM, ANMF and ICCP; dropped are
// EXIF, XMP and unknown chunks, also inside animation frames, and anything
// after the RIFF payload. The VP8X flags and the RIFF size are rewritten,
// which takes a first pass over the chunk headers.
//
// GIF: kept are every image, graphic control and plain text extension,
// and the NETSCAPE2.0, ANIMEXTS1.0 (loop count) and ICCRGBG1012
// application extensions. Dropped are comments, other application
// extensions ("XMP DataXMP", "MGK8BIM0000", …), unknown extensions and
// anything after the trailer.
//
// HEIC and AVIF: offsets in these files are absolute, so Strip rewrites
// them in place and the output has the size of the input. A metadata item
// (type "Exif", "mime" such as XMP, or "uri ") keeps its entry in iinf and
// iloc but gets the item type "free", which no reader knows, and an empty
// name; its bytes are overwritten with zeros. Metadata boxes (udta, uuid,
// jumb, xml, and the udes property) become "free" boxes of zeros. Strip
// refuses a file where zeroing would touch another item's bytes.
//
// # Errors
//
// A file that breaks its format's rules gives a *picpipe.Error with code
// decode_failed; one that Strip cannot clean safely, or an unknown format
// name, gives unsupported_format. Work is bounded by the size of the file:
// malformed input never makes Strip loop or allocate without end.
package strip
