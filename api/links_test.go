package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"picpipe/api"
	"picpipe/db"
	"picpipe/internal/testenv"
)

// TestFileLinkExtension: a file's link answers only with the file's own
// extension.
func TestFileLinkExtension(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true})
	r := e.multi("/v1/files", []part{{"files", "notes.txt", []byte("plain words\n")}}, nil)
	if r.status != 201 {
		t.Fatalf("upload = %d %s", r.status, r.body)
	}
	link := e.pathOf(str(r.json(t)["uploaded"].([]any)[0].(map[string]any), "url"))
	if !strings.HasSuffix(link, ".txt") {
		t.Fatalf("link %s does not end in .txt", link)
	}
	anon := map[string]string{"Authorization": ""}
	if r := e.do("GET", link, nil, anon); r.status != 200 {
		t.Fatalf("GET %s = %d; want 200", link, r.status)
	}
	base := strings.TrimSuffix(link, ".txt")
	for _, other := range []string{base + ".html", base + ".svg", base + ".TXT", base, base + ".txt.html", base + "."} {
		if r := e.do("GET", other, nil, anon); r.status != 404 || r.errorCode(t) != "not_found" {
			t.Errorf("GET %s = %d %s; want 404 not_found", other, r.status, r.body)
		}
	}
}

// TestSuspendedAccountLinks: a suspended account's image and file links
// answer 404, not to be cached, and answer again once it is active.
func TestSuspendedAccountLinks(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	img := e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, nil)
	file := e.multi("/v1/files", []part{{"files", "notes.txt", []byte("plain words\n")}}, nil)
	if img.status != 201 || file.status != 201 {
		t.Fatalf("uploads = %d %s, %d %s", img.status, img.body, file.status, file.body)
	}
	links := []string{e.pathOf(str(img.json(t), "url")), e.pathOf(str(file.json(t)["uploaded"].([]any)[0].(map[string]any), "url"))}
	anon := map[string]string{"Authorization": ""}
	setStatus := func(status string) {
		if err := e.db.UpdateUser(context.Background(), e.userID, "status", status); err != nil {
			t.Fatal(err)
		}
	}
	setStatus(db.UserSuspended)
	for _, l := range links {
		for _, method := range []string{"GET", "HEAD"} {
			r := e.do(method, l, nil, anon)
			if r.status != http.StatusNotFound || r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s %s of a suspended account = %d, Cache-Control %q; want 404, no-store", method, l, r.status, r.header.Get("Cache-Control"))
			}
		}
	}
	setStatus(db.UserActive)
	for _, l := range links {
		if r := e.do("GET", l, nil, anon); r.status != 200 {
			t.Errorf("GET %s once active again = %d; want 200", l, r.status)
		}
	}
}

// TestRangesBounded: many ranges, or overlapping ones, get the whole
// image once instead of a multipart answer many times its size; a few
// ranges in order are still served as parts.
func TestRangesBounded(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	up := e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, nil)
	if up.status != 201 {
		t.Fatalf("upload = %d %s", up.status, up.body)
	}
	link := e.pathOf(str(up.json(t), "url"))
	whole := e.do("GET", link, nil, map[string]string{"Accept": "image/webp"})
	size := len(whole.body)
	tests := []struct {
		name, rng string
		want      int
	}{
		{"2000 one-byte ranges", "bytes=" + strings.Repeat("0-0,", 1999) + "0-0", 200},
		{"overlapping", "bytes=0-999,500-1999", 200},
		{"out of order", "bytes=1000-1999,0-99", 200},
		{"three in order", "bytes=0-9,100-109,1000-1009", 206},
		{"one", "bytes=0-99", 206},
	}
	for _, tt := range tests {
		r := e.do("GET", link, nil, map[string]string{"Accept": "image/webp", "Range": tt.rng})
		t.Logf("%s: %d, %d bytes for a %d-byte image", tt.name, r.status, len(r.body), size)
		if r.status != tt.want || len(r.body) > size+1024 {
			t.Errorf("%s = %d with %d bytes; want %d and at most the image's %d bytes and some headers", tt.name, r.status, len(r.body), tt.want, size)
		}
	}
}

// TestLinksIgnoreForeignHost: without a configured public URL, links
// follow the request's Host only when it names this machine; any other
// Host gets links to localhost, on the unauthenticated GET / too. With
// one, every link is under it.
func TestLinksIgnoreForeignHost(t *testing.T) {
	d := testenv.SQLite(t)
	e := newEnv(t, d, envOpts{noWorker: true, api: api.Config{Addr: ":8080"}})
	get := func(e *env, path, host string) map[string]any {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Host = host
		req.Header.Set("Authorization", "Bearer "+e.key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	port := strings.TrimPrefix(e.srv.URL, "http://127.0.0.1:")
	tests := []struct {
		host, want string
	}{
		{"evil.example", "http://localhost:8080/openapi.json"},
		{"evil.example:443", "http://localhost:8080/openapi.json"},
		{"127.0.0.1.evil.example", "http://localhost:8080/openapi.json"},
		{"localhost:evil", "http://localhost:8080/openapi.json"},
		{"127.0.0.1:" + port, "http://127.0.0.1:" + port + "/openapi.json"},
		{"localhost:" + port, "http://localhost:" + port + "/openapi.json"},
		{"[::1]:" + port, "http://[::1]:" + port + "/openapi.json"},
	}
	for _, tt := range tests {
		if got := get(e, "/", tt.host)["openapi_url"]; got != tt.want {
			t.Errorf("GET / with Host %q: openapi_url %v; want %s", tt.host, got, tt.want)
		}
	}
	if up := e.postJSON("/v1/files", `{"data": "aGVsbG8K", "filename": "a.txt"}`, nil); up.status != 201 {
		t.Fatalf("upload = %d %s", up.status, up.body)
	}
	list := get(e, "/v1/files", "evil.example")["data"].([]any)
	if u := str(list[0].(map[string]any), "url"); !strings.HasPrefix(u, "http://localhost:8080/f/") {
		t.Errorf("file url with Host evil.example = %s; want it under http://localhost:8080", u)
	}

	public := newEnv(t, d, envOpts{noWorker: true, api: api.Config{PublicURL: "https://img.example.com"}})
	for _, host := range []string{"evil.example", "127.0.0.1:" + strings.TrimPrefix(public.srv.URL, "http://127.0.0.1:")} {
		if got := get(public, "/", host)["openapi_url"]; got != "https://img.example.com/openapi.json" {
			t.Errorf("with a public URL, Host %q: openapi_url %v", host, got)
		}
	}
}

// contentHash is what an image's link used to be: computable by anyone
// holding the photo and the account's id.
func contentHash(photo []byte) string {
	src := sha256.Sum256(photo)
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|q=%d|lossless=%t|w=%d|h=%d", hex.EncodeToString(src[:]), 82, false, 0, 0))
	return hex.EncodeToString(sum[:16])
}

// TestImageLinksUnguessable: an image's link is not derivable from the
// photo and the account: the content hash answers 404, the link is
// random and stays the same for the image (a dedup hit answers it); a
// new image of the same bytes after a delete gets a new one. Links
// given out before (the hash) keep working.
func TestImageLinksUnguessable(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{})
	photo := fixture(t, "photo.jpg")
	first := e.upload("photo.jpg", photo, nil, nil)
	if first.status != 201 {
		t.Fatalf("upload = %d %s", first.status, first.body)
	}
	link := str(first.json(t), "url")
	guessed := "/u/" + e.userID + "/" + contentHash(photo) + ".webp"
	if strings.Contains(link, contentHash(photo)) {
		t.Fatalf("the link %s is the content hash", link)
	}
	anon := map[string]string{"Authorization": ""}
	if r := e.do("GET", guessed, nil, anon); r.status != 404 {
		t.Fatalf("GET %s, the link derived from the photo = %d; want 404", guessed, r.status)
	}
	if r := e.do("GET", e.pathOf(link), nil, anon); r.status != 200 || strings.Contains(r.header.Get("ETag"), contentHash(photo)) {
		t.Fatalf("GET the link = %d, ETag %s; want 200 and no content hash", r.status, r.header.Get("ETag"))
	}
	again := e.upload("photo.jpg", photo, nil, nil)
	if again.status != 200 || str(again.json(t), "url") != link {
		t.Fatalf("the same upload again = %d, url %s; want 200 and %s", again.status, str(again.json(t), "url"), link)
	}
	if r := e.do("DELETE", "/v1/images/"+str(first.json(t), "id"), nil, nil); r.status != 204 {
		t.Fatal(r.status)
	}
	third := e.upload("photo.jpg", photo, nil, nil)
	if third.status != 201 || str(third.json(t), "url") == link {
		t.Fatalf("after a delete = %d, url %s; want 201 and a new link", third.status, str(third.json(t), "url"))
	}
	// A link from before: what the migration gives the rows it finds.
	if err := e.db.Exec(context.Background(), "UPDATE images SET link = hash WHERE id = ?", str(third.json(t), "id")); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", guessed, nil, anon); r.status != 200 {
		t.Fatalf("an image from before, at its old link = %d; want 200", r.status)
	}
}
