package compat

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/db"
	"picpipe/imaging/sniff"
)

// agentSeed is the Agent-header upload API: POST /api/v1/upload with an
// Agent header (or an API key), one file of many kinds up to 100 MB and a
// created_by field, answered {code, msg, data:{id (the URL), name, size,
// extension, mime_type, created_by, created_at}}; links are permanent.
var agentSeed = &Seed{
	Name:   "agent",
	render: renderAgent,
	routes: []route{{method: http.MethodPost, path: "/api/v1/upload", agents: true, handle: agentUpload}},
}

var agentSpec = FileSpec{Fields: []string{"file"}, Max: 1, Limit: 100 << 20, RequestLimit: 100<<20 + 1<<20,
	Policy: &sniff.AgentPolicy, Keep: []string{"created_by"},
	Prepare: func(f *db.File, fields map[string]string) error {
		f.CreatedBy = fields["created_by"]
		return nil
	}}

func agentUpload(core Core) gin.HandlerFunc {
	return func(c *gin.Context) {
		res, err := core.ReceiveFiles(c, agentSpec)
		if picpipe.ErrorCode(err) == picpipe.ECodeInvalidRequest {
			err = picpipe.Errorf(picpipe.ECodeInvalidRequest, "Missing required parameter: file (%s)", picpipe.ErrorMessage(err))
		}
		if err != nil {
			core.Fail(c, err)
			return
		}
		if len(res.Files) == 0 {
			core.Fail(c, picpipe.Errorf(res.Errors[0].Code, "%s", res.Errors[0].Message))
			return
		}
		f := res.Files[0]
		c.JSON(http.StatusOK, gin.H{"code": 200, "msg": "File uploaded successfully", "data": gin.H{
			"id": core.FileURL(c, f), "name": f.Name, "size": f.Size, "extension": extension(f),
			"mime_type": f.MIME, "created_by": f.CreatedBy, "created_at": f.CreatedAt, "file_id": f.ID,
			"status": f.Status}})
	}
}

// agentStatus are the statuses the seed documents where picpipe's differ:
// 415 for a type it does not take, 413 for a file too large.
var agentStatus = map[string]int{
	picpipe.ECodeUnsupportedFormat: http.StatusUnsupportedMediaType,
	picpipe.ECodeFileTooLarge:      http.StatusRequestEntityTooLarge,
}

// renderAgent answers errors {code, msg, detail}: code is the status.
func renderAgent(c *gin.Context, status int, code, message, requestID string) {
	status = statusFor(status, code, agentStatus)
	c.JSON(status, gin.H{"code": status, "msg": message, "detail": code, "request_id": requestID})
}
