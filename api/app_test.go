package api_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"picpipe/internal/testenv"
)

// appScenario validates against the contract what the web upload page
// serves: /app's redirect, its files, an unknown file's 404.
func appScenario(t *testing.T, c *contract, e *env) {
	for _, ct := range []string{"text/html", "text/javascript", "text/css", "image/svg+xml"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) resp {
		res, err := noFollow.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return resp{res.StatusCode, res.Header, b}
	}
	if r := c.check(t, "GET", "/app", get("/app")); r.status != 301 || r.header.Get("Location") != "/app/" {
		t.Fatalf("GET /app = %d, Location %q; want 301 to /app/", r.status, r.header.Get("Location"))
	}
	for _, p := range []string{"/app/index.html", "/app/app.js", "/app/app.css", "/app/icon.svg"} {
		if r := c.check(t, "GET", p, get(p)); r.status != 200 {
			t.Errorf("GET %s = %d", p, r.status)
		}
	}
	if r := c.check(t, "GET", "/app/nope.js", get("/app/nope.js")); r.status != 404 {
		t.Errorf("GET /app/nope.js = %d; want 404", r.status)
	}
}

// TestImageVariants: an image shows its variants — its AVIF's status,
// and its size once made — in the image and in the list, as the contract
// says; before it is ready, none.
func TestImageVariants(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	c := loadContract(t, e)
	queued := c.check(t, "POST", "/v1/images", e.upload("alpha.png", fixture(t, "alpha.png"), nil, map[string]string{"Prefer": "respond-async"}))
	if v, ok := queued.json(t)["variants"].(map[string]any); !ok || len(v) != 0 {
		t.Fatalf("variants of a queued image = %s; want {}", queued.body)
	}
	up := c.check(t, "POST", "/v1/images", e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, nil))
	id := str(up.json(t), "id")
	e.settle(id)
	r := c.check(t, "GET", "/v1/images/"+id, e.do("GET", "/v1/images/"+id, nil, nil))
	avif, _ := r.json(t)["variants"].(map[string]any)["avif"].(map[string]any)
	if avif["status"] != "ready" || avif["size"].(float64) <= 0 {
		t.Fatalf("variants of a settled image = %s; want its AVIF ready with a size", r.body)
	}
	list := c.check(t, "GET", "/v1/images", e.do("GET", "/v1/images", nil, nil))
	first := list.json(t)["data"].([]any)[0].(map[string]any)
	if got := first["variants"].(map[string]any)["avif"].(map[string]any)["size"]; first["id"] != id || got != avif["size"] {
		t.Fatalf("the list shows %v's AVIF size as %v; the image %v", first["id"], got, avif["size"])
	}
}
