package api_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"picpipe/internal/testenv"
)

// TestSeedMountsStorageFailures: on every seed mount, a blob store that
// is full or failing is the server's 503 (storage_full, unavailable) in
// the seed's own envelope, with Retry-After and no path or errno — never
// the client's 400.
func TestSeedMountsStorageFailures(t *testing.T) {
	e, _, dir, _ := blobStoreOnTmpfs(t)
	pdf64 := base64.StdEncoding.EncodeToString(pdfDoc)
	ways := map[string]func() resp{
		"Picklyone": func() resp {
			return e.multi("/compat/picklyone/api/v1/upload", []part{{"files", "report.pdf", pdfDoc}}, nil)
		},
		"APIMart": func() resp {
			return e.multi("/compat/apimart/v1/uploads/images", []part{{"file", "photo.jpg", fixture(t, "photo.jpg")}}, nil)
		},
		"Agent-header": func() resp {
			return e.multi("/compat/agent/api/v1/upload", []part{{"file", "report.pdf", pdfDoc}}, nil)
		},
		"KIE stream": func() resp {
			return e.multi("/compat/kie/api/file-stream-upload", []part{{"file", "report.pdf", pdfDoc}}, nil)
		},
		"KIE base64": func() resp {
			return e.postJSON("/compat/kie/api/file-base64-upload", `{"base64Data": "`+pdf64+`", "fileName": "report.pdf"}`, nil)
		},
	}
	check := func(name string, r resp, code string) {
		t.Helper()
		if r.status != http.StatusServiceUnavailable || !containsCode(r, code) || r.header.Get("Retry-After") == "" {
			t.Errorf("%s = %d %s (Retry-After %q); want 503 %s with Retry-After", name, r.status, r.body, r.header.Get("Retry-After"), code)
		}
		noInternals(t, r, name)
	}
	filler := testenv.Fill(t, dir, "filler")
	for name, way := range ways {
		check(name+", disk full", way(), "storage_full")
	}
	os.Remove(filler)
	testenv.Remount(t, dir, "ro")
	for name, way := range ways {
		check(name+", store failing", way(), "unavailable")
	}
	e.nothingKept()
}

// containsCode reports whether the seed envelope of r carries code
// (APIMart's has a type, server_error, in its place).
func containsCode(r resp, code string) bool {
	m := map[string]any{}
	if json.Unmarshal(r.body, &m) != nil {
		return false
	}
	if e, ok := m["error"].(map[string]any); ok && (e["code"] == code || e["code"] == nil && e["type"] == "server_error") {
		return true
	}
	return m["detail"] == code || m["error"] == code
}
