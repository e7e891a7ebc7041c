package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"picpipe/api"
	"picpipe/internal/testenv"
)

// TestDashboardCrossSite: with the admin's Basic credentials in hand (as
// a browser caches them), a request from another site may not change the
// queues; the dashboard's own pages, and clients that are not browsers,
// may; no page of it can be framed.
func TestDashboardCrossSite(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, api: api.Config{AdminToken: adminToken}})
	opt, err := redis.ParseURL(e.redis.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	paused := func(q string) bool {
		n, err := rdb.Exists(context.Background(), "asynq:{"+q+"}:paused").Result()
		if err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	basic := func(h map[string]string) map[string]string {
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth("admin", adminToken)
		h["Authorization"] = req.Header.Get("Authorization")
		return h
	}
	tests := []struct {
		name   string
		queue  string
		header map[string]string
		want   int
	}{
		{"foreign Origin", "q1", basic(map[string]string{"Origin": "https://evil.example"}), 403},
		{"cross-site fetch", "q2", basic(map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}), 403},
		{"same-site but another origin", "q3", basic(map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://other.localhost"}), 403},
		{"Origin null", "q4", basic(map[string]string{"Origin": "null"}), 403},
		{"the dashboard's own page", "q5", basic(map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": e.srv.URL}), 204},
		{"its own Origin, an older browser", "q6", basic(map[string]string{"Origin": e.srv.URL}), 204},
		{"curl with the token", "q7", map[string]string{"Authorization": "Bearer " + adminToken}, 204},
	}
	for _, tt := range tests {
		r := e.do("POST", "/admin/queues/api/queues/"+tt.queue+":pause", nil, tt.header)
		if r.status != tt.want || paused(tt.queue) != (tt.want == 204) {
			t.Errorf("%s: pause = %d %s, paused %t; want %d", tt.name, r.status, r.body, paused(tt.queue), tt.want)
		}
	}
	for _, path := range []string{"/admin/queues/", "/admin/queues/api/queues", "/admin/queues"} {
		r := e.do("GET", path, nil, basic(map[string]string{}))
		csp := r.header.Get("Content-Security-Policy")
		if r.header.Get("X-Frame-Options") != "DENY" || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: X-Frame-Options %q, CSP %q; want DENY and frame-ancestors 'none'", path, r.header.Get("X-Frame-Options"), csp)
		}
	}
	if r := e.do("GET", "/admin/queues/", nil, basic(map[string]string{})); r.status != 200 || !strings.Contains(string(r.body), "<script") {
		t.Errorf("the dashboard page = %d; want 200 with its page", r.status)
	}
}
