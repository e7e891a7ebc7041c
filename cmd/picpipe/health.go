package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"picpipe/jobs"
)

// newHealthcheckCmd is "picpipe healthcheck [URL] [--deps]", for
// container health checks in images without curl.
func newHealthcheckCmd() *cobra.Command {
	var deps bool
	c := &cobra.Command{
		Use:   "healthcheck [URL]",
		Short: "Exit 0 when this host's API answers /readyz (or URL; --deps: the database and Redis)",
		Long: `healthcheck GETs URL (default: the /readyz of the API on this host's
PICPIPE_ADDR) and exits 0 when it answers 200, 1 otherwise. With --deps it
pings the database and Redis instead, for the worker and scheduler roles,
which serve no HTTP.`,
		Example: `  picpipe healthcheck
  picpipe healthcheck http://127.0.0.1:8080/readyz
  picpipe healthcheck --deps`,
		Args: maxArgs(1, "at most one URL"),
		RunE: configured(func(c *cobra.Command, cfg config, args []string) error {
			if deps && len(args) > 0 {
				return usageErr(c, errors.New("healthcheck: give a URL or --deps, not both"))
			}
			return runHealthcheck(c.Context(), cfg, args, deps)
		}),
	}
	c.Flags().BoolVar(&deps, "deps", false, "ping the database and Redis instead of an URL")
	return c
}

// runHealthcheck GETs args[0] (default: this process's own /readyz) and
// wants 200, or with deps pings the database and Redis.
func runHealthcheck(ctx context.Context, cfg config, args []string, deps bool) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if deps {
		return pingDeps(ctx, cfg)
	}
	url := ""
	if len(args) == 1 {
		url = args[0]
	} else {
		_, port, err := net.SplitHostPort(cfg.Addr)
		if err != nil {
			return fmt.Errorf("healthcheck: PICPIPE_ADDR %q: %w", cfg.Addr, err)
		}
		url = "http://127.0.0.1:" + port + "/readyz"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d", url, res.StatusCode)
	}
	return nil
}

func pingDeps(ctx context.Context, cfg config) error {
	if _, err := checkDatabaseExists(cfg, false); err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	d, err := openDB(ctx, cfg, false)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer d.Close()
	opt, err := jobs.RedisOpt(cfg.RedisURL)
	if err != nil {
		return err
	}
	rdb := opt.MakeRedisClient().(redis.UniversalClient)
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("healthcheck: redis: %w", err)
	}
	return nil
}
