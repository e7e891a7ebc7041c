package imaging

import "testing"

func TestCheckAVIFClean(t *testing.T) {
	p := newProcessor(t, Config{})
	clean := mustAVIF(t, p, "photo.jpg")
	if err := checkAVIFClean(clean); err != nil {
		t.Errorf("checkAVIFClean(our AVIF) = %v", err)
	}
	// The HEIC fixture is HEIF with an Exif and an XMP item, and hvc1 items.
	if err := checkAVIFClean(fixture(t, "photo.heic")); err == nil {
		t.Error("checkAVIFClean(photo.heic) = nil, want an error for its items")
	}
	for name, data := range map[string][]byte{
		"empty":     nil,
		"truncated": clean[:len(clean)/3],
		"no meta":   clean[:32],
	} {
		if err := checkAVIFClean(data); err == nil {
			t.Errorf("%s: checkAVIFClean = nil, want an error", name)
		}
	}
}
