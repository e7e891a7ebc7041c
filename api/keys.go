package api

import (
	"errors"
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
		CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// createKey is POST /v1/keys {"name", "allowed_ips"}: a new key for the
// caller's account; the secret is in this answer only.
func (s *Server) createKey(c *gin.Context) {
	var req struct {
		Name       string   `json:"name"`
		AllowedIPs []string `json:"allowed_ips"`
	}
	if err := bindJSON(c, &req, `{"name": …, "allowed_ips": [CIDR, …]}`); err != nil {
		fail(c, err)
		return
	}
	if len(req.Name) > 100 {
		failCode(c, picpipe.ECodeInvalidRequest, "name is longer than 100 bytes")
		return
	}
	allow, err := db.ParseAllowList(req.AllowedIPs)
	if err != nil {
		failCode(c, picpipe.ECodeInvalidRequest, "allowed_ips: %v", err)
		return
	}
	k, secret, err := s.db.IssueAPIKey(c.Request.Context(), userOf(c).ID, intake.SanitizeName(req.Name), allow, s.now().Unix())
	if err != nil {
		fail(c, err)
		return
	}
	v := keyView(k)
	v.Key = secret
	c.JSON(http.StatusCreated, v)
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

// revokeKey is DELETE /v1/keys/:id: the key stops working at once.
func (s *Server) revokeKey(c *gin.Context) {
	err := s.db.RevokeAPIKey(c.Request.Context(), userOf(c).ID, c.Param("id"), s.now().Unix())
	if errors.Is(err, db.ErrAPIKeyNotFound) {
		failCode(c, picpipe.ECodeNotFound, "no such API key")
		return
	} else if err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
