package scheduler_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"picpipe/internal/testenv"
	"picpipe/jobs"
	"picpipe/scheduler"
)

// TestTwoSchedulersEnqueueOncePerPeriod: two scheduler processes enqueue
// one run of each job a period between them, and a run that failed for
// good (archived) does not keep the next period's from being enqueued.
func TestTwoSchedulersEnqueueOncePerPeriod(t *testing.T) {
	opt, err := jobs.RedisOpt(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg := scheduler.Config{ReconcileSpec: "@every 2s", PurgeSpec: "@every 2s", ResetSpec: "@every 2s"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 2)
	for range 2 {
		s, err := scheduler.New(cfg, scheduler.Deps{Redis: opt})
		if err != nil {
			t.Fatal(err)
		}
		go func() { done <- s.Run(ctx) }()
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	// The first period's runs fail for good.
	first := waitPending(t, insp, 3)
	for _, task := range first {
		if err := insp.ArchiveTask(jobs.QueueMaintenance, task.ID); err != nil {
			t.Fatal(err)
		}
	}
	waitPending(t, insp, 3)
	time.Sleep(300 * time.Millisecond) // a second scheduler's enqueue would land now
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	want := []string{jobs.TypePurge, jobs.TypeReconcile, jobs.TypeResetTransforms}
	if got := typesOf(t, insp); !slices.Equal(got, want) {
		t.Fatalf("second period's runs = %v; want one each of %v", got, want)
	}
	archived, err := insp.ListArchivedTasks(jobs.QueueMaintenance)
	if err != nil || len(archived) != 3 {
		t.Fatalf("archived runs = %d (%v); want the first period's 3", len(archived), err)
	}
}

// waitPending waits until the maintenance queue holds n pending tasks,
// then returns them.
func waitPending(t *testing.T, insp *asynq.Inspector, n int) []*asynq.TaskInfo {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pending, err := insp.ListPendingTasks(jobs.QueueMaintenance)
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Fatal(err)
		}
		if len(pending) >= n {
			return pending
		}
		if time.Now().After(deadline) {
			t.Fatalf("maintenance queue holds %d pending tasks; want %d", len(pending), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// typesOf lists the types of the pending maintenance tasks, sorted.
func typesOf(t *testing.T, insp *asynq.Inspector) []string {
	t.Helper()
	pending, err := insp.ListPendingTasks(jobs.QueueMaintenance)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, task := range pending {
		types = append(types, task.Type)
	}
	slices.Sort(types)
	return types
}

type handlers map[string]asynq.Handler

func (h handlers) Handle(pattern string, handler asynq.Handler) { h[pattern] = handler }

func TestRegisterAddsEveryJob(t *testing.T) {
	s, _ := scheduler.New(scheduler.Config{}, scheduler.Deps{})
	h := handlers{}
	s.Register(h)
	for _, typ := range []string{jobs.TypeReconcile, jobs.TypePurge, jobs.TypeResetTransforms} {
		if h[typ] == nil {
			t.Errorf("no handler for %s", typ)
		}
	}
}
