package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// usageError is a command line picpipe cannot run: an unknown command or
// flag, missing or extra arguments. It exits 2, with a pointer to --help.
type usageError struct {
	path string // the command's path, "picpipe keys create"
	err  error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErr(c *cobra.Command, err error) error {
	return &usageError{path: c.CommandPath(), err: err}
}

// exitCode prints err (if any) to w and returns the process's exit status:
// 0 for none, 2 for a usage error, 1 for any other.
func exitCode(err error, w io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(w, "picpipe:", err)
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", ue.path)
		return 2
	}
	return 1
}

// groupArgs is the Args of a command that only groups subcommands (and of
// the root): any argument left over is an unknown command, named in the
// error with the commands there are (and cobra's suggestions).
func groupArgs(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	msg := fmt.Sprintf("unknown command %q for %q; want one of: %s", args[0], c.CommandPath(), strings.Join(names, ", "))
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2
	}
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageErr(c, errors.New(msg))
}

// groupRun is the RunE of a command that only groups subcommands: bare,
// it prints its help (groupArgs refuses anything after it).
func groupRun(c *cobra.Command, _ []string) error { return c.Help() }

// exactArgs wants exactly the n arguments named in what ("one key id
// (ak_…)"), as a usage error.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErr(c, fmt.Errorf("%s: want %s, got %d argument(s)", c.CommandPath(), what, len(args)))
		}
		return nil
	}
}

// maxArgs allows at most n arguments, described in what.
func maxArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) > n {
			return usageErr(c, fmt.Errorf("%s: want %s; unexpected %q", c.CommandPath(), what, args[n]))
		}
		return nil
	}
}

// configured makes a command's RunE that reads the configuration first.
// Only running commands read it: --help, version and completion work
// whatever the environment holds.
func configured(run func(c *cobra.Command, cfg config, args []string) error) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		cfg, err := loadConfig()
		if err != nil {
			return err
		}
		cfg.setupLogging()
		return run(c, cfg, args)
	}
}
