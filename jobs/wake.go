package jobs

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// asynq has no blocking dequeue: an idle server looks at its queues, finds
// nothing, sleeps, and looks again, so a task waits for the sleep's end
// and an idle worker polls Redis all the time. picpipe makes the wait a
// wake-up instead. Every enqueue of a task that is ready to run announces
// its queue on wakeChannel (Queue), and each worker pool's Redis client
// carries a Waker, which, once a round of the pool's dequeue finds every
// queue empty, holds the round's last dequeue until a wake for one of its
// queues comes, or the pool's poll interval passes. asynq then sleeps
// only WakePause before the next round. Retries and scheduled tasks come
// due through the server's own forwarder, which wakes its pool when it
// moves any (and, in other processes, their next poll finds them). A task
// queued without a wake (by asynqmon or another tool, or while the
// subscription is down) is taken within the poll interval.

// wakeChannel is the Redis pub/sub channel on which a task's queue is
// announced once the task is ready to run.
const wakeChannel = "picpipe:wake"

// WakePause is the asynq TaskCheckInterval of a pool whose Redis client
// carries a Waker: the sleep between a round that found nothing (and
// waited for a wake) and the next one, which asynq draws between half
// and one and a half of it. That sleep lies between every wake and the
// round that takes its task, so it is as short as Go's timers make it:
// an idle pool took a task 2.0–2.3 ms after its enqueue (p50) at this
// pause, 3.7–4.0 ms at 2 ms. It costs nothing while idle: a round that
// finds nothing waits for a wake or the poll before the pause.
const WakePause = 100 * time.Microsecond

// Queue is an asynq client that wakes the workers of a task's queue once
// it is enqueued ready to run.
type Queue struct {
	*asynq.Client
	rdb   redis.UniversalClient
	owned bool // Close closes rdb
}

// NewQueue returns a Queue on rdb, which stays the caller's to close.
func NewQueue(rdb redis.UniversalClient) *Queue {
	return &Queue{Client: asynq.NewClientFromRedisClient(rdb), rdb: rdb}
}

// OpenQueue returns a Queue on a Redis client of its own, which Close
// closes.
func OpenQueue(opt asynq.RedisConnOpt) *Queue {
	q := NewQueue(opt.MakeRedisClient().(redis.UniversalClient))
	q.owned = true
	return q
}

// EnqueueContext enqueues task as asynq.Client does, then announces its
// queue when it is ready to run. A lost announcement only delays the task
// to its workers' next poll.
func (q *Queue) EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	info, err := q.Client.EnqueueContext(ctx, task, opts...)
	if err == nil && info.State == asynq.TaskStatePending {
		q.rdb.Publish(context.WithoutCancel(ctx), wakeChannel, info.Queue)
	}
	return info, err
}

// Close closes the Redis client of an OpenQueue; a NewQueue's is the
// caller's.
func (q *Queue) Close() error {
	if q.owned {
		return q.rdb.Close()
	}
	return nil
}

// Waker is the go-redis hook of one asynq server's Redis client (one
// Waker, one client, one server: it follows the rounds of that server's
// dequeues) that holds an empty round's last dequeue until a wake for one
// of its queues, or until poll has passed. Start it before the server and
// Stop it before shutting the server down.
type Waker struct {
	rdb    redis.UniversalClient
	queues map[string]bool
	poll   time.Duration
	woken  chan struct{} // a wake not yet taken; at most one
	stop   chan struct{}
	done   chan struct{}

	mu    sync.Mutex
	empty int // dequeues of the current round that found nothing
}

var _ redis.Hook = (*Waker)(nil)

// NewWaker returns the Waker of a server serving queues on rdb, added to
// rdb's hooks, whose idle dequeue waits at most poll for a wake. Start
// it.
func NewWaker(rdb redis.UniversalClient, queues []string, poll time.Duration) *Waker {
	w := &Waker{rdb: rdb, queues: map[string]bool{}, poll: poll,
		woken: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	for _, q := range queues {
		w.queues[q] = true
	}
	rdb.AddHook(w)
	return w
}

// Start subscribes to the wakes, in the background. While the
// subscription is down the pool polls; each (re)subscription wakes it,
// for the tasks announced meanwhile.
func (w *Waker) Start() {
	ps := w.rdb.Subscribe(context.Background(), wakeChannel)
	go func() {
		defer close(w.done)
		defer ps.Close()
		msgs := ps.ChannelWithSubscriptions()
		for {
			select {
			case <-w.stop:
				return
			case m, ok := <-msgs:
				if !ok {
					return
				}
				if msg, ok := m.(*redis.Message); ok && !w.queues[msg.Payload] {
					continue
				}
				w.wake()
			}
		}
	}()
}

// Stop ends the subscription and lets a held dequeue return at once, so
// that the server shuts down without waiting out a poll.
func (w *Waker) Stop() {
	select {
	case <-w.stop:
		return
	default:
	}
	close(w.stop)
	<-w.done
}

func (w *Waker) wake() {
	select {
	case w.woken <- struct{}{}:
	default: // one is pending: the next round sees both tasks
	}
}

// DialHook implements redis.Hook.
func (w *Waker) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessPipelineHook implements redis.Hook.
func (w *Waker) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// ProcessHook implements redis.Hook: the dequeues of w's queues are
// counted by round; the last of a round that found every queue empty
// returns only after a wake, poll, or Stop. A wake that came before the
// round began is dropped as it begins: that round sees its task. The
// server's own moves of due retries and scheduled tasks to one of w's
// queues wake it too.
func (w *Waker) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		keys := scriptKeys(cmd)
		if q, ok := forwarded(keys); ok && w.queues[q] {
			err := next(ctx, cmd)
			if c, ok := cmd.(*redis.Cmd); ok && err == nil {
				if n, _ := c.Int64(); n > 0 {
					w.wake()
				}
			}
			return err
		}
		if q, ok := dequeued(keys); !ok || !w.queues[q] {
			return next(ctx, cmd)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.empty == 0 {
			select {
			case <-w.woken:
			default:
			}
		}
		err := next(ctx, cmd)
		switch {
		case err == redis.Nil:
			w.empty++
		case redis.HasErrorPrefix(err, "NOSCRIPT"):
			return err // go-redis runs the script again by EVAL
		default:
			w.empty = 0 // a task, or an error: asynq begins a new round
			return err
		}
		if w.empty < len(w.queues) {
			return err
		}
		w.empty = 0
		t := time.NewTimer(w.poll)
		defer t.Stop()
		select {
		case <-w.woken:
		case <-t.C:
		case <-w.stop:
		}
		return err
	}
}

// The scripts of asynq's internal/rdb that a Waker follows, recognised
// by their keys (a test holds the two together): Dequeue's, on a queue's
// pending, paused, active and lease keys, and forward's, which moves due
// tasks from its scheduled or retry set to its pending list and returns
// how many it moved.

// scriptKeys returns the keys of cmd when it runs a Lua script.
func scriptKeys(cmd redis.Cmder) []string {
	args := cmd.Args()
	if len(args) < 3 {
		return nil
	}
	if name, _ := args[0].(string); name != "evalsha" && name != "eval" {
		return nil
	}
	n, ok := args[2].(int)
	if !ok || n < 0 || len(args) < 3+n {
		return nil
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i], _ = args[3+i].(string)
	}
	return keys
}

// queueOf returns the queue whose pending list is key.
func queueOf(key string) (string, bool) {
	q := strings.TrimSuffix(strings.TrimPrefix(key, "asynq:{"), "}:pending")
	return q, key == PendingKey(q) // PendingKey owns the layout
}

// dequeued returns the queue of asynq's dequeue run with keys.
func dequeued(keys []string) (string, bool) {
	if len(keys) != 4 {
		return "", false
	}
	q, ok := queueOf(keys[0])
	return q, ok && keys[1] == queueKey(q, "paused")
}

// forwarded returns the queue of asynq's forward run with keys.
func forwarded(keys []string) (string, bool) {
	if len(keys) != 2 {
		return "", false
	}
	q, ok := queueOf(keys[1])
	return q, ok && (keys[0] == queueKey(q, "scheduled") || keys[0] == queueKey(q, "retry"))
}
