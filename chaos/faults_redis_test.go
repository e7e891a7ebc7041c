package chaos

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// restartRedis: Redis killed mid-batch and started again on its AOF
// after a few seconds; an upload is tried while it is down. Recovery is
// measured from Redis answering again.
func restartRedis(batch int) scenario {
	const down = 3 * time.Second
	return scenario{name: "Redis restarted (AOF)", bound: 120 * time.Second,
		inject: func(t *testing.T, r *run) {
			r.batch(batch)
			r.midEncode()
			r.redis.kill()
			start := time.Now()
			a := r.send(bigJPEGs(t)[0], sendOptions{async: true}, false)
			r.note("an upload while Redis was down: %v", a)
			time.Sleep(down - time.Since(start))
			if err := r.redis.start(); err != nil {
				t.Fatal(err)
			}
			if err := r.redis.waitUp(30 * time.Second); err != nil {
				t.Fatal(err)
			}
			r.faultEnd = time.Now()
		}}
}

// flushRedis: FLUSHALL mid-batch: every queued and running task, lease
// and schedule is gone; the database still says what is unfinished.
// Recovery is measured from the flush.
func flushRedis(batch int) scenario {
	return scenario{name: "Redis FLUSHALL mid-batch", bound: 120 * time.Second,
		inject: func(t *testing.T, r *run) {
			r.batch(batch)
			r.midEncode()
			r.faultEnd = time.Now()
			if err := r.redis.flushAll(); err != nil {
				t.Fatal(err)
			}
		}}
}

// hangRedis: Redis stopped with SIGSTOP mid-batch for hung, while uploads
// and reads are tried, then SIGCONT. Recovery is measured from SIGCONT;
// how long the requests took during the hang is reported.
func hangRedis(batch int, hung time.Duration) scenario {
	return scenario{name: fmt.Sprintf("Redis hung (SIGSTOP %v)", hung), bound: 120 * time.Second,
		inject: func(t *testing.T, r *run) {
			r.batch(batch)
			r.midEncode()
			ids := r.w.snapshot()
			if err := r.redis.hang(); err != nil {
				t.Fatal(err)
			}
			wait := during(func() { r.requestsDuringHang(ids[0].id) })
			time.Sleep(hung)
			if err := r.redis.resume(); err != nil {
				t.Fatal(err)
			}
			r.faultEnd = time.Now()
			wait()
		}}
}

// requestsDuringHang sends two uploads and two reads at once and notes
// how each was answered.
func (r *run) requestsDuringHang(id string) {
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			a := r.send(bigJPEGs(r.t)[0], sendOptions{async: true}, false)
			mu.Lock()
			got = append(got, "POST: "+a.String())
			mu.Unlock()
		}()
		go func() {
			defer wg.Done()
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), uploadTimeout)
			defer cancel()
			code, _, err := r.image(ctx, r.key, id)
			mu.Lock()
			got = append(got, fmt.Sprintf("GET: %d in %v %s", code, time.Since(start).Round(time.Millisecond), errText(err)))
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.note("requests while Redis was hung: %s", strings.Join(got, "; "))
}
