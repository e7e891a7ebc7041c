package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// commandPaths returns the path of every command of picpipe, the root
// first ("" for it), help and completion included.
func commandPaths() [][]string {
	root := newRootCmd()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub, append(slices.Clone(path), sub.Name()))
		}
	}
	walk(root, nil)
	return paths
}

// isolate runs the test in an empty directory, with HOME there too and a
// configuration no command could run with (PICPIPE_LOG_FORMAT=xml): a
// command that reads its configuration, or touches the disk or the
// network, shows. It returns the directory.
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, ".config"))
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "PICPIPE_") {
			t.Setenv(name, "")
		}
	}
	t.Setenv("PICPIPE_LOG_FORMAT", "xml")
	t.Setenv("PICPIPE_REDIS_SERVER", filepath.Join(dir, "no-redis-server"))
	t.Setenv("PICPIPE_URL", "http://127.0.0.1:1") // nothing listens there
	return dir
}

// execute runs picpipe with args in this process, within a few seconds.
func execute(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(""))
	root.SetArgs(args)
	err = root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// TestHelpOnly: for every command and subcommand, --help (and -h, and
// "picpipe help CMD") exits 0 and prints its usage, and does nothing
// else: no configuration read (the one given is invalid), nothing
// created in the working directory or HOME, nothing started.
func TestHelpOnly(t *testing.T) {
	paths := commandPaths()
	if len(paths) < 25 {
		t.Fatalf("found %d commands; want every command of picpipe", len(paths))
	}
	for _, path := range paths {
		name := strings.Join(append([]string{"picpipe"}, path...), " ")
		forms := [][]string{append(slices.Clone(path), "--help"), append(slices.Clone(path), "-h")}
		if len(path) > 0 && path[0] != "help" {
			forms = append(forms, append([]string{"help"}, path...))
		}
		for _, args := range forms {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				dir := isolate(t)
				out, errOut, err := execute(t, args...)
				if err != nil {
					t.Fatalf("%v: %v (stderr %q)", args, err, errOut)
				}
				if !strings.Contains(out, "Usage:") || !strings.Contains(out, name) {
					t.Errorf("%v printed %q; want the usage of %s", args, out, name)
				}
				if entries, _ := os.ReadDir(dir); len(entries) > 0 {
					t.Errorf("%v left %v in the working directory; want nothing", args, entries)
				}
			})
		}
	}
}

// TestUnknownNamed: an unknown command, at the root or under a group,
// and an unknown flag, on any command, is a usage error (exit 2) that
// names it.
func TestUnknownNamed(t *testing.T) {
	for _, path := range commandPaths() {
		c, _, _ := newRootCmd().Find(path)
		if len(path) > 0 && (path[0] == "help" || path[0] == "completion" && len(path) > 1) {
			continue // help takes any words; a shell's name takes no subcommands
		}
		tests := [][]string{append(slices.Clone(path), "--no-such-flag")}
		want := []string{"--no-such-flag"}
		if c != nil && c.HasSubCommands() {
			tests = append(tests, append(slices.Clone(path), "nosuchcommand"))
			want = append(want, `"nosuchcommand"`)
		}
		for i, args := range tests {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				dir := isolate(t)
				_, _, err := execute(t, args...)
				var errOut bytes.Buffer
				if code := exitCode(err, &errOut); code != 2 || !strings.Contains(errOut.String(), want[i]) ||
					!strings.Contains(errOut.String(), "--help' for usage") {
					t.Errorf("%v: exit %d, %q; want 2 and a message naming %s", args, code, errOut.String(), want[i])
				}
				if entries, _ := os.ReadDir(dir); len(entries) > 0 {
					t.Errorf("%v left %v in the working directory; want nothing", args, entries)
				}
			})
		}
	}
	isolate(t)
	if _, _, err := execute(t, "sevre"); err == nil || !strings.Contains(err.Error(), "did you mean serve") {
		t.Errorf("picpipe sevre = %v; want a suggestion of serve", err)
	}
	if _, _, err := execute(t, "keys", "revoke"); !isUsage(err) || !strings.Contains(err.Error(), "ak_") {
		t.Errorf("keys revoke without an id = %v; want a usage error asking for the key id", err)
	}
}

func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue)
}

// TestVersion: picpipe version prints the name, a version and the Go
// version; the -ldflags version wins, and the VCS revision a build
// recorded is shown.
func TestVersion(t *testing.T) {
	isolate(t)
	out, _, err := execute(t, "version")
	if err != nil || !strings.HasPrefix(out, "picpipe ") || !strings.Contains(out, runtime.Version()) {
		t.Fatalf("picpipe version = %q, %v; want picpipe, a version and %s", out, err, runtime.Version())
	}
	var b bytes.Buffer
	printVersion(&b, "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-x"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
		{Key: "vcs.modified", Value: "true"}}})
	if got := b.String(); !strings.HasPrefix(got, "picpipe v1.2.3 (0123456789ab, modified, 2026-12-01T10:00:00Z) go") {
		t.Errorf("printVersion = %q; want the ldflags version, the short revision, modified and the time", got)
	}
	b.Reset()
	printVersion(&b, "", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}})
	if got := b.String(); !strings.HasPrefix(got, "picpipe v0.4.0 go") {
		t.Errorf("printVersion without ldflags = %q; want the module version", got)
	}
}

// TestCompletion: picpipe completion SHELL prints a completion script.
func TestCompletion(t *testing.T) {
	isolate(t)
	for shell, want := range map[string]string{"bash": "__start_picpipe", "zsh": "#compdef picpipe", "fish": "complete -c picpipe"} {
		out, _, err := execute(t, "completion", shell)
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("completion %s = %.80q…, %v; want a script with %q", shell, out, err, want)
		}
	}
}

// TestConfigErrorsNamed: a bad value is refused when a command runs, the
// error naming the variable, the value and what it accepts.
func TestConfigErrorsNamed(t *testing.T) {
	for _, tt := range []struct{ name, value, want string }{
		{"PICPIPE_LOG_FORMAT", "xml", "text or json"},
		{"PICPIPE_LOG_LEVEL", "loud", "debug, info, warn or error"},
		{"PICPIPE_RATE_LIMIT_ON_ERROR", "sometimes", "closed or open"},
		{"PICPIPE_MAX_EDGE", "big", "a whole number"},
		{"PICPIPE_MAX_EDGE", "-1", "0 or more"},
		{"PICPIPE_PURGE_GRACE", "1", "a duration such as"},
		{"PICPIPE_FETCH_PORTS", "80,http", "a comma-separated list of whole numbers"},
		{"PICPIPE_FETCH_PORTS", "70000", "PICPIPE_FETCH_PORTS"},
		{"PICPIPE_RESET_SCHEDULE", "monthly", "cron spec"},
		{"PICPIPE_AVIF_SPEED", "12", "from 1"},
		{"PICPIPE_VARIANT_NICE", "20", "from 0"},
		{"PICPIPE_WORKER_POOLS", "images,avif", "images, variants and webhooks"},
		{"PICPIPE_DEFAULT_WAIT", "2m", "at most PICPIPE_MAX_WAIT"},
		{"PICPIPE_PLANS", `{"pro":{}}`, `define "free"`},
		{"PICPIPE_PLANS", `{free}`, "JSON"},
	} {
		isolate(t)
		t.Setenv("PICPIPE_LOG_FORMAT", "text")
		t.Setenv(tt.name, tt.value)
		_, _, err := execute(t, "keys", "list")
		if err == nil || !strings.Contains(err.Error(), tt.name) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%s: keys list = %v; want an error naming %s and %q", tt.name, tt.value, err, tt.name, tt.want)
		}
	}
}

// TestOperatorDatabase: an operator command on a SQLite database that
// does not exist is refused, naming where it looked, and creates nothing;
// with --create it makes it and warns; keys create says which database it
// wrote to.
func TestOperatorDatabase(t *testing.T) {
	dir := isolate(t)
	t.Setenv("PICPIPE_LOG_FORMAT", "text")
	path := filepath.Join(dir, "data", "picpipe.db")
	for _, args := range [][]string{{"keys", "create", "--name", "x"}, {"keys", "list"}, {"users", "list"},
		{"agents", "list"}, {"check"}, {"healthcheck", "--deps"}} {
		_, _, err := execute(t, args...)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "picpipe migrate") {
			t.Errorf("%v without a database = %v; want a refusal naming %s and how to create it", args, err, path)
		}
		if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
			t.Fatalf("%v created %s", args, filepath.Join(dir, "data"))
		}
	}

	out, errOut, err := execute(t, "keys", "create", "--create", "--name", "x", "--json")
	var k struct{ Key, Database string }
	if err != nil || json.Unmarshal([]byte(out), &k) != nil || k.Key == "" || k.Database != "sqlite://"+path {
		t.Fatalf("keys create --create --json = %q, %v; want a key and database sqlite://%s", out, err, path)
	}
	if !strings.Contains(errOut, "warning: created a new, empty database sqlite://"+path) {
		t.Errorf("keys create --create printed %q on stderr; want a warning that it created %s", errOut, path)
	}
	out, errOut, err = execute(t, "keys", "create", "--name", "y")
	if err != nil || !strings.Contains(out, "database: sqlite://"+path) || strings.Contains(errOut, "warning") {
		t.Errorf("keys create on the existing database = %q (stderr %q), %v; want the database named, no warning", out, errOut, err)
	}
	out, errOut, err = execute(t, "keys", "create", "--name", "z", "--quiet")
	if err != nil || !strings.HasPrefix(out, "pk_live_") || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, path) {
		t.Errorf("keys create --quiet = %q (stderr %q), %v; want the key alone, the database on stderr", out, errOut, err)
	}
	if _, _, err := execute(t, "users", "plan", "usr_x", "team"); err == nil ||
		!strings.Contains(err.Error(), `"team"`) || !strings.Contains(err.Error(), "free, pro") {
		t.Errorf("users plan to an unknown plan = %v; want the plan and the configured ones named", err)
	}
}

// TestDashboardNeedsToken: picpipe dashboard refuses to start without
// PICPIPE_ADMIN_TOKEN (it would answer every request 401), and says so.
func TestDashboardNeedsToken(t *testing.T) {
	isolate(t)
	t.Setenv("PICPIPE_LOG_FORMAT", "text")
	t.Setenv("PICPIPE_REDIS_URL", "redis://127.0.0.1:1/0")
	if _, _, err := execute(t, "dashboard"); err == nil || !strings.Contains(err.Error(), "PICPIPE_ADMIN_TOKEN") {
		t.Errorf("dashboard without a token = %v; want a refusal naming PICPIPE_ADMIN_TOKEN", err)
	}
}
