package client

import (
	"context"
	"net/http"
)

// Usage returns the account's quota in use and this month's counts (GET
// /v1/usage).
func (c *Client) Usage(ctx context.Context) (*Usage, error) {
	var u Usage
	if _, err := c.do(ctx, &request{method: http.MethodGet, path: "/v1/usage"}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateKey makes a new API key for the account (POST /v1/keys), no
// broader than the calling key; its secret is in Key, this once. It
// returns an *Error with CodeForbidden when req asks for more than the
// calling key has, CodeQuotaExceeded when the account holds as many keys
// as it may.
func (c *Client) CreateKey(ctx context.Context, req KeyRequest) (*APIKey, error) {
	r := &request{method: http.MethodPost, path: "/v1/keys"}
	if err := r.jsonBody(req); err != nil {
		return nil, err
	}
	var k APIKey
	if _, err := c.do(ctx, r, &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// ListKeys returns all the account's keys, revoked ones included, without
// their secrets (GET /v1/keys).
func (c *Client) ListKeys(ctx context.Context) ([]APIKey, error) {
	var list APIKeyList
	if _, err := c.do(ctx, &request{method: http.MethodGet, path: "/v1/keys"}, &list); err != nil {
		return nil, err
	}
	return list.Data, nil
}

// RevokeKey revokes the key id (DELETE /v1/keys/{id}): the next request
// with it is refused. It returns an *Error with CodeNotFound for a key
// that does not exist or is already revoked.
func (c *Client) RevokeKey(ctx context.Context, id string) error {
	_, err := c.do(ctx, &request{method: http.MethodDelete, path: "/v1/keys/" + pathID(id)}, nil)
	return err
}
