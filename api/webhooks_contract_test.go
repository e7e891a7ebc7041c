package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"picpipe/api"
	"picpipe/internal/testenv"
)

// webhookScenario runs every webhook route's answers against the
// contract, with a receiver on loopback (allowed for this env's
// fetcher) and at most two endpoints per account.
func webhookScenario(t *testing.T, c *contract) {
	rc := newReceiver(t)
	e := hookEnv(t, testenv.SQLite(t), rc, envOpts{api: api.Config{MaxWebhooks: 2}})
	var hookID, otherID, dlvID string
	post := func(body string) func(string) resp { return func(p string) resp { return e.postJSON(p, body, nil) } }
	patch := func(body string) func(string) resp {
		return func(p string) resp {
			return e.do("PATCH", p, strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
		}
	}
	get := func(p string) resp { return e.do("GET", p, nil, nil) }
	del := func(p string) resp { return e.do("DELETE", p, nil, nil) }
	hook := func(suffix string) func() string { return func() string { return "/v1/webhooks/" + hookID + suffix } }
	c.run(t, []step{
		{"create webhook", "POST", fixed("/v1/webhooks"), post(`{"url": "` + rc.srv.URL + `/hooks", "events": ["image.ready"], "description": "ci"}`), 201,
			func(t *testing.T, r resp) { hookID = str(r.json(t), "id") }},
		{"create webhook, unknown event", "POST", fixed("/v1/webhooks"), post(`{"url": "` + rc.srv.URL + `", "events": ["image.done"]}`), 400, nil},
		{"create webhook, metadata address", "POST", fixed("/v1/webhooks"), post(`{"url": "http://169.254.169.254/latest/meta-data/", "events": ["*"]}`), 400, nil},
		{"create webhook, no url", "POST", fixed("/v1/webhooks"), post(`{"events": ["*"]}`), 400, nil},
		{"second webhook", "POST", fixed("/v1/webhooks"), post(`{"url": "` + rc.srv.URL + `/other", "events": ["*"]}`), 201,
			func(t *testing.T, r resp) { otherID = str(r.json(t), "id") }},
		{"third webhook, over the limit", "POST", fixed("/v1/webhooks"), post(`{"url": "` + rc.srv.URL + `", "events": ["*"]}`), 429, nil},
		{"list webhooks", "GET", fixed("/v1/webhooks?limit=1"), get, 200, nil},
		{"list webhooks, bad limit", "GET", fixed("/v1/webhooks?limit=101"), get, 400, nil},
		{"get webhook", "GET", hook(""), get, 200, nil},
		{"another account's webhook", "GET", hook(""), func(p string) resp {
			return e.do("GET", p, nil, map[string]string{"Authorization": "Bearer " + e.newUserKey()})
		}, 404, nil},
		{"disable webhook", "PATCH", hook(""), patch(`{"enabled": false}`), 200, func(t *testing.T, r resp) {
			if m := r.json(t); m["status"] != "disabled" || m["disabled_reason"] == nil {
				t.Fatalf("disabled: %s", r.body)
			}
		}},
		{"enable webhook, every event", "PATCH", hook(""), patch(`{"enabled": true, "events": ["*"]}`), 200, nil},
		{"update webhook, private address", "PATCH", hook(""), patch(`{"url": "http://10.1.2.3/hook"}`), 400, nil},
		{"roll secret", "POST", hook("/secret"), post(`{"previous_secret_expires_in": 3600}`), 200, nil},
		{"roll secret, no body", "POST", hook("/secret"), post(``), 200, nil},
		{"roll secret, too long a grace", "POST", hook("/secret"), post(`{"previous_secret_expires_in": 99999999}`), 400, nil},
	})
	up := e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, nil)
	// The body a receiver gets is what the WebhookEvent schema says.
	h := rc.awaitEvent("image.ready", str(up.json(t), "id"))
	var body any
	if err := json.Unmarshal(h.body, &body); err != nil {
		t.Fatal(err)
	}
	if err := c.doc.Components.Schemas["WebhookEvent"].Value.VisitJSON(body, openapi3.EnableJSONSchema2020()); err != nil {
		t.Fatalf("a delivery's body does not match WebhookEvent: %v\n%s", err, h.body)
	}
	bad := map[string]any{}
	json.Unmarshal(h.body, &bad)
	bad["sequence"] = "1"
	if c.doc.Components.Schemas["WebhookEvent"].Value.VisitJSON(bad, openapi3.EnableJSONSchema2020()) == nil {
		t.Fatal("WebhookEvent takes a string sequence")
	}
	if len(e.awaitLog(hookID, 1)) == 0 {
		t.Fatal("no delivery logged")
	}
	c.run(t, []step{
		{"deliveries", "GET", hook("/deliveries?limit=10"), get, 200, func(t *testing.T, r resp) {
			dlvID = str(r.json(t)["data"].([]any)[0].(map[string]any), "id")
		}},
		{"deliveries of another account's webhook", "GET", hook("/deliveries"), func(p string) resp {
			return e.do("GET", p, nil, map[string]string{"Authorization": "Bearer " + e.newUserKey()})
		}, 404, nil},
		{"retry a delivery", "POST", func() string { return "/v1/webhooks/" + hookID + "/deliveries/" + dlvID + "/retry" }, post(``), 202, nil},
		{"retry an unknown delivery", "POST", hook("/deliveries/dlv_nope/retry"), post(``), 404, nil},
		{"delete webhook", "DELETE", func() string { return "/v1/webhooks/" + otherID }, del, 204, nil},
		{"delete it again", "DELETE", func() string { return "/v1/webhooks/" + otherID }, del, 404, nil},
	})
	if r := e.do("GET", "/v1/webhooks/"+otherID+"/deliveries", nil, nil); r.status != http.StatusNotFound {
		t.Fatalf("log of a deleted endpoint = %d", r.status)
	}
}
