package chaos

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// postgresDown: PostgreSQL stopped mid-batch for down, while an upload
// and a read are tried, then started again. Recovery is measured from the
// database accepting connections again; the bound leaves room for asynq's
// retry backoff of the tasks that failed meanwhile.
func postgresDown(down time.Duration, batch int) scenario {
	return scenario{name: fmt.Sprintf("PostgreSQL stopped %v", down), bound: down + 4*time.Minute,
		inject: func(t *testing.T, r *run) {
			r.batch(batch)
			r.midEncode()
			id := r.w.snapshot()[0].id
			if err := r.pg.stop(); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			a := r.send(bigJPEGs(t)[0], sendOptions{async: true}, false)
			r.note("an upload while PostgreSQL was down: %v", a)
			code, _, err := r.image(context.Background(), r.key, id)
			if code == http.StatusNotFound {
				t.Errorf("GET of an acknowledged image while PostgreSQL was down = 404; want a 5xx")
			}
			r.note("a read while PostgreSQL was down: %d %s", code, errText(err))
			time.Sleep(down - time.Since(start))
			if err := r.pg.start(); err != nil {
				t.Fatal(err)
			}
			r.faultEnd = time.Now()
		}}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return "(" + err.Error() + ")"
}
