package sniff

import (
	"os"
	"testing"

	"picpipe"
)

func TestFile(t *testing.T) {
	jpeg, err := os.ReadFile("../testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	png, _ := os.ReadFile("../testdata/alpha.png")
	pdf := []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	tests := []struct {
		name, file string
		content    []byte
		want       FileType
		refused    bool
	}{
		{"jpeg", "a.jpg", jpeg, FileJPEG, false},
		{"jpeg no extension", "scan", jpeg, FileJPEG, false},
		{"png", "A.PNG", png, FilePNG, false},
		{"pdf", "doc.pdf", pdf, FilePDF, false},
		{"plain text", "notes.txt", []byte("hello\nworld\n"), FileText, false},
		{"text, no extension", "README", []byte("plain words"), FileText, false},
		{"csv", "data.csv", []byte("a,b,c\n1,2,3\n"), FileCSV, false},
		{"markdown", "doc.md", []byte("# Title\n\nSome *text*.\n"), FileMarkdown, false},
		{"json", "x.json", []byte(`{"a": [1, 2]}`), FileJSON, false},
		{"json without extension", "x", []byte(`{"a": [1, 2]}`), FileJSON, false},
		{"json content named txt", "x.txt", []byte(`{"a": [1, 2]}`), FileText, false},
		{"apng", "a.apng", png, FilePNG, false},
		{"utf-8 with bom", "u.txt", []byte("\xef\xbb\xbfh\xc3\xa9llo"), FileText, false},
		{"cut multibyte at the end", "u.txt", []byte("h\xc3"), FileText, false},
		{"exe renamed jpg", "cat.jpg", append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), make([]byte, 100)...), FileType{}, true},
		{"elf named txt", "a.txt", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 100)...), FileType{}, true},
		{"exe extension", "setup.exe", []byte("plain text"), FileType{}, true},
		{"js extension", "app.js", []byte("console.log(1)"), FileType{}, true},
		{"html extension", "page.html", []byte("hello"), FileType{}, true},
		{"html named txt", "page.txt", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), FileType{}, true},
		{"svg named md", "x.md", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>`), FileType{}, true},
		{"svg extension", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), FileType{}, true},
		{"zip", "a.zip", []byte("PK\x03\x04\x14\x00"), FileType{}, true},
		{"zip named pdf", "a.pdf", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), FileType{}, true},
		{"jpeg named png", "a.png", jpeg, FileType{}, true},
		{"text named pdf", "a.pdf", []byte("just text"), FileType{}, true},
		{"text named json", "a.json", []byte("not json"), FileType{}, true},
		{"nul bytes", "a.txt", []byte("a\x00b"), FileType{}, true},
		{"shell script", "run.txt", []byte("#!/bin/sh\nrm -rf /\n"), FileType{}, true},
		{"php", "x.txt", []byte("<?php system($_GET['c']); ?>"), FileType{}, true},
		{"avif is not a general file type", "a.avif", mustRead(t, "../testdata/photo.avif"), FileType{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := File(tt.content, tt.file)
			if tt.refused {
				if picpipe.ErrorCode(err) != picpipe.ECodeUnsupportedFormat {
					t.Fatalf("File(%q) = %+v, %v; want unsupported_format", tt.file, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("File(%q) = %+v, %v; want %+v", tt.file, got, err, tt.want)
			}
		})
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
