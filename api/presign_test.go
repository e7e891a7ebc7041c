package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"picpipe"
	"picpipe/api"
	"picpipe/internal/testenv"
	"picpipe/scheduler"
	"picpipe/storage"
	"picpipe/storage/s3store"
)

// backend is a blob store the presigned-upload scenarios run on.
type backend struct {
	name string
	open func(t *testing.T) storage.Store // nil: the env's own directory
}

var backends = []backend{
	{"local", nil},
	{"s3", func(t *testing.T) storage.Store { return openS3(t, testenv.S3(t)) }},
}

func openS3(t *testing.T, storeURL string) storage.Store {
	t.Helper()
	cfg, err := s3store.ParseURL(storeURL)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s3store.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// forEachBackend runs fn as a subtest on each backend, with a new env
// on SQLite whose store it is.
func forEachBackend(t *testing.T, o envOpts, fn func(t *testing.T, e *env)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			o := o
			if b.open != nil {
				o.store = b.open(t)
			}
			fn(t, newEnv(t, testenv.SQLite(t), o))
		})
	}
}

// presignJSON asks for a grant of size bytes of contentType.
func (e *env) presignJSON(contentType string, size int) resp {
	return e.postJSON("/v1/uploads/presign", fmt.Sprintf(`{"content_type": %q, "size": %d, "filename": "big.jpg"}`, contentType, size), nil)
}

// grant asks for a grant and fails the test unless it is issued.
func (e *env) grant(contentType string, size int) map[string]any {
	e.t.Helper()
	r := e.presignJSON(contentType, size)
	if r.status != http.StatusCreated {
		e.t.Fatalf("presign = %d %s", r.status, r.body)
	}
	return r.json(e.t)
}

// browserUpload sends body the way a browser sends a presigned upload:
// a plain request with no API key, no cookie, nothing but what the grant
// says. A POST is the HTML form upload (the grant's fields, then the
// file, last; fields override them); a PUT sends the bytes.
func browserUpload(t *testing.T, g map[string]any, body []byte, fields map[string]string) (int, string) {
	t.Helper()
	var req *http.Request
	var err error
	switch g["method"] {
	case "POST":
		form := map[string]string{}
		for k, v := range g["fields"].(map[string]any) {
			form[k] = v.(string)
		}
		maps.Copy(form, fields)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range form {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("file", "big.jpg")
		fw.Write(body)
		mw.Close()
		req, err = http.NewRequest("POST", g["upload_url"].(string), &buf)
		if err == nil {
			req.Header.Set("Content-Type", mw.FormDataContentType())
		}
	case "PUT":
		req, err = http.NewRequest("PUT", g["upload_url"].(string), bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "image/jpeg")
		}
	default:
		t.Fatalf("grant method %v", g["method"])
	}
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// confirm creates the image from the grant's staging key.
func (e *env) confirm(g map[string]any) resp {
	return e.postJSON("/v1/images", `{"staging_key": "`+g["staging_key"].(string)+`"}`, map[string]string{"Prefer": "wait=30"})
}

// storageUsed is /v1/usage's storage_used_bytes.
func (e *env) storageUsed() int64 {
	e.t.Helper()
	r := e.do("GET", "/v1/usage", nil, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("usage = %d %s", r.status, r.body)
	}
	return int64(r.json(e.t)["storage_used_bytes"].(float64))
}

// staged lists the keys under staging/ in the env's store.
func (e *env) staged() []string {
	e.t.Helper()
	var keys []string
	err := e.deps.Store.List(context.Background(), "staging", func(k string, _ time.Time) error {
		keys = append(keys, k)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return keys
}

// checkClean runs picpipe check's consistency check on the env and
// fails the test on any problem.
func (e *env) checkClean() {
	e.t.Helper()
	s, err := scheduler.New(scheduler.Config{}, scheduler.Deps{DB: e.db, Store: e.deps.Store, Redis: e.deps.Redis})
	if err != nil {
		e.t.Fatal(err)
	}
	problems, err := s.Check(context.Background(), scheduler.CheckOptions{})
	if err != nil || len(problems) != 0 {
		e.t.Fatalf("check = %+v, %v; want clean", problems, err)
	}
}

// TestPresignedBrowserUpload makes a presigned upload as a browser does,
// on the local directory (a PUT to the URL the API signed) and on a real
// S3 server (the bucket's POST form), with no API key; confirms it; and
// follows its link. The grant's size counts against the quota from the
// moment it is issued; the image's own size replaces it once it is used,
// but on S3, where the form can still be posted again, the grant holds
// its size until the purge at its expiry takes what was sent after.
func TestPresignedBrowserUpload(t *testing.T) {
	photo := fixture(t, "photo.jpg")
	// The grant fills the quota to the byte: its confirmation still fits.
	o := envOpts{api: api.Config{Plans: plans(picpipe.Plan{MaxStorageBytes: int64(len(photo) + 1000),
		MaxUploadBytes: 10 << 20, MaxPresignedBytes: 50 << 20})}}
	forEachBackend(t, o, func(t *testing.T, e *env) {
		c := loadContract(t, e)
		r := c.check(t, "POST", "/v1/uploads/presign", e.presignJSON("image/jpeg", len(photo)+1000))
		g := r.json(t)
		want := map[string]string{"local": "PUT", "s3": "POST"}[strings.Split(t.Name(), "/")[1]]
		if g["method"] != want || g["max_size"] != float64(len(photo)+1000) {
			t.Fatalf("grant = %v; want method %s", g, want)
		}
		if got := e.storageUsed(); got != int64(len(photo)+1000) {
			t.Fatalf("storage used with the grant open = %d; want its %d bytes", got, len(photo)+1000)
		}
		if code, body := browserUpload(t, g, photo, nil); code != http.StatusOK && code != http.StatusNoContent {
			t.Fatalf("browser upload = %d %s", code, body)
		}
		r = c.check(t, "POST", "/v1/images", e.confirm(g))
		m := r.json(t)
		if r.status != http.StatusCreated || m["size_original"] != float64(len(photo)) {
			t.Fatalf("confirm = %d %s; want 201 of the photo", r.status, r.body)
		}
		held := map[string]int64{"local": 0, "s3": int64(len(photo) + 1000)}[strings.Split(t.Name(), "/")[1]]
		if got := e.storageUsed(); got != int64(len(photo))+held {
			t.Fatalf("storage used after the confirmation = %d; want the image's %d + %d held", got, len(photo), held)
		}
		if held > 0 {
			if code, body := browserUpload(t, g, bytes.Repeat([]byte{0xff}, len(photo)), nil); code != http.StatusNoContent {
				t.Fatalf("the form posted again = %d %s; want the bucket to take it (the policy is valid)", code, body)
			}
		}
		if again := e.confirm(g); again.status != http.StatusBadRequest || !strings.Contains(string(again.body), "already used") {
			t.Fatalf("second confirmation = %d %s; want 400 already used", again.status, again.body)
		}
		link := e.do("GET", e.pathOf(str(m, "url")), nil, map[string]string{"Authorization": "", "Accept": "image/webp"})
		if link.status != http.StatusOK || link.header.Get("Content-Type") != "image/webp" || !bytes.HasPrefix(link.body, []byte("RIFF")) {
			t.Fatalf("link = %d %s", link.status, link.header.Get("Content-Type"))
		}
		e.settle(str(m, "id"))
		e.checkClean()
		e.purgeAt(time.Now().Add(grantTTL+time.Minute), 1)
		if got := e.storageUsed(); got != int64(len(photo)) {
			t.Fatalf("storage used after the grant's purge = %d; want the image's %d", got, len(photo))
		}
		if keys := e.staged(); len(keys) != 0 {
			t.Fatalf("staged blobs left: %v", keys)
		}
		e.checkClean()
	})
}

// purgeAt runs the purge job as at the time now, and fails the test
// unless it removed n blobs and rows.
func (e *env) purgeAt(now time.Time, n int) {
	e.t.Helper()
	s, err := scheduler.New(scheduler.Config{}, scheduler.Deps{DB: e.db, Store: e.deps.Store, Redis: e.deps.Redis,
		Now: func() time.Time { return now }})
	if err != nil {
		e.t.Fatal(err)
	}
	if got, err := s.Purge(context.Background()); err != nil || got != n {
		e.t.Fatalf("purge = %d, %v; want %d", got, err, n)
	}
}

// TestPresignedUploadRefusals: what a presigned upload may not do, on
// both stores. The store refuses what it can (S3 by its policy: size,
// declared type, expiry, signature; the local route by MaxBytesReader,
// the sniff and its own signature); the confirmation refuses the rest
// (bytes that are not what the grant is for), deletes them, and ends the
// grant, giving its reservation back.
func TestPresignedUploadRefusals(t *testing.T) {
	photo, png := fixture(t, "photo.jpg"), fixture(t, "alpha.png")
	clock := time.Now()
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	setClock := func(t time.Time) { mu.Lock(); clock = t; mu.Unlock() }
	forEachBackend(t, envOpts{noWorker: true, now: now}, func(t *testing.T, e *env) {
		setClock(time.Now())
		s3 := strings.HasSuffix(t.Name(), "/s3")
		refused := func(name string, code int, body string, local int, s3Code string) {
			t.Helper()
			switch {
			case s3 && (code != http.StatusBadRequest && code != http.StatusForbidden || !strings.Contains(body, "<Code>"+s3Code+"</Code>")):
				t.Errorf("%s: %d %.300s; want S3 to refuse it with %s", name, code, body, s3Code)
			case !s3 && code != local:
				t.Errorf("%s: %d %.300s; want %d", name, code, body, local)
			}
		}

		small := e.grant("image/jpeg", 1000)
		code, body := browserUpload(t, small, photo, nil)
		refused("too large", code, body, http.StatusRequestEntityTooLarge, "EntityTooLarge")

		g := e.grant("image/jpeg", len(photo))
		tampered := maps.Clone(g)
		if s3 {
			code, body = browserUpload(t, g, photo, map[string]string{"x-amz-signature": strings.Repeat("0", 64)})
			refused("tampered signature", code, body, 0, "SignatureDoesNotMatch")
			code, body = browserUpload(t, g, []byte("<html>"), map[string]string{"Content-Type": "text/html"})
			refused("another declared type", code, body, 0, "AccessDenied")
		} else {
			u, _ := url.Parse(g["upload_url"].(string))
			q := u.Query()
			sig := q.Get("sig")
			for name, change := range map[string]func(){
				"tampered signature": func() { q.Set("sig", string(sig[0]^1)+sig[1:]) },
				"a later expiry":     func() { q.Set("exp", fmt.Sprint(g["expires_at"].(float64)+3600)) },
			} {
				q = u.Query()
				change()
				tampered["upload_url"] = u.Scheme + "://" + u.Host + u.Path + "?" + q.Encode()
				code, body = browserUpload(t, tampered, photo, nil)
				refused(name, code, body, http.StatusForbidden, "")
			}
			code, body = browserUpload(t, g, png, nil)
			refused("another type", code, body, http.StatusBadRequest, "")
		}
		if keys := e.staged(); len(keys) != 0 {
			t.Fatalf("refused uploads left %v", keys)
		}

		// Bytes of another type than the grant's: refused at the
		// confirmation on S3 (the bucket cannot sniff), deleted, and
		// the grant ended.
		wrong := e.grant("image/jpeg", len(png))
		if s3 {
			if code, body := browserUpload(t, wrong, png, nil); code != http.StatusNoContent {
				t.Fatalf("POST of a PNG declared as JPEG = %d %s; want the bucket to take it", code, body)
			}
			if r := e.confirm(wrong); r.status != http.StatusBadRequest || r.errorCode(t) != picpipe.ECodeUnsupportedFormat {
				t.Fatalf("confirm of a PNG on a JPEG grant = %d %s; want 400 unsupported_format", r.status, r.body)
			}
			if r := e.confirm(wrong); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "already used") {
				t.Fatalf("confirm after the refusal = %d %s; want 400 already used", r.status, r.body)
			}
			if keys := e.staged(); len(keys) != 0 {
				t.Fatalf("refused bytes kept: %v", keys)
			}
		}

		// Expired: the store refuses the upload, the API the confirmation.
		setClock(time.Now().Add(-2 * time.Hour))
		old := e.grant("image/jpeg", len(photo))
		setClock(time.Now())
		code, body = browserUpload(t, old, photo, nil)
		refused("expired", code, body, http.StatusBadRequest, "AccessDenied")
		late := e.grant("image/jpeg", len(photo))
		if code, body := browserUpload(t, late, photo, nil); code >= 300 {
			t.Fatalf("upload = %d %s", code, body)
		}
		setClock(time.Now().Add(grantTTL + time.Second))
		if r := e.confirm(late); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "expired") {
			t.Fatalf("confirm after expiry = %d %s; want 400 expired", r.status, r.body)
		}

		// The open grants still reserve their bytes, as check counts them.
		drift, err := e.db.CounterDrifts(context.Background())
		if err != nil || len(drift) != 0 {
			t.Fatalf("counters drift: %+v, %v", drift, err)
		}
	})
}

// grantTTL is how long a grant lasts.
const grantTTL = time.Hour

// TestPresignedBytesCountAgainstQuota is issue 12's Failure 3: a free
// account could stage three 50 MB presigned uploads while its usage
// stayed at 35 KB. Now each grant reserves its size: grants past the
// quota are refused, also when asked for at once, and usage shows them.
func TestPresignedBytesCountAgainstQuota(t *testing.T) {
	e := newEnv(t, testenv.SQLite(t), envOpts{noWorker: true, api: api.Config{Plans: plans(picpipe.Plan{
		MaxStorageBytes: 200 << 10, MaxUploadBytes: 10 << 10, MaxPresignedBytes: 50 << 10})}})
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Go(func() { statuses[i] = e.presignJSON("image/jpeg", 50<<10).status })
	}
	wg.Wait()
	issued := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			issued++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("presign = %d; want 201 or 429", s)
		}
	}
	if issued != 4 {
		t.Fatalf("%d grants of 50 KiB issued against 200 KiB; want 4", issued)
	}
	if got := e.storageUsed(); got != 200<<10 {
		t.Fatalf("usage with four grants open = %d; want %d", got, 200<<10)
	}
	if r := e.presignJSON("image/jpeg", 1); r.status != http.StatusTooManyRequests || r.errorCode(t) != picpipe.ECodeQuotaExceeded {
		t.Fatalf("a grant past the quota = %d %s; want 429 quota_exceeded", r.status, r.body)
	}
	if r := e.upload("photo.jpg", fixture(t, "orient-1.jpg"), nil, nil); r.status != http.StatusTooManyRequests {
		t.Fatalf("an upload while grants fill the quota = %d %s; want 429", r.status, r.body)
	}
}

// TestPresignedGrantExpiryGivesQuotaBack runs the purge past a grant's
// expiry: its reservation and its staged bytes go, and check is clean.
func TestPresignedGrantExpiryGivesQuotaBack(t *testing.T) {
	forEachBackend(t, envOpts{noWorker: true}, func(t *testing.T, e *env) {
		photo := fixture(t, "photo.jpg")
		g := e.grant("image/jpeg", len(photo))
		if code, body := browserUpload(t, g, photo, nil); code >= 300 {
			t.Fatalf("upload = %d %s", code, body)
		}
		e.purgeAt(time.Now().Add(grantTTL+time.Minute), 1)
		if got := e.storageUsed(); got != 0 {
			t.Fatalf("usage after the purge = %d; want 0", got)
		}
		if keys := e.staged(); len(keys) != 0 {
			t.Fatalf("staged bytes after the purge: %v", keys)
		}
		e.checkClean()
	})
}

// TestPublicBlobRedirect serves image links from a public bucket
// (PICPIPE_PUBLIC_BLOB_URL): the API checks the image, picks the variant
// by Accept and redirects; the bucket serves the bytes, typed. Deleted
// images stop redirecting; files still stream through the API.
func TestPublicBlobRedirect(t *testing.T) {
	srv := testenv.StartS3(t)
	storeURL := srv.Bucket(t)
	bucket := publicImages(t, srv, storeURL)
	e := newEnv(t, testenv.SQLite(t), envOpts{store: openS3(t, storeURL),
		api: api.Config{PublicBlobURL: srv.Endpoint + "/" + bucket}})
	c := loadContract(t, e)
	up := e.upload("photo.jpg", fixture(t, "photo.jpg"), nil, nil)
	if up.status != http.StatusCreated {
		t.Fatalf("upload = %d %s", up.status, up.body)
	}
	img := up.json(t)
	e.settle(str(img, "id"))
	path := e.pathOf(str(img, "url"))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(method, accept string) resp {
		req, _ := http.NewRequest(method, e.srv.URL+path, nil)
		req.Header.Set("Accept", accept)
		res, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return resp{res.StatusCode, res.Header, b}
	}
	for _, tt := range []struct{ method, accept, format string }{
		{"GET", "image/webp", "webp"}, {"GET", "image/avif,image/webp", "avif"}, {"HEAD", "image/avif", "avif"},
	} {
		r := c.check(t, tt.method, path, get(tt.method, tt.accept))
		loc := r.header.Get("Location")
		if r.status != http.StatusFound || r.header.Get("Vary") != "Accept" || !strings.HasPrefix(loc, srv.Endpoint+"/"+bucket+"/images/") ||
			!strings.HasSuffix(loc, "."+tt.format) {
			t.Fatalf("%s Accept %s = %d Location %q; want 302 to the %s in the bucket", tt.method, tt.accept, r.status, loc, tt.format)
		}
		if tt.method == "HEAD" {
			continue
		}
		res, err := http.Get(loc) // no credentials: the bucket's public read
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/"+tt.format || len(b) == 0 {
			t.Fatalf("GET %s = %d %s (%d bytes); want the %s", loc, res.StatusCode, res.Header.Get("Content-Type"), len(b), tt.format)
		}
	}
	if r := e.do("DELETE", "/v1/images/"+str(img, "id"), nil, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete = %d", r.status)
	}
	if r := get("GET", "image/webp"); r.status != http.StatusNotFound {
		t.Fatalf("link of the deleted image = %d %s; want 404", r.status, r.header.Get("Location"))
	}
	f := e.multi("/v1/files", []part{{"files", "report.pdf", pdfDoc}}, nil)
	if f.status != http.StatusCreated {
		t.Fatalf("file upload = %d %s", f.status, f.body)
	}
	file := f.json(t)["uploaded"].([]any)[0].(map[string]any)
	if r := e.do("GET", e.pathOf(str(file, "url")), nil, map[string]string{"Authorization": ""}); r.status != http.StatusOK || !bytes.Equal(r.body, pdfDoc) {
		t.Fatalf("file link = %d; want the file streamed by the API", r.status)
	}
}

// publicImages lets anyone read the objects under images/ of the bucket
// of storeURL, as an operator would for a public bucket, and returns the
// bucket's name.
func publicImages(t *testing.T, srv *testenv.S3Server, storeURL string) string {
	t.Helper()
	u, _ := url.Parse(storeURL)
	ep, _ := url.Parse(srv.Endpoint)
	client, err := minio.New(ep.Host, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	policy := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
		"Resource": ["arn:aws:s3:::` + u.Host + `/images/*"]}]}`
	if err := client.SetBucketPolicy(context.Background(), u.Host, policy); err != nil {
		t.Fatal(err)
	}
	return u.Host
}
