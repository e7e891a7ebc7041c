package sniff

import (
	"bytes"
	"fmt"
)

// RIFF files (WebP, WAV, AVI) share one container: "RIFF", a size, then a
// four-character form type that names the format. RF64 is the 64-bit
// variant used for large WAV files.

// detectRIFF classifies a RIFF file by its form type. An AVI must also
// start with the hdrl list that its format requires.
func detectRIFF(h []byte) (Type, string, bool) {
	if len(h) < 12 || !(bytes.HasPrefix(h, []byte("RIFF")) || bytes.HasPrefix(h, []byte("RF64"))) {
		return Unknown, "", false
	}
	riff, form := string(h[:4]) == "RIFF", string(h[8:12])
	var t Type
	switch {
	case form == "WAVE":
		t = TypeWAV
	case form == "WEBP" && riff:
		t = TypeWebP
	case form == "AVI " && riff && isAVIHeader(h):
		t = TypeAVI
	default:
		return Unknown, fmt.Sprintf("a %s file of form %q", h[:4], printable(h[8:12])), true
	}
	return t, t.MIME(), true
}

// isAVIHeader reports whether the first chunk of an AVI is LIST 'hdrl'.
func isAVIHeader(h []byte) bool {
	return len(h) >= 24 && string(h[12:16]) == "LIST" && string(h[20:24]) == "hdrl"
}
