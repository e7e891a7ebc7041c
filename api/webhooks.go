package api

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/db"
)

// Bounds of a webhook's fields.
const (
	maxWebhookURL         = 2048
	maxWebhookDescription = 200
	// defaultPreviousSecret and maxPreviousSecret bound how long a rolled
	// secret goes on signing beside the new one.
	defaultPreviousSecret = 24 * time.Hour
	maxPreviousSecret     = 7 * 24 * time.Hour
)

// webhookJSON is the WebhookEndpoint resource; Secret only in the
// answers to its creation and to a roll of its secret.
type webhookJSON struct {
	ID                      string   `json:"id"`
	Object                  string   `json:"object"`
	URL                     string   `json:"url"`
	Events                  []string `json:"events"`
	Description             string   `json:"description"`
	Status                  string   `json:"status"`
	DisabledAt              *int64   `json:"disabled_at"`
	DisabledReason          *string  `json:"disabled_reason"`
	FailingSince            *int64   `json:"failing_since"`
	LastSuccessAt           *int64   `json:"last_success_at"`
	LastFailureAt           *int64   `json:"last_failure_at"`
	PreviousSecretExpiresAt *int64   `json:"previous_secret_expires_at"`
	CreatedAt               int64    `json:"created_at"`
	UpdatedAt               int64    `json:"updated_at"`
	Secret                  string   `json:"secret,omitempty"`
}

func (s *Server) webhookView(w *db.Webhook) webhookJSON {
	v := webhookJSON{ID: w.ID, Object: "webhook_endpoint", URL: w.URL, Events: strings.Split(w.Events, ","),
		Description: w.Description, Status: "enabled", FailingSince: w.FailingSince,
		LastSuccessAt: w.LastSuccessAt, LastFailureAt: w.LastFailureAt, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	if w.DisabledAt != nil {
		v.Status, v.DisabledAt, v.DisabledReason = "disabled", w.DisabledAt, &w.DisabledReason
	}
	if w.PreviousSecret != "" && w.PreviousSecretExpiresAt != nil && *w.PreviousSecretExpiresAt > s.now().Unix() {
		v.PreviousSecretExpiresAt = w.PreviousSecretExpiresAt
	}
	return v
}

// deliveryJSON is the WebhookDelivery resource: one attempt.
type deliveryJSON struct {
	ID         string  `json:"id"`
	Object     string  `json:"object"`
	WebhookID  string  `json:"webhook_id"`
	EventID    string  `json:"event_id"`
	EventType  string  `json:"event_type"`
	Attempt    int     `json:"attempt"`
	Manual     bool    `json:"manual"`
	Succeeded  bool    `json:"succeeded"`
	StatusCode *int    `json:"status_code"`
	LatencyMs  int64   `json:"latency_ms"`
	Response   string  `json:"response"`
	Error      *string `json:"error"`
	CreatedAt  int64   `json:"created_at"`
}

func deliveryView(a *db.Delivery) deliveryJSON {
	v := deliveryJSON{ID: a.ID, Object: "webhook_delivery", WebhookID: a.WebhookID, EventID: a.EventID,
		EventType: a.EventType, Attempt: a.Attempt, Manual: a.Manual, Succeeded: a.Succeeded,
		LatencyMs: a.LatencyMs, Response: a.Response, CreatedAt: a.CreatedAt}
	if a.StatusCode != 0 {
		v.StatusCode = &a.StatusCode
	}
	if a.Error != "" {
		v.Error = &a.Error
	}
	return v
}

// webhookRequest is the body of POST /v1/webhooks and of PATCH
// /v1/webhooks/{id}, where every field is optional.
type webhookRequest struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Description *string   `json:"description"`
	Enabled     *bool     `json:"enabled"`
}

const webhookRequestShape = `{"url": "https://…", "events": ["image.ready", …], "description": …}`

// createWebhook is POST /v1/webhooks: a new endpoint of the account,
// within MaxWebhooks; its signing secret is in this answer only.
func (s *Server) createWebhook(c *gin.Context) {
	var req webhookRequest
	if err := bindJSON(c, &req, webhookRequestShape); err != nil {
		fail(c, err)
		return
	}
	if req.URL == nil || req.Events == nil {
		failCode(c, picpipe.ECodeInvalidRequest, "send JSON %s: url and events are required", webhookRequestShape)
		return
	}
	now := s.now().Unix()
	w := &db.Webhook{ID: db.NewID(db.PrefixWebhook), UserID: userOf(c).ID, CreatedAt: now, UpdatedAt: now}
	if err := s.applyWebhook(c, w, req); err != nil {
		fail(c, err)
		return
	}
	if err := s.db.CreateWebhook(c.Request.Context(), w, s.cfg.MaxWebhooks); err != nil {
		fail(c, err)
		return
	}
	v := s.webhookView(w)
	v.Secret = w.Secret
	c.Header("Location", "/v1/webhooks/"+w.ID)
	c.JSON(http.StatusCreated, v)
}

// applyWebhook checks the fields req sets and sets them on w: a URL the
// SSRF guard lets through (the same policy as URL ingest), known event
// types, a short description.
func (s *Server) applyWebhook(c *gin.Context, w *db.Webhook, req webhookRequest) error {
	if req.URL != nil {
		if len(*req.URL) > maxWebhookURL {
			return picpipe.Errorf(picpipe.ECodeInvalidRequest, "url is longer than %d bytes", maxWebhookURL)
		}
		if err := s.fetcher.CheckTarget(c.Request.Context(), *req.URL); err != nil {
			return picpipe.Errorf(picpipe.ECodeInvalidRequest, "url: %s", picpipe.ErrorMessage(err))
		}
		w.URL = *req.URL
	}
	if req.Events != nil {
		events, err := eventList(*req.Events)
		if err != nil {
			return err
		}
		w.Events = events
	}
	if req.Description != nil {
		if len(*req.Description) > maxWebhookDescription {
			return picpipe.Errorf(picpipe.ECodeInvalidRequest, "description is longer than %d bytes", maxWebhookDescription)
		}
		w.Description = plainText(*req.Description)
	}
	return nil
}

// plainText is s without control and format characters (NUL, bidi
// overrides, zero-width joiners) and surrounding white space.
func plainText(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "")))
}

// eventList returns the stored form of the event types list: "*" alone
// when it holds "*", the known types it names in db.EventTypes' order
// otherwise, or invalid_request naming an unknown one.
func eventList(list []string) (string, error) {
	if len(list) == 0 {
		return "", picpipe.Errorf(picpipe.ECodeInvalidRequest, "events is empty; want some of %s, or \"*\"", strings.Join(db.EventTypes, ", "))
	}
	for _, e := range list {
		if e != db.EventAll && !slices.Contains(db.EventTypes, e) {
			return "", picpipe.Errorf(picpipe.ECodeInvalidRequest, "unknown event type %q; the types are %s, or \"*\" for all", e, strings.Join(db.EventTypes, ", "))
		}
	}
	if slices.Contains(list, db.EventAll) {
		return db.EventAll, nil
	}
	var out []string
	for _, t := range db.EventTypes {
		if slices.Contains(list, t) {
			out = append(out, t)
		}
	}
	return strings.Join(out, ","), nil
}

// listWebhooks is GET /v1/webhooks?limit=&cursor=, newest first.
func (s *Server) listWebhooks(c *gin.Context) {
	limit, ok := pageLimit(c)
	if !ok {
		return
	}
	ws, err := s.db.ListWebhooks(c.Request.Context(), userOf(c).ID, c.Query("cursor"), limit+1)
	if err != nil {
		fail(c, err)
		return
	}
	respondPage(c, ws, limit, func(w *db.Webhook) (string, webhookJSON) { return w.ID, s.webhookView(w) })
}

// getWebhook is GET /v1/webhooks/:id.
func (s *Server) getWebhook(c *gin.Context) {
	w, err := s.db.WebhookByID(c.Request.Context(), userOf(c).ID, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.webhookView(w))
}

// updateWebhook is PATCH /v1/webhooks/:id: a new url, events or
// description, and "enabled": true to enable a disabled endpoint again
// (false disables it).
func (s *Server) updateWebhook(c *gin.Context) {
	var req webhookRequest
	if err := bindJSON(c, &req, `{"url": …, "events": […], "description": …, "enabled": true}`); err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	w, err := s.db.WebhookByID(ctx, userOf(c).ID, c.Param("id"))
	if err == nil {
		err = s.applyWebhook(c, w, req)
	}
	if err != nil {
		fail(c, err)
		return
	}
	w.UpdatedAt = s.now().Unix()
	enable := req.Enabled != nil && *req.Enabled
	err = s.db.UpdateWebhook(ctx, w, enable)
	if err == nil && req.Enabled != nil && !*req.Enabled {
		err = s.db.DisableWebhook(ctx, w, "disabled through the API")
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.webhookView(w))
}

// deleteWebhook is DELETE /v1/webhooks/:id, with its delivery log; its
// deliveries still queued stop.
func (s *Server) deleteWebhook(c *gin.Context) {
	if err := s.db.DeleteWebhook(c.Request.Context(), userOf(c).ID, c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// rollRequest is the body of POST /v1/webhooks/{id}/secret.
type rollRequest struct {
	// PreviousExpiresIn is how many seconds the old secret goes on
	// signing beside the new one: 0 to 7 days, default a day.
	PreviousExpiresIn *int64 `json:"previous_secret_expires_in"`
}

// rollWebhookSecret is POST /v1/webhooks/:id/secret: a new signing
// secret, shown in this answer only; the old one signs beside it for
// previous_secret_expires_in seconds (a day by default, 0 for none), so
// receivers can take the new one without missing a delivery.
func (s *Server) rollWebhookSecret(c *gin.Context) {
	var req rollRequest
	if err := bindOptionalJSON(c, &req, `{"previous_secret_expires_in": 86400}`); err != nil {
		fail(c, err)
		return
	}
	keep := int64(defaultPreviousSecret / time.Second)
	if req.PreviousExpiresIn != nil {
		keep = *req.PreviousExpiresIn
	}
	if keep < 0 || keep > int64(maxPreviousSecret/time.Second) {
		failCode(c, picpipe.ECodeInvalidRequest, "previous_secret_expires_in must be from 0 to %d seconds", int64(maxPreviousSecret/time.Second))
		return
	}
	ctx := c.Request.Context()
	w, err := s.db.WebhookByID(ctx, userOf(c).ID, c.Param("id"))
	if err == nil {
		w.UpdatedAt = s.now().Unix()
		err = s.db.RollWebhookSecret(ctx, w, w.UpdatedAt+keep)
	}
	if err != nil {
		fail(c, err)
		return
	}
	v := s.webhookView(w)
	v.Secret = w.Secret
	c.JSON(http.StatusOK, v)
}

// listDeliveries is GET /v1/webhooks/:id/deliveries?limit=&cursor=:
// every attempt to deliver to the endpoint, newest first.
func (s *Server) listDeliveries(c *gin.Context) {
	limit, ok := pageLimit(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	w, err := s.db.WebhookByID(ctx, userOf(c).ID, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	as, err := s.db.ListDeliveries(ctx, w.ID, c.Query("cursor"), limit+1)
	if err != nil {
		fail(c, err)
		return
	}
	respondPage(c, as, limit, func(a *db.Delivery) (string, deliveryJSON) { return a.ID, deliveryView(a) })
}

// retryJSON is the answer to a resend.
type retryJSON struct {
	Object     string `json:"object"`
	WebhookID  string `json:"webhook_id"`
	EventID    string `json:"event_id"`
	DeliveryID string `json:"delivery_id"`
	Status     string `json:"status"`
}

// retryDelivery is POST /v1/webhooks/:id/deliveries/:delivery_id/retry:
// the event of that attempt is sent to the endpoint once more (one
// attempt, logged like the others; even to a disabled endpoint), 202.
func (s *Server) retryDelivery(c *gin.Context) {
	ctx := c.Request.Context()
	w, err := s.db.WebhookByID(ctx, userOf(c).ID, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	a, err := s.db.DeliveryByID(ctx, w.ID, c.Param("delivery_id"))
	if err == nil {
		_, err = s.db.EventByID(ctx, a.EventID)
	}
	if err == nil {
		err = s.dispatcher.Resend(ctx, a.EventID, w.ID)
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, retryJSON{Object: "webhook_delivery_retry", WebhookID: w.ID, EventID: a.EventID,
		DeliveryID: a.ID, Status: "queued"})
}

// bindOptionalJSON is bindJSON for a body that may be left out: an
// empty one leaves v as it is.
func bindOptionalJSON(c *gin.Context, v any, want string) error {
	br := bufio.NewReader(c.Request.Body)
	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		return nil
	}
	c.Request.Body = struct {
		io.Reader
		io.Closer
	}{br, c.Request.Body}
	return bindJSON(c, v, want)
}
