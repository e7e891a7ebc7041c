package s3store_test

import (
	"context"
	"errors"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"picpipe/internal/testenv"
	"picpipe/storage"
	_ "picpipe/storage/s3store"
	"picpipe/storage/storagetest"
)

// testParams are the suite's settings: the smallest parts, so that its
// large blobs take several, and no retries, so that outages fail fast.
const testParams = "&part_size=5242880&max_retries=-1"

// TestSuite runs the storage suite on a bucket of a real S3 server
// (versitygw), opened through storage.Open as picpipe opens it.
func TestSuite(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Env {
		srv := testenv.StartS3(t)
		st, err := storage.Open(context.Background(), srv.Bucket(t)+testParams)
		if err != nil {
			t.Fatal(err)
		}
		return storagetest.Env{Store: st, Stop: srv.Kill, Start: srv.Restart}
	})
}

// rawClient is a plain S3 client of srv, to look behind the store.
func rawClient(t *testing.T, srv *testenv.S3Server) minio.Core {
	t.Helper()
	u, _ := url.Parse(srv.Endpoint)
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	return minio.Core{Client: c}
}

// bucketOf is the bucket of a store URL.
func bucketOf(t *testing.T, storeURL string) string {
	t.Helper()
	u, err := url.Parse(storeURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func TestCredentialsFromTheEnvironment(t *testing.T) {
	srv := testenv.StartS3(t)
	u, _ := url.Parse(srv.Bucket(t))
	u.User = nil
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(v, "")
	}
	ctx := context.Background()
	if _, err := storage.Open(ctx, u.String()); err == nil || !strings.Contains(err.Error(), "no credentials") {
		t.Fatalf("Open with no credentials anywhere = %v; want an error saying so", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	st, err := storage.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, "k", strings.NewReader("x")); err != nil {
		t.Fatalf("Put with credentials from the environment = %v", err)
	}
}

// TestMisconfigurationIsUnavailable checks that a refused key and a
// missing bucket are the store's failure (unavailable), not the client's.
func TestMisconfigurationIsUnavailable(t *testing.T) {
	srv := testenv.StartS3(t)
	good, _ := url.Parse(srv.Bucket(t))
	wrongKey, noBucket := *good, *good
	wrongKey.User = url.UserPassword(srv.AccessKey, "wrong-secret")
	noBucket.Host = "no-such-bucket"
	for _, u := range []url.URL{wrongKey, noBucket} {
		st, err := storage.Open(context.Background(), u.String()+"&max_retries=-1")
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.Put(context.Background(), "k", strings.NewReader("x"))
		if !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("Put to %s = %v; want ErrUnavailable", u.Redacted(), err)
		}
	}
}

// TestPrefix checks that stores on prefixes of one bucket keep apart.
func TestPrefix(t *testing.T) {
	srv := testenv.StartS3(t)
	base, _ := url.Parse(srv.Bucket(t))
	ctx := context.Background()
	for _, p := range []string{"one", "two/deep"} {
		u := *base
		u.Path = "/" + p
		st, err := storage.Open(ctx, u.String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Put(ctx, "k", strings.NewReader(p)); err != nil {
			t.Fatal(err)
		}
		var got []string
		st.List(ctx, "", func(k string, _ time.Time) error { got = append(got, k); return nil })
		if len(got) != 1 || got[0] != "k" {
			t.Errorf("List on prefix %s = %q; want [k]", p, got)
		}
	}
	raw := rawClient(t, srv)
	for _, obj := range []string{"one/k", "two/deep/k"} {
		if _, err := raw.StatObject(ctx, base.Host, obj, minio.StatObjectOptions{}); err != nil {
			t.Errorf("object %s: %v", obj, err)
		}
	}
}

// TestRemoveLeftovers leaves a multipart upload behind, as a Put killed
// with its process would, and collects it once it is older than the grace.
func TestRemoveLeftovers(t *testing.T) {
	srv := testenv.StartS3(t)
	storeURL := srv.Bucket(t)
	bucket, ctx := bucketOf(t, storeURL), context.Background()
	raw := rawClient(t, srv)
	id, err := raw.NewMultipartUpload(ctx, bucket, "staging/u/i", minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.PutObjectPart(ctx, bucket, "staging/u/i", id, 1, strings.NewReader("part"), 4, minio.PutObjectPartOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	lc := st.(storage.LeftoverCollector)
	if n, err := lc.RemoveLeftovers(ctx, time.Now().Add(-time.Hour)); n != 0 || err != nil {
		t.Fatalf("RemoveLeftovers of uploads older than an hour = %d, %v; want 0 (the upload is new)", n, err)
	}
	if n, err := lc.RemoveLeftovers(ctx, time.Now().Add(time.Minute)); n != 1 || err != nil {
		t.Fatalf("RemoveLeftovers = %d, %v; want 1", n, err)
	}
	res, err := raw.ListMultipartUploads(ctx, bucket, "", "", "", "", 100)
	if err != nil || len(res.Uploads) != 0 {
		t.Fatalf("uploads left: %+v, %v; want none", res.Uploads, err)
	}
}

// TestReplacedWhileReading checks that a blob replaced after Open is not
// read as a mix of two versions.
func TestReplacedWhileReading(t *testing.T) {
	st, err := storage.Open(context.Background(), testenv.S3(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := st.Put(ctx, "k", strings.NewReader("version one")); err != nil {
		t.Fatal(err)
	}
	b, err := st.Open(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := st.Put(ctx, "k", strings.NewReader("VERSION TWO")); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(b)
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("reading a blob replaced since Open = %q, %v; want ErrUnavailable", got, err)
	}
}
