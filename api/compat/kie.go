package compat

import (
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/db"
	"picpipe/imaging/sniff"
	"picpipe/intake"
)

// kie is KIE.AI's file upload API: base64 or a data URL
// (/api/file-base64-upload), a file stream (/api/file-stream-upload) or
// a URL to fetch (/api/file-url-upload), each to an optional uploadPath
// and fileName; a second upload to the same path and name replaces the
// first. Files are temporary: deleted after 3 days.
var kie = &Seed{
	Name:   "kie",
	render: renderKIE,
	routes: []route{
		{method: http.MethodPost, path: "/api/file-base64-upload", handle: kieBase64},
		{method: http.MethodPost, path: "/api/file-stream-upload", handle: kieStream},
		{method: http.MethodPost, path: "/api/file-url-upload", control: true, handle: kieURL},
	},
}

// kieExpiry is how long KIE keeps a file.
const kieExpiry = 3 * 24 * time.Hour

// kieSpec takes one file to a caller-chosen path.
func kieSpec(fields ...string) FileSpec {
	return FileSpec{Fields: fields, Max: 1, Policy: &sniff.KIEPolicy, Expiry: kieExpiry,
		NameField: "fileName", Keep: []string{"uploadPath", "fileName"}, Prepare: kiePlace}
}

// kiePlace names f and puts it at uploadPath/fileName (the file's own
// name, or its id, when fileName is missing).
func kiePlace(f *db.File, fields map[string]string) error {
	if name := intake.SanitizeName(fields["fileName"]); name != "" {
		f.Name = name
	}
	dir, err := kieDir(fields["uploadPath"])
	if err != nil {
		return err
	}
	f.Path = path.Join(dir, nameOf(f))
	return nil
}

// kieDir cleans an uploadPath: slash-separated names, no "..", at most
// 512 bytes.
func kieDir(p string) (string, error) {
	p = strings.Trim(strings.ReplaceAll(p, `\`, "/"), "/")
	if len(p) > 512 {
		return "", picpipe.Errorf(picpipe.ECodeInvalidRequest, "uploadPath is longer than 512 bytes")
	}
	var parts []string
	for _, seg := range strings.Split(p, "/") {
		switch clean := intake.SanitizeName(seg); {
		case seg == "" || seg == ".":
		case seg == ".." || clean != seg:
			return "", picpipe.Errorf(picpipe.ECodeInvalidRequest, "uploadPath %q is not a plain path", p)
		default:
			parts = append(parts, seg)
		}
	}
	return strings.Join(parts, "/"), nil
}

func kieBase64(core Core) gin.HandlerFunc {
	return func(c *gin.Context) {
		res, err := core.ReceiveJSONFile(c, kieSpec("base64Data"))
		kieAnswer(core, c, res, err)
	}
}

func kieStream(core Core) gin.HandlerFunc {
	return func(c *gin.Context) {
		res, err := core.ReceiveFiles(c, kieSpec("file"))
		kieAnswer(core, c, res, err)
	}
}

func kieURL(core Core) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req struct {
			FileURL    string `json:"fileUrl"`
			UploadPath string `json:"uploadPath"`
			FileName   string `json:"fileName"`
		}
		if err := c.ShouldBindJSON(&req); err != nil || req.FileURL == "" {
			core.Fail(c, picpipe.Errorf(picpipe.ECodeInvalidRequest, `send JSON {"fileUrl": "https://…", "uploadPath": "…", "fileName": "…"}`))
			return
		}
		spec := kieSpec()
		fields := map[string]string{"uploadPath": req.UploadPath, "fileName": req.FileName}
		if fields["fileName"] == "" {
			fields["fileName"] = path.Base(strings.SplitN(req.FileURL, "?", 2)[0])
		}
		spec.Prepare = func(f *db.File, _ map[string]string) error { return kiePlace(f, fields) }
		f, err := core.FetchFile(c, req.FileURL, spec)
		if err != nil {
			core.Fail(c, err)
			return
		}
		kieAnswer(core, c, &FileResult{Files: []*db.File{f}}, nil)
	}
}

// kieAnswer answers {success, code, msg, data:{fileName, filePath,
// downloadUrl, fileSize, mimeType, uploadedAt}}.
func kieAnswer(core Core, c *gin.Context, res *FileResult, err error) {
	if err == nil && len(res.Files) == 0 {
		err = picpipe.Errorf(res.Errors[0].Code, "%s", res.Errors[0].Message)
	}
	if err != nil {
		core.Fail(c, err)
		return
	}
	f := res.Files[0]
	body := kieBody{Success: true, Data: kieFile{FileName: nameOf(f), FilePath: f.Path, DownloadURL: core.FileURL(c, f),
		FileSize: f.Size, MIMEType: f.MIME, UploadedAt: time.Unix(f.CreatedAt, 0).UTC().Format("2006-01-02T15:04:05.000Z"),
		FileID: f.ID, ExpiresAt: f.ExpiresAt}}
	switch f.Status {
	case db.StatusFailed:
		core.Fail(c, picpipe.Errorf(f.ErrorCode, "%s", f.ErrorMessage))
		return
	case db.StatusReady:
		body.Code, body.Msg = http.StatusOK, "File uploaded successfully"
	default: // still being fetched or cleaned: the link answers once it is ready
		body.Code, body.Msg = http.StatusAccepted, "File accepted; it is being processed"
	}
	c.JSON(body.Code, body)
}

// kieBody is KIE's success answer; fileId and expiresAt are picpipe's
// own additions.
type kieBody struct {
	Success bool    `json:"success"`
	Code    int     `json:"code"`
	Msg     string  `json:"msg"`
	Data    kieFile `json:"data"`
}

type kieFile struct {
	FileName    string `json:"fileName"`
	FilePath    string `json:"filePath"`
	DownloadURL string `json:"downloadUrl"`
	FileSize    int64  `json:"fileSize"`
	MIMEType    string `json:"mimeType"`
	UploadedAt  string `json:"uploadedAt"`
	FileID      string `json:"fileId"`
	ExpiresAt   *int64 `json:"expiresAt"`
}

// renderKIE answers errors {success: false, code, msg}: code is the
// status.
func renderKIE(c *gin.Context, status int, code, message, requestID string) {
	c.JSON(status, gin.H{"success": false, "code": status, "msg": message, "error": code, "request_id": requestID})
}
