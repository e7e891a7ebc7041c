// Command picpipe is the picpipe service and its operator tool.
//
//	picpipe serve                 # api + worker + scheduler (+ private redis)
//	picpipe api|worker|scheduler  # one role, for scaling out
//	picpipe migrate               # apply database migrations
//	picpipe keys create|list|revoke
//	picpipe agents add|list|remove
//	picpipe users list|suspend|activate|plan
//	picpipe dashboard             # asynqmon alone, behind the admin token
//	picpipe healthcheck [URL] [--deps]
//	picpipe check [--repair] [--json]  # fsck: rows, blobs, counters
//	picpipe version
//	picpipe completion bash|zsh|fish|powershell
//
// Every command answers --help. Configuration comes from PICPIPE_*
// environment variables (README.md), read only by the commands that need
// it, when they run.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// newRootCmd is the picpipe command with every subcommand. A new command
// is a func newXCmd() *cobra.Command, added to the list here.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "picpipe",
		Short: "A self-hosted image ingest service and its operator tool",
		Long: `picpipe stores uploaded images as WebP (and AVIF), general files as they are,
and serves both from direct links. One binary plays every role.

Configuration comes from PICPIPE_* environment variables (see README.md);
commands read it only when they run, never for --help.`,
		Args:          groupArgs,
		RunE:          groupRun,
		SilenceErrors: true, // main prints them, once
		SilenceUsage:  true, // a failing command is not a usage error
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageErr(c, err) })
	root.AddCommand(
		newServeCmd(),
		newRoleCmd("api", "Run the HTTP API alone"),
		newRoleCmd("worker", "Run an image worker alone"),
		newRoleCmd("scheduler", "Run the periodic maintenance scheduler alone (run exactly one)"),
		newMigrateCmd(),
		newKeysCmd(),
		newAgentsCmd(),
		newUsersCmd(),
		newDashboardCmd(),
		newHealthcheckCmd(),
		newCheckCmd(),
		newVersionCmd(),
		newCompletionCmd(),
		newUploadCmd(), newLoginCmd(),
	)
	return root
}
