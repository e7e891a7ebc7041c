package api_test

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"picpipe/db"
	"picpipe/internal/testenv"
)

// TestWebhookLatency measures, for 200 images, the time from the
// transition to ready (the event is written in its transaction; its id
// holds that time to the millisecond) to the arrival of image.ready at
// a receiver on loopback, and logs p50, p99 and the worst. The uploads
// go one after the other, each once the previous one's event arrived
// (AVIF variants are made meanwhile). It asserts only that every event
// arrived once, signed.
func TestWebhookLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("200 uploads")
	}
	const n = 200
	rc := newReceiver(t)
	e := hookEnv(t, testenv.SQLite(t), rc, envOpts{})
	_, secret := e.createWebhook(rc.srv.URL, "image.ready")
	small := fixture(t, "orient-1.jpg")
	var ids []string
	for i := range n {
		opts := map[string]string{"quality": strconv.Itoa(i%100 + 1), "lossless": strconv.FormatBool(i >= 100)}
		r := e.upload("o.jpg", small, opts, map[string]string{"Prefer": "respond-async"})
		if r.status != http.StatusAccepted {
			t.Fatalf("upload %d = %d %s", i, r.status, r.body)
		}
		id := str(r.json(t), "id")
		rc.awaitEvent("image.ready", id) // one at a time: the latency of an unloaded service
		ids = append(ids, id)
	}
	hs := rc.await("every image.ready", func(hs []hit) bool { return len(hs) >= n })
	var lat []time.Duration
	for _, id := range ids {
		got := of(hs, "image.ready", id)
		if len(got) != 1 {
			t.Fatalf("image %s: %d deliveries", id, len(got))
		}
		verified(t, got[0], secret)
		at, ok := db.TimeOfID(got[0].ev.ID)
		if !ok {
			t.Fatalf("event id %s", got[0].ev.ID)
		}
		lat = append(lat, got[0].at.Sub(at))
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1)+0.5)] }
	t.Logf("webhook latency, ready → receiver, %d events (SQLite, one worker, loopback): p50 %s, p90 %s, p99 %s, max %s",
		len(lat), pct(0.50).Round(100*time.Microsecond), pct(0.90).Round(100*time.Microsecond),
		pct(0.99).Round(100*time.Microsecond), lat[len(lat)-1].Round(100*time.Microsecond))
}
