package compat

import (
	"time"

	"github.com/gin-gonic/gin"

	"picpipe/db"
	"picpipe/imaging/sniff"
)

// Core is the service behind the seed mounts: the same accounts, limits,
// intake and records as the native API. *api.Server implements it.
type Core interface {
	// Guard returns the handlers every upload route of a mount runs
	// first: authentication (an API key, or also an Agent name when
	// agents is set), the Idempotency-Key, the upload rate limit and the
	// quota precheck.
	// Their refusals are rendered by the route's Renderer (SetRenderer).
	Guard(agents bool) []gin.HandlerFunc
	// ControlBody returns the handler that reads a route's small JSON
	// body (not a file) up front, within the limit of such bodies.
	ControlBody() gin.HandlerFunc
	// ReceiveFiles takes the files of a multipart request as spec says,
	// records them as files of the authenticated user (an image is
	// cleaned of its metadata first) and waits for them to be ready. A
	// file refused on its own is in the result's Errors; err refuses the
	// whole request, leaving nothing.
	ReceiveFiles(c *gin.Context, spec FileSpec) (*FileResult, error)
	// ReceiveJSONFile takes one file from a JSON body whose field
	// spec.Fields[0] holds base64 or a data URL, as ReceiveFiles does, or
	// returns the body's fields when it used one of spec.Instead.
	ReceiveJSONFile(c *gin.Context, spec FileSpec) (*FileResult, error)
	// FetchFile records a file to fetch from rawURL, as spec says, and
	// waits for it up to the default wait; the file may still be queued.
	FetchFile(c *gin.Context, rawURL string, spec FileSpec) (*db.File, error)
	// FileURL is the public link of a ready file.
	FileURL(c *gin.Context, f *db.File) string
	// Fail answers err with its status, through the route's Renderer.
	Fail(c *gin.Context, err error)
	// Status is the native HTTP status of an error code.
	Status(code string) int
}

// FileSpec says how a request's files come in.
type FileSpec struct {
	// Fields are the names of the parts (or the JSON field) holding files.
	Fields []string
	// Max is the most file parts a request may carry.
	Max int
	// Limit is the most bytes a file may have; 0 means the plan's.
	Limit int64
	// RequestLimit is the most bytes of the whole body; 0 means the
	// configured multi-file limit.
	RequestLimit int64
	// Policy admits a file's type; nil means the /v1/files allow-list.
	Policy *sniff.Policy
	// Expiry deletes the files this long after their upload; 0 keeps
	// them (unless ExpiryField sets it).
	Expiry time.Duration
	// ExpiryField names a field that sets the expiry, "" for none.
	ExpiryField string
	// Keep names other small fields whose values the caller wants.
	Keep []string
	// NameField is the JSON field with the file's name; "" means
	// "filename". Its extension must agree with the bytes.
	NameField string
	// Instead names JSON fields that may stand in for the file (a url to
	// fetch): a body must have exactly one of the file and these. A body
	// with one of these records nothing and returns it in Fields.
	Instead []string
	// Prepare sees each file and the kept fields before it is recorded,
	// to set what the mount adds (CreatedBy, Path, Name).
	Prepare func(f *db.File, fields map[string]string) error
}

// FileResult is what a request's files became.
type FileResult struct {
	Files  []*db.File
	Errors []FileError
	Fields map[string]string
}

// FileError is one file refused on its own.
type FileError struct {
	Filename string `json:"filename"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	// Size is how many bytes the file had and Limit the most it could
	// have, where it was too large; 0 otherwise.
	Size  int64 `json:"-"`
	Limit int64 `json:"-"`
}

// Renderer writes an error answer in a seed's own envelope: status is
// the native status of code.
type Renderer func(c *gin.Context, status int, code, message, requestID string)

// rendererKey is where a route's Renderer is kept in its context.
const rendererKey = "picpipe.compat.renderer"

// SetRenderer returns a handler that makes r render every error of the
// route, the guard's included.
func SetRenderer(r Renderer) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(rendererKey, r)
		c.Next()
	}
}

// RendererOf returns the Renderer set for the request, or nil.
func RendererOf(c *gin.Context) Renderer {
	r, _ := c.Get(rendererKey)
	fn, _ := r.(Renderer)
	return fn
}
