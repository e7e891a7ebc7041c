package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"picpipe/client"
)

func TestUploadImage(t *testing.T) {
	s := start(t, options{})
	c := s.client()
	ctx := context.Background()
	photo := pngImage(t, 320, 200, 1)
	var mu sync.Mutex
	var calls [][2]int64
	img, err := c.UploadImage(ctx, fileSource(t, "photo.png", photo), &client.ImageParams{
		ImageOptions: client.ImageOptions{Quality: 60, Resize: "160x"},
		Progress: func(sent, total int64) {
			mu.Lock()
			calls = append(calls, [2]int64{sent, total})
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatalf("UploadImage: %v", err)
	}
	if img.Status != client.StatusReady || !strings.HasPrefix(img.ID, "img_") || img.Filename != "photo.png" {
		t.Fatalf("image %+v; want a ready img_ named photo.png", img)
	}
	if img.Width != 160 || img.Height != 100 || img.Quality != 60 || img.Resize != "160x" || img.Format != "webp" {
		t.Errorf("image %dx%d q%d resize %q %s; want 160x100 q60 resize 160x webp", img.Width, img.Height, img.Quality, img.Resize, img.Format)
	}
	if img.SizeOriginal != int64(len(photo)) || img.SizeOptimized == 0 || img.CompressionRatio == 0 {
		t.Errorf("sizes %d → %d (%v); want %d → more than 0", img.SizeOriginal, img.SizeOptimized, img.CompressionRatio, len(photo))
	}
	checkProgress(t, calls, int64(len(photo)))
	checkLink(t, img.URL, "image/webp")

	got, err := c.GetImage(ctx, img.ID)
	if err != nil || got.ID != img.ID || got.URL != img.URL || got.Status != client.StatusReady {
		t.Fatalf("GetImage = %+v, %v; want the ready image", got, err)
	}
	again, err := c.UploadImage(ctx, fileSource(t, "again.png", photo), &client.ImageParams{
		ImageOptions: client.ImageOptions{Quality: 60, Resize: "160x"}})
	if err != nil || again.ID != img.ID {
		t.Errorf("the same bytes and options again = %+v, %v; want the same image %s", again, err, img.ID)
	}
}

// checkProgress checks the progress calls of one attempt: the total
// always size, sent growing and ending at size.
func checkProgress(t *testing.T, calls [][2]int64, size int64) {
	t.Helper()
	if len(calls) < 2 {
		t.Fatalf("progress called %d times; want from 0 to %d", len(calls), size)
	}
	for i, c := range calls {
		if c[1] != size {
			t.Fatalf("progress call %d: total %d; want %d", i, c[1], size)
		}
		if i > 0 && c[0] < calls[i-1][0] {
			t.Fatalf("progress went back from %d to %d", calls[i-1][0], c[0])
		}
	}
	if first, last := calls[0][0], calls[len(calls)-1][0]; first != 0 || last != size {
		t.Fatalf("progress from %d to %d; want 0 to %d", first, last, size)
	}
}

// checkLink fetches a public link and checks its media type.
func checkLink(t *testing.T, link, want string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, link, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", want)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", link, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != want {
		t.Fatalf("GET %s: %d %s; want 200 %s", link, res.StatusCode, res.Header.Get("Content-Type"), want)
	}
}

func TestUploadImageAsyncAndWait(t *testing.T) {
	s := start(t, options{})
	c := s.client()
	ctx := context.Background()
	img, err := c.UploadImageData(ctx, pngImage(t, 64, 64, 2), "small.png", &client.ImageParams{Prefer: client.Prefer{Async: true}})
	if err != nil {
		t.Fatalf("UploadImageData async: %v", err)
	}
	if img.Status != client.StatusQueued || img.URL != "" || img.Width != 0 {
		t.Fatalf("async answer %+v; want queued with no output yet", img)
	}
	ready, err := c.WaitReady(ctx, img.ID)
	if err != nil || ready.Status != client.StatusReady || ready.URL == "" || ready.Width != 64 {
		t.Fatalf("WaitReady = %+v, %v; want it ready 64 px wide", ready, err)
	}
	waited, err := c.UploadImageData(ctx, pngImage(t, 64, 64, 3), "", &client.ImageParams{
		ImageOptions: client.ImageOptions{Lossless: true}, Prefer: client.Prefer{Wait: 30 * time.Second}})
	if err != nil || waited.Status != client.StatusReady || !waited.Lossless {
		t.Fatalf("UploadImageData wait=30 = %+v, %v; want ready, lossless", waited, err)
	}
}

func TestUploadImageURL(t *testing.T) {
	photo := pngImage(t, 100, 80, 4)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(photo)
	}))
	defer origin.Close()
	u, _ := url.Parse(origin.URL)
	port, _ := strconv.Atoi(u.Port())
	s := start(t, options{origin: port})
	c := s.client()
	ctx := context.Background()

	img, err := c.UploadImageURL(ctx, origin.URL+"/cat.png", &client.ImageParams{Prefer: client.Prefer{Async: true}})
	if err != nil || img.Status != client.StatusQueued {
		t.Fatalf("UploadImageURL = %+v, %v; want queued", img, err)
	}
	if img, err = c.WaitReady(ctx, img.ID); err != nil || img.Width != 100 {
		t.Fatalf("WaitReady = %+v, %v; want ready, 100 px wide", img, err)
	}

	// The guard stays: another private address is refused, and the
	// image ends failed with the typed code.
	bad, err := c.UploadImageURL(ctx, "http://10.1.2.3/x.png", &client.ImageParams{Prefer: client.Prefer{Async: true}})
	if err != nil {
		t.Fatalf("UploadImageURL(private address): %v", err)
	}
	failed, err := c.WaitReady(ctx, bad.ID)
	var e *client.Error
	if !errors.As(err, &e) || e.Code != client.CodeFetchFailed || e.Status != 0 || failed == nil || failed.Status != client.StatusFailed {
		t.Fatalf("WaitReady(refused URL) = %+v, %v; want the failed image and an *Error fetch_failed", failed, err)
	}
}

func TestDeleteImageAndNotFound(t *testing.T) {
	s := start(t, options{})
	c := s.client()
	ctx := context.Background()
	img, err := c.UploadImageData(ctx, pngImage(t, 32, 32, 5), "a.png", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteImage(ctx, img.ID); err != nil {
		t.Fatalf("DeleteImage: %v", err)
	}
	_, err = c.GetImage(ctx, img.ID)
	var e *client.Error
	if !errors.As(err, &e) || e.Status != http.StatusNotFound || !errors.Is(err, client.CodeNotFound) ||
		!strings.HasPrefix(e.RequestID, "req_") || e.Message == "" {
		t.Fatalf("GetImage(deleted) = %#v; want *Error 404 not_found with a request id and message", err)
	}
	if errors.Is(err, client.CodeForbidden) || client.ErrorCode(err) != client.CodeNotFound {
		t.Errorf("errors.Is(err, CodeForbidden) or ErrorCode(err) = %q: codes mixed up", client.ErrorCode(err))
	}
	if err := c.DeleteImage(ctx, img.ID); !errors.Is(err, client.CodeNotFound) {
		t.Errorf("DeleteImage twice = %v; want not_found", err)
	}
}

func TestListImagesPages(t *testing.T) {
	s := start(t, options{})
	c := s.client()
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		img, err := c.UploadImageData(ctx, pngImage(t, 16, 16, 10+i), fmt.Sprintf("p%d.png", i), &client.ImageParams{Prefer: client.Prefer{Async: true}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append([]string{img.ID}, ids...) // newest first
	}
	page, err := c.ListImages(ctx, &client.ListParams{Limit: 2})
	if err != nil || len(page.Data) != 2 || page.NextCursor == "" || page.Data[0].ID != ids[0] {
		t.Fatalf("first page = %+v, %v; want %v and a cursor", page, err, ids[:2])
	}
	var got []string
	for img, err := range c.Images(ctx, 2) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, img.ID)
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("Images(2) = %v; want %v", got, ids)
	}
	last, err := c.ListImages(ctx, &client.ListParams{Limit: 2, Cursor: ids[3]})
	if err != nil || len(last.Data) != 1 || last.NextCursor != "" {
		t.Fatalf("last page = %+v, %v; want one image and no cursor", last, err)
	}
	if _, err := c.ListImages(ctx, &client.ListParams{Limit: 101}); !errors.Is(err, client.CodeInvalidRequest) {
		t.Errorf("limit 101 = %v; want invalid_request", err)
	}
}

func TestUploadRefused(t *testing.T) {
	s := start(t, options{})
	c := s.client()
	ctx := context.Background()
	exe := append([]byte("MZ\x90\x00"), make([]byte, 200)...)
	_, err := c.UploadImage(ctx, fileSource(t, "cat.jpg", exe), nil)
	var e *client.Error
	if !errors.As(err, &e) || e.Code != client.CodeUnsupportedFormat || e.Status != http.StatusBadRequest {
		t.Fatalf("an executable named .jpg = %v; want 400 unsupported_format", err)
	}
	if _, err := c.UploadImageData(ctx, []byte("not an image at all"), "x.png", nil); !errors.Is(err, client.CodeUnsupportedFormat) {
		t.Errorf("text as base64 = %v; want unsupported_format", err)
	}
	stranger, err := client.New(s.URL, "pk_live_"+strings.Repeat("x", 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stranger.Usage(ctx); !errors.As(err, &e) || e.Code != client.CodeUnauthorized || e.Status != 401 {
		t.Errorf("an unknown key = %v; want 401 unauthorized", err)
	}
}
