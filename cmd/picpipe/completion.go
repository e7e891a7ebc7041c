package main

import (
	"io"

	"github.com/spf13/cobra"
)

// newCompletionCmd is "picpipe completion bash|zsh|fish|powershell": the
// shell completion scripts cobra writes, for commands, subcommands and
// flags.
func newCompletionCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "completion",
		Short: "Print the shell completion script for bash, zsh, fish or powershell",
		Long: `completion prints a script that completes picpipe's commands and flags in
your shell. Load it for this session, or install it for every one:

  source <(picpipe completion bash)
  picpipe completion bash > /etc/bash_completion.d/picpipe
  picpipe completion zsh > "${fpath[1]}/_picpipe"
  picpipe completion fish > ~/.config/fish/completions/picpipe.fish`,
		Args: groupArgs,
		RunE: groupRun,
	}
	for shell, gen := range map[string]func(root *cobra.Command, w io.Writer) error{
		"bash":       func(r *cobra.Command, w io.Writer) error { return r.GenBashCompletionV2(w, true) },
		"zsh":        func(r *cobra.Command, w io.Writer) error { return r.GenZshCompletion(w) },
		"fish":       func(r *cobra.Command, w io.Writer) error { return r.GenFishCompletion(w, true) },
		"powershell": func(r *cobra.Command, w io.Writer) error { return r.GenPowerShellCompletionWithDesc(w) },
	} {
		c.AddCommand(&cobra.Command{
			Use:   shell,
			Short: "Print the completion script for " + shell,
			Args:  exactArgs(0, "no arguments"),
			RunE:  func(c *cobra.Command, _ []string) error { return gen(c.Root(), c.OutOrStdout()) },
		})
	}
	return c
}
