package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"picpipe/client"
	"picpipe/imaging/sniff"
)

// todo is one file to upload.
type todo struct {
	path string
	size int64
}

// collect returns the files args name: each FILE as given, and under each
// DIR, in lexical order, the files whose extension the way in takes
// (images, or with files the general files; the table in package sniff
// says which), hidden files and directories left out. It fails on a path
// that does not exist, and when there is nothing to upload.
func collect(args []string, files bool) ([]todo, error) {
	exts := wantedExts(files)
	var out []todo
	for _, arg := range args {
		fi, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, todo{arg, fi.Size()})
			continue
		}
		found, err := walk(arg, exts)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	if len(out) == 0 {
		what := "images (--files for other files)"
		if files {
			what = "files of a type /v1/files takes"
		}
		return nil, fmt.Errorf("no %s under %s", what, strings.Join(args, ", "))
	}
	return out, nil
}

// walk returns the files under dir whose extension is in exts.
func walk(dir string, exts map[string]bool) ([]todo, error) {
	var out []todo
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !exts[strings.ToLower(filepath.Ext(path))] {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, todo{path, fi.Size()})
		return nil
	})
	return out, err
}

// wantedExts are the extensions of the types POST /v1/images (or, with
// files, POST /v1/files) takes.
func wantedExts(files bool) map[string]bool {
	policy := sniff.ImagePolicy
	if files {
		policy = sniff.FilesPolicy
	}
	exts := map[string]bool{}
	for _, t := range policy.Types() {
		for _, e := range t.Exts() {
			exts[e] = true
		}
	}
	return exts
}

// outcome is how one file's upload ended: a line of --json.
type outcome struct {
	Path   string        `json:"path"`
	OK     bool          `json:"ok"`
	ID     string        `json:"id,omitempty"`
	Status client.Status `json:"status,omitempty"`
	URL    string        `json:"url,omitempty"`
	Error  *outcomeError `json:"error,omitempty"`
	Image  *client.Image `json:"image,omitempty"`
	File   *client.File  `json:"file,omitempty"`
}

// outcomeError is why a file failed: the API's code and words, or the
// client's own error (no code) for a file that could not be sent.
type outcomeError struct {
	Code      client.Code `json:"code,omitempty"`
	Message   string      `json:"message"`
	Status    int         `json:"status,omitempty"`
	RequestID string      `json:"request_id,omitempty"`
}

// fail records err as o's failure.
func (o *outcome) fail(err error) {
	o.OK = false
	var e *client.Error
	if errors.As(err, &e) {
		o.Error = &outcomeError{Code: e.Code, Message: e.Message, Status: e.Status, RequestID: e.RequestID}
		return
	}
	o.Error = &outcomeError{Message: err.Error()}
}

// uploader uploads one file at a time with the flags' options.
type uploader struct {
	cfg   clientConfig
	http  *http.Client // shared by every file's client: one pool of connections
	flags uploadFlags
}

func newUploader(cfg clientConfig, f uploadFlags) (*uploader, error) {
	if _, err := newAPIClient(cfg); err != nil {
		return nil, err
	}
	return &uploader{cfg: cfg, http: &http.Client{}, flags: f}, nil
}

// client is a client of the API for one file, telling w of its retries.
func (u *uploader) client(w watcher) *client.Client {
	c, _ := newAPIClient(u.cfg, client.WithHTTPClient(u.http), client.WithRetry(u.flags.retryPolicy(w)))
	return c
}

// upload uploads t, telling w how it goes.
func (u *uploader) upload(ctx context.Context, t todo, w watcher) outcome {
	src, err := client.NewFileSource(t.path)
	if err != nil {
		o := outcome{Path: t.path}
		o.fail(err)
		return o
	}
	if u.flags.files {
		return u.uploadFile(ctx, t.path, src, w)
	}
	return u.uploadImage(ctx, t.path, src, w)
}

func (u *uploader) uploadImage(ctx context.Context, path string, src *client.Source, w watcher) outcome {
	c := u.client(w)
	img, err := c.UploadImage(ctx, src, &client.ImageParams{
		ImageOptions: client.ImageOptions{Quality: u.flags.quality, Lossless: u.flags.lossless, Resize: u.flags.resize},
		Prefer:       client.Prefer{Async: u.flags.async}, Progress: w.progress})
	if err == nil && u.flags.wait && !img.Status.Done() {
		w.note(string(img.Status))
		wctx, cancel := context.WithTimeout(ctx, u.flags.waitTimeout)
		img, err = c.WaitReady(wctx, img.ID)
		cancel()
	}
	o := outcome{Path: path, Image: img}
	if img != nil {
		o.ID, o.Status, o.URL = img.ID, img.Status, img.URL
	}
	u.settle(&o, err)
	return o
}

func (u *uploader) uploadFile(ctx context.Context, path string, src *client.Source, w watcher) outcome {
	c := u.client(w)
	expiry, _ := u.flags.expiry()
	res, err := c.UploadFiles(ctx, []*client.Source{src}, &client.FileParams{
		ExpiresIn: expiry, Prefer: client.Prefer{Async: u.flags.async}, Progress: w.progress})
	var f *client.File
	switch {
	case err == nil && len(res.Uploaded) == 0:
		e := res.Errors[0]
		err = &client.Error{Code: e.Code, Status: http.StatusBadRequest, Message: e.Message}
	case err == nil:
		f = &res.Uploaded[0]
		if u.flags.wait && !f.Status.Done() {
			w.note(string(f.Status))
			wctx, cancel := context.WithTimeout(ctx, u.flags.waitTimeout)
			f, err = c.WaitFileReady(wctx, f.ID)
			cancel()
		}
	}
	o := outcome{Path: path, File: f}
	if f != nil {
		o.ID, o.Status, o.URL = f.ID, f.Status, f.URL
	}
	u.settle(&o, err)
	return o
}

// settle decides o: with --wait it is done when ready, with --async when
// accepted.
func (u *uploader) settle(o *outcome, err error) {
	switch {
	case err != nil:
		o.fail(err)
	case o.Status == client.StatusFailed:
		o.fail(errors.New("failed"))
	default:
		o.OK = o.Status == client.StatusReady || u.flags.async
	}
}

// uploadAll uploads todos, jobs at a time, reporting each to rep, and
// returns their outcomes in todos' order.
func uploadAll(ctx context.Context, todos []todo, jobs int, u *uploader, rep reporter) []outcome {
	outs := make([]outcome, len(todos))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, len(todos)) {
		wg.Go(func() {
			for i := range next {
				w := rep.begin(todos[i])
				outs[i] = u.upload(ctx, todos[i], w)
				w.done(outs[i])
			}
		})
	}
	for i := range todos {
		next <- i
	}
	close(next)
	wg.Wait()
	return outs
}
