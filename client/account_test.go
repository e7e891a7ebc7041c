package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"picpipe/client"
)

func TestKeysAndUsage(t *testing.T) {
	s := start(t, options{})
	c := s.client()
	ctx := context.Background()
	if _, err := c.UploadImageData(ctx, pngImage(t, 20, 20, 30), "u.png", nil); err != nil {
		t.Fatal(err)
	}
	u, err := c.Usage(ctx)
	if err != nil || u.Object != "usage" || u.ImageCount != 1 || u.StorageUsedBytes == 0 || u.Plan != "free" {
		t.Fatalf("Usage = %+v, %v; want one image on free", u, err)
	}

	k, err := c.CreateKey(ctx, client.KeyRequest{Name: "reader", Scopes: []client.Scope{client.ScopeRead}, AllowedIPs: []string{}})
	if err != nil || !strings.HasPrefix(k.Key, "pk_live_") || !slices.Equal(k.Scopes, []client.Scope{client.ScopeRead}) || len(k.AllowedIPs) != 0 {
		t.Fatalf("CreateKey = %+v, %v; want a read-only key usable anywhere, with its secret", k, err)
	}
	reader, err := client.New(s.URL, k.Key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reader.Usage(ctx); err != nil {
		t.Errorf("the read key's Usage: %v", err)
	}
	var e *client.Error
	_, err = reader.UploadImageData(ctx, pngImage(t, 20, 20, 31), "v.png", nil)
	if !errors.As(err, &e) || e.Status != http.StatusForbidden || e.Code != client.CodeForbidden {
		t.Errorf("an upload with the read key = %v; want 403 forbidden", err)
	}
	if _, err := reader.CreateKey(ctx, client.KeyRequest{Name: "x"}); !errors.Is(err, client.CodeForbidden) {
		t.Errorf("CreateKey with the read key = %v; want forbidden", err)
	}

	keys, err := c.ListKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].Key != "" || keys[1].Key != "" {
		t.Fatalf("ListKeys = %+v, %v; want two keys without secrets", keys, err)
	}
	if err := c.RevokeKey(ctx, k.ID); err != nil {
		t.Fatalf("RevokeKey: %v", err)
	}
	if _, err := reader.Usage(ctx); !errors.As(err, &e) || e.Status != http.StatusUnauthorized || e.Code != client.CodeUnauthorized {
		t.Errorf("the revoked key = %v; want 401 unauthorized", err)
	}
	if err := c.RevokeKey(ctx, k.ID); !errors.Is(err, client.CodeNotFound) {
		t.Errorf("RevokeKey twice = %v; want not_found", err)
	}
}

func TestPresignedUpload(t *testing.T) {
	s := start(t, options{})
	c := s.client()
	ctx := context.Background()
	photo := pngImage(t, 300, 300, 40)
	var calls [][2]int64
	img, err := c.UploadImagePresigned(ctx, fileSource(t, "big.png", photo), "image/png", &client.ImageParams{
		ImageOptions: client.ImageOptions{Quality: 70},
		Progress:     func(sent, total int64) { calls = append(calls, [2]int64{sent, total}) }})
	if err != nil || img.Status != client.StatusReady || img.Quality != 70 || img.Filename != "big.png" {
		t.Fatalf("UploadImagePresigned = %+v, %v; want a ready image, quality 70", img, err)
	}
	checkProgress(t, calls, int64(len(photo)))

	g, err := c.Presign(ctx, client.PresignRequest{ContentType: "image/png", Size: 100})
	if err != nil || g.Method != http.MethodPut || !strings.Contains(g.UploadURL, "sig=") || g.MaxSize != 100 {
		t.Fatalf("Presign = %+v, %v; want a signed PUT of 100 bytes", g, err)
	}
	_, err = c.SendUpload(ctx, g, fileSource(t, "big.png", photo), nil)
	var e *client.Error
	if !errors.As(err, &e) || e.Status != http.StatusRequestEntityTooLarge || e.Code != client.CodePayloadTooLarge {
		t.Errorf("SendUpload past the grant = %v; want 413 payload_too_large", err)
	}
	if _, err := c.Presign(ctx, client.PresignRequest{ContentType: "text/html", Size: 100}); !errors.Is(err, client.CodeUnsupportedFormat) {
		t.Errorf("Presign(text/html) = %v; want unsupported_format", err)
	}
}

func TestMeta(t *testing.T) {
	s := start(t, options{})
	c := s.client()
	ctx := context.Background()
	d, err := c.Discover(ctx)
	if err != nil || d.Name != "picpipe" || d.Endpoints["images"] == "" {
		t.Fatalf("Discover = %+v, %v", d, err)
	}
	doc, err := c.OpenAPI(ctx)
	var head struct {
		OpenAPI string `json:"openapi"`
	}
	if err != nil || json.Unmarshal(doc, &head) != nil || !strings.HasPrefix(head.OpenAPI, "3.1") {
		t.Fatalf("OpenAPI = %.80s…, %v; want an OpenAPI 3.1 document", doc, err)
	}
	if err := c.Healthy(ctx); err != nil {
		t.Errorf("Healthy: %v", err)
	}
	if r, err := c.Ready(ctx); err != nil || r.Status != "ok" || r.Checks.Redis != "ok" {
		t.Errorf("Ready = %+v, %v; want ok", r, err)
	}
	s.redis.Pause(t)
	r, err := c.Ready(ctx)
	var e *client.Error
	if !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable || e.Code != client.CodeUnavailable || r.Checks.Redis != "unavailable" {
		t.Errorf("Ready with Redis hung = %+v, %v; want 503 unavailable naming redis", r, err)
	}
	s.redis.Resume(t)
}
