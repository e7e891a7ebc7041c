package scheduler_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"picpipe/db"
	"picpipe/internal/testenv"
	"picpipe/jobs"
	"picpipe/scheduler"
)

// kinds lists the problem kinds with their subjects, sorted.
func kinds(ps []scheduler.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Kind+" "+p.Subject)
	}
	slices.Sort(out)
	return out
}

// TestCheckFindsAndRepairsDamage damages a database and store by hand the
// ways crashes and bugs do, and checks that Check names each, repairs
// what can be repaired, and is clean of it afterwards.
func TestCheckFindsAndRepairsDamage(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newStateEnv(t, d)
		ctx := context.Background()
		e.now = time.Now()
		old := e.now.Add(-2 * time.Hour)

		// A healthy ready image with its variant, and its blobs.
		good := e.image(t, db.StatusReady)
		e.setOutput(t, good, "webp", true)
		err := d.Exec(ctx, "INSERT INTO variants (image_id, kind, status, created_at, updated_at) VALUES (?, ?, 'failed', 1, 1)",
			good.ID, db.VariantAVIF)
		if err != nil {
			t.Fatal(err)
		}
		if problems, err := e.s.Check(ctx, scheduler.CheckOptions{}); err != nil || len(problems) != 0 {
			t.Fatalf("Check of a healthy store = %v, %v; want clean", kinds(problems), err)
		}

		lostOutput := e.image(t, db.StatusReady) // its WebP is gone; its variant row too
		e.setOutput(t, lostOutput, "webp", false)
		stuck := e.image(t, db.StatusQueued) // its task was lost an hour ago
		orphan := "images/" + e.user.ID + "/img_gone.0123.webp"
		if _, err := e.st.Put(ctx, orphan, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(e.root, orphan), old, old); err != nil {
			t.Fatal(err)
		}
		if err := d.Exec(ctx, "UPDATE users SET image_count = image_count + 7 WHERE id = ?", e.user.ID); err != nil {
			t.Fatal(err)
		}

		problems, err := e.s.Check(ctx, scheduler.CheckOptions{Repair: true})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			scheduler.ProblemCounterMismatch + " " + e.user.ID,
			scheduler.ProblemMissingBlob + " " + lostOutput.ID,
			scheduler.ProblemMissingVariant + " " + lostOutput.ID,
			scheduler.ProblemOrphanBlob + " " + orphan,
			scheduler.ProblemUnfinished + " " + stuck.ID,
		}
		slices.Sort(want)
		if got := kinds(problems); !slices.Equal(got, want) {
			t.Fatalf("Check found\n%v\nwant\n%v", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for _, p := range problems {
			if p.Repaired == (p.Kind == scheduler.ProblemMissingBlob) {
				t.Errorf("%s %s: repaired %v", p.Kind, p.Subject, p.Repaired)
			}
		}
		// Repaired: the orphan is gone, the counters match, the stuck
		// image and the missing variant have their tasks again.
		if _, err := e.st.Open(ctx, orphan); err == nil {
			t.Error("orphan blob still there after repair")
		}
		for _, id := range []string{
			jobs.ImageTaskID(jobs.TypeImageProcess, stuck.ID), jobs.ImageTaskID(jobs.TypeImageAVIF, lostOutput.ID),
		} {
			found := false
			for _, q := range []string{jobs.QueueDefault, jobs.QueueLow} {
				if info, err := e.insp.GetTaskInfo(q, id); err == nil && info.State == asynq.TaskStatePending {
					found = true
				}
			}
			if !found {
				t.Errorf("no pending task %s after repair", id)
			}
		}
		problems, err = e.s.Check(ctx, scheduler.CheckOptions{UnfinishedAfter: 3 * time.Hour})
		want = []string{scheduler.ProblemMissingBlob + " " + lostOutput.ID}
		if err != nil || !slices.Equal(kinds(problems), want) {
			t.Fatalf("Check after repair = %v, %v; want only %v, which no repair can mend", kinds(problems), err, want)
		}
	})
}
