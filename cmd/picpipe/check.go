package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"picpipe/jobs"
	"picpipe/scheduler"
)

// errProblems makes picpipe check exit 1: it found problems.
var errProblems = errors.New("problems found")

// runCheck is "picpipe check [--repair] [--json] [--unfinished-after D]":
// an fsck of rows, blobs and counters. It exits 0 when all is well, 1
// when it found problems (repaired or not: the report says which).
func runCheck(ctx context.Context, cfg config, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	repair := fs.Bool("repair", false, "fix what is safe to fix: delete orphan blobs older than PICPIPE_PURGE_GRACE, "+
		"set quota counters to their rows' sums, queue missing variants, re-enqueue or fail unfinished work (needs Redis)")
	asJSON := fs.Bool("json", false, "print the problems as JSON")
	after := fs.Duration("unfinished-after", 0, "how long a row may stay unfinished before it is a problem (default: twice PICPIPE_STUCK_AFTER)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	d, err := openDB(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer d.Close()
	st, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	deps := scheduler.Deps{DB: d, Store: st}
	if url := cfg.redisURLForTools(); url != "" {
		if deps.Redis, err = jobs.RedisOpt(url); err != nil {
			return err
		}
	} else if *repair {
		return errors.New("check --repair: set PICPIPE_REDIS_URL (or run it while picpipe serve runs) to re-enqueue work")
	}
	s, err := scheduler.New(cfg.schedulerConfig(), deps)
	if err != nil {
		return err
	}
	problems, err := s.Check(ctx, scheduler.CheckOptions{Repair: *repair, UnfinishedAfter: *after})
	printProblems(problems, *asJSON)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("check: %w: %d", errProblems, len(problems))
	}
	return nil
}

// printProblems prints the report: one line a problem, or JSON.
func printProblems(problems []scheduler.Problem, asJSON bool) {
	if asJSON {
		if problems == nil {
			problems = []scheduler.Problem{}
		}
		json.NewEncoder(os.Stdout).Encode(map[string]any{"problems": problems, "checked_at": time.Now().Unix()})
		return
	}
	for _, p := range problems {
		state := ""
		if p.Repaired {
			state = " (repaired)"
		}
		fmt.Printf("%s\t%s\t%s%s\n", p.Kind, p.Subject, p.Detail, state)
	}
	if len(problems) == 0 {
		fmt.Println("clean: every row's blobs exist, no blob is orphaned, counters match, nothing is stuck")
	}
}
