package client

import (
	"context"
	"encoding/base64"
	"errors"
	"iter"
	"net/http"
	"strconv"
)

// errNoFiles is UploadFiles called with nothing to upload.
var errNoFiles = errors.New("client: no file to upload")

// UploadFiles stores up to 5 general files as they are (POST /v1/files,
// multipart/form-data), streamed from their Sources with p.Progress
// following the bytes of all of them. Each file is checked on its own:
// the result lists the files kept and those refused. When none is kept
// it returns an *Error of the first refusal, with every refusal in its
// FileErrors. p may be nil.
func (c *Client) UploadFiles(ctx context.Context, srcs []*Source, p *FileParams) (*FileUploadResult, error) {
	if len(srcs) == 0 {
		return nil, errNoFiles
	}
	p = orZero(p)
	f := &form{fileField: "files", files: srcs, progress: p.Progress}
	if p.ExpiresIn > 0 {
		f.field("expires_in", expiresIn(p))
	}
	var res FileUploadResult
	if _, err := c.do(ctx, uploadRequest("/v1/files", p.Prefer, f), &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// UploadFileData stores one file held in memory (POST /v1/files with JSON
// {"data": base64, "filename"}). It returns an *Error when the file is
// refused.
func (c *Client) UploadFileData(ctx context.Context, data []byte, filename string, p *FileParams) (*File, error) {
	p = orZero(p)
	body := map[string]any{"data": base64.StdEncoding.EncodeToString(data), "filename": filename}
	return c.sendFileJSON(ctx, p, body)
}

// UploadFileURL has a worker fetch the file at rawURL (POST /v1/files with
// JSON {"url"}): it comes back queued unless the wait saw it finish; a
// fetch that fails ends it failed with CodeFetchFailed.
func (c *Client) UploadFileURL(ctx context.Context, rawURL string, p *FileParams) (*File, error) {
	return c.sendFileJSON(ctx, orZero(p), map[string]any{"url": rawURL})
}

func (c *Client) sendFileJSON(ctx context.Context, p *FileParams, body map[string]any) (*File, error) {
	if p.ExpiresIn > 0 {
		body["expires_in"] = expiresIn(p)
	}
	r := &request{method: http.MethodPost, path: "/v1/files", prefer: p.Prefer.header()}
	if err := r.jsonBody(body); err != nil {
		return nil, err
	}
	return c.sendFile(ctx, r)
}

func (c *Client) sendFile(ctx context.Context, r *request) (*File, error) {
	var f File
	if _, err := c.do(ctx, r, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// expiresIn is p.ExpiresIn in whole seconds, as the API takes it.
func expiresIn(p *FileParams) string {
	return strconv.FormatInt(int64(p.ExpiresIn.Seconds()), 10)
}

// GetFile returns the file id, whatever its status (GET /v1/files/{id});
// an *Error with CodeNotFound when there is no such file (or it expired).
func (c *Client) GetFile(ctx context.Context, id string) (*File, error) {
	return c.sendFile(ctx, &request{method: http.MethodGet, path: "/v1/files/" + pathID(id)})
}

// ListFiles returns a page of the account's files, newest first (GET
// /v1/files); p may be nil for the first page.
func (c *Client) ListFiles(ctx context.Context, p *ListParams) (*FileList, error) {
	var list FileList
	_, err := c.do(ctx, &request{method: http.MethodGet, path: "/v1/files", query: orZero(p).query()}, &list)
	if err != nil {
		return nil, err
	}
	return &list, nil
}

// Files iterates over all the account's files, newest first, fetching
// pages of pageSize (0: the server's default) as it goes. It yields the
// error of a page that fails, and stops.
func (c *Client) Files(ctx context.Context, pageSize int) iter.Seq2[*File, error] {
	return paginate(ctx, pageSize, func(p *ListParams) ([]File, string, error) {
		list, err := c.ListFiles(ctx, p)
		if err != nil {
			return nil, "", err
		}
		return list.Data, list.NextCursor, nil
	})
}

// DeleteFile deletes the file id (DELETE /v1/files/{id}): its link stops
// working at once. It returns an *Error with CodeNotFound when there is no
// such file.
func (c *Client) DeleteFile(ctx context.Context, id string) error {
	_, err := c.do(ctx, &request{method: http.MethodDelete, path: "/v1/files/" + pathID(id)}, nil)
	return err
}
