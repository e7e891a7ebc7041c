package jobs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"picpipe/internal/testenv"
)

// probes counts the dequeues a client runs, by queue, as dequeued
// recognises them. An EVALSHA the server does not know the script of
// yet (NOSCRIPT, the first on a server) is not counted: go-redis sends
// it again as EVAL, one dequeue.
type probes struct {
	mu sync.Mutex
	n  map[string]int
}

func (p *probes) DialHook(next redis.DialHook) redis.DialHook { return next }
func (p *probes) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (p *probes) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		q, ok := dequeued(scriptKeys(cmd))
		if !ok {
			return next(ctx, cmd)
		}
		p.add(q, 1) // before: the Waker may hold it
		err := next(ctx, cmd)
		if redis.HasErrorPrefix(err, "NOSCRIPT") {
			p.add(q, -1)
		}
		return err
	}
}

func (p *probes) add(q string, n int) {
	p.mu.Lock()
	p.n[q] += n
	p.mu.Unlock()
}

func (p *probes) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, v := range p.n {
		n += v
	}
	return n
}

// TestWaker: an asynq server whose client carries a Waker, with a poll
// far longer than the test, sends a round of dequeues and then waits:
// idle, it polls (almost) not at all, where asynq's own loop would send a
// round every WakePause. A task enqueued through a Queue, on any of the
// server's queues, is taken at once, which only its wake can do. The
// dequeues are recognised (dequeued) on asynq's real ones, for each
// queue: were asynq to change its dequeue, the Waker would never wait and
// this fails. A scheduled task, which nobody announces, is taken once
// the server's forwarder has moved it.
func TestWaker(t *testing.T) {
	opt, err := RedisOpt(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	queues := map[string]int{QueueCritical: 6, QueueDefault: 3, QueueMaintenance: 3}
	rdb := opt.MakeRedisClient().(redis.UniversalClient)
	defer rdb.Close()
	seen := &probes{n: map[string]int{}}
	rdb.AddHook(seen)
	waker := NewWaker(rdb, []string{QueueCritical, QueueDefault, QueueMaintenance}, time.Hour)
	waker.Start()
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 1, Queues: queues,
		TaskCheckInterval: WakePause, DelayedTaskCheckInterval: 100 * time.Millisecond, Logger: Logger{}})
	ran := make(chan string, 3)
	mux := asynq.NewServeMux()
	mux.HandleFunc("test:wake", func(_ context.Context, t *asynq.Task) error {
		ran <- string(t.Payload())
		return nil
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	defer waker.Stop()

	time.Sleep(500 * time.Millisecond)
	// One round of three dequeues, then a wait; at most a second one
	// should the subscription's confirmation have woken the first. asynq
	// alone would have sent ~500 by now.
	if n := seen.total(); n == 0 || n > 6 {
		t.Fatalf("%d dequeues while idle for 0.5 s (%v); want 3 to 6", n, seen.n)
	}
	for q := range queues {
		if seen.n[q] == 0 {
			t.Fatalf("no dequeue of queue %s recognised (%v)", q, seen.n)
		}
	}

	pub := OpenQueue(opt)
	defer pub.Close()
	for _, q := range []string{QueueMaintenance, QueueDefault, QueueCritical} {
		if _, err := pub.EnqueueContext(context.Background(), asynq.NewTask("test:wake", []byte(q), asynq.Queue(q))); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-ran:
			if got != q {
				t.Fatalf("ran the task of %s; want %s", got, q)
			}
		case <-time.After(30 * time.Second): // the poll is an hour: only the wake takes it
			t.Fatalf("the task enqueued on %s was not taken: its wake went unheard", q)
		}
	}
	// Scheduled (and so announced by nobody): the server's forwarder
	// moves it once due, and wakes the pool.
	if _, err := pub.EnqueueContext(context.Background(), asynq.NewTask("test:wake", []byte("later")),
		asynq.Queue(QueueDefault), asynq.ProcessIn(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-ran:
		if got != "later" {
			t.Fatalf("ran %s; want the scheduled task", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the scheduled task was not taken once due: its forward did not wake the pool")
	}
}
