package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"picpipe"
	"picpipe/api"
	"picpipe/db"
	"picpipe/internal/testenv"
)

// TestQuotaUnderConcurrency: 20 concurrent uploads against room for 5
// store exactly 5; the rest are refused with nothing kept.
func TestQuotaUnderConcurrency(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOpts{api: api.Config{Plans: plans(picpipe.Plan{MaxImages: 5, MaxUploadBytes: 10 << 20})}})
		photo := fixture(t, "photo.jpg")
		results := make(chan resp, 20)
		for i := range 20 { // distinct qualities: distinct images, no dedup
			go func() {
				results <- e.upload("photo.jpg", photo, map[string]string{"quality": strconv.Itoa(60 + i)},
					map[string]string{"Prefer": "respond-async"})
			}()
		}
		accepted := map[string]bool{}
		for range 20 {
			r := <-results
			switch r.status {
			case http.StatusAccepted:
				accepted[r.json(t)["id"].(string)] = true
			case http.StatusTooManyRequests:
				if r.errorCode(t) != "quota_exceeded" || r.header.Get("Retry-After") != "" {
					t.Fatalf("refusal = %s, Retry-After %q; want quota_exceeded without Retry-After (waiting frees no quota)", r.body, r.header.Get("Retry-After"))
				}
			default:
				t.Fatalf("upload = %d %s", r.status, r.body)
			}
		}
		if len(accepted) != 5 {
			t.Fatalf("%d uploads accepted; want exactly 5", len(accepted))
		}
		for id := range accepted {
			if got := e.poll(id); got["status"] != "ready" {
				t.Fatalf("image %s = %v", id, got)
			}
		}
		u := e.do("GET", "/v1/usage", nil, nil).json(t)
		if u["image_count"] != 5.0 || u["storage_used_bytes"] != float64(5*len(photo)) || u["image_quota"] != 5.0 {
			t.Fatalf("usage = %v; want 5 images, %d bytes", u, 5*len(photo))
		}
		for _, b := range e.blobs("staging") {
			if !accepted[b[strings.LastIndex(b, "/")+1:]] {
				t.Fatalf("staging blob %s of a refused upload left behind", b)
			}
		}
		// Deleting one frees room for one more.
		for id := range accepted {
			if r := e.do("DELETE", "/v1/images/"+id, nil, nil); r.status != 204 {
				t.Fatal(r.status)
			}
			break
		}
		if r := e.upload("photo.jpg", photo, map[string]string{"quality": "30"}, nil); r.status != 201 {
			t.Fatalf("upload after a delete = %d %s; want 201", r.status, r.body)
		}
		if r := e.upload("photo.jpg", photo, map[string]string{"quality": "31"}, nil); r.status != 429 {
			t.Fatalf("upload past the quota again = %d; want 429", r.status)
		}
	})
}

// TestRateLimitAcrossAPIProcesses: 11 upload requests in a minute through
// two API processes sharing Redis: the 11th is refused.
func TestRateLimitAcrossAPIProcesses(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true,
		api: api.Config{Plans: plans(picpipe.Plan{UploadsPerMinute: 10, MaxUploadBytes: 1 << 20})}})
	second := e.another()
	for i := range 10 {
		via := e
		if i%2 == 1 {
			via = second
		}
		r := via.upload("", nil, map[string]string{"quality": "80"}, nil) // refused as invalid, but counted
		if r.status != 400 {
			t.Fatalf("request %d = %d %s; want 400 (allowed through the limiter)", i+1, r.status, r.body)
		}
		if got := r.header.Get("RateLimit-Remaining"); got != strconv.Itoa(9-i) || r.header.Get("X-RateLimit-Limit") != "10" {
			t.Fatalf("request %d: RateLimit-Remaining %q X-RateLimit-Limit %q; want %d, 10", i+1, got, r.header.Get("X-RateLimit-Limit"), 9-i)
		}
	}
	r := second.upload("photo.jpg", fixture(t, "photo.jpg"), nil, nil)
	if r.status != 429 || r.errorCode(t) != "rate_limited" {
		t.Fatalf("11th request = %d %s; want 429 rate_limited", r.status, r.body)
	}
	ra, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 60 {
		t.Fatalf("Retry-After = %q; want 1-60 seconds", r.header.Get("Retry-After"))
	}
	if b := e.blobs(""); len(b) != 0 {
		t.Fatalf("a rate-limited upload stored %v", b)
	}
	// Another key of another account has its own budget; reads are not limited.
	other := map[string]string{"Authorization": "Bearer " + e.newUserKey()}
	if r := e.upload("", nil, nil, other); r.status != 400 {
		t.Fatalf("other key = %d; want 400 (not limited)", r.status)
	}
	if r := e.do("GET", "/v1/images", nil, nil); r.status != 200 {
		t.Fatalf("GET while upload-limited = %d; want 200", r.status)
	}
}

// TestRateLimitPerAccount: keys are self-service, so the upload rate is
// the account's: three keys and an agent name of one account share its
// 10 a minute.
func TestRateLimitPerAccount(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true,
		api: api.Config{Plans: plans(picpipe.Plan{UploadsPerMinute: 10, MaxUploadBytes: 1 << 20})}})
	var creds []map[string]string
	for i := range 3 {
		r := e.postJSON("/v1/keys", fmt.Sprintf(`{"name": "k%d"}`, i), nil)
		if r.status != 201 {
			t.Fatalf("create key %d = %d %s", i, r.status, r.body)
		}
		creds = append(creds, map[string]string{"Authorization": "Bearer " + str(r.json(t), "key")})
	}
	if _, err := e.db.CreateAgent(context.Background(), "ratebot", e.userID, nil, time.Now().Unix()); err != nil {
		t.Fatal(err)
	}
	agent := map[string]string{"Authorization": "", "Agent": "ratebot"}
	for i := range 10 {
		r := e.upload("", nil, map[string]string{"quality": "80"}, creds[i%3]) // refused as invalid, but counted
		if r.status != 400 {
			t.Fatalf("request %d = %d %s; want 400 (allowed through the limiter)", i+1, r.status, r.body)
		}
	}
	for i, h := range append(creds, map[string]string{}) {
		if r := e.upload("", nil, nil, h); r.status != 429 || r.errorCode(t) != "rate_limited" {
			t.Errorf("credential %d after the account's 10 = %d %s; want 429 rate_limited", i, r.status, r.body)
		}
	}
	body, ct := form(t, "", nil, nil)
	agent["Content-Type"] = ct
	if r := e.do("POST", "/compat/agent/api/v1/upload", body, agent); r.status != 429 {
		t.Errorf("agent of the same account = %d %s; want 429", r.status, r.body)
	}
	if r := e.upload("", nil, nil, map[string]string{"Authorization": "Bearer " + e.newUserKey()}); r.status != 400 {
		t.Errorf("another account = %d %s; want 400 (not limited)", r.status, r.body)
	}
}

func TestKeysAPI(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	r := e.do("POST", "/v1/keys", strings.NewReader(`{"name":"ci","allowed_ips":["127.0.0.1","2001:db8::/32"]}`),
		map[string]string{"Content-Type": "application/json"})
	if r.status != 201 {
		t.Fatalf("create key = %d %s", r.status, r.body)
	}
	k := r.json(t)
	secret, id := k["key"].(string), k["id"].(string)
	if !strings.HasPrefix(secret, "pk_live_") || !strings.HasPrefix(id, "ak_") || !strings.HasPrefix(secret, k["prefix"].(string)) {
		t.Fatalf("created key = %v", k)
	}
	if fmt.Sprint(k["allowed_ips"]) != "[127.0.0.1/32 2001:db8::/32]" {
		t.Fatalf("allowed_ips = %v", k["allowed_ips"])
	}
	withNew := map[string]string{"Authorization": "Bearer " + secret}
	if r := e.do("GET", "/v1/images", nil, withNew); r.status != 200 {
		t.Fatalf("new key = %d; want 200", r.status)
	}
	list := e.do("GET", "/v1/keys", nil, nil)
	if list.status != 200 || strings.Contains(string(list.body), secret) || strings.Count(string(list.body), `"ak_`) != 2 {
		t.Fatalf("list keys = %d %s; want both keys, no secret", list.status, list.body)
	}
	other := map[string]string{"Authorization": "Bearer " + e.newUserKey()}
	if r := e.do("DELETE", "/v1/keys/"+id, nil, other); r.status != 404 {
		t.Fatalf("another account revoking = %d; want 404", r.status)
	}
	if r := e.do("DELETE", "/v1/keys/"+id, nil, nil); r.status != 204 {
		t.Fatalf("revoke = %d %s; want 204", r.status, r.body)
	}
	if r := e.do("GET", "/v1/images", nil, withNew); r.status != 401 {
		t.Fatalf("revoked key, next request = %d; want 401", r.status)
	}
	for _, body := range []string{`{"allowed_ips":["not-an-ip"]}`, `{"allowed_ips":["10.0.0.0/33"]}`, `[`} {
		r := e.do("POST", "/v1/keys", strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
		if r.status != 400 || r.errorCode(t) != "invalid_request" {
			t.Errorf("create key %s = %d %s; want 400 invalid_request", body, r.status, r.body)
		}
	}
}

func TestIPAllowList(t *testing.T) {
	d := testenv.SQLite(t)
	untrusted := newEnv(t, d, envOpts{noWorker: true})
	trusted := newEnv(t, d, envOpts{noWorker: true, api: api.Config{TrustedProxies: []string{"127.0.0.1/32"}}})
	ctx := context.Background()
	_, _, office, err := d.CreateUserWithKey(ctx, "office", "free", "10.0.0.0/8", time.Now().Unix())
	if err != nil {
		t.Fatal(err)
	}
	_, _, local, _ := d.CreateUserWithKey(ctx, "local", "free", "127.0.0.1/32,::1/128", time.Now().Unix())
	tests := []struct {
		name string
		e    *env
		key  string
		xff  string
		want int
	}{
		{"outside the list", untrusted, office, "", 403},
		{"spoofed X-Forwarded-For from an untrusted peer", untrusted, office, "10.1.2.3", 403},
		{"X-Forwarded-For from a trusted proxy", trusted, office, "10.1.2.3", 200},
		{"trusted proxy, client outside", trusted, office, "192.0.2.7", 403},
		{"inside the list", untrusted, local, "", 200},
		{"spoof cannot leave the list either", untrusted, local, "203.0.113.9", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.e.do("GET", "/v1/images", nil, map[string]string{"Authorization": "Bearer " + tt.key, "X-Forwarded-For": tt.xff})
			if r.status != tt.want {
				t.Fatalf("= %d %s; want %d", r.status, r.body, tt.want)
			}
			if tt.want == 403 && r.errorCode(t) != "forbidden" {
				t.Fatalf("code = %s; want forbidden", r.errorCode(t))
			}
		})
	}
}

func TestUsageCountsDedupOnce(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	photo := fixture(t, "photo.jpg")
	first := e.upload("photo.jpg", photo, nil, nil)
	second := e.upload("photo.jpg", photo, nil, nil)
	if first.status != 201 || second.status != 200 || first.json(t)["id"] != second.json(t)["id"] {
		t.Fatalf("uploads = %d, %d; want 201 then 200 with the same id", first.status, second.status)
	}
	u := e.do("GET", "/v1/usage", nil, nil).json(t)
	period := time.Now().UTC().Format("2006-01")
	if u["period"] != period || u["plan"] != "free" || u["image_count"] != 1.0 || u["transform_count"] != 1.0 ||
		u["storage_used_bytes"] != float64(len(photo)) || u["api_calls"] != 3.0 {
		t.Fatalf("usage = %v; want period %s, 1 image, 1 transform, %d bytes, 3 calls", u, period, len(photo))
	}
}

// TestFilesQuota: files count against the storage quota only; a request
// whose every file is over it is a 429, without Retry-After.
func TestFilesQuota(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true,
		api: api.Config{Plans: plans(picpipe.Plan{MaxImages: 1, MaxStorageBytes: 100, MaxUploadBytes: 1 << 20})}})
	r := e.multi("/v1/files", []part{{"files", "a.txt", make80('a')}, {"files", "b.txt", make80('b')}}, nil)
	if r.status != 201 || len(r.json(t)["uploaded"].([]any)) != 1 || r.json(t)["errors"].([]any)[0].(map[string]any)["code"] != "quota_exceeded" {
		t.Fatalf("two files, room for one = %d %s; want one uploaded, one quota_exceeded", r.status, r.body)
	}
	r = e.multi("/v1/files", []part{{"files", "c.txt", []byte("thirty bytes, which is too many\n")}}, nil)
	if r.status != 429 || r.errorCode(t) != "quota_exceeded" || r.header.Get("Retry-After") != "" {
		t.Fatalf("over the storage quota = %d %s, Retry-After %q; want 429 without Retry-After (waiting frees no quota)", r.status, r.body, r.header.Get("Retry-After"))
	}
	if b := e.blobs(""); len(b) != 1 {
		t.Fatalf("blobs = %v; want only the stored file", b)
	}
}

func make80(c byte) []byte {
	b := make([]byte, 80)
	for i := range b {
		b[i] = c
	}
	return b
}
