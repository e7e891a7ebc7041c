package compat

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/imaging/sniff"
)

// apimart is APIMart's image upload: POST /v1/uploads/images with one
// file (jpeg, png, webp or gif, 20 MB), answered {url, filename,
// content_type, bytes, created_at}; the URL works for 72 hours.
var apimart = &Seed{
	Name:   "apimart",
	render: renderAPIMart,
	routes: []route{{method: http.MethodPost, path: "/v1/uploads/images", handle: apimartUpload}},
}

// apimartLimit is APIMart's size limit.
const apimartLimit = 20 << 20

var apimartSpec = FileSpec{Fields: []string{"file"}, Max: 1, Limit: apimartLimit, RequestLimit: 4 * apimartLimit,
	Policy: &sniff.APIMartPolicy, Expiry: 72 * time.Hour}

func apimartUpload(core Core) gin.HandlerFunc {
	return func(c *gin.Context) {
		res, err := core.ReceiveFiles(c, apimartSpec)
		if picpipe.ErrorCode(err) == picpipe.ECodeInvalidRequest {
			err = picpipe.Errorf(picpipe.ECodeInvalidRequest, "missing or invalid file field: %s", picpipe.ErrorMessage(err))
		}
		if err != nil {
			core.Fail(c, err)
			return
		}
		if len(res.Files) == 0 {
			core.Fail(c, apimartRefusal(res.Errors[0]))
			return
		}
		f := res.Files[0]
		c.JSON(http.StatusOK, gin.H{"url": core.FileURL(c, f), "filename": f.Name, "content_type": f.MIME,
			"bytes": f.Size, "created_at": f.CreatedAt, "id": f.ID, "expires_at": f.ExpiresAt})
	}
}

// apimartRefusal words a refused file as APIMart does.
func apimartRefusal(fe FileError) error {
	switch fe.Code {
	case picpipe.ECodeFileTooLarge:
		return picpipe.Errorf(fe.Code, "file size %d exceeds maximum %d bytes", fe.Size, fe.Limit)
	case picpipe.ECodeUnsupportedFormat:
		return picpipe.Errorf(fe.Code, "unsupported image type: %s", fe.Message)
	}
	return picpipe.Errorf(fe.Code, "%s", fe.Message)
}

// apimartStatus are the statuses APIMart documents where picpipe's
// differ.
var apimartStatus = map[string]int{picpipe.ECodeFileTooLarge: http.StatusRequestEntityTooLarge}

// renderAPIMart answers errors {error: {message, type}}, with the code
// besides on 429 as APIMart does.
func renderAPIMart(c *gin.Context, status int, code, message, requestID string) {
	status = statusFor(status, code, apimartStatus)
	typ := "invalid_request_error"
	switch {
	case status == http.StatusTooManyRequests:
		typ = "rate_limit_error"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		typ = "authentication_error"
	case status >= 500:
		typ = "server_error"
	}
	e := gin.H{"message": message, "type": typ, "request_id": requestID}
	if status == http.StatusTooManyRequests {
		e["code"] = status
	}
	c.JSON(status, gin.H{"error": e})
}
