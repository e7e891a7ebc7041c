package api_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"picpipe/internal/testenv"
)

// TestEmptyFileEverywhere: an empty file is one condition with one code,
// invalid_request "the file is empty", on every way in: multipart,
// base64 and data URLs, the seed mounts, a presigned upload, and a URL
// whose body is empty (the image ends failed with it).
func TestEmptyFileEverywhere(t *testing.T) {
	empty := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer empty.Close()
	e := newEnv(t, testenv.SQLite(t), envOpts{fetch: loopbackFetch(empty)})
	envelope := func(r resp) (code, msg string) {
		m := r.json(t)
		switch {
		case m["detail"] != nil: // the Agent-header seed
			return str(m, "detail"), str(m, "msg")
		case m["msg"] != nil: // KIE
			return str(m, "error"), str(m, "msg")
		}
		e, _ := m["error"].(map[string]any)
		if e["code"] == nil && e["type"] == "invalid_request_error" { // APIMart
			return "invalid_request", str(e, "message")
		}
		return str(e, "code"), str(e, "message")
	}
	ways := map[string]func() resp{
		"image, multipart": func() resp { return e.upload("a.jpg", []byte{}, nil, nil) },
		"image, base64":    func() resp { return e.postJSON("/v1/images", `{"data": ""}`, nil) },
		"image, data URL":  func() resp { return e.postJSON("/v1/images", `{"data": "data:image/png;base64,"}`, nil) },
		"file, multipart":  func() resp { return e.multi("/v1/files", []part{{"files", "a.txt", nil}}, nil) },
		"file, data URL": func() resp {
			return e.postJSON("/v1/files", `{"data": "data:text/plain;base64,", "filename": "a.txt"}`, nil)
		},
		"Picklyone":    func() resp { return e.multi("/compat/picklyone/api/v1/upload", []part{{"files", "a.txt", nil}}, nil) },
		"APIMart":      func() resp { return e.multi("/compat/apimart/v1/uploads/images", []part{{"file", "a.png", nil}}, nil) },
		"Agent-header": func() resp { return e.multi("/compat/agent/api/v1/upload", []part{{"file", "a.txt", nil}}, nil) },
		"KIE stream":   func() resp { return e.multi("/compat/kie/api/file-stream-upload", []part{{"file", "a.txt", nil}}, nil) },
		"KIE base64": func() resp {
			return e.postJSON("/compat/kie/api/file-base64-upload", `{"base64Data": "", "fileName": "a.txt"}`, nil)
		},
		"presigned upload":    func() resp { return e.putGrant(`{"content_type": "image/png", "size": 100}`, nil) },
		"image, URL to fetch": func() resp { return e.postJSON("/v1/images", `{"url": "`+empty.URL+`/a.jpg"}`, nil) },
	}
	for name, way := range ways {
		r := way()
		code, msg := envelope(r)
		if r.status != 400 || code != "invalid_request" || !strings.Contains(msg, "the file is empty") {
			t.Errorf("%s: an empty file = %d %s; want 400 invalid_request, the file is empty", name, r.status, r.body)
		}
	}
}

// putGrant makes a presigned grant with body and PUTs content to it.
func (e *env) putGrant(body string, content []byte) resp {
	e.t.Helper()
	g := e.postJSON("/v1/uploads/presign", body, nil)
	if g.status != 201 {
		e.t.Fatalf("presign = %d %s", g.status, g.body)
	}
	u, _ := url.Parse(str(g.json(e.t), "upload_url"))
	return e.do("PUT", u.RequestURI(), bytes.NewReader(content), nil)
}
