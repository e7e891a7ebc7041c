package scheduler_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"picpipe/internal/testenv"
	"picpipe/jobs"
	"picpipe/scheduler"
)

// TestTwoSchedulersEnqueueOnce: two scheduler processes ticking every
// second put one task of each job in the queue, not one per tick each.
func TestTwoSchedulersEnqueueOnce(t *testing.T) {
	opt, err := jobs.RedisOpt(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg := scheduler.Config{ReconcileSpec: "@every 1s", PurgeSpec: "@every 1s", ResetSpec: "@every 1s"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	for range 2 {
		s, err := scheduler.New(cfg, scheduler.Deps{Redis: opt})
		if err != nil {
			t.Fatal(err)
		}
		go func() { done <- s.Run(ctx) }()
	}
	time.Sleep(3500 * time.Millisecond)
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	pending, err := insp.ListPendingTasks(jobs.QueueLow)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, task := range pending {
		types = append(types, task.Type)
	}
	sort.Strings(types)
	want := []string{jobs.TypePurge, jobs.TypeReconcile, jobs.TypeResetTransforms}
	if len(types) != 3 || types[0] != want[0] || types[1] != want[1] || types[2] != want[2] {
		t.Fatalf("pending maintenance tasks = %v; want one each of %v", types, want)
	}
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
