package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"picpipe/internal/testenv"
)

// TestWebhookRequests: what the endpoints' routes take and refuse, and
// that an endpoint is its account's alone.
func TestWebhookRequests(t *testing.T) {
	rc := newReceiver(t)
	e := hookEnv(t, testenv.SQLite(t), rc, envOpts{})
	create := func(body string, key string) resp {
		h := map[string]string{}
		if key != "" {
			h["Authorization"] = "Bearer " + key
		}
		return e.postJSON("/v1/webhooks", body, h)
	}
	good := `{"url": "` + rc.srv.URL + `/h", "events": ["image.ready"]}`
	for _, tt := range []struct{ name, body string }{
		{"no url", `{"events": ["*"]}`},
		{"no events", `{"url": "` + rc.srv.URL + `"}`},
		{"empty events", `{"url": "` + rc.srv.URL + `", "events": []}`},
		{"unknown event", `{"url": "` + rc.srv.URL + `", "events": ["image.readyy"]}`},
		{"a URL too long", `{"url": "` + rc.srv.URL + "/" + strings.Repeat("a", 2100) + `", "events": ["*"]}`},
		{"a description too long", `{"url": "` + rc.srv.URL + `", "events": ["*"], "description": "` + strings.Repeat("d", 201) + `"}`},
		{"not JSON", `url=x`},
		{"events not a list", `{"url": "` + rc.srv.URL + `", "events": "*"}`},
	} {
		if r := create(tt.body, ""); r.status != http.StatusBadRequest || r.errorCode(t) != "invalid_request" {
			t.Errorf("%s: %d %s; want 400 invalid_request", tt.name, r.status, r.body)
		}
	}
	r := create(`{"url": "`+rc.srv.URL+`/h", "events": ["file.deleted", "image.ready", "image.ready"], "description": " prod/eu\u0000\u202e "}`, "")
	if m := r.json(t); r.status != 201 || !slices.Equal(toStrings(m["events"]), []string{"image.ready", "file.deleted"}) ||
		m["description"] != "prod/eu" || r.header.Get("Location") != "/v1/webhooks/"+str(m, "id") {
		t.Fatalf("create = %d %s %v", r.status, r.body, r.header)
	}
	id := str(r.json(t), "id")
	if m := create(`{"url": "`+rc.srv.URL+`", "events": ["image.ready", "*"]}`, "").json(t); !slices.Equal(toStrings(m["events"]), []string{"*"}) {
		t.Fatalf("* with others: %v", m["events"])
	}

	// Another account's endpoint is not found, on every route.
	other := "Bearer " + e.newUserKey()
	for _, rq := range []struct{ method, path, body string }{
		{"GET", "/v1/webhooks/" + id, ""},
		{"PATCH", "/v1/webhooks/" + id, `{"enabled": true}`},
		{"DELETE", "/v1/webhooks/" + id, ""},
		{"POST", "/v1/webhooks/" + id + "/secret", ""},
		{"GET", "/v1/webhooks/" + id + "/deliveries", ""},
		{"POST", "/v1/webhooks/" + id + "/deliveries/dlv_x/retry", ""},
	} {
		r := e.do(rq.method, rq.path, strings.NewReader(rq.body), map[string]string{"Authorization": other, "Content-Type": "application/json"})
		if r.status != http.StatusNotFound || r.errorCode(t) != "not_found" {
			t.Errorf("another account's %s %s = %d %s; want 404", rq.method, rq.path, r.status, r.body)
		}
	}
	if r := e.do("GET", "/v1/webhooks", nil, map[string]string{"Authorization": other}); !strings.Contains(string(r.body), `"data":[]`) {
		t.Fatalf("another account's list: %s", r.body)
	}

	// Endpoints carry the account's images and files: read and keys both.
	for _, scopes := range []string{`["read"]`, `["keys"]`} {
		k := e.postJSON("/v1/keys", `{"scopes": `+scopes+`}`, nil)
		if r := create(good, str(k.json(t), "key")); r.status != http.StatusForbidden {
			t.Errorf("a key with %s creates a webhook: %d", scopes, r.status)
		}
	}

	// The limit.
	for range 8 {
		if r := create(good, ""); r.status != 201 {
			t.Fatalf("create = %d %s", r.status, r.body)
		}
	}
	if r := create(good, ""); r.status != http.StatusTooManyRequests || r.errorCode(t) != "quota_exceeded" {
		t.Fatalf("the 11th = %d %s; want 429 quota_exceeded", r.status, r.body)
	}
	page := e.getJSON("/v1/webhooks?limit=6")
	next := e.getJSON("/v1/webhooks?limit=6&cursor=" + str(page, "next_cursor"))
	if len(page["data"].([]any)) != 6 || len(next["data"].([]any)) != 4 || next["next_cursor"] != nil {
		t.Fatalf("pages of %d and %d", len(page["data"].([]any)), len(next["data"].([]any)))
	}
	if r := e.do("DELETE", "/v1/webhooks/"+id, nil, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete = %d", r.status)
	}
	if r := e.do("GET", "/v1/webhooks/"+id, nil, nil); r.status != http.StatusNotFound {
		t.Fatalf("deleted = %d", r.status)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

// TestWebhookSecretRoll: after a roll, deliveries carry a signature by
// the new secret and one by the old until the old one expires; a roll
// with no grace signs with the new one alone.
func TestWebhookSecretRoll(t *testing.T) {
	rc := newReceiver(t)
	e := hookEnv(t, testenv.SQLite(t), rc, envOpts{})
	hookID, first := e.createWebhook(rc.srv.URL, "file.ready")
	file := func(name string) hit {
		r := e.multi("/v1/files", []part{{"files", name, []byte(name)}}, nil)
		return rc.awaitEvent("file.ready", str(r.json(t)["uploaded"].([]any)[0].(map[string]any), "id"))
	}
	h := file("a.txt")
	verified(t, h, first)

	r := e.postJSON("/v1/webhooks/"+hookID+"/secret", ``, nil)
	m := r.json(t)
	second := str(m, "secret")
	if r.status != 200 || second == first || !strings.HasPrefix(second, "whsec_") {
		t.Fatalf("roll = %d %s", r.status, r.body)
	}
	if exp, _ := m["previous_secret_expires_at"].(float64); int64(exp) < time.Now().Unix()+86000 || int64(exp) > time.Now().Unix()+86500 {
		t.Fatalf("previous_secret_expires_at %v; want a day from now", m["previous_secret_expires_at"])
	}
	if g := e.getJSON("/v1/webhooks/" + hookID); g["secret"] != nil {
		t.Fatalf("GET shows the secret: %v", g)
	}
	h = file("b.txt")
	if signedBy(h, first) != nil || signedBy(h, second) != nil || strings.Count(h.header.Get("Picpipe-Signature"), "v1=") != 2 {
		t.Fatalf("after a roll with a grace: %q verifies with old %v, new %v", h.header.Get("Picpipe-Signature"), signedBy(h, first), signedBy(h, second))
	}

	r = e.postJSON("/v1/webhooks/"+hookID+"/secret", `{"previous_secret_expires_in": 0}`, nil)
	third := str(r.json(t), "secret")
	if r.json(t)["previous_secret_expires_at"] != nil {
		t.Fatalf("roll without grace: %s", r.body)
	}
	h = file("c.txt")
	if signedBy(h, third) != nil || signedBy(h, second) == nil || signedBy(h, first) == nil {
		t.Fatalf("after a roll without grace: %q", h.header.Get("Picpipe-Signature"))
	}
	var body map[string]any
	json.Unmarshal(h.body, &body)
	if body["type"] != "file.ready" || body["object"] != "event" {
		t.Fatalf("body %s", h.body)
	}
}
