package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"picpipe/jobs"
	"picpipe/scheduler"
)

// errProblems makes picpipe check exit 1: it found problems.
var errProblems = errors.New("problems found")

// checkOptions are the flags of picpipe check.
type checkOptions struct {
	repair, json bool
	after        time.Duration
}

// newCheckCmd is "picpipe check [--repair] [--json] [--unfinished-after D]":
// an fsck of rows, blobs and counters.
func newCheckCmd() *cobra.Command {
	var o checkOptions
	c := &cobra.Command{
		Use:   "check",
		Short: "Verify rows against blobs against counters (an fsck); exit 1 on problems",
		Long: `check reads the same configuration as the service and reports, one line each
(or as JSON), rows that name a missing blob, orphan blobs, quota counters
that differ from their rows, unfinished work and missing variants. It exits
0 when all is well and 1 when it found a problem, repaired or not.`,
		Args: exactArgs(0, "no arguments"),
		RunE: configured(func(c *cobra.Command, cfg config, _ []string) error {
			return runCheck(c.Context(), cfg, c.OutOrStdout(), o)
		}),
	}
	f := c.Flags()
	f.BoolVar(&o.repair, "repair", false, "fix what is safe to fix: delete orphan blobs older than PICPIPE_PURGE_GRACE, "+
		"set quota counters to their rows' sums, queue missing variants, re-enqueue or fail unfinished work (needs Redis)")
	f.BoolVar(&o.json, "json", false, "print the problems as JSON")
	f.DurationVar(&o.after, "unfinished-after", 0, "how long a row may stay unfinished before it is a problem (default: twice PICPIPE_STUCK_AFTER)")
	return c
}

// runCheck runs the check and prints its report to w. It returns
// errProblems when it found problems (repaired or not: the report says
// which).
func runCheck(ctx context.Context, cfg config, w io.Writer, o checkOptions) error {
	if _, err := checkDatabaseExists(cfg, false); err != nil {
		return fmt.Errorf("check: %w", err)
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
	} else if o.repair {
		return errors.New("check --repair: set PICPIPE_REDIS_URL (or run it while picpipe serve runs) to re-enqueue work")
	}
	s, err := scheduler.New(cfg.schedulerConfig(), deps)
	if err != nil {
		return err
	}
	problems, err := s.Check(ctx, scheduler.CheckOptions{Repair: o.repair, UnfinishedAfter: o.after})
	printProblems(w, problems, o.json)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("check: %w: %d", errProblems, len(problems))
	}
	return nil
}

// printProblems prints the report: one line a problem, or JSON.
func printProblems(w io.Writer, problems []scheduler.Problem, asJSON bool) {
	if asJSON {
		if problems == nil {
			problems = []scheduler.Problem{}
		}
		json.NewEncoder(w).Encode(map[string]any{"problems": problems, "checked_at": time.Now().Unix()})
		return
	}
	for _, p := range problems {
		state := ""
		if p.Repaired {
			state = " (repaired)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s%s\n", p.Kind, p.Subject, p.Detail, state)
	}
	if len(problems) == 0 {
		fmt.Fprintln(w, "clean: every row's blobs exist, no blob is orphaned, counters match, nothing is stuck")
	}
}
