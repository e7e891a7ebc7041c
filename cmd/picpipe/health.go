package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"picpipe/jobs"
)

// runHealthcheck is "picpipe healthcheck [URL | --deps]", for container
// health checks in images without curl: it GETs URL (default: this
// process's own /readyz) and wants 200, or with --deps pings the database
// and Redis (for the worker and scheduler roles, which serve no HTTP).
func runHealthcheck(ctx context.Context, cfg config, args []string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if len(args) == 1 && args[0] == "--deps" {
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
