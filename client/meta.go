package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// Discover returns what the API says of itself (GET /), which needs no
// key.
func (c *Client) Discover(ctx context.Context) (*Discovery, error) {
	var d Discovery
	if _, err := c.do(ctx, &request{method: http.MethodGet, path: "/"}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// OpenAPI returns the API's contract, its OpenAPI 3.1 document (GET
// /openapi.json).
func (c *Client) OpenAPI(ctx context.Context) (json.RawMessage, error) {
	var doc json.RawMessage
	if _, err := c.do(ctx, &request{method: http.MethodGet, path: "/openapi.json"}, &doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// Healthy reports whether the API process answers (GET /healthz),
// returning the error that says why not.
func (c *Client) Healthy(ctx context.Context) error {
	_, err := c.do(ctx, &request{method: http.MethodGet, path: "/healthz"}, nil)
	return err
}

// Ready returns the API's readiness (GET /readyz): nil when its database
// and Redis answer; otherwise the checks, with an *Error of status 503
// and CodeUnavailable.
func (c *Client) Ready(ctx context.Context) (*Readiness, error) {
	var r Readiness
	_, err := c.do(ctx, &request{method: http.MethodGet, path: "/readyz", once: true}, &r)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusServiceUnavailable && json.Unmarshal(e.body, &r) == nil {
		e.Code, e.Message = CodeUnavailable, "not ready: database "+r.Checks.Database+", redis "+r.Checks.Redis
	}
	return &r, err
}
