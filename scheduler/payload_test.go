package scheduler_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"

	"picpipe/internal/testenv"
	"picpipe/jobs"
	"picpipe/scheduler"
)

// TestMaintenancePayloadsReadable: asynqmon's Schedulers page, served by
// asynqmon itself, shows every maintenance task's payload as the JSON
// naming its job (an empty payload reads "non-printable bytes"), and the
// tasks enqueued carry the same bytes — the same at every enqueue, so
// uniqueness still holds (TestTwoSchedulersEnqueueOncePerPeriod).
func TestMaintenancePayloadsReadable(t *testing.T) {
	opt, err := jobs.RedisOpt(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := scheduler.New(scheduler.Config{ReconcileSpec: "@every 1s", PurgeSpec: "@every 1s", ResetSpec: "@every 1s"},
		scheduler.Deps{Redis: opt})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	mon := asynqmon.New(asynqmon.Options{RootPath: "/mon", RedisConnOpt: opt})
	defer mon.Close()
	srv := httptest.NewServer(mon)
	defer srv.Close()

	want := map[string]string{jobs.TypeReconcile: "reconcile", jobs.TypePurge: "purge", jobs.TypeResetTransforms: "reset-transforms"}
	entries := schedulerEntries(t, srv.URL+"/mon/api/scheduler_entries", len(want))
	for _, e := range entries {
		var p jobs.MaintenancePayload
		if err := json.Unmarshal([]byte(e.Payload), &p); err != nil || p.Job != want[e.TaskType] {
			t.Errorf("asynqmon shows %s's payload as %q; want JSON with job %q", e.TaskType, e.Payload, want[e.TaskType])
		}
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	for _, task := range waitPending(t, insp, len(want)) {
		fresh := jobs.NewMaintenanceTask(task.Type, time.Second)
		if !slices.Equal(task.Payload, fresh.Payload()) {
			t.Errorf("enqueued %s carries %q; a new task of it %q: payloads must not vary", task.Type, task.Payload, fresh.Payload())
		}
	}
}

type schedulerEntry struct {
	TaskType string `json:"task_type"`
	Payload  string `json:"task_payload"`
}

// schedulerEntries GETs asynqmon's list of scheduler entries until it
// holds n.
func schedulerEntries(t *testing.T, url string, n int) []schedulerEntry {
	t.Helper()
	for deadline := time.Now().Add(25 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Entries []schedulerEntry `json:"entries"`
		}
		err = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("GET %s = %d, %v", url, res.StatusCode, err)
		}
		if len(body.Entries) >= n {
			return body.Entries
		}
		if time.Now().After(deadline) {
			t.Fatalf("asynqmon lists %d scheduler entries; want %d", len(body.Entries), n)
		}
	}
}
