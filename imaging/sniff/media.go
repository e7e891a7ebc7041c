package sniff

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Audio and video formats with a signature of their own: MP3 (an ID3 tag
// or MPEG audio frames), FLAC, Ogg and ASF (WMV).

// detectID3 recognises an ID3v2 tag and decides by what follows it: a
// FLAC stream or MPEG audio frames. A tag that runs past the header (a
// large cover picture) hides what follows; such a file is taken for MP3,
// which is what ID3v2 tags are made for.
func detectID3(h []byte) (Type, string, bool) {
	if len(h) < 10 || !bytes.HasPrefix(h, []byte("ID3")) || h[3] < 2 || h[3] > 4 || h[4] != 0 ||
		(h[6]|h[7]|h[8]|h[9])&0x80 != 0 {
		return Unknown, "", false
	}
	end := 10 + (int(h[6])<<21 | int(h[7])<<14 | int(h[8])<<7 | int(h[9]))
	if h[5]&0x10 != 0 {
		end += 10 // a footer
	}
	if end >= len(h) {
		return TypeMP3, TypeMP3.MIME() + " (an ID3 tag longer than the header)", true
	}
	rest := bytes.TrimLeft(h[end:], "\x00") // padding some taggers leave
	switch {
	case isFLAC(rest):
		return TypeFLAC, TypeFLAC.MIME() + " (after an ID3 tag)", true
	case isMPEGAudio(rest):
		return TypeMP3, TypeMP3.MIME(), true
	}
	return Unknown, "an ID3 tag followed by neither MPEG audio nor FLAC", true
}

// detectMP3 recognises MPEG audio Layer III frames at the start of h.
func detectMP3(h []byte) (Type, string, bool) {
	if !isMPEGAudio(h) {
		return Unknown, "", false
	}
	return TypeMP3, TypeMP3.MIME(), true
}

// isMPEGAudio reports whether h starts with a Layer III frame header and,
// when the header reaches that far, a second one where the first frame
// ends: one frame sync alone is too easily found in other data.
func isMPEGAudio(h []byte) bool {
	n, ok := mp3FrameLen(h)
	if !ok {
		return false
	}
	if n+4 > len(h) {
		return true
	}
	_, ok = mp3FrameLen(h[n:])
	return ok
}

// Layer III bit rates (kbit/s) by bit-rate index, for MPEG-1 and for
// MPEG-2 and 2.5; sample rates by version and index.
var (
	mp3Rates1 = [16]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0}
	mp3Rates2 = [16]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0}
	// by version bits: 0 MPEG-2.5, 1 reserved, 2 MPEG-2, 3 MPEG-1.
	mp3SampleRates = [4][3]int{{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000}}
)

// mp3FrameLen returns the length of the MPEG audio Layer III frame whose
// header starts h. Free-format and reserved values are refused.
func mp3FrameLen(h []byte) (int, bool) {
	if len(h) < 4 || h[0] != 0xff || h[1]&0xe0 != 0xe0 {
		return 0, false
	}
	version, layer := h[1]>>3&3, h[1]>>1&3
	rateIndex, srIndex, padding := h[2]>>4, h[2]>>2&3, int(h[2]>>1&1)
	if version == 1 || layer != 1 || rateIndex == 0 || rateIndex == 15 || srIndex == 3 {
		return 0, false
	}
	sampleRate := mp3SampleRates[version][srIndex]
	if version == 3 {
		return 144*1000*mp3Rates1[rateIndex]/sampleRate + padding, true
	}
	return 72*1000*mp3Rates2[rateIndex]/sampleRate + padding, true
}

// detectFLAC recognises a native FLAC stream.
func detectFLAC(h []byte) (Type, string, bool) {
	if !isFLAC(h) {
		return Unknown, "", false // "fLaC" alone may well start a text
	}
	return TypeFLAC, TypeFLAC.MIME(), true
}

// isFLAC reports whether h starts with "fLaC" and the STREAMINFO metadata
// block that must come first (type 0, 34 bytes; the last-block flag may be
// set).
func isFLAC(h []byte) bool {
	return len(h) >= 8 && bytes.HasPrefix(h, []byte("fLaC")) && h[4]&0x7f == 0 &&
		bytes.Equal(h[5:8], []byte{0, 0, 34})
}

// oggAudio are the first packets of the audio codecs an .ogg file holds;
// oggVideo those of video codecs, which are not accepted as ogg.
var (
	oggAudio = []string{"\x01vorbis", "OpusHead", "\x7fFLAC", "Speex   "}
	oggVideo = []string{"\x80theora", "\x01video\x00\x00\x00", "fishead\x00", "\x80daala"}
)

// detectOgg recognises an Ogg stream by its first page, and an audio one
// by the codec of its first packet.
func detectOgg(h []byte) (Type, string, bool) {
	if !bytes.HasPrefix(h, []byte("OggS\x00")) {
		return Unknown, "", false
	}
	if len(h) < 27 || h[5]&0x02 == 0 || 27+int(h[26]) > len(h) {
		return Unknown, "an Ogg stream without its first page", true
	}
	packet := h[27+int(h[26]):]
	for _, id := range oggAudio {
		if bytes.HasPrefix(packet, []byte(id)) {
			return TypeOGG, TypeOGG.MIME(), true
		}
	}
	for _, id := range oggVideo {
		if bytes.HasPrefix(packet, []byte(id)) {
			return Unknown, fmt.Sprintf("video/ogg (%s)", bytes.Trim([]byte(id), "\x00\x01\x80")), true
		}
	}
	return Unknown, "application/ogg (an unknown codec)", true
}

// asfHeader is the GUID of the ASF Header Object, which opens every ASF
// (.wmv, .wma, .asf) file.
var asfHeader = []byte{
	0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c,
}

// detectASF recognises an ASF file as WMV, with a Header Object size that
// is at least the object's own 30 bytes.
func detectASF(h []byte) (Type, string, bool) {
	if !bytes.HasPrefix(h, asfHeader) {
		return Unknown, "", false
	}
	if len(h) >= 24 && binary.LittleEndian.Uint64(h[16:24]) < 30 {
		return Unknown, "an ASF file with a broken header", true
	}
	return TypeWMV, TypeWMV.MIME(), true
}
