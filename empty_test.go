package picpipe_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"picpipe"
	"picpipe/imaging"
	"picpipe/imaging/sniff"
	"picpipe/imaging/strip"
	"picpipe/storage"
)

// TestEmptyFileOneCode: every layer that can meet an empty file — the
// sniffers of every way in, the store's checked put, the processor, the
// metadata stripper — answers picpipe.ErrEmptyFile, so that an empty
// file has one code (invalid_request) wherever it is caught.
func TestEmptyFileOneCode(t *testing.T) {
	st, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := imaging.Startup(); err != nil {
		t.Fatal(err)
	}
	proc, err := imaging.NewProcessor(imaging.Config{})
	if err != nil {
		t.Fatal(err)
	}
	layers := map[string]func() error{
		"sniff.Image":    func() error { _, err := sniff.Image(nil, "a.jpg"); return err },
		"sniff.File":     func() error { _, err := sniff.File(nil, "a.txt"); return err },
		"the KIE policy": func() error { _, err := sniff.KIEPolicy.Check(nil, "a.mp3"); return err },
		"storage.PutChecked": func() error {
			_, _, err := storage.PutChecked(context.Background(), st, "k", bytes.NewReader(nil), 10, 512,
				func([]byte) error { return nil })
			return err
		},
		"imaging.Processor": func() error {
			_, err := proc.Process(context.Background(), nil, "a.jpg", imaging.Options{Quality: 82})
			return err
		},
		"strip.Strip": func() error { _, err := strip.Strip(io.Discard, bytes.NewReader(nil), "jpeg"); return err },
	}
	for name, try := range layers {
		if err := try(); !errors.Is(err, picpipe.ErrEmptyFile) || picpipe.ErrorCode(err) != picpipe.ECodeInvalidRequest {
			t.Errorf("%s on an empty file = %v (%s); want picpipe.ErrEmptyFile, invalid_request", name, err, picpipe.ErrorCode(err))
		}
	}
	// A refused name still comes first: an empty .exe is refused for its name.
	if _, err := sniff.File(nil, "a.exe"); picpipe.ErrorCode(err) != picpipe.ECodeUnsupportedFormat {
		t.Errorf("an empty a.exe = %v; want unsupported_format", err)
	}
}
