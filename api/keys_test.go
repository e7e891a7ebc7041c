package api_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"picpipe/api"
	"picpipe/internal/testenv"
)

// keyOf creates a key with body as the caller with header and returns
// its secret and id, failing unless it answers want.
func (e *env) keyOf(body string, header map[string]string, want int) (secret, id string) {
	e.t.Helper()
	r := e.postJSON("/v1/keys", body, header)
	if r.status != want {
		e.t.Fatalf("POST /v1/keys %s = %d %s; want %d", body, r.status, r.body, want)
	}
	if want != http.StatusCreated {
		return "", ""
	}
	m := r.json(e.t)
	return str(m, "key"), str(m, "id")
}

func bearer(secret string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + secret}
}

// TestKeysNoBroaderThanTheirMaker: a key restricted to some addresses
// cannot make an unrestricted key, nor one for other addresses or with
// scopes it lacks, nor revoke a broader key; what it makes inherits its
// restrictions.
func TestKeysNoBroaderThanTheirMaker(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	fullID := str(e.do("GET", "/v1/keys", nil, nil).json(t)["data"].([]any)[0].(map[string]any), "id")
	office, officeID := e.keyOf(`{"name": "office", "allowed_ips": ["127.0.0.0/8", "2001:db8::/32"]}`, nil, 201)
	for _, body := range []string{
		`{"name": "anywhere", "allowed_ips": []}`,
		`{"name": "elsewhere", "allowed_ips": ["10.0.0.0/8"]}`,
		`{"name": "wider", "allowed_ips": ["127.0.0.0/7"]}`,
	} {
		e.keyOf(body, bearer(office), http.StatusForbidden)
	}
	e.keyOf(`{"name": "inherits"}`, bearer(office), 201)
	r := e.do("GET", "/v1/keys", nil, bearer(office))
	for _, k := range r.json(t)["data"].([]any) {
		m := k.(map[string]any)
		if str(m, "name") == "inherits" && fmt.Sprint(m["allowed_ips"]) != "[127.0.0.0/8 2001:db8::/32]" {
			t.Errorf("a key made without allowed_ips by a restricted key has %v; want the maker's", m["allowed_ips"])
		}
	}
	uploader, uploaderID := e.keyOf(`{"name": "ci", "allowed_ips": ["127.0.0.1"], "scopes": ["upload"]}`, bearer(office), 201)
	e.keyOf(`{"name": "more", "scopes": ["upload", "keys"]}`, bearer(uploader), http.StatusForbidden) // no keys scope at all

	if r := e.do("DELETE", "/v1/keys/"+fullID, nil, bearer(office)); r.status != http.StatusForbidden || r.errorCode(t) != "forbidden" {
		t.Fatalf("the office key revoking the unrestricted key = %d %s; want 403", r.status, r.body)
	}
	if r := e.do("GET", "/v1/images", nil, nil); r.status != 200 {
		t.Fatalf("the unrestricted key after that = %d; want 200", r.status)
	}
	if r := e.do("DELETE", "/v1/keys/"+uploaderID, nil, bearer(office)); r.status != 204 {
		t.Fatalf("the office key revoking a narrower key = %d %s; want 204", r.status, r.body)
	}
	if r := e.do("DELETE", "/v1/keys/"+officeID, nil, bearer(office)); r.status != 204 {
		t.Fatalf("the office key revoking itself = %d %s; want 204", r.status, r.body)
	}
	if r := e.do("DELETE", "/v1/keys/ak_01M8V0CGBMF9SA0CDQYD17J21A", nil, nil); r.status != 404 {
		t.Fatalf("revoking an unknown key = %d; want 404", r.status)
	}
}

// TestKeyScopes: each route needs its scope; the seed mounts need upload.
func TestKeyScopes(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	up, _ := e.keyOf(`{"name": "up", "scopes": ["upload"]}`, nil, 201)
	read, _ := e.keyOf(`{"name": "read", "scopes": ["read"]}`, nil, 201)
	tests := []struct {
		name, method, path string
		key                string
		want               int
	}{
		{"upload key lists images", "GET", "/v1/images", up, 403},
		{"upload key reads usage", "GET", "/v1/usage", up, 403},
		{"upload key deletes", "DELETE", "/v1/images/img_01M8V0CGBMF9SA0CDQYD17J21A", up, 403},
		{"upload key lists keys", "GET", "/v1/keys", up, 403},
		{"upload key uploads", "POST", "/v1/images", up, 400}, // no file: past the scope check
		{"read key lists images", "GET", "/v1/images", read, 200},
		{"read key uploads", "POST", "/v1/images", read, 403},
		{"read key uploads files", "POST", "/v1/files", read, 403},
		{"read key presigns", "POST", "/v1/uploads/presign", read, 403},
		{"read key deletes a file", "DELETE", "/v1/files/file_01M8V0CGBMF9SA0CDQYD17J21A", read, 403},
		{"read key makes a key", "POST", "/v1/keys", read, 403},
		{"read key on a seed mount", "POST", "/compat/picklyone/api/v1/upload", read, 403},
	}
	for _, tt := range tests {
		h := bearer(tt.key)
		h["Content-Type"] = "application/json"
		r := e.do(tt.method, tt.path, nil, h)
		if r.status != tt.want {
			t.Errorf("%s: %s %s = %d %s; want %d", tt.name, tt.method, tt.path, r.status, r.body, tt.want)
		}
	}
}

// TestKeyLimit: an account holds at most MaxKeys keys, however many are
// asked for at once; a key revoked at once still counts.
func TestKeyLimit(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, api: api.Config{MaxKeys: 5}})
	var wg sync.WaitGroup
	statuses := make(chan int, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- e.postJSON("/v1/keys", fmt.Sprintf(`{"name": "k%d"}`, i), nil).status
		}()
	}
	wg.Wait()
	close(statuses)
	made := 0
	for s := range statuses {
		switch s {
		case 201:
			made++
		case 429:
		default:
			t.Fatalf("a key in the burst = %d", s)
		}
	}
	if made != 4 { // the account's first key and 4 more
		t.Fatalf("%d keys made in a burst of 20; want 4 (5 with the first)", made)
	}
	r := e.postJSON("/v1/keys", `{"name": "one more"}`, nil)
	if r.status != 429 || r.errorCode(t) != "quota_exceeded" || r.header.Get("Retry-After") != "" {
		t.Fatalf("a sixth key = %d %s; want 429 quota_exceeded without Retry-After", r.status, r.body)
	}
	list := e.do("GET", "/v1/keys", nil, nil).json(t)["data"].([]any)
	id := str(list[len(list)-1].(map[string]any), "id")
	if r := e.do("DELETE", "/v1/keys/"+id, nil, nil); r.status != 204 {
		t.Fatal(r.status)
	}
	if r := e.postJSON("/v1/keys", `{"name": "churn"}`, nil); r.status != 429 {
		t.Fatalf("a key right after revoking a new one = %d; want 429", r.status)
	}
}
