package client

import (
	"context"
	"encoding/base64"
	"iter"
	"net/http"
	"strconv"
)

// UploadImage uploads src (POST /v1/images, multipart/form-data),
// streaming it from its Source with p.Progress following the bytes. The
// image comes back ready (created, or an earlier upload of the same bytes
// and options), or queued or processing when the server's wait ended
// first (see Prefer; WaitReady waits for the rest). It returns an *Error
// when the API refuses the upload or the image failed (e.g.
// CodeUnsupportedFormat, CodeDecodeFailed, CodeRateLimited after the
// retries), or the Source's or the network's error. p may be nil.
func (c *Client) UploadImage(ctx context.Context, src *Source, p *ImageParams) (*Image, error) {
	p = orZero(p)
	f := &form{fileField: "file", files: []*Source{src}, progress: p.Progress}
	p.ImageOptions.formFields(f)
	return c.sendImage(ctx, uploadRequest("/v1/images", p.Prefer, f))
}

// UploadImageData uploads an image held in memory (POST /v1/images with
// JSON {"data": base64, "filename"}); filename's extension, if any, must
// agree with the bytes. It answers and fails as UploadImage.
func (c *Client) UploadImageData(ctx context.Context, data []byte, filename string, p *ImageParams) (*Image, error) {
	p = orZero(p)
	body := p.ImageOptions.jsonFields()
	body["data"], body["filename"] = base64.StdEncoding.EncodeToString(data), filename
	return c.sendImageJSON(ctx, p.Prefer, body)
}

// UploadImageURL has a worker fetch the image at rawURL (POST /v1/images
// with JSON {"url"}). Unless the wait sees it finished, the image comes
// back queued; a fetch that fails ends it failed with CodeFetchFailed.
func (c *Client) UploadImageURL(ctx context.Context, rawURL string, p *ImageParams) (*Image, error) {
	p = orZero(p)
	body := p.ImageOptions.jsonFields()
	body["url"] = rawURL
	return c.sendImageJSON(ctx, p.Prefer, body)
}

// ConfirmImageUpload creates the image of a presigned upload whose bytes
// were sent (POST /v1/images with JSON {"staging_key"}), with the same API
// key that asked for the grant. It answers and fails as UploadImage.
func (c *Client) ConfirmImageUpload(ctx context.Context, stagingKey string, p *ImageParams) (*Image, error) {
	p = orZero(p)
	body := p.ImageOptions.jsonFields()
	body["staging_key"] = stagingKey
	return c.sendImageJSON(ctx, p.Prefer, body)
}

func (c *Client) sendImageJSON(ctx context.Context, prefer Prefer, body map[string]any) (*Image, error) {
	r := &request{method: http.MethodPost, path: "/v1/images", prefer: prefer.header()}
	if err := r.jsonBody(body); err != nil {
		return nil, err
	}
	return c.sendImage(ctx, r)
}

func (c *Client) sendImage(ctx context.Context, r *request) (*Image, error) {
	var img Image
	if _, err := c.do(ctx, r, &img); err != nil {
		return nil, err
	}
	return &img, nil
}

// GetImage returns the image id, whatever its status (GET
// /v1/images/{id}); an *Error with CodeNotFound when the account has no
// such image.
func (c *Client) GetImage(ctx context.Context, id string) (*Image, error) {
	return c.sendImage(ctx, &request{method: http.MethodGet, path: "/v1/images/" + pathID(id)})
}

// ListImages returns a page of the account's images, newest first (GET
// /v1/images); p may be nil for the first page.
func (c *Client) ListImages(ctx context.Context, p *ListParams) (*ImageList, error) {
	var list ImageList
	_, err := c.do(ctx, &request{method: http.MethodGet, path: "/v1/images", query: orZero(p).query()}, &list)
	if err != nil {
		return nil, err
	}
	return &list, nil
}

// Images iterates over all the account's images, newest first, fetching
// pages of pageSize (0: the server's default) as it goes. It yields the
// error of a page that fails, and stops.
func (c *Client) Images(ctx context.Context, pageSize int) iter.Seq2[*Image, error] {
	return paginate(ctx, pageSize, func(p *ListParams) ([]Image, string, error) {
		list, err := c.ListImages(ctx, p)
		if err != nil {
			return nil, "", err
		}
		return list.Data, list.NextCursor, nil
	})
}

// DeleteImage deletes the image id (DELETE /v1/images/{id}): its link
// stops working at once and its quota is given back. It returns an
// *Error with CodeNotFound when there is no such image.
func (c *Client) DeleteImage(ctx context.Context, id string) error {
	_, err := c.do(ctx, &request{method: http.MethodDelete, path: "/v1/images/" + pathID(id)}, nil)
	return err
}

// uploadRequest is a multipart upload request to path.
func uploadRequest(path string, prefer Prefer, f *form) *request {
	return &request{method: http.MethodPost, path: path, prefer: prefer.header(),
		body: f.open, replayable: replayable(f.files...)}
}

// formFields adds o's set options to a multipart form.
func (o ImageOptions) formFields(f *form) {
	if o.Quality != 0 {
		f.field("quality", strconv.Itoa(o.Quality))
	}
	if o.Lossless {
		f.field("lossless", "true")
	}
	f.field("resize", o.Resize)
}

// jsonFields returns o's set options as fields of a JSON body.
func (o ImageOptions) jsonFields() map[string]any {
	m := map[string]any{}
	if o.Quality != 0 {
		m["quality"] = o.Quality
	}
	if o.Lossless {
		m["lossless"] = true
	}
	if o.Resize != "" {
		m["resize"] = o.Resize
	}
	return m
}
