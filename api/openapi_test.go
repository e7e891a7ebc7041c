package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/api"
	"picpipe/internal/testenv"
)

// binaryTypes are the media types of the delivery links' bodies. The
// validator has no decoder for them, so they are registered as opaque
// bytes (a string to the schema): their bodies are checked for Content-Type
// only, everything else about them (status, headers) as for JSON.
var binaryTypes = []string{"image/webp", "image/avif", "image/gif", "image/jpeg", "image/png", "application/pdf", "text/markdown"}

var registerDecoders sync.Once

// contract is the served OpenAPI document, loaded and validated, with a
// router to find each request's operation, and a record of the
// operations and statuses real responses exercised.
type contract struct {
	t      *testing.T
	doc    *openapi3.T
	router routers.Router
	seen   map[string]bool // "METHOD /path" of each validated response's operation
}

// loadContract fetches GET /openapi.json from e, loads it with
// kin-openapi and validates it as an OpenAPI document.
func loadContract(t *testing.T, e *env) *contract {
	t.Helper()
	registerDecoders.Do(func() {
		for _, ct := range binaryTypes {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
		}
	})
	r := e.do("GET", "/openapi.json", nil, map[string]string{"Authorization": ""})
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json = %d %s", r.status, r.header.Get("Content-Type"))
	}
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromData(r.body)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("the document does not validate: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Servers) != 0 {
		t.Fatalf("openapi %q with %d servers; want 3.1.0 and none", doc.OpenAPI, len(doc.Servers))
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	c := &contract{t: t, doc: doc, router: router, seen: map[string]bool{}}
	c.check(t, "GET", "/openapi.json", r)
	return c
}

// validate checks one real response to method path against the document:
// its status must be documented for the operation, its documented
// headers present when required and well-formed, its body what the
// schema of its Content-Type says.
func (c *contract) validate(method, path string, r resp) error {
	req := httptest.NewRequest(method, path, nil)
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("no operation for %s %s: %w", method, path, err)
	}
	c.seen[method+" "+route.Path] = true
	opts := &openapi3filter.Options{IncludeResponseStatus: true}
	if method == http.MethodHead {
		// ValidateResponse skips HEAD altogether: check the HEAD
		// operation's statuses and headers as if for GET, without a body.
		req = httptest.NewRequest(http.MethodGet, path, nil)
		opts.ExcludeResponseBody = true
	}
	if r.status == http.StatusNotModified {
		// ValidateResponse skips 304: check its required headers here.
		return c.notModified(route, r)
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 r.status,
		Header:                 r.header,
		Body:                   io.NopCloser(bytes.NewReader(r.body)),
		Options:                opts,
	})
}

// notModified checks a 304 against its operation: documented, with every
// required header present.
func (c *contract) notModified(route *routers.Route, r resp) error {
	ref := route.Operation.Responses.Status(r.status)
	if ref == nil {
		return fmt.Errorf("status 304 is not documented for %s %s", route.Method, route.Path)
	}
	for name, h := range ref.Value.Headers {
		if h.Value.Required && r.header.Get(name) == "" {
			return fmt.Errorf("304: required header %s missing", name)
		}
	}
	return nil
}

// check fails the test unless r, the answer to method path, matches the
// document.
func (c *contract) check(t *testing.T, method, path string, r resp) resp {
	t.Helper()
	if err := c.validate(method, path, r); err != nil {
		t.Fatalf("%s %s = %d %s\n%s\nbody: %.600s", method, path, r.status, r.header.Get("Content-Type"), err, r.body)
	}
	return r
}

// step is one request of a scenario: what it must answer and, once it
// has, what it saves for later steps.
type step struct {
	name   string
	method string
	path   func() string
	send   func(path string) resp
	want   int
	then   func(t *testing.T, r resp)
}

// pathOf turns a link the API returned into a path on the test server.
func (e *env) pathOf(link string) string {
	return strings.TrimPrefix(link, e.srv.URL)
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func fixed(p string) func() string { return func() string { return p } }

// run runs steps in order, checking each answer's status and validating
// it against the contract.
func (c *contract) run(t *testing.T, steps []step) {
	for _, s := range steps {
		path := s.path()
		r := s.send(path)
		if r.status != s.want {
			t.Fatalf("%s: %s %s = %d; want %d: %.500s", s.name, s.method, path, r.status, s.want, r.body)
		}
		c.check(t, s.method, path, r)
		if s.then != nil {
			s.then(t, r)
		}
	}
}

const adminToken = "adm1n-t0ken"

// TestOpenAPIContract drives real requests of every kind through the real
// router, API, worker, Redis and database, and validates every response
// against the served OpenAPI document.
func TestOpenAPIContract(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{api: api.Config{AdminToken: adminToken,
		Plans: plans(picpipe.Plan{MaxUploadBytes: 10 << 20, MaxPresignedBytes: 50 << 20, UploadsPerMinute: 1000})}})
	c := loadContract(t, e)
	photo, png := fixture(t, "photo.jpg"), fixture(t, "alpha.png")
	anon := map[string]string{"Authorization": ""}
	var (
		img, asyncImg, fileID, keyID, limitedKey, revokedKey, stagingKey, grantPath, smallGrant string
		imgURL, etag, pdfURL, csvURL, jsonURL, mdURL, jpgURL, cursor                            string
	)
	get := func(p string) resp { return e.do("GET", p, nil, nil) }
	getWith := func(h map[string]string) func(string) resp {
		return func(p string) resp { return e.do("GET", p, nil, h) }
	}
	del := func(p string) resp { return e.do("DELETE", p, nil, nil) }
	postJSON := func(body func() string, h map[string]string) func(string) resp {
		return func(p string) resp { return e.postJSON(p, body(), h) }
	}
	lit := func(s string) func() string { return func() string { return s } }
	b64 := base64.StdEncoding.EncodeToString

	c.run(t, []step{
		{"discovery", "GET", fixed("/"), getWith(anon), 200, func(t *testing.T, r resp) {
			if m := r.json(t); m["openapi_url"] != e.srv.URL+"/openapi.json" {
				t.Fatalf("openapi_url = %v; want %s/openapi.json", m["openapi_url"], e.srv.URL)
			}
		}},
		{"healthz", "GET", fixed("/healthz"), getWith(anon), 200, nil},
		{"readyz", "GET", fixed("/readyz"), getWith(anon), 200, nil},
		{"metrics", "GET", fixed("/metrics"), getWith(map[string]string{"Authorization": "Bearer " + adminToken}), 200, nil},
		{"metrics without the admin token", "GET", fixed("/metrics"), get, 401, nil},
		{"dashboard without the admin token", "GET", fixed("/admin/queues"), getWith(anon), 401, nil},
		{"no key", "GET", fixed("/v1/images"), getWith(anon), 401, nil},
		{"unknown key via x-api-key", "GET", fixed("/v1/usage"), getWith(map[string]string{"Authorization": "", "X-Api-Key": "pk_live_nope"}), 401, nil},

		// Images: sync, dedup, async, data URL, failure, lists, delete.
		{"upload sync", "POST", fixed("/v1/images"), func(string) resp { return e.upload("photo.jpg", photo, nil, nil) }, 201,
			func(t *testing.T, r resp) {
				m := r.json(t)
				img, imgURL = str(m, "id"), str(m, "url")
				if r.header.Get("RateLimit-Limit") != "1000" || r.header.Get("Location") != "/v1/images/"+img {
					t.Fatalf("headers %v", r.header)
				}
			}},
		{"upload dedup", "POST", fixed("/v1/images"), func(string) resp { return e.upload("photo.jpg", photo, nil, nil) }, 200, nil},
		{"upload respond-async", "POST", fixed("/v1/images"), func(string) resp {
			return e.upload("p.jpg", fixture(t, "progressive.jpg"), map[string]string{"quality": "60", "resize": "200x"},
				map[string]string{"Prefer": "respond-async"})
		}, 202, func(t *testing.T, r resp) {
			asyncImg = str(r.json(t), "id")
			if r.header.Get("Preference-Applied") != "respond-async" {
				t.Fatalf("Preference-Applied = %q", r.header.Get("Preference-Applied"))
			}
		}},
		{"upload data URL", "POST", fixed("/v1/images"), postJSON(lit(`{"data": "data:image/png;base64,`+b64(png)+`", "filename": "alpha.png", "lossless": true}`), nil), 201, nil},
		{"upload bad option", "POST", fixed("/v1/images"), func(string) resp { return e.upload("photo.jpg", photo, map[string]string{"quality": "0"}, nil) }, 400, nil},
		{"upload not an image", "POST", fixed("/v1/images"), func(string) resp { return e.upload("cat.jpg", exe, nil, nil) }, 400, nil},
		{"upload truncated", "POST", fixed("/v1/images"), func(string) resp { return e.upload("cut.jpg", photo[:len(photo)/2], nil, nil) }, 422, nil},
		{"upload two sources", "POST", fixed("/v1/images"), postJSON(lit(`{"url": "https://example.com/a.jpg", "staging_key": "x"}`), nil), 400, nil},
		{"get image", "GET", func() string { return "/v1/images/" + img }, get, 200, nil},
		{"get async image", "GET", func() string { return "/v1/images/" + asyncImg }, get, 200, nil},
		{"list images, page 1", "GET", fixed("/v1/images?limit=1"), get, 200, func(t *testing.T, r resp) {
			if cursor = str(r.json(t), "next_cursor"); cursor == "" {
				t.Fatalf("no next_cursor: %s", r.body)
			}
		}},
		{"list images, page 2", "GET", func() string { return "/v1/images?limit=100&cursor=" + cursor }, get, 200, nil},
		{"list bad limit", "GET", fixed("/v1/images?limit=0"), get, 400, nil},
		{"another account's image", "GET", func() string { return "/v1/images/" + img },
			getWith(map[string]string{"Authorization": "Bearer " + e.newUserKey()}), 404, nil},

		// Delivery of the image.
		{"direct link", "GET", func() string { return e.pathOf(imgURL) }, getWith(map[string]string{"Accept": "image/webp"}), 200,
			func(t *testing.T, r resp) { etag = r.header.Get("ETag") }},
		{"direct link, any Accept", "GET", func() string { return e.pathOf(imgURL) }, getWith(anon), 200, nil},
		{"direct link, range", "GET", func() string { return e.pathOf(imgURL) }, getWith(map[string]string{"Accept": "image/webp", "Range": "bytes=0-99"}), 206, nil},
		{"direct link, bad range", "GET", func() string { return e.pathOf(imgURL) }, getWith(map[string]string{"Accept": "image/webp", "Range": "bytes=99999999-"}), 416, nil},
		{"direct link, not modified", "GET", func() string { return e.pathOf(imgURL) }, func(p string) resp {
			return e.do("GET", p, nil, map[string]string{"Accept": "image/webp", "If-None-Match": etag})
		}, 304, nil},
		{"direct link, HEAD", "HEAD", func() string { return e.pathOf(imgURL) }, func(p string) resp { return e.do("HEAD", p, nil, anon) }, 200, nil},
		{"direct link, unknown", "GET", func() string { return "/u/" + e.userID + "/0000.webp" }, getWith(anon), 404, nil},

		// Presigned uploads.
		{"presign", "POST", fixed("/v1/uploads/presign"), postJSON(func() string {
			return fmt.Sprintf(`{"content_type": "image/jpeg", "size": %d, "filename": "big.jpg"}`, len(photo))
		}, nil), 201, func(t *testing.T, r resp) {
			m := r.json(t)
			stagingKey, grantPath = str(m, "staging_key"), e.pathOf(str(m, "upload_url"))
		}},
		{"presign, wrong type", "POST", fixed("/v1/uploads/presign"), postJSON(lit(`{"content_type": "image/svg+xml", "size": 10}`), nil), 400, nil},
		{"PUT the bytes", "PUT", func() string { return grantPath }, func(p string) resp { return e.do("PUT", p, bytes.NewReader(photo), nil) }, 200, nil},
		{"PUT twice", "PUT", func() string { return grantPath }, func(p string) resp { return e.do("PUT", p, bytes.NewReader(photo), nil) }, 400, nil},
		{"image from the staging key", "POST", fixed("/v1/images"), postJSON(func() string {
			return `{"staging_key": "` + stagingKey + `", "quality": 70}`
		}, nil), 201, nil},
		{"presign small", "POST", fixed("/v1/uploads/presign"), postJSON(lit(`{"content_type": "image/jpeg", "size": 100}`), nil), 201,
			func(t *testing.T, r resp) { smallGrant = e.pathOf(str(r.json(t), "upload_url")) }},
		{"PUT past the grant", "PUT", func() string { return smallGrant }, func(p string) resp { return e.do("PUT", p, bytes.NewReader(photo), nil) }, 413, nil},
		{"PUT unknown grant", "PUT", fixed("/v1/uploads/upl_nope"), func(p string) resp { return e.do("PUT", p, bytes.NewReader(photo), nil) }, 404, nil},
		{"PUT preflight", "OPTIONS", func() string { return smallGrant }, func(p string) resp {
			return e.do("OPTIONS", p, nil, map[string]string{"Authorization": "", "Origin": "https://app.example.com",
				"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type"})
		}, 204, nil},

		// Files.
		{"files, partial success", "POST", fixed("/v1/files"), func(p string) resp {
			return e.multi(p, []part{{"files", "photo.jpg", photo}, {"files", "report.pdf", pdfDoc},
				{"files", "data.csv", []byte("a,b\n1,2\n")}, {"files", "data.json", []byte(`{"a": [1, 2]}`)}, {"files", "cat.exe", exe}},
				map[string]string{"expires_in": "72h"})
		}, 201, func(t *testing.T, r resp) {
			m := r.json(t)
			if errs := m["errors"].([]any); len(errs) != 1 {
				t.Fatalf("errors = %v; want cat.exe", errs)
			}
			for _, u := range m["uploaded"].([]any) {
				f := u.(map[string]any)
				switch f["filename"] {
				case "photo.jpg":
					jpgURL, fileID = str(f, "url"), str(f, "id")
				case "report.pdf":
					pdfURL = str(f, "url")
				case "data.csv":
					csvURL = str(f, "url")
				case "data.json":
					jsonURL = str(f, "url")
				}
			}
		}},
		{"files, JSON data", "POST", fixed("/v1/files"), postJSON(lit(`{"data": "`+b64([]byte("# notes\n"))+`", "filename": "notes.md"}`), nil), 201,
			func(t *testing.T, r resp) { mdURL = str(r.json(t), "url") }},
		{"files, all refused", "POST", fixed("/v1/files"), func(p string) resp { return e.multi(p, []part{{"files", "cat.exe", exe}}, nil) }, 400,
			func(t *testing.T, r resp) {
				if _, ok := r.json(t)["errors"]; !ok {
					t.Fatalf("no errors list: %s", r.body)
				}
			}},
		{"files, bad expires_in", "POST", fixed("/v1/files"), func(p string) resp {
			return e.multi(p, []part{{"files", "report.pdf", pdfDoc}}, map[string]string{"expires_in": "1s"})
		}, 400, nil},
		{"get file", "GET", func() string { return "/v1/files/" + fileID }, get, 200, nil},
		{"list files", "GET", fixed("/v1/files?limit=2"), get, 200, nil},
		{"file link, jpeg", "GET", func() string { return e.pathOf(jpgURL) }, getWith(anon), 200, nil},
		{"file link, pdf", "GET", func() string { return e.pathOf(pdfURL) }, getWith(anon), 200, nil},
		{"file link, csv", "GET", func() string { return e.pathOf(csvURL) }, getWith(anon), 200, nil},
		{"file link, json", "GET", func() string { return e.pathOf(jsonURL) }, getWith(anon), 200, nil},
		{"file link, markdown", "GET", func() string { return e.pathOf(mdURL) }, getWith(anon), 200, nil},
		{"file link, range", "GET", func() string { return e.pathOf(pdfURL) }, getWith(map[string]string{"Range": "bytes=0-9"}), 206, nil},
		{"file link, HEAD", "HEAD", func() string { return e.pathOf(pdfURL) }, func(p string) resp { return e.do("HEAD", p, nil, anon) }, 200, nil},
		{"delete file", "DELETE", func() string { return "/v1/files/" + fileID }, del, 204, nil},
		{"file link after delete", "GET", func() string { return e.pathOf(jpgURL) }, getWith(anon), 404, nil},
		{"deleted file", "GET", func() string { return "/v1/files/" + fileID }, get, 404, nil},

		// Account: usage and keys.
		{"usage", "GET", fixed("/v1/usage"), get, 200, nil},
		{"create key", "POST", fixed("/v1/keys"), postJSON(lit(`{"name": "ci"}`), nil), 201, func(t *testing.T, r resp) {
			m := r.json(t)
			keyID, revokedKey = str(m, "id"), str(m, "key")
		}},
		{"create key with an allow-list", "POST", fixed("/v1/keys"), postJSON(lit(`{"name": "office", "allowed_ips": ["203.0.113.0/24", "2001:db8::/32"]}`), nil), 201,
			func(t *testing.T, r resp) { limitedKey = str(r.json(t), "key") }},
		{"create key, bad CIDR", "POST", fixed("/v1/keys"), postJSON(lit(`{"allowed_ips": ["nope"]}`), nil), 400, nil},
		{"key from elsewhere", "GET", fixed("/v1/usage"), func(p string) resp {
			return e.do("GET", p, nil, map[string]string{"Authorization": "Bearer " + limitedKey})
		}, 403, nil},
		{"list keys", "GET", fixed("/v1/keys"), get, 200, nil},
		{"revoke key", "DELETE", func() string { return "/v1/keys/" + keyID }, del, 204, nil},
		{"revoked key", "GET", fixed("/v1/usage"), func(p string) resp {
			return e.do("GET", p, nil, map[string]string{"Authorization": "Bearer " + revokedKey})
		}, 401, nil},
		{"revoke again", "DELETE", func() string { return "/v1/keys/" + keyID }, del, 404, nil},

		// Deleting an image.
		{"delete image", "DELETE", func() string { return "/v1/images/" + img }, del, 204, nil},
		{"deleted image", "GET", func() string { return "/v1/images/" + img }, get, 404, nil},
		{"delete it again", "DELETE", func() string { return "/v1/images/" + img }, del, 404, nil},
		{"link of the deleted image", "GET", func() string { return e.pathOf(imgURL) }, getWith(anon), 404, nil},
	})

	// Poll the asynchronous upload to its end, validating every answer.
	for i := 0; ; i++ {
		r := c.check(t, "GET", "/v1/images/"+asyncImg, e.do("GET", "/v1/images/"+asyncImg, nil, nil))
		if s := str(r.json(t), "status"); s == "ready" || s == "failed" || i > 600 {
			if s != "ready" {
				t.Fatalf("async image ended %s: %s", s, r.body)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}

	t.Run("seeds", func(t *testing.T) { seedScenario(t, c, e) })
	t.Run("app", func(t *testing.T) { appScenario(t, c, e) })
	t.Run("limits", func(t *testing.T) { limitsScenario(t, c) })
	t.Run("webhooks", func(t *testing.T) { webhookScenario(t, c) })
	t.Run("events", func(t *testing.T) { eventsScenario(t, c, e) })
	for _, op := range c.operations() {
		if !c.seen[op] {
			t.Errorf("no response of %s was validated", op)
		}
	}
}

// limitsScenario runs the quota and rate limit answers on an account
// that can keep one image, 1000 bytes, and make 3 upload requests a
// minute, against the same contract.
func limitsScenario(t *testing.T, c *contract) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, api: api.Config{
		Plans: plans(picpipe.Plan{MaxImages: 1, MaxStorageBytes: 1000, MaxUploadBytes: 1 << 20, MaxPresignedBytes: 1 << 20, UploadsPerMinute: 3})}})
	small := fixture(t, "orient-1.jpg")
	big := bytes.Repeat([]byte("a,b\n"), 400)
	async := map[string]string{"Prefer": "respond-async"}
	c.run(t, []step{
		{"files over the storage quota", "POST", fixed("/v1/files"), func(p string) resp {
			return e.multi(p, []part{{"files", "big.csv", big}}, nil)
		}, 429, nil},
		{"the one image", "POST", fixed("/v1/images"), func(string) resp { return e.upload("o.jpg", small, nil, async) }, 202, nil},
		{"over the image quota", "POST", fixed("/v1/images"), func(string) resp { return e.upload("o.jpg", small, nil, async) }, 429,
			func(t *testing.T, r resp) {
				if r.errorCode(t) != "quota_exceeded" || r.header.Get("Retry-After") != "" {
					t.Fatalf("%v %s", r.header, r.body)
				}
			}},
		{"over the rate", "POST", fixed("/v1/uploads/presign"), func(p string) resp {
			return e.postJSON(p, `{"content_type": "image/png", "size": 10}`, nil)
		}, 429, func(t *testing.T, r resp) {
			if r.errorCode(t) != "rate_limited" || r.header.Get("RateLimit-Remaining") != "0" {
				t.Fatalf("%v %s", r.header, r.body)
			}
		}},
	})
}

// operations lists "METHOD /path" of every operation in the document.
func (c *contract) operations() []string {
	var ops []string
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	slices.Sort(ops)
	return ops
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// TestOpenAPICoversRoutes checks that the document describes exactly the
// routes the Gin router serves (but for asynqmon's own subtree), so that
// neither can change without the other.
func TestOpenAPICoversRoutes(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	c := loadContract(t, e)
	engine, ok := e.api.Handler().(*gin.Engine)
	if !ok {
		t.Fatalf("Handler() is a %T, not the *gin.Engine", e.api.Handler())
	}
	var served []string
	for _, rt := range engine.Routes() {
		if strings.HasPrefix(rt.Path, "/admin/queues/") {
			continue // asynqmon routes below its root by itself
		}
		served = append(served, rt.Method+" "+ginParam.ReplaceAllString(rt.Path, "{$1}"))
	}
	slices.Sort(served)
	if len(served) < 20 {
		t.Fatalf("the router serves only %v", served)
	}
	documented := c.operations()
	for _, op := range served {
		if !slices.Contains(documented, op) {
			t.Errorf("route %s is not in api/openapi.json", op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(served, op) {
			t.Errorf("api/openapi.json documents %s, which the router does not serve", op)
		}
	}
}

// TestOpenAPIValidatorFails checks that the validation the contract test
// relies on does refuse wrong answers.
func TestOpenAPIValidatorFails(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	c := loadContract(t, e)
	good := e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, map[string]string{"Prefer": "respond-async"})
	c.check(t, "POST", "/v1/images", good)
	edit := func(f func(m map[string]any)) []byte {
		m := good.json(t)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	noRequestID := good.header.Clone()
	noRequestID.Del("X-Request-Id")
	badRate := good.header.Clone()
	badRate.Set("RateLimit-Remaining", "many")
	tests := []struct {
		name string
		r    resp
	}{
		{"a body without id", resp{202, good.header, edit(func(m map[string]any) { delete(m, "id") })}},
		{"an unknown field", resp{202, good.header, edit(func(m map[string]any) { m["extra"] = 1 })}},
		{"a queued image with a url", resp{202, good.header, edit(func(m map[string]any) { m["url"] = "http://x/u/a/b.webp" })}},
		{"a ready image without its url", resp{201, good.header, edit(func(m map[string]any) { m["status"] = "ready" })}},
		{"a string quality", resp{202, good.header, edit(func(m map[string]any) { m["quality"] = strconv.Itoa(82) })}},
		{"an undocumented status", resp{418, good.header, good.body}},
		{"no X-Request-Id", resp{202, noRequestID, good.body}},
		{"a malformed RateLimit header", resp{202, badRate, good.body}},
		{"an error with a code of another status", resp{404, good.header, []byte(`{"error": {"code": "forbidden", "message": "m", "request_id": "` + good.header.Get("X-Request-Id") + `"}}`)}},
		{"an error without request_id", resp{404, good.header, []byte(`{"error": {"code": "not_found", "message": "m"}}`)}},
	}
	for _, tt := range tests {
		err := c.validate("POST", "/v1/images", tt.r)
		if err == nil {
			t.Errorf("%s: validated; want an error", tt.name)
			continue
		}
		t.Logf("%s: %.200s", tt.name, strings.ReplaceAll(err.Error(), "\n", " "))
	}
	if err := c.validate("GET", "/v1/nowhere", good); err == nil {
		t.Error("an undocumented path validated")
	}
}
