package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"picpipe/internal/testenv"
	"picpipe/jobs"
)

// TestRedisOptForms: each form of PICPIPE_REDIS_URL gives the options
// asynq takes for it — one server, or a master under Sentinel with every
// part of the URL in its place.
func TestRedisOptForms(t *testing.T) {
	tests := []struct {
		url  string
		want asynq.RedisConnOpt
	}{
		{"redis://127.0.0.1:6379/2", asynq.RedisClientOpt{Network: "tcp", Addr: "127.0.0.1:6379", DB: 2}},
		{"redis://u:p%40ss@redis.internal/0?pool_size=7",
			asynq.RedisClientOpt{Network: "tcp", Addr: "redis.internal:6379", Username: "u", Password: "p@ss", PoolSize: 7}},
		{"unix:///run/redis.sock?db=3", asynq.RedisClientOpt{Network: "unix", Addr: "/run/redis.sock", DB: 3}},
		{"redis-sentinel://s1:26380,s2,10.0.0.3:26381?master=mymaster",
			asynq.RedisFailoverClientOpt{MasterName: "mymaster", SentinelAddrs: []string{"s1:26380", "s2:26379", "10.0.0.3:26381"}}},
		{"redis-sentinel://:sent%2Fpw@s1:26379,s2:26379/4?master=m&password=data%26pw&username=app",
			asynq.RedisFailoverClientOpt{MasterName: "m", SentinelAddrs: []string{"s1:26379", "s2:26379"},
				SentinelPassword: "sent/pw", Password: "data&pw", Username: "app", DB: 4}},
		{"redis-sentinel://watcher:spw@s1/?master=m",
			asynq.RedisFailoverClientOpt{MasterName: "m", SentinelAddrs: []string{"s1:26379"},
				SentinelUsername: "watcher", SentinelPassword: "spw"}},
	}
	for _, tt := range tests {
		got, err := jobs.RedisOpt(tt.url)
		if err != nil {
			t.Errorf("RedisOpt(%q): %v", tt.url, err)
			continue
		}
		// TLSConfig is compared by presence only (below).
		if c, ok := got.(asynq.RedisClientOpt); ok {
			c.TLSConfig = nil
			got = c
		}
		if !equalOpt(got, tt.want) {
			t.Errorf("RedisOpt(%q) =\n %#v\nwant\n %#v", tt.url, got, tt.want)
		}
	}
	got, err := jobs.RedisOpt("rediss://:pw@redis.example:6380/1")
	if c, ok := got.(asynq.RedisClientOpt); err != nil || !ok || c.TLSConfig == nil || c.TLSConfig.ServerName != "redis.example" || c.Addr != "redis.example:6380" {
		t.Errorf("rediss URL = %#v, %v; want TLS to redis.example:6380", got, err)
	}
}

func equalOpt(a, b asynq.RedisConnOpt) bool {
	fa, okA := a.(asynq.RedisFailoverClientOpt)
	fb, okB := b.(asynq.RedisFailoverClientOpt)
	if okA != okB {
		return false
	}
	if !okA {
		return a == b
	}
	if strings.Join(fa.SentinelAddrs, ",") != strings.Join(fb.SentinelAddrs, ",") {
		return false
	}
	fa.SentinelAddrs, fb.SentinelAddrs = nil, nil
	return fa.MasterName == fb.MasterName && fa.SentinelUsername == fb.SentinelUsername &&
		fa.SentinelPassword == fb.SentinelPassword && fa.Username == fb.Username &&
		fa.Password == fb.Password && fa.DB == fb.DB && fa.TLSConfig == nil && fb.TLSConfig == nil
}

// TestRedisOptRefusals: a bad PICPIPE_REDIS_URL is refused with an error
// that names the setting and what is wrong, and never repeats a password.
func TestRedisOptRefusals(t *testing.T) {
	tests := []struct{ url, want string }{
		{"", "no scheme"},
		{"localhost:6379", "scheme"},
		{"http://redis:6379", `scheme "http"`},
		{"redis-cluster://a,b", `scheme "redis-cluster"`},
		{"redis://:secret@host:port/0", "not a URL"},
		{"redis://:secret@host/x", "database"},
		{"redis://:secret@host/0?bogus=1", "bogus"},
		{"redis-sentinel://:secret@s1,s2", "?master=NAME"},
		{"redis-sentinel://s1,s2?master=", "?master=NAME"},
		{"redis-sentinel://s1,,s2?master=m", "empty sentinel address"},
		{"redis-sentinel://s1:x,s2:1?master=m", `"s1:x" has a bad port`},
		{"redis-sentinel://s1:0?master=m", "bad port"},
		{"redis-sentinel://:26379?master=m", "want host[:port]"},
		{"redis-sentinel://s1/m/0?master=m", "database number"},
		{"redis-sentinel://s1/-1?master=m", "database number"},
		{"redis-sentinel://s1?master=m&master_name=m", `"master_name"`},
		{"redis-sentinel://s1?master=m&password=secret&password=secret", "given 2 times"},
		{"redis-sentinel://s1?master=m&db=1", `"db"`},
	}
	for _, tt := range tests {
		opt, err := jobs.RedisOpt(tt.url)
		if err == nil {
			t.Errorf("RedisOpt(%q) = %#v; want an error", tt.url, opt)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "PICPIPE_REDIS_URL: ") || !strings.Contains(msg, tt.want) {
			t.Errorf("RedisOpt(%q) = %q; want PICPIPE_REDIS_URL: …%s…", tt.url, msg, tt.want)
		}
		if strings.Contains(msg, "secret") {
			t.Errorf("RedisOpt(%q) = %q: the error shows the password", tt.url, msg)
		}
	}
}

// TestSentinelQueueAndWaiterFollowFailover: through a redis-sentinel URL
// on a real master, replica and three sentinels, asynq enqueues and the
// completion waiter wakes; after an operator's SENTINEL FAILOVER both
// carry on against the new master within seconds, the waiter's
// subscription included (left alone, it would stay on the demoted master,
// deaf until that one becomes a replica).
func TestSentinelQueueAndWaiterFollowFailover(t *testing.T) {
	sen := testenv.StartSentinel(t)
	opt, err := jobs.RedisOpt(sen.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := opt.(asynq.RedisFailoverClientOpt); !ok {
		t.Fatalf("RedisOpt(sentinel URL) = %T", opt)
	}
	ctx := context.Background()
	rc := opt.MakeRedisClient().(redis.UniversalClient)
	defer rc.Close()
	w, err := jobs.NewWaiter(ctx, rc)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	q := asynq.NewClient(opt)
	defer q.Close()
	insp := asynq.NewInspector(opt)
	defer insp.Close()

	// round enqueues the task of id until it is on master, within
	// enqueueWithin, and wants the inspector to find it there and the
	// waiter to hear its announcement within 5 s. It returns how many
	// enqueues were acknowledged but did not land on master: right after
	// a forced failover a client may still write to the old master, which
	// takes writes until the sentinels demote it, and then drops them
	// (picpipe's reconcile enqueues such a task again).
	round := func(id, master string, enqueueWithin time.Duration) (strayed int) {
		t.Helper()
		direct := redis.NewClient(&redis.Options{Addr: master, Password: sen.Password})
		defer direct.Close()
		task, _ := jobs.NewImageProcessTask(id, false)
		deadline := time.Now().Add(enqueueWithin)
		for {
			_, err := q.Enqueue(task)
			if err == nil || errors.Is(err, asynq.ErrTaskIDConflict) {
				if n, _ := direct.Exists(ctx, "asynq:{default}:t:"+id).Result(); n == 1 {
					break
				}
				if err == nil {
					strayed++
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("task %s not on the master %s within %v: %v", id, master, enqueueWithin, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The inspector's own connection follows the master too, once its
		// sentinels tell it (until then it may still read the demoted one,
		// which is resyncing from the new master).
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			_, err := insp.GetTaskInfo(jobs.QueueDefault, id)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the inspector does not find task %s on the master: %v", id, err)
			}
		}
		ch, cancel := w.Wait(id)
		defer cancel()
		deadline = time.Now().Add(5 * time.Second)
		for {
			// Publish until the waiter hears it: a subscription that is
			// reconnecting misses what is published meanwhile.
			if err := jobs.PublishDone(ctx, rc, id); err != nil && time.Now().After(deadline) {
				t.Fatalf("publish %s: %v", id, err)
			}
			select {
			case <-ch:
				return strayed
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("the waiter never woke for %s", id)
			}
		}
	}
	old := sen.Master(t)
	round("img_before", old, 5*time.Second)
	// A forced failover loses what the replica has not received yet (the
	// README says so); this test is about following the master, so the
	// writes so far reach the replica first. asynq's client notes the
	// queues it has named once, so a lost SADD would stay lost.
	direct := redis.NewClient(&redis.Options{Addr: old, Password: sen.Password})
	if n, err := direct.Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n < 1 {
		t.Fatalf("WAIT for the replica: %d, %v", n, err)
	}
	direct.Close()
	start := time.Now()
	sen.Failover(t)
	now := sen.WaitFailover(t, old, 20*time.Second)
	agreed := time.Since(start)
	strayed := round("img_after", now, 20*time.Second)
	t.Logf("SENTINEL FAILOVER %s → %s: sentinels agreed after %v, queue and waiter back after %v (%d enqueues went to the old master meanwhile)",
		old, now, agreed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), strayed)

	// The task enqueued before the failover is on the new master too: it
	// was replicated.
	if _, err := insp.GetTaskInfo(jobs.QueueDefault, "img_before"); err != nil {
		t.Errorf("after the failover: task enqueued before it: %v", err)
	}
}
