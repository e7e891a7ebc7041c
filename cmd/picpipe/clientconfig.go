package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"picpipe/client"
)

// The client commands (upload, login) talk to a picpipe API as a user
// does, with an API key: they read no server configuration. Where to
// reach the API and with which key comes from PICPIPE_URL and
// PICPIPE_KEY, or else from the file picpipe login writes.
const (
	envClientURL = "PICPIPE_URL"
	envClientKey = "PICPIPE_KEY"
	// defaultClientURL is the API make run serves.
	defaultClientURL = "http://localhost:8080"
)

// clientConfig is what picpipe login keeps: the API's base URL and a key.
type clientConfig struct {
	URL string `json:"url"`
	Key string `json:"key"`
}

// clientConfigPath is the file picpipe login writes:
// $XDG_CONFIG_HOME/picpipe/config.json, ~/.config/picpipe/config.json
// without it.
func clientConfigPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no XDG_CONFIG_HOME and no home directory: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "picpipe", "config.json"), nil
}

// loadClientConfig returns the URL and key to use: PICPIPE_URL and
// PICPIPE_KEY where set, the login file's values for the rest, the
// default URL last. It fails, naming both ways, when there is no key.
func loadClientConfig() (clientConfig, error) {
	var cfg clientConfig
	path, err := clientConfigPath()
	if err == nil {
		cfg, err = readClientConfig(path)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return cfg, err
	}
	if v := os.Getenv(envClientURL); v != "" {
		cfg.URL = v
	}
	if v := os.Getenv(envClientKey); v != "" {
		cfg.Key = v
	}
	if cfg.URL == "" {
		cfg.URL = defaultClientURL
	}
	if cfg.Key == "" {
		return cfg, fmt.Errorf("no API key: set %s (and %s, default %s), or run 'picpipe login --url URL'",
			envClientKey, envClientURL, defaultClientURL)
	}
	return cfg, nil
}

// readClientConfig reads the login file at path.
func readClientConfig(path string) (clientConfig, error) {
	var cfg clientConfig
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w (run 'picpipe login' to write it again)", path, err)
	}
	return cfg, nil
}

// writeClientConfig writes cfg to path, readable by its owner only (the
// file 0600 in a directory 0700), replacing the file at once.
func writeClientConfig(path string, cfg clientConfig) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing is there
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// newAPIClient returns a client of cfg's API, with opts.
func newAPIClient(cfg clientConfig, opts ...client.Option) (*client.Client, error) {
	opts = append([]client.Option{client.WithUserAgent("picpipe-cli/" + cliVersion())}, opts...)
	return client.New(cfg.URL, cfg.Key, opts...)
}
