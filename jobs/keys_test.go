package jobs_test

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"picpipe/internal/testenv"
	"picpipe/jobs"
)

// TestPendingKey: PendingKey names the list asynq keeps a queue's waiting
// tasks in: it grows with each enqueue to that queue, and only then.
func TestPendingKey(t *testing.T) {
	url := testenv.Redis(t)
	opt, err := jobs.RedisOpt(url)
	if err != nil {
		t.Fatal(err)
	}
	c := asynq.NewClient(opt)
	defer c.Close()
	rdb := opt.MakeRedisClient().(redis.UniversalClient)
	defer rdb.Close()
	ctx := context.Background()
	for i, id := range []string{"img_a", "img_b"} {
		task, _ := jobs.NewImageProcessTask(id, true)
		if _, err := c.Enqueue(task); err != nil {
			t.Fatal(err)
		}
		if n, err := rdb.LLen(ctx, jobs.PendingKey(jobs.QueueCritical)).Result(); err != nil || n != int64(i+1) {
			t.Fatalf("LLEN %s = %d, %v; want %d", jobs.PendingKey(jobs.QueueCritical), n, err, i+1)
		}
	}
	if n, _ := rdb.LLen(ctx, jobs.PendingKey(jobs.QueueDefault)).Result(); n != 0 {
		t.Fatalf("LLEN of the default queue = %d; want 0", n)
	}
}
