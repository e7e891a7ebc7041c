package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"picpipe/internal/testenv"
	"picpipe/storage"
	"picpipe/storage/s3store"
)

// postForm sends what a browser sends for an HTML form upload: fields,
// then the file part, as multipart/form-data, with no credential.
func postForm(t *testing.T, u string, fields map[string]string, file []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "upload")
	fw.Write(file)
	mw.Close()
	res, err := http.Post(u, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func with(fields map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for fk, fv := range fields {
		out[fk] = fv
	}
	out[k] = v
	return out
}

// TestPresignUpload uploads through POST policies to a real S3 server
// (versitygw), as a browser would, and checks that the server enforces
// each bound of the policy: size, type, key, expiry and signature.
func TestPresignUpload(t *testing.T) {
	srv := testenv.StartS3(t)
	base, _ := url.Parse(srv.Bucket(t))
	base.Path = "/tenant"
	ctx := context.Background()
	st, err := storage.Open(ctx, base.String())
	if err != nil {
		t.Fatal(err)
	}
	p := st.(storage.Presigner)
	policy := storage.UploadPolicy{ContentType: "image/png", MaxSize: 10, Expires: time.Now().Add(time.Minute)}
	up, err := p.PresignUpload(ctx, "staging/u/g", policy)
	if err != nil {
		t.Fatal(err)
	}
	if up.Method != "POST" || !strings.HasPrefix(up.URL, srv.Endpoint+"/") || up.Fields["key"] != "tenant/staging/u/g" ||
		up.Fields["Content-Type"] != "image/png" || up.Fields["policy"] == "" {
		t.Fatalf("PresignUpload = %+v", up)
	}
	expired, err := p.PresignUpload(ctx, "staging/u/g", storage.UploadPolicy{ContentType: "image/png", MaxSize: 10,
		Expires: time.Now().Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	refusals := []struct {
		name   string
		url    string
		fields map[string]string
		file   []byte
		want   string // the S3 error code
	}{
		{"too large", up.URL, up.Fields, []byte("eleven byte"), "EntityTooLarge"},
		{"empty", up.URL, up.Fields, nil, "EntityTooSmall"},
		{"another type", up.URL, with(up.Fields, "Content-Type", "text/html"), []byte("<b>"), "AccessDenied"},
		{"another key", up.URL, with(up.Fields, "key", "tenant/images/u/x.webp"), []byte("x"), "AccessDenied"},
		{"a key outside the prefix", up.URL, with(up.Fields, "key", "staging/u/g"), []byte("x"), "AccessDenied"},
		{"tampered signature", up.URL, with(up.Fields, "x-amz-signature", strings.Repeat("0", 64)), []byte("x"), "SignatureDoesNotMatch"},
		{"tampered policy", up.URL, with(up.Fields, "policy", up.Fields["policy"][1:]), []byte("x"), "SignatureDoesNotMatch"},
		{"expired", expired.URL, expired.Fields, []byte("x"), "AccessDenied"},
	}
	for _, r := range refusals {
		if code, body := postForm(t, r.url, r.fields, r.file); code < 400 || !strings.Contains(body, "<Code>"+r.want+"</Code>") {
			t.Errorf("%s: POST = %d %.300s; want refused with %s", r.name, code, body, r.want)
		}
	}
	var keys []string
	st.List(ctx, "", func(k string, _ time.Time) error { keys = append(keys, k); return nil })
	if len(keys) != 0 {
		t.Fatalf("refused uploads left %v", keys)
	}
	if code, body := postForm(t, up.URL, up.Fields, []byte("ten bytes!")); code != http.StatusNoContent {
		t.Fatalf("POST within the policy = %d %s; want 204", code, body)
	}
	b, err := st.Open(ctx, "staging/u/g")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got, _ := io.ReadAll(b); string(got) != "ten bytes!" {
		t.Fatalf("uploaded blob = %q", got)
	}
}

// TestPresignUploadEndpoint checks that upload_endpoint replaces the
// server's address in the URL, path style, and leaves the signed fields
// alone.
func TestPresignUploadEndpoint(t *testing.T) {
	srv := testenv.StartS3(t)
	u, _ := url.Parse(srv.Bucket(t))
	q := u.Query()
	q.Set("upload_endpoint", "https://uploads.example.com")
	u.RawQuery = q.Encode()
	st, err := storage.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	up, err := st.(storage.Presigner).PresignUpload(context.Background(), "staging/k",
		storage.UploadPolicy{ContentType: "image/jpeg", MaxSize: 1, Expires: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://uploads.example.com/" + u.Host + "/"; up.URL != want {
		t.Fatalf("URL = %s; want %s", up.URL, want)
	}
	if _, err := s3store.ParseURL("s3://b?upload_endpoint=uploads.example.com"); err == nil {
		t.Fatal("an upload_endpoint without a scheme was accepted")
	}
}

// TestPresignBadKey checks that PresignUpload refuses the keys every
// store refuses.
func TestPresignBadKey(t *testing.T) {
	st, err := s3store.New(s3store.Config{Bucket: "b", AccessKey: "a", SecretKey: "s", Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.PresignUpload(context.Background(), "../x", storage.UploadPolicy{ContentType: "image/png", MaxSize: 1,
		Expires: time.Now().Add(time.Minute)})
	if !errors.Is(err, storage.ErrInvalidKey) {
		t.Fatalf("PresignUpload(../x) = %v; want ErrInvalidKey", err)
	}
}

// TestPutContentType checks that blobs are stored with the media type of
// their key's extension, small and multipart alike, so that a public
// bucket serves them as what they are.
func TestPutContentType(t *testing.T) {
	srv := testenv.StartS3(t)
	storeURL := srv.Bucket(t)
	st, err := storage.Open(context.Background(), storeURL+testParams)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	raw := rawClient(t, srv)
	for key, want := range map[string]string{
		"images/u/i.a.webp": "image/webp", "images/u/i.a.avif": "image/avif", "images/u/i.a.gif": "image/gif",
		"staging/u/i": "application/octet-stream", "files/u/f.0123": "application/octet-stream",
	} {
		if _, err := st.Put(ctx, key, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
		info, err := raw.StatObject(ctx, bucketOf(t, storeURL), key, minio.StatObjectOptions{})
		if err != nil || info.ContentType != want {
			t.Errorf("%s stored as %q, %v; want %s", key, info.ContentType, err, want)
		}
	}
	if _, err := st.Put(ctx, "images/u/big.a.webp", bytes.NewReader(make([]byte, 6<<20))); err != nil {
		t.Fatal(err)
	}
	info, err := raw.StatObject(ctx, bucketOf(t, storeURL), "images/u/big.a.webp", minio.StatObjectOptions{})
	if err != nil || info.ContentType != "image/webp" {
		t.Errorf("a multipart blob stored as %q, %v; want image/webp", info.ContentType, err)
	}
}
