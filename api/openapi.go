package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openapiJSON is the API's contract: a hand-written OpenAPI 3.1 document
// describing every route registered in routes. Tests load it, validate it
// and check real responses against it; it is served as it is, never used
// to validate requests while serving.
//
//go:embed openapi.json
var openapiJSON []byte

// openapi is GET /openapi.json: the contract, as embedded.
func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openapiJSON)
}

// discoveryJSON is the body of GET /: what the API is and where to start,
// for programs and agents that know only the base URL.
type discoveryJSON struct {
	Name       string            `json:"name"`
	Object     string            `json:"object"`
	Version    string            `json:"version"`
	OpenAPIURL string            `json:"openapi_url"`
	Auth       string            `json:"auth"`
	Endpoints  map[string]string `json:"endpoints"`
}

// discovery is GET /: the API's name and version, the link to its OpenAPI
// document, how to authenticate, and the absolute URLs of its main
// endpoints, all under the same base as the links the API returns.
func (s *Server) discovery(c *gin.Context) {
	base := s.baseURL(c)
	c.JSON(http.StatusOK, discoveryJSON{
		Name:       "picpipe",
		Object:     "discovery",
		Version:    "v1",
		OpenAPIURL: base + "/openapi.json",
		Auth:       "Authorization: Bearer <key> or x-api-key: <key>",
		Endpoints: map[string]string{
			"images":  base + "/v1/images",
			"files":   base + "/v1/files",
			"presign": base + "/v1/uploads/presign",
			"usage":   base + "/v1/usage",
			"keys":    base + "/v1/keys",
			"healthz": base + "/healthz",
			"readyz":  base + "/readyz",
		},
	})
}
