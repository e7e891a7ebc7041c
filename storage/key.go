package storage

import (
	"fmt"
	"path"
	"strings"
)

// CheckKey returns an error wrapping ErrInvalidKey unless key is a clean
// relative slash path: not empty, not absolute, no empty, "." or ".."
// element, no backslash or NUL. These are the keys every back end
// accepts, so that a blob can move between them under the same name.
func CheckKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.ContainsAny(key, "\\\x00") ||
		path.Clean(key) != key || key == ".." || strings.HasPrefix(key, "../") {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	return nil
}
