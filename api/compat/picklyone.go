package compat

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"picpipe/db"
	"picpipe/imaging/sniff"
)

// picklyone is the Picklyone upload API: POST /api/v1/upload with up to
// five files parts (10 MB each, 50 MB a request) of its allow-list,
// answered {success, uploaded:[{key, filename, mimeType, size, isImage}],
// errors} with partial success.
var picklyone = &Seed{
	Name:   "picklyone",
	render: renderPicklyone,
	routes: []route{{method: http.MethodPost, path: "/api/v1/upload", handle: picklyoneUpload}},
}

var picklyoneSpec = FileSpec{Fields: []string{"files"}, Max: 5, Limit: 10 << 20, RequestLimit: 50 << 20,
	Policy: &sniff.PicklyonePolicy}

// picklyoneFile is one uploaded file in Picklyone's shape, with picpipe's
// id and link besides.
type picklyoneFile struct {
	Key      string `json:"key"`
	Filename string `json:"filename"`
	MIMEType string `json:"mimeType"`
	Size     int64  `json:"size"`
	IsImage  bool   `json:"isImage"`
	ID       string `json:"id"`
	URL      string `json:"url,omitempty"`
}

func picklyoneUpload(core Core) gin.HandlerFunc {
	return func(c *gin.Context) {
		res, err := core.ReceiveFiles(c, picklyoneSpec)
		if err != nil {
			core.Fail(c, err)
			return
		}
		if len(res.Files) == 0 { // every file refused: the first reason, and all of them
			first := res.Errors[0]
			c.JSON(core.Status(first.Code), gin.H{"success": false,
				"error":  gin.H{"code": first.Code, "message": "no file was accepted: " + first.Message, "request_id": c.Writer.Header().Get("X-Request-Id")},
				"errors": res.Errors})
			return
		}
		uploaded := make([]picklyoneFile, len(res.Files))
		for i, f := range res.Files {
			uploaded[i] = picklyoneFile{Key: "files/" + f.UserID + "/" + f.ID + "_" + nameOf(f),
				Filename: f.Name, MIMEType: f.MIME, Size: f.Size, IsImage: isImage(f), ID: f.ID}
			if f.Status == db.StatusReady {
				uploaded[i].URL = core.FileURL(c, f)
			}
		}
		body := gin.H{"success": true, "uploaded": uploaded}
		if len(res.Errors) > 0 {
			body["errors"] = res.Errors
		}
		c.JSON(http.StatusOK, body)
	}
}

// renderPicklyone answers errors {success: false, error: {code, message,
// request_id}}: the seed documents statuses, not an error body.
func renderPicklyone(c *gin.Context, status int, code, message, requestID string) {
	c.JSON(status, gin.H{"success": false, "error": gin.H{"code": code, "message": message, "request_id": requestID}})
}
