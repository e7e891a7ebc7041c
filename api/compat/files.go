package compat

import (
	"strings"

	"picpipe/db"
	"picpipe/imaging/sniff"
)

// nameOf is the name a file is known by: the one it came with, or its
// id with its type's extension.
func nameOf(f *db.File) string {
	if f.Name != "" {
		return f.Name
	}
	return f.ID + f.Ext
}

// isImage reports whether f is a ready image, served inline.
func isImage(f *db.File) bool {
	t, _ := sniff.FileTypeOf(f.MIME)
	return f.Status == db.StatusReady && t.Image
}

// extension is a file's extension without its dot: "jpg".
func extension(f *db.File) string { return strings.TrimPrefix(f.Ext, ".") }
