package chaos

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// poison: n corrupt files (truncated JPEGs with and without an end
// marker, JPEGs whose scan data is noise, PNGs with damaged pixel data,
// noise named .jpg) sent by four clients, half waiting for the result and
// half asynchronously, while one client uploads good JPEGs one after the
// other. Every good upload must end ready and no corrupt one may; the
// good uploads' latency is reported beside the same uploads' latency
// before the poison. Recovery is measured from the last corrupt file's
// answer.
func poison(n, good int) scenario {
	var before, behind []string // the good uploads' ids of the current run
	return scenario{name: fmt.Sprintf("poison: %d corrupt files beside good ones", n), bound: 120 * time.Second,
		inject: func(t *testing.T, r *run) {
			photo := bigJPEGs(t)[0]
			before = r.goodUploads(photo, 3)
			files := poisonFiles(t, t.TempDir(), n)
			wait := during(func() { r.sendPoison(files) })
			behind = r.goodUploads(photo, good)
			wait()
			r.faultEnd = time.Now()
		},
		after: func(t *testing.T, r *run) {
			r.note("good uploads alone (Prefer: wait=60), upload → ready: %s", r.latencies(before))
			r.note("good uploads behind the poison, upload → ready: %s", r.latencies(behind))
			for _, u := range r.w.snapshot() {
				switch {
				case !u.poison && u.final != "ready":
					t.Errorf("good upload %s ended %s %s; want ready", u.id, u.final, u.code)
				case u.poison && u.final == "ready":
					t.Errorf("corrupt file %s (%s) ended ready; want failed (decode_failed)", u.id, u.file)
				}
			}
			r.note("archived tasks in asynq: %s", r.archived())
		}}
}

// goodUploads sends n good JPEGs one after the other, each waiting for
// its result (Prefer: wait=60), and returns their ids.
func (r *run) goodUploads(photo string, n int) []string {
	var ids []string
	for range n {
		a := r.send(photo, sendOptions{wait: 60}, false)
		if !a.acked() {
			r.t.Errorf("good upload: %v; want 201", a)
			continue
		}
		ids = append(ids, a.ID)
	}
	return ids
}

// latencies summarises the time from sending to ready of the uploads
// with the given ids: the answer's time for a 201, the moment polling saw
// it final for a 202.
func (r *run) latencies(ids []string) string {
	var d []time.Duration
	for _, u := range r.w.snapshot() {
		if slices.Contains(ids, u.id) && u.final != "" {
			d = append(d, u.finalAt.Sub(u.sent))
		}
	}
	return latencies(d)
}

// sendPoison sends the corrupt files with four clients and notes how
// they were answered.
func (r *run) sendPoison(files []string) {
	var mu sync.Mutex
	var answers []string
	work := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				a := r.send(files[i], sendOptions{async: i%2 == 1, wait: 30}, true)
				mu.Lock()
				answers = append(answers, fmt.Sprintf("%d %s", a.Status, a.Code))
				mu.Unlock()
			}
		}()
	}
	for i := range files {
		work <- i
	}
	close(work)
	wg.Wait()
	r.note("corrupt files answered: %s", tally(answers))
}

// archived counts the archived tasks of each queue.
func (r *run) archived() string {
	queues, err := r.insp.Queues()
	if err != nil {
		return err.Error()
	}
	var parts []string
	for _, q := range queues {
		if info, err := r.insp.GetQueueInfo(q); err == nil {
			parts = append(parts, fmt.Sprintf("%s %d", q, info.Archived))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// latencies summarises durations: median and maximum.
func latencies(d []time.Duration) string {
	if len(d) == 0 {
		return "none"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return fmt.Sprintf("n=%d, median %.2f s, max %.2f s", len(s), s[(len(s)-1)/2].Seconds(), s[len(s)-1].Seconds())
}

// tally counts equal strings: "422 decode_failed ×40, 202 ×60".
func tally(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	counts := map[string]int{}
	for _, it := range items {
		counts[strings.TrimSpace(it)]++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, counts[k]))
	}
	return strings.Join(parts, ", ")
}
