package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"picpipe/db"
	"picpipe/jobs"
	"picpipe/storage"
)

// Problem kinds Check reports.
const (
	ProblemMissingBlob     = "missing_blob"     // a row names a blob the store lacks
	ProblemOrphanBlob      = "orphan_blob"      // a blob older than PurgeGrace that no row names
	ProblemCounterMismatch = "counter_mismatch" // a user's quota counters differ from their rows
	ProblemUnfinished      = "unfinished"       // a row or variant unfinished past the bound
	ProblemMissingVariant  = "missing_variant"  // a ready image lacks a variant its format has
)

// Problem is one inconsistency Check found, and whether it was repaired.
type Problem struct {
	Kind     string `json:"kind"`
	Subject  string `json:"subject"` // the row id, blob key or user id
	Detail   string `json:"detail"`
	Repaired bool   `json:"repaired"`
}

// CheckOptions tune Check.
type CheckOptions struct {
	// Repair fixes what can be fixed safely: orphan blobs are deleted,
	// counters set to their rows' sums, missing variants queued, and
	// reconcile runs for unfinished work (that needs Redis).
	Repair bool
	// UnfinishedAfter is how long a row may stay unfinished before it is
	// a problem; 0 means twice StuckAfter.
	UnfinishedAfter time.Duration
}

// Check verifies the invariants between rows, blobs and counters, the
// way fsck does: rows naming a missing blob, blobs no row names (older
// than PurgeGrace, so uploads in flight are not counted), quota counters
// that differ from the sums of their rows, rows and variants unfinished
// past the bound, and ready images lacking a variant. It returns what it
// found; an error means it could not look.
func (s *Scheduler) Check(ctx context.Context, opts CheckOptions) ([]Problem, error) {
	if opts.UnfinishedAfter == 0 {
		opts.UnfinishedAfter = 2 * s.cfg.StuckAfter
	}
	var problems []Problem
	for _, step := range []func(context.Context, bool) ([]Problem, error){
		s.checkMissingVariants,
		s.checkNeededBlobs,
		s.checkOrphanBlobs,
		s.checkCounters,
		func(ctx context.Context, repair bool) ([]Problem, error) {
			return s.checkUnfinished(ctx, repair, opts.UnfinishedAfter)
		},
	} {
		found, err := step(ctx, opts.Repair)
		problems = append(problems, found...)
		if err != nil {
			return problems, err
		}
	}
	return problems, nil
}

// checkNeededBlobs reports rows naming a blob the store does not have.
// Nothing can make it again, so there is no repair. A blob found missing
// is looked for again after the rows are read anew, so that work
// finishing meanwhile (a variant dropping its source) is not reported.
func (s *Scheduler) checkNeededBlobs(ctx context.Context, _ bool) ([]Problem, error) {
	missing, err := s.missingBlobs(ctx, nil)
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	if missing, err = s.missingBlobs(ctx, missing); err != nil {
		return nil, err
	}
	var problems []Problem
	for _, nb := range missing {
		problems = append(problems, Problem{Kind: ProblemMissingBlob, Subject: nb.Row,
			Detail: "names " + nb.Key + ", which the store lacks"})
	}
	return problems, nil
}

// missingBlobs returns the blobs rows need that the store lacks, among
// only (all when only is nil).
func (s *Scheduler) missingBlobs(ctx context.Context, only []db.NamedBlob) ([]db.NamedBlob, error) {
	needed, err := s.deps.DB.NeededBlobs(ctx)
	if err != nil {
		return nil, err
	}
	var missing []db.NamedBlob
	for _, nb := range needed {
		if only != nil && !slices.Contains(only, nb) {
			continue
		}
		b, err := s.deps.Store.Open(ctx, nb.Key)
		if errors.Is(err, storage.ErrNotFound) {
			missing = append(missing, nb)
			continue
		} else if err != nil {
			return nil, err
		}
		b.Close()
	}
	return missing, nil
}

// checkOrphanBlobs reports blobs older than PurgeGrace that no row names;
// repair deletes them.
func (s *Scheduler) checkOrphanBlobs(ctx context.Context, repair bool) ([]Problem, error) {
	owned, err := s.deps.DB.OwnedKeys(ctx)
	if err != nil {
		return nil, err
	}
	before := s.deps.Now().Add(-s.cfg.PurgeGrace)
	var problems []Problem
	err = s.deps.Store.List(ctx, "", func(key string, mod time.Time) error {
		if !owned[key] && mod.Before(before) {
			problems = append(problems, Problem{Kind: ProblemOrphanBlob, Subject: key,
				Detail: "no row names it; written " + mod.UTC().Format(time.RFC3339)})
		}
		return nil
	})
	if err != nil || !repair {
		return problems, err
	}
	for i := range problems {
		if err := s.deps.Store.Delete(ctx, problems[i].Subject); err != nil {
			return problems, err
		}
		problems[i].Repaired = true
	}
	return problems, nil
}

// checkCounters reports users whose quota counters differ from their
// rows; repair sets them to the sums.
func (s *Scheduler) checkCounters(ctx context.Context, repair bool) ([]Problem, error) {
	drifts, err := s.deps.DB.CounterDrifts(ctx)
	if err != nil {
		return nil, err
	}
	var problems []Problem
	for _, c := range drifts {
		p := Problem{Kind: ProblemCounterMismatch, Subject: c.UserID,
			Detail: fmt.Sprintf("counts %d images and %d bytes; its rows hold %d and %d",
				c.ImageCount, c.StorageBytes, c.WantImages, c.WantBytes)}
		if repair {
			if err := s.deps.DB.FixCounters(ctx, c.UserID); err != nil {
				return append(problems, p), err
			}
			p.Repaired = true
		}
		problems = append(problems, p)
	}
	return problems, nil
}

// checkMissingVariants reports ready images lacking a variant their
// format has; repair queues it and enqueues its task (were that lost,
// reconcile enqueues it again).
func (s *Scheduler) checkMissingVariants(ctx context.Context, repair bool) ([]Problem, error) {
	missing, err := s.deps.DB.ImagesMissingVariants(ctx)
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	var client *jobs.Queue
	if repair {
		client = jobs.OpenQueue(s.deps.Redis)
		defer client.Close()
	}
	var problems []Problem
	for id, kinds := range missing {
		p := Problem{Kind: ProblemMissingVariant, Subject: id, Detail: fmt.Sprintf("has no %v variant", kinds)}
		if repair {
			if err := s.queueVariants(ctx, client, id, kinds); err != nil {
				return append(problems, p), err
			}
			p.Repaired = true
		}
		problems = append(problems, p)
	}
	return problems, nil
}

// queueVariants records the variants kinds of image id as queued and
// enqueues their tasks.
func (s *Scheduler) queueVariants(ctx context.Context, client *jobs.Queue, id string, kinds []string) error {
	if err := s.deps.DB.QueueVariants(ctx, id, s.deps.Now().Unix(), kinds); err != nil {
		return err
	}
	for _, kind := range kinds {
		task, err := jobs.NewVariantTask(id, kind)
		if err == nil {
			_, err = client.EnqueueContext(ctx, task)
		}
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return err
		}
	}
	return nil
}

// checkUnfinished reports rows and variants unfinished for longer than
// after; repair runs reconcile, which enqueues their work again or ends
// them failed.
func (s *Scheduler) checkUnfinished(ctx context.Context, repair bool, after time.Duration) ([]Problem, error) {
	ids, err := s.deps.DB.Unfinished(ctx, s.deps.Now().Add(-after).Unix())
	if err != nil {
		return nil, err
	}
	var problems []Problem
	for _, id := range ids {
		problems = append(problems, Problem{Kind: ProblemUnfinished, Subject: id,
			Detail: "unfinished for more than " + after.String()})
	}
	if !repair || len(problems) == 0 {
		return problems, nil
	}
	if _, err := s.Reconcile(ctx); err != nil {
		return problems, fmt.Errorf("scheduler: reconcile: %w", err)
	}
	for i := range problems {
		problems[i].Repaired = true
	}
	return problems, nil
}
