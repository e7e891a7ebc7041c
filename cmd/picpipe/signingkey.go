package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"picpipe/storage"
)

// signingKeyFile is where serve keeps the signing key it made, under
// the data directory.
const signingKeyFile = "signing.key"

// signingKey returns the key the API signs its presigned upload URLs
// with: PICPIPE_SIGNING_KEY when set (at least 32 bytes); else, for
// serve, the key kept in the data directory, made on first start. The
// api role, of which several may run, must be given one when the store
// takes no uploads itself (the local directory): a URL signed by one
// process must hold on the others. With a store that presigns (s3://)
// the API signs nothing, and nil (a key of the process) will do.
func (c config) signingKey(role string, st storage.Store) ([]byte, error) {
	if c.SigningKey != "" {
		if len(c.SigningKey) < 32 {
			return nil, errors.New("config: PICPIPE_SIGNING_KEY must be at least 32 bytes (e.g. openssl rand -hex 32)")
		}
		return []byte(c.SigningKey), nil
	}
	if role == "serve" {
		return loadOrMakeKey(filepath.Join(c.DataDir, signingKeyFile))
	}
	if _, ok := st.(storage.Presigner); ok {
		return nil, nil
	}
	return nil, fmt.Errorf("%s needs PICPIPE_SIGNING_KEY with a local blob directory: every api process must sign upload URLs alike", role)
}

// loadOrMakeKey reads the key in path, or puts a new random one there
// (hex, mode 0600) when there is none.
func loadOrMakeKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key := strings.TrimSpace(string(b))
		if len(key) < 32 {
			return nil, fmt.Errorf("config: %s: want at least 32 characters", path)
		}
		return []byte(key), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config: signing key: %w", err)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	key := hex.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("config: signing key: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), signingKeyFile+".*")
	if err != nil {
		return nil, fmt.Errorf("config: signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(key + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// A link fails where the file exists: of two processes starting
		// at once, one puts its key in place whole, the other reads it.
		if err = os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
			return loadOrMakeKey(path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("config: signing key: %w", err)
	}
	return []byte(key), nil
}
