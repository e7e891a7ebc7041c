package client

import (
	"context"
	"time"
)

// The polls of WaitReady and WaitFileReady start pollMin apart, the wait
// growing by half each time up to pollMax.
const (
	pollMin = 200 * time.Millisecond
	pollMax = 3 * time.Second
)

// WaitReady polls the image id until it is ready or failed, with a
// backoff from 200 ms to 3 s between polls, and returns it. When it failed
// the image comes back with an *Error of its failure's code (Status 0).
// It returns ctx's error when ctx ends first, and GetImage's errors.
func (c *Client) WaitReady(ctx context.Context, id string) (*Image, error) {
	return poll(ctx, func() (*Image, Status, *Failure, error) {
		img, err := c.GetImage(ctx, id)
		if err != nil {
			return nil, "", nil, err
		}
		return img, img.Status, img.Error, nil
	})
}

// poll calls get until the status it reports is final, waiting between
// calls from pollMin growing to pollMax. A failed resource comes back
// with its failure as an *Error.
func poll[T any](ctx context.Context, get func() (*T, Status, *Failure, error)) (*T, error) {
	wait := pollMin
	for {
		v, status, failure, err := get()
		switch {
		case err != nil:
			return nil, err
		case status == StatusFailed && failure != nil:
			return v, &Error{Code: failure.Code, Message: failure.Message}
		case status == StatusFailed:
			return v, &Error{Code: CodeInternal, Message: "failed"}
		case status.Done():
			return v, nil
		}
		if err := sleep(ctx, wait); err != nil {
			return v, err
		}
		wait = min(wait*3/2, pollMax)
	}
}

// WaitFileReady polls the file id as WaitReady polls an image: until it
// is ready or failed (then with an *Error of its failure's code).
func (c *Client) WaitFileReady(ctx context.Context, id string) (*File, error) {
	return poll(ctx, func() (*File, Status, *Failure, error) {
		f, err := c.GetFile(ctx, id)
		if err != nil {
			return nil, "", nil, err
		}
		return f, f.Status, f.Error, nil
	})
}
