// Command picpipe is the picpipe service and its operator tool.
//
//	picpipe serve                 # api + worker + scheduler (+ private redis)
//	picpipe api|worker|scheduler  # one role, for scaling out
//	picpipe migrate               # apply database migrations
//	picpipe keys create|list|revoke
//	picpipe agents add|list|remove
//	picpipe users list|suspend|activate|plan
//	picpipe dashboard             # asynqmon alone, behind the admin token
//	picpipe healthcheck [URL|--deps]
//	picpipe check [--repair] [--json]  # fsck: rows, blobs, counters
//
// Configuration comes from PICPIPE_* environment variables (README.md).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: picpipe <command> [flags]

commands:
  serve       run the API, a worker and the scheduler in one process
              (starts a private redis-server when PICPIPE_REDIS_URL is unset)
  api         run the HTTP API alone
  worker      run an image worker alone
  scheduler   run the periodic maintenance scheduler alone (run exactly one)
  migrate     apply pending database migrations
  keys        manage users and API keys: keys create|list|revoke
  agents      bind Agent-header names to users: agents add|list|remove
  users       list users, suspend or activate one, change its plan:
              users list|suspend ID|activate ID|plan ID PLAN
  dashboard   serve only the queue dashboard (asynqmon) at /admin/queues
  healthcheck exit 0 when this host's API answers /readyz (or a URL given;
              --deps: when the database and Redis answer)
  check       verify rows against blobs against counters (an fsck); exit 1
              when it finds problems; --repair fixes what is safe to fix,
              --json prints JSON, --unfinished-after D sets the stuck bound

configuration: PICPIPE_* environment variables, see README.md
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "picpipe:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	cfg.setupLogging()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve", "api", "worker", "scheduler":
		return runRoles(ctx, cfg, cmd)
	case "migrate":
		d, err := openDB(ctx, cfg, true)
		if err != nil {
			return err
		}
		slog.Info("migrations applied")
		return d.Close()
	case "keys":
		return runKeys(ctx, cfg, rest)
	case "agents":
		return runAgents(ctx, cfg, rest)
	case "users":
		return runUsers(ctx, cfg, rest)
	case "dashboard":
		return runDashboard(ctx, cfg)
	case "healthcheck":
		return runHealthcheck(ctx, cfg, rest)
	case "check":
		return runCheck(ctx, cfg, rest)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	return errUsage
}
