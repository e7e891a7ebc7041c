package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"picpipe/client"
)

// newLoginCmd is "picpipe login [--url URL]": it reads an API key, checks
// it against the API and keeps both for the client commands.
func newLoginCmd() *cobra.Command {
	var url string
	c := &cobra.Command{
		Use:   "login",
		Short: "Check an API key against a picpipe API and keep it for picpipe upload",
		Long: `login reads an API key (pk_live_…) from standard input — asking for it,
without echo, when that is a terminal — checks it with a real call to the
API at --url, and writes both to $XDG_CONFIG_HOME/picpipe/config.json
(~/.config/picpipe/config.json), readable by you only (0600).

picpipe upload then uses them; PICPIPE_URL and PICPIPE_KEY, when set,
take precedence over the file. login needs no server configuration.`,
		Example: `  picpipe login --url http://localhost:8080
  echo "$KEY" | picpipe login --url https://img.example.com`,
		Args: exactArgs(0, "no arguments (the key is read from standard input)"),
		RunE: func(c *cobra.Command, _ []string) error {
			return runLogin(c.Context(), url, c.InOrStdin(), c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	def := os.Getenv(envClientURL)
	if def == "" {
		def = defaultClientURL
	}
	c.Flags().StringVar(&url, "url", def, "the API's base URL (default: $"+envClientURL+" or "+defaultClientURL+")")
	return c
}

// runLogin reads a key from in, checks it and writes the login file.
func runLogin(ctx context.Context, url string, in io.Reader, out, prompt io.Writer) error {
	key, err := readKey(in, prompt, url)
	if err != nil {
		return err
	}
	cfg := clientConfig{URL: strings.TrimRight(url, "/"), Key: key}
	usage, err := verifyKey(ctx, cfg)
	if err != nil {
		return err
	}
	path, err := clientConfigPath()
	if err != nil {
		return err
	}
	if err := writeClientConfig(path, cfg); err != nil {
		return fmt.Errorf("login: write %s: %w", path, err)
	}
	fmt.Fprintf(out, "Logged in to %s with %s…%s\nWrote %s (0600).\n", cfg.URL, key[:min(len(key), 12)], usage, path)
	return nil
}

// readKey reads one line, the key, from in: asked for on prompt, and
// read without echo, when in is a terminal.
func readKey(in io.Reader, prompt io.Writer, url string) (string, error) {
	var line string
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(prompt, "API key for %s: ", url)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("login: read the key: %w", err)
		}
		line = string(b)
	} else {
		s, err := bufio.NewReader(io.LimitReader(in, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("login: read the key: %w", err)
		}
		line = s
	}
	key := strings.TrimSpace(line)
	if key == "" {
		return "", errors.New("login: no API key on standard input")
	}
	return key, nil
}

// verifyKey makes a real call with cfg, GET /v1/usage, and returns a few
// words on the account. A key refused 403 (one without the read scope,
// say) is still a key the API knows, unlike 401: it is kept, with the
// API's words.
func verifyKey(ctx context.Context, cfg clientConfig) (string, error) {
	c, err := newAPIClient(cfg, client.WithRetry(client.RetryPolicy{MaxAttempts: 2}))
	if err != nil {
		return "", fmt.Errorf("login: --url: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u, err := c.Usage(ctx)
	var e *client.Error
	switch {
	case errors.As(err, &e) && e.Code == client.CodeForbidden:
		return " (it may not read the usage: " + e.Message + ")", nil
	case err != nil:
		return "", fmt.Errorf("login: the key was not accepted: %w", err)
	}
	return fmt.Sprintf(" (plan %s, %d images)", u.Plan, u.ImageCount), nil
}

// cliVersion is the version the client commands send in their
// User-Agent.
func cliVersion() string {
	if version != "" {
		return version
	}
	return "dev"
}
