package chaos

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// killAPI: kill -9 of the API with uploads in flight — some still
// streaming their bodies, some waiting for their result — beside a batch
// acknowledged before; the API starts again at once. Recovery is measured
// from the kill.
func killAPI(batch int) scenario {
	// The in-flight uploads' bodies take these times to send; the kill
	// comes at killAfter, in the middle of them.
	spans := []time.Duration{500 * time.Millisecond, time.Second, 1500 * time.Millisecond,
		3 * time.Second, 4 * time.Second, 6 * time.Second}
	const killAfter = 2 * time.Second
	return scenario{name: "kill -9 API mid-upload", bound: 120 * time.Second,
		inject: func(t *testing.T, r *run) {
			r.batch(batch)
			wait := during(func() { r.uploadsInFlight(spans) })
			time.Sleep(killAfter)
			r.faultEnd = time.Now()
			r.api.kill()
			if err := r.startAPI(r.api); err != nil {
				t.Fatal(err)
			}
			wait()
			if a := r.send(bigJPEGs(t)[0], sendOptions{async: true}, false); !a.acked() {
				t.Errorf("upload after the API came back: %v; want 202", a)
			}
		}}
}

// uploadsInFlight sends one upload per span, at once, each body throttled
// to take about that long; every other one waits for its result (Prefer:
// wait=30), the rest are asynchronous. It notes how each was answered.
func (r *run) uploadsInFlight(spans []time.Duration) {
	big := bigJPEGs(r.t)
	got := make([]string, len(spans))
	var wg sync.WaitGroup
	for i, span := range spans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := big[i%len(big)]
			fi, err := os.Stat(path)
			if err != nil {
				got[i] = err.Error()
				return
			}
			o := sendOptions{async: i%2 == 1, wait: 30, rate: int(float64(fi.Size()) / span.Seconds())}
			a := r.send(path, o, false)
			got[i] = fmt.Sprintf("%v body: %v", span, a)
		}()
	}
	wg.Wait()
	r.note("uploads in flight at the kill: %s", strings.Join(got, "; "))
}
