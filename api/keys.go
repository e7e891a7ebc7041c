package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/db"
	"picpipe/intake"
)

// keyJSON is the APIKey resource; Key, the secret, only in the answer to
// its creation.
type keyJSON struct {
	ID         string   `json:"id"`
	Object     string   `json:"object"`
	Name       string   `json:"name"`
	Prefix     string   `json:"prefix"`
	AllowedIPs []string `json:"allowed_ips"`
	Scopes     []string `json:"scopes"`
	CreatedAt  int64    `json:"created_at"`
	LastUsedAt *int64   `json:"last_used_at"`
	RevokedAt  *int64   `json:"revoked_at"`
	Key        string   `json:"key,omitempty"`
}

func keyView(k *db.APIKey) keyJSON {
	ips := []string{}
	if k.AllowedIPs != "" {
		ips = strings.Split(k.AllowedIPs, ",")
	}
	return keyJSON{ID: k.ID, Object: "api_key", Name: k.Name, Prefix: k.Prefix, AllowedIPs: ips,
		Scopes: db.Scopes(k.Scopes).List(), CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// keyRequest is the body of POST /v1/keys. An absent allowed_ips or
// scopes is the calling key's own.
type keyRequest struct {
	Name       string    `json:"name"`
	AllowedIPs *[]string `json:"allowed_ips"`
	Scopes     *[]string `json:"scopes"`
}

// createKey is POST /v1/keys {"name", "allowed_ips", "scopes"}: a new
// key for the caller's account, no broader than the calling key (its
// scopes among the caller's, its allow-list inside the caller's),
// within the account's MaxKeys; the secret is in this answer only.
func (s *Server) createKey(c *gin.Context) {
	var req keyRequest
	if err := bindJSON(c, &req, `{"name": …, "allowed_ips": [CIDR, …], "scopes": ["upload", …]}`); err != nil {
		fail(c, err)
		return
	}
	want, err := requestedKey(keyOf(c), req)
	if err != nil {
		fail(c, err)
		return
	}
	k, secret, err := s.db.IssueScopedKey(c.Request.Context(), userOf(c).ID, want.Name, want.AllowedIPs,
		db.Scopes(want.Scopes), s.cfg.MaxKeys, s.now().Unix())
	if err != nil {
		fail(c, err)
		return
	}
	v := keyView(k)
	v.Key = secret
	c.JSON(http.StatusCreated, v)
}

// requestedKey is the key req asks the key caller to create: refused
// when malformed, or forbidden when broader than caller.
func requestedKey(caller *db.APIKey, req keyRequest) (*db.APIKey, error) {
	if len(req.Name) > 100 {
		return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "name is longer than 100 bytes")
	}
	k := &db.APIKey{Name: intake.SanitizeName(req.Name), AllowedIPs: caller.AllowedIPs, Scopes: caller.Scopes}
	if req.AllowedIPs != nil {
		allow, err := db.ParseAllowList(*req.AllowedIPs)
		if err != nil {
			return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "allowed_ips: %v", err)
		}
		k.AllowedIPs = allow
	}
	if req.Scopes != nil {
		scopes, err := db.ParseScopes(*req.Scopes)
		if err != nil {
			return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "scopes: %v", err)
		}
		k.Scopes = string(scopes)
	}
	if !caller.Covers(k) {
		return nil, picpipe.Errorf(picpipe.ECodeForbidden,
			"a key may create only keys no broader than itself: scopes among %q, and addresses inside its allow-list %q",
			caller.Scopes, caller.AllowedIPs)
	}
	return k, nil
}

// listKeys is GET /v1/keys: the caller's keys, revoked ones included.
func (s *Server) listKeys(c *gin.Context) {
	keys, err := s.db.ListAPIKeys(c.Request.Context(), userOf(c).ID)
	if err != nil {
		fail(c, err)
		return
	}
	data := make([]keyJSON, len(keys))
	for i := range keys {
		data[i] = keyView(&keys[i])
	}
	c.JSON(http.StatusOK, gin.H{"object": "list", "data": data})
}

// revokeKey is DELETE /v1/keys/:id: the key stops working at once. A key
// may revoke itself and keys no broader than itself (forbidden
// otherwise): a key restricted to one office cannot lock out the
// account's other keys.
func (s *Server) revokeKey(c *gin.Context) {
	ctx, user, caller := c.Request.Context(), userOf(c), keyOf(c)
	target, err := s.db.APIKeyByID(ctx, user.ID, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	if target.ID != caller.ID && !caller.Covers(target) {
		failCode(c, picpipe.ECodeForbidden, "a key may revoke only itself and keys no broader than itself")
		return
	}
	if err := s.db.RevokeAPIKey(ctx, user.ID, target.ID, s.now().Unix()); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// requireScope lets a request through when its API key has scope.
// Requests admitted otherwise (an Agent name, a signed upload URL) are
// admitted for their one route, an upload, and pass.
func requireScope(scope string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if k, ok := c.Get(ctxKey); ok && !db.Scopes(k.(*db.APIKey).Scopes).Has(scope) {
			failCode(c, picpipe.ECodeForbidden, "this API key does not have the %s scope (it has: %s)", scope, k.(*db.APIKey).Scopes)
			return
		}
		c.Next()
	}
}
