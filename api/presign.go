package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/db"
	"picpipe/imaging/sniff"
	"picpipe/intake"
)

// grantTTL is how long a presigned upload may be made and used.
const grantTTL = time.Hour

// imageMIMEs are the content types a presigned image upload may declare.
var imageMIMEs = map[string]bool{
	sniff.JPEG.MIME: true, sniff.PNG.MIME: true, sniff.GIF.MIME: true,
	sniff.WebP.MIME: true, sniff.AVIF.MIME: true, sniff.HEIC.MIME: true,
}

// presign is POST /v1/uploads/presign {"content_type", "size", "filename"}:
// a grant for one PUT of at most size bytes by this key within an hour.
func (s *Server) presign(c *gin.Context) {
	var req struct {
		ContentType string `json:"content_type"`
		Size        int64  `json:"size"`
		Filename    string `json:"filename"`
	}
	if err := c.ShouldBindJSON(&req); err != nil {
		failCode(c, picpipe.ECodeInvalidRequest, `send JSON {"content_type": "image/png", "size": 18000000}: %v`, err)
		return
	}
	user := userOf(c)
	limit := s.planOf(user).MaxPresignedBytes
	switch {
	case !imageMIMEs[req.ContentType]:
		failCode(c, picpipe.ECodeUnsupportedFormat, "content_type %q is not an accepted image type", req.ContentType)
		return
	case limit == 0:
		failCode(c, picpipe.ECodeForbidden, "presigned uploads are not part of the %s plan", user.Plan)
		return
	case req.Size < 1:
		failCode(c, picpipe.ECodeInvalidRequest, "size must be the upload's size in bytes")
		return
	case req.Size > limit:
		failCode(c, picpipe.ECodeFileTooLarge, "size %d exceeds the presigned upload limit of %d bytes", req.Size, limit)
		return
	}
	now := s.now()
	g := &db.UploadGrant{ID: db.NewID(db.PrefixGrant), UserID: user.ID, KeyID: keyOf(c).ID,
		ContentType: req.ContentType, MaxSize: req.Size, Filename: intake.SanitizeName(req.Filename),
		CreatedAt: now.Unix(), ExpiresAt: now.Add(grantTTL).Unix()}
	g.StagingKey = "staging/" + user.ID + "/" + g.ID
	if err := s.db.CreateGrant(c.Request.Context(), g); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"object": "upload_grant", "id": g.ID,
		"upload_url": s.baseURL(c) + "/v1/uploads/" + g.ID, "method": http.MethodPut,
		"staging_key": g.StagingKey, "max_size": g.MaxSize,
		"expires_in": int(grantTTL.Seconds()), "expires_at": g.ExpiresAt})
}

// usableGrant returns the caller's grant, refusing one that is another
// key's, expired, or spent. Another account's grant is not found.
func (s *Server) usableGrant(c *gin.Context, g *db.UploadGrant, err error) (*db.UploadGrant, error) {
	switch {
	case errors.Is(err, db.ErrGrantNotFound):
		return nil, picpipe.Errorf(picpipe.ECodeNotFound, "no such upload grant")
	case err != nil:
		return nil, err
	case g.KeyID != keyOf(c).ID:
		return nil, picpipe.Errorf(picpipe.ECodeForbidden, "the upload grant belongs to another API key")
	case s.now().Unix() >= g.ExpiresAt:
		return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "the upload grant has expired")
	case g.UsedAt != nil:
		return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "the upload grant was already used")
	}
	return g, nil
}

// putUpload is PUT /v1/uploads/:id: the bytes of a presigned upload,
// streamed to its staging key, checked like any image upload, and refused
// past the granted size.
func (s *Server) putUpload(c *gin.Context) {
	g, err := s.db.GrantByID(c.Request.Context(), userOf(c).ID, c.Param("id"))
	if g, err = s.usableGrant(c, g, err); err != nil {
		fail(c, err)
		return
	}
	if g.UploadedAt != nil {
		failCode(c, picpipe.ECodeInvalidRequest, "the upload grant was already uploaded to")
		return
	}
	if c.Request.ContentLength > g.MaxSize {
		failCode(c, picpipe.ECodePayloadTooLarge, "the body's %d bytes exceed the granted %d", c.Request.ContentLength, g.MaxSize)
		return
	}
	ctx := c.Request.Context()
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, g.MaxSize+1)
	got, err := s.stager.Stage(ctx, c.Request.Body, g.StagingKey, g.MaxSize,
		&grantGate{ImageGate: s.imageGate(), want: g.ContentType}, g.Filename)
	g.Size, g.SHA256 = got.Size, got.SHA256
	if picpipe.ErrorCode(err) == picpipe.ECodeFileTooLarge || picpipe.ErrorCode(err) == picpipe.ECodePayloadTooLarge {
		err = picpipe.Errorf(picpipe.ECodePayloadTooLarge, "the body exceeds the granted %d bytes", g.MaxSize)
	}
	if err == nil {
		err = s.db.MarkGrantUploaded(ctx, g, s.now().Unix())
		if errors.Is(err, db.ErrGrantSpent) {
			err = picpipe.Errorf(picpipe.ECodeInvalidRequest, "the upload grant was already uploaded to")
		}
		// The blob stays: a concurrent PUT to the same grant wrote the same key.
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"object": "upload", "staging_key": g.StagingKey,
		"size": g.Size, "sha256": g.SHA256, "expires_at": g.ExpiresAt})
}

// stagedFromGrant is the staged upload of a presigned grant named by
// staging_key: uploaded, not yet used, not expired.
func (s *Server) stagedFromGrant(c *gin.Context, key string, opts imageOptions) (*staged, *db.UploadGrant, error) {
	g, err := s.db.GrantByStagingKey(c.Request.Context(), userOf(c).ID, key)
	if g, err = s.usableGrant(c, g, err); err != nil {
		return nil, nil, err
	}
	if g.UploadedAt == nil {
		return nil, nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "nothing was uploaded to %s yet: PUT the bytes to the upload_url first", key)
	}
	return &staged{Key: g.StagingKey, Name: g.Filename, Size: g.Size, SHA256: g.SHA256, Options: opts}, g, nil
}

// grantGate is the imageGate of a presigned upload: the bytes must also be
// the type the grant was made for.
type grantGate struct {
	*intake.ImageGate
	want string
}

func (g *grantGate) Check(header []byte, filename string) (string, error) {
	mime, err := g.ImageGate.Check(header, filename)
	if err == nil && mime != g.want {
		err = picpipe.Errorf(picpipe.ECodeUnsupportedFormat, "the grant is for %s but the bytes are %s", g.want, mime)
	}
	return mime, err
}
