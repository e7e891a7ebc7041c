package api

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/db"
)

const (
	ctxRequestID = "picpipe.request_id"
	ctxUser      = "picpipe.user"
	ctxKey       = "picpipe.key"
)

// withRequestID gives every request an id, in the X-Request-Id response
// header and in error bodies.
func withRequestID(c *gin.Context) {
	var b [12]byte
	rand.Read(b[:])
	id := "req_" + base64.RawURLEncoding.EncodeToString(b[:])
	c.Set(ctxRequestID, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString(ctxRequestID) }

// withLogging logs one line per request.
func withLogging(c *gin.Context) {
	start := time.Now()
	c.Next()
	slog.InfoContext(c.Request.Context(), "request",
		"method", c.Request.Method, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "dur_ms", time.Since(start).Milliseconds(),
		"request_id", requestID(c), "ip", c.ClientIP())
}

// withRecovery turns a panic into a 500 internal error body.
func withRecovery(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			slog.ErrorContext(c.Request.Context(), "panic", "panic", r, "request_id", requestID(c), "stack", string(debug.Stack()))
			failCode(c, picpipe.ECodeInternal, "internal error")
		}
	}()
	c.Next()
}

// apiKeyFrom returns the secret from "Authorization: Bearer …" or
// "x-api-key", or "".
func apiKeyFrom(c *gin.Context) string {
	if h := c.GetHeader("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(token)
		}
		return ""
	}
	return strings.TrimSpace(c.GetHeader("X-Api-Key"))
}

// keyProblem says what is wrong with the request's API key header when it
// carries none apiKeyFrom can read: an Authorization header without the
// Bearer scheme is named as such (never echoing the secret), not taken
// for a missing key.
func keyProblem(c *gin.Context) string {
	h := strings.TrimSpace(c.GetHeader("Authorization"))
	scheme, _, hasScheme := strings.Cut(h, " ")
	switch {
	case h == "":
		return "missing API key: send Authorization: Bearer <key> or x-api-key: <key>"
	case strings.EqualFold(scheme, "Bearer"):
		return "Authorization: Bearer carries no key: send Authorization: Bearer pk_…"
	case !hasScheme || strings.HasPrefix(scheme, "pk_"):
		return "Authorization needs the Bearer scheme: Authorization: Bearer pk_…"
	default:
		return "Authorization takes the Bearer scheme only: Authorization: Bearer pk_… (or x-api-key: pk_…)"
	}
}

// authenticate resolves the API key to its user: 401 for a missing, unknown
// or revoked key (or one sent without the Bearer scheme, keyProblem), 403
// for a suspended user.
func (s *Server) authenticate(c *gin.Context) {
	secret := apiKeyFrom(c)
	if secret == "" {
		failCode(c, picpipe.ECodeUnauthorized, "%s", keyProblem(c))
		return
	}
	ctx := c.Request.Context()
	// Looking up by the SHA-256 of the secret compares in effect in
	// constant time: timing reveals nothing an attacker can steer.
	// The key and its user in one query.
	key, err := s.db.APIKeyWithUser(ctx, db.HashSecret(secret))
	if errors.Is(err, db.ErrAPIKeyNotFound) {
		failCode(c, picpipe.ECodeUnauthorized, "invalid or revoked API key")
		return
	} else if err != nil {
		fail(c, err)
		return
	}
	user := key.User
	if !s.admitUser(c, user, key.Allows(c.ClientIP()), "API key") {
		return
	}
	c.Set(ctxKey, key)
	s.recordCall(ctx, user)
	if key.LastUsedAt == nil || *key.LastUsedAt < s.now().Unix()-keyTouchEvery {
		if err := s.db.TouchAPIKey(ctx, key.ID, s.now().Unix()); err != nil {
			slog.WarnContext(ctx, "touch api key", "err", err)
		}
	}
	c.Next()
}

// admit loads the account userID a credential stands for and lets the
// request in when the account is active and the credential may be used
// from the client's address (allowed); otherwise it answers 403 and
// reports false.
func (s *Server) admit(c *gin.Context, userID string, allowed bool, credential string) (*db.User, bool) {
	user, err := s.db.UserByID(c.Request.Context(), userID)
	if err != nil {
		fail(c, err)
		return nil, false
	}
	return user, s.admitUser(c, user, allowed, credential)
}

// admitUser is admit for an account already loaded.
func (s *Server) admitUser(c *gin.Context, user *db.User, allowed bool, credential string) bool {
	if user.Status != db.UserActive {
		failCode(c, picpipe.ECodeForbidden, "account is %s", user.Status)
		return false
	}
	if !allowed {
		failCode(c, picpipe.ECodeForbidden, "this %s may not be used from %s", credential, c.ClientIP())
		return false
	}
	c.Set(ctxUser, user)
	return true
}

func userOf(c *gin.Context) *db.User { return c.MustGet(ctxUser).(*db.User) }

func keyOf(c *gin.Context) *db.APIKey { return c.MustGet(ctxKey).(*db.APIKey) }

// keyTouchEvery is how stale a key's last_used_at may get: the key row is
// written at most once per interval, not on every request.
const keyTouchEvery = 60

// recordCall counts an authenticated call for the month's usage (in
// Redis: a metric, not a record). A failure only costs accuracy, so it
// is logged, not returned.
func (s *Server) recordCall(ctx context.Context, u *db.User) {
	ctx, cancel := context.WithTimeout(ctx, counterTimeout)
	defer cancel()
	pipe := s.rdb.Pipeline()
	key := apiCallsKey(u.ID, db.Period(s.now().Unix()))
	pipe.Incr(ctx, key)
	pipe.Expire(ctx, key, apiCallsTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		slog.WarnContext(ctx, "count api call", "err", err)
	}
}

// requireAdmin guards operator pages with the admin token, as a Bearer
// token or as the password of HTTP Basic auth (what a browser can send).
// Without a configured token the pages are closed.
func (s *Server) requireAdmin(c *gin.Context) {
	token := s.cfg.AdminToken
	got := apiKeyFrom(c)
	if _, pw, ok := c.Request.BasicAuth(); ok {
		got = pw
	}
	if token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
		c.Header("WWW-Authenticate", `Basic realm="picpipe admin"`)
		failCode(c, picpipe.ECodeUnauthorized, "admin token required")
		return
	}
	c.Next()
}
