package client

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
)

// Presign asks for a grant to upload one large image (POST
// /v1/uploads/presign), up to the plan's presigned size; req.Size is
// reserved against the storage quota until the grant is used or expires.
// It returns an *Error with CodeFileTooLarge past the plan's size,
// CodeQuotaExceeded when the size does not fit the quota.
func (c *Client) Presign(ctx context.Context, req PresignRequest) (*UploadGrant, error) {
	r := &request{method: http.MethodPost, path: "/v1/uploads/presign"}
	if err := r.jsonBody(req); err != nil {
		return nil, err
	}
	var g UploadGrant
	if _, err := c.do(ctx, r, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// SendUpload sends src's bytes as grant says, with no API key: a PUT to
// this API's signed URL, or a form POST of grant's fields and the bytes
// to a bucket. progress, if set, follows the bytes. It returns the
// receipt, or an *Error when the upload is refused (a bucket's error has
// no Code).
func (c *Client) SendUpload(ctx context.Context, grant *UploadGrant, src *Source, progress Progress) (*Upload, error) {
	r := &request{method: grant.Method, url: grant.UploadURL, replayable: replayable(src)}
	switch grant.Method {
	case http.MethodPut:
		r.body = putBody(src, progress)
	case http.MethodPost:
		f := &form{fileField: "file", files: []*Source{src}, progress: progress}
		for _, k := range slices.Sorted(maps.Keys(grant.Fields)) {
			f.field(k, grant.Fields[k])
		}
		r.body = f.open
	default:
		return nil, fmt.Errorf("client: upload grant %s: unknown method %q", grant.ID, grant.Method)
	}
	up := Upload{Object: "upload", StagingKey: grant.StagingKey, Size: src.Size()}
	if _, err := c.do(ctx, r, &up); err != nil {
		return nil, err
	}
	return &up, nil
}

// UploadImagePresigned uploads a large image in three steps: Presign for
// src's size and contentType, SendUpload, ConfirmImageUpload. It answers
// and fails as they do; src's size must be known.
func (c *Client) UploadImagePresigned(ctx context.Context, src *Source, contentType string, p *ImageParams) (*Image, error) {
	if src.Size() < 1 {
		return nil, fmt.Errorf("client: a presigned upload needs the size of %s", src.Name)
	}
	p = orZero(p)
	g, err := c.Presign(ctx, PresignRequest{ContentType: contentType, Size: src.Size(), Filename: src.Name})
	if err != nil {
		return nil, err
	}
	if _, err := c.SendUpload(ctx, g, src, p.Progress); err != nil {
		return nil, err
	}
	return c.ConfirmImageUpload(ctx, g.StagingKey, p)
}

// putBody opens src as a raw request body whose reads progress follows.
func putBody(src *Source, progress Progress) func() (io.ReadCloser, string, int64, error) {
	return func() (io.ReadCloser, string, int64, error) {
		rc, size, err := src.reader()
		if err != nil {
			return nil, "", 0, err
		}
		if progress != nil {
			progress(0, size)
		}
		return &readCounter{rc: rc, total: size, fn: progress}, "application/octet-stream", size, nil
	}
}

// readCounter reports to fn the bytes read through it, of total.
type readCounter struct {
	rc    io.ReadCloser
	sent  int64
	total int64
	fn    Progress
}

func (r *readCounter) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.sent += int64(n)
	if r.fn != nil && n > 0 {
		r.fn(r.sent, r.total)
	}
	return n, err
}

func (r *readCounter) Close() error { return r.rc.Close() }
