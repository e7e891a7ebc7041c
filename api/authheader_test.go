package api_test

import (
	"bytes"
	"strings"
	"testing"

	"picpipe/internal/testenv"
)

// TestAuthorizationWithoutScheme: a key sent as "Authorization: pk_…",
// without Bearer, is answered with what is wrong and how to send it —
// never "missing API key", never echoing the secret — on the native API
// and on every seed mount.
func TestAuthorizationWithoutScheme(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	tests := []struct {
		name, header, want string
	}{
		{"no scheme", e.key, "Authorization needs the Bearer scheme: Authorization: Bearer pk_"},
		{"key first", e.key + " extra", "Authorization needs the Bearer scheme"},
		{"another scheme", "Basic " + e.key, "Authorization takes the Bearer scheme only"},
		{"bearer alone", "Bearer", "Authorization: Bearer carries no key"},
	}
	paths := []string{"/v1/images", "/compat/picklyone/api/v1/upload", "/compat/apimart/v1/uploads/images",
		"/compat/agent/api/v1/upload", "/compat/kie/api/file-stream-upload"}
	for _, tt := range tests {
		for _, p := range paths {
			r := e.do("POST", p, bytes.NewReader(nil), map[string]string{"Authorization": tt.header})
			body := string(r.body)
			if r.status != 401 || !strings.Contains(body, tt.want) {
				t.Errorf("%s, POST %s = %d %s; want 401 saying %q", tt.name, p, r.status, body, tt.want)
			}
			if strings.Contains(body, "missing") || strings.Contains(body, e.key) {
				t.Errorf("%s, POST %s says %s: a missing key, or the secret", tt.name, p, body)
			}
		}
	}
	// Nothing sent at all is still a missing key.
	if r := e.do("GET", "/v1/usage", nil, map[string]string{"Authorization": ""}); r.status != 401 || !strings.Contains(string(r.body), "missing API key") {
		t.Errorf("no key = %d %s; want 401 missing API key", r.status, r.body)
	}
	// And the key with its scheme works.
	if r := e.do("GET", "/v1/usage", nil, map[string]string{"Authorization": "bearer " + e.key}); r.status != 200 {
		t.Errorf("bearer (lower case) = %d %s; want 200", r.status, r.body)
	}
}
