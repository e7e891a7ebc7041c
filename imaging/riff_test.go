package imaging

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

// riffFile builds a WebP file from chunks.
func riffFile(chunks ...riffChunk) []byte {
	var body bytes.Buffer
	body.WriteString("WEBP")
	for _, c := range chunks {
		writeChunk(&body, c)
	}
	var out bytes.Buffer
	out.WriteString("RIFF")
	binary.Write(&out, binary.LittleEndian, uint32(body.Len()))
	out.Write(body.Bytes())
	return out.Bytes()
}

func chunkIDs(t *testing.T, data []byte) []string {
	t.Helper()
	chunks, err := webpChunks(data)
	if err != nil {
		t.Fatalf("webpChunks error = %v", err)
	}
	var ids []string
	for _, c := range chunks {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestStripWebP(t *testing.T) {
	vp8x := make([]byte, 10)
	vp8x[0] = vp8xICC | vp8xEXIF | vp8xXMP | 0x10 | 0x02 // + alpha, animation
	dirty := riffFile(
		riffChunk{"VP8X", vp8x},
		riffChunk{"ICCP", []byte("profile")},
		riffChunk{"ANIM", make([]byte, 6)},
		riffChunk{"ANMF", append(make([]byte, 16), riffFile()[12:]...)},
		riffChunk{"EXIF", []byte("Exif\x00\x00MM odd")},
		riffChunk{"XMP ", []byte("<x:xmpmeta>SecretCreator</x:xmpmeta>")},
		riffChunk{"ABCD", []byte("unknown")},
	)
	if err := checkWebPClean(dirty); err == nil {
		t.Fatal("checkWebPClean(dirty) = nil, want an error")
	}
	clean, err := stripWebP(dirty)
	if err != nil {
		t.Fatalf("stripWebP error = %v", err)
	}
	if got, want := chunkIDs(t, clean), []string{"VP8X", "ANIM", "ANMF"}; !slices.Equal(got, want) {
		t.Errorf("chunks = %q, want %q", got, want)
	}
	chunks, _ := webpChunks(clean)
	if got, want := chunks[0].Data[0], byte(0x12); got != want {
		t.Errorf("VP8X flags = %#x, want %#x (alpha and animation kept)", got, want)
	}
	if size := binary.LittleEndian.Uint32(clean[4:]); int(size) != len(clean)-8 {
		t.Errorf("RIFF size = %d, want %d", size, len(clean)-8)
	}
	if err := checkWebPClean(clean); err != nil {
		t.Errorf("checkWebPClean(clean) = %v", err)
	}
	if bytes.Contains(clean, []byte("Secret")) {
		t.Error("clean output still contains the XMP payload")
	}
}

func TestWebPChunksRejectsMalformed(t *testing.T) {
	good := riffFile(riffChunk{"VP8L", []byte("abc")})
	tests := map[string][]byte{
		"empty":          nil,
		"not riff":       []byte("RIFX\x04\x00\x00\x00WEBP"),
		"not webp":       []byte("RIFF\x04\x00\x00\x00WAVE"),
		"size too large": append([]byte("RIFF\xff\x00\x00\x00"), good[8:]...),
		"chunk overruns": riffFile(riffChunk{"VP8L", []byte("abc")})[:len(good)-3],
	}
	for name, data := range tests {
		if _, err := webpChunks(data); err == nil {
			t.Errorf("%s: webpChunks = nil error, want one", name)
		}
	}
	if _, err := webpChunks(good); err != nil {
		t.Errorf("webpChunks(good) = %v", err)
	}
}

func TestCheckWebPFrameChunks(t *testing.T) {
	frame := append(make([]byte, 16), riffFile(riffChunk{"EXIF", []byte("x")})[12:]...)
	if err := checkWebPClean(riffFile(riffChunk{"ANMF", frame})); err == nil {
		t.Error("checkWebPClean = nil, want an error for EXIF inside a frame")
	}
}
