package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"picpipe/client"
)

// pdf is a small PDF, as the sniffer knows one.
var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func TestUploadFiles(t *testing.T) {
	s := start(t, options{})
	c := s.client()
	ctx := context.Background()
	srcs := []*client.Source{
		fileSource(t, "report.pdf", pdf),
		fileSource(t, "notes.txt", []byte("plain notes\n")),
		fileSource(t, "cat.exe", []byte("MZ\x90\x00 not welcome")),
	}
	var last [2]int64
	res, err := c.UploadFiles(ctx, srcs, &client.FileParams{ExpiresIn: 72 * time.Hour,
		Progress: func(sent, total int64) { last = [2]int64{sent, total} }})
	if err != nil {
		t.Fatalf("UploadFiles: %v", err)
	}
	if len(res.Uploaded) != 2 || len(res.Errors) != 1 {
		t.Fatalf("uploaded %d, refused %d; want 2 and 1: %+v", len(res.Uploaded), len(res.Errors), res)
	}
	if e := res.Errors[0]; e.Filename != "cat.exe" || e.Code != client.CodeUnsupportedFormat {
		t.Errorf("refusal %+v; want cat.exe unsupported_format", e)
	}
	want := int64(len(pdf) + len("plain notes\n") + len("MZ\x90\x00 not welcome"))
	if last != [2]int64{want, want} {
		t.Errorf("last progress %v; want %d of %d (every file's bytes)", last, want, want)
	}
	f := res.Uploaded[0]
	if f.Status != client.StatusReady || f.MIMEType != "application/pdf" || f.Size != int64(len(pdf)) ||
		f.ExpiresAt-f.CreatedAt != int64((72*time.Hour).Seconds()) || !strings.HasPrefix(f.ID, "file_") {
		t.Errorf("file %+v; want a ready PDF of %d bytes expiring in 72 h", f, len(pdf))
	}
	checkLink(t, f.URL, "application/pdf")

	got, err := c.GetFile(ctx, f.ID)
	if err != nil || got.SHA256 != f.SHA256 || got.URL != f.URL {
		t.Fatalf("GetFile = %+v, %v; want %+v", got, err, f)
	}
	if err := c.DeleteFile(ctx, f.ID); err != nil {
		t.Fatalf("DeleteFile: %v", err)
	}
	if _, err := c.GetFile(ctx, f.ID); !errors.Is(err, client.CodeNotFound) {
		t.Errorf("GetFile(deleted) = %v; want not_found", err)
	}
}

func TestUploadFilesAllRefused(t *testing.T) {
	s := start(t, options{})
	c := s.client()
	_, err := c.UploadFiles(context.Background(), []*client.Source{
		fileSource(t, "a.exe", []byte("MZ\x90\x00")),
		fileSource(t, "page.html", []byte("<html><script>alert(1)</script></html>")),
	}, nil)
	var e *client.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != client.CodeUnsupportedFormat || len(e.FileErrors) != 2 {
		t.Fatalf("UploadFiles(all refused) = %#v; want 400 unsupported_format with 2 FileErrors", err)
	}
	if e.FileErrors[0].Filename != "a.exe" || e.FileErrors[1].Filename != "page.html" {
		t.Errorf("FileErrors %+v; want a.exe then page.html", e.FileErrors)
	}
}

func TestFilesDataURLAndPages(t *testing.T) {
	doc := []byte(`{"hello": "world"}`)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	}))
	defer origin.Close()
	u, _ := url.Parse(origin.URL)
	port, _ := strconv.Atoi(u.Port())
	s := start(t, options{origin: port})
	c := s.client()
	ctx := context.Background()

	data, err := c.UploadFileData(ctx, []byte("a,b\n1,2\n"), "table.csv", &client.FileParams{ExpiresIn: time.Hour})
	if err != nil || data.MIMEType != "text/csv" || data.ExpiresAt == 0 {
		t.Fatalf("UploadFileData = %+v, %v; want a temporary text/csv", data, err)
	}
	fetched, err := c.UploadFileURL(ctx, origin.URL+"/doc.json", &client.FileParams{Prefer: client.Prefer{Async: true}})
	if err != nil || fetched.Status != client.StatusQueued {
		t.Fatalf("UploadFileURL = %+v, %v; want queued", fetched, err)
	}
	if fetched, err = c.WaitFileReady(ctx, fetched.ID); err != nil || fetched.Size != int64(len(doc)) || fetched.URL == "" {
		t.Fatalf("WaitFileReady = %+v, %v; want ready with %d bytes", fetched, err, len(doc))
	}
	if _, err := c.UploadFileData(ctx, []byte("MZ\x90\x00"), "x.exe", nil); !errors.Is(err, client.CodeUnsupportedFormat) {
		t.Errorf("UploadFileData(exe) = %v; want unsupported_format", err)
	}

	page, err := c.ListFiles(ctx, &client.ListParams{Limit: 1})
	if err != nil || len(page.Data) != 1 || page.Data[0].ID != fetched.ID || page.NextCursor != fetched.ID {
		t.Fatalf("ListFiles(limit 1) = %+v, %v; want the newest file and its cursor", page, err)
	}
	var ids []string
	for f, err := range c.Files(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	if want := []string{fetched.ID, data.ID}; strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("Files(1) = %v; want %v", ids, want)
	}
}
