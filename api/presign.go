package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/db"
	"picpipe/imaging/sniff"
	"picpipe/intake"
	"picpipe/storage"
)

// grantTTL is how long a presigned upload may be made and used.
const grantTTL = time.Hour

// ctxGrant is where a request admitted by its signed upload URL keeps
// the grant.
const ctxGrant = "picpipe.grant"

// confirmBodyMax is the largest body checkQuota lets through to the
// exact check when the account is at its storage quota: room for a JSON
// confirmation of a presigned upload ({"staging_key", options}).
const confirmBodyMax = 4 << 10

// imageMIMEs are the content types a presigned image upload may declare.
var imageMIMEs = map[string]bool{
	sniff.JPEG.MIME: true, sniff.PNG.MIME: true, sniff.GIF.MIME: true,
	sniff.WebP.MIME: true, sniff.AVIF.MIME: true, sniff.HEIC.MIME: true,
}

// presignRequest is the body of POST /v1/uploads/presign.
type presignRequest struct {
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Filename    string `json:"filename"`
}

// check refuses a request plan p (called name) cannot grant.
func (r presignRequest) check(p picpipe.Plan, name string) error {
	switch {
	case !imageMIMEs[r.ContentType]:
		return picpipe.Errorf(picpipe.ECodeUnsupportedFormat, "content_type %q is not an accepted image type", r.ContentType)
	case p.MaxPresignedBytes == 0:
		return picpipe.Errorf(picpipe.ECodeForbidden, "presigned uploads are not part of the %s plan", name)
	case r.Size < 1:
		return picpipe.Errorf(picpipe.ECodeInvalidRequest, "size must be the upload's size in bytes")
	case r.Size > p.MaxPresignedBytes:
		return picpipe.Errorf(picpipe.ECodeFileTooLarge, "size %d exceeds the presigned upload limit of %d bytes", r.Size, p.MaxPresignedBytes)
	}
	return nil
}

// grantJSON is the UploadGrant resource: the request that uploads the
// bytes, which needs no API key, and the staging key that confirms them.
type grantJSON struct {
	Object     string            `json:"object"`
	ID         string            `json:"id"`
	Method     string            `json:"method"`
	UploadURL  string            `json:"upload_url"`
	Fields     map[string]string `json:"fields,omitempty"`
	StagingKey string            `json:"staging_key"`
	MaxSize    int64             `json:"max_size"`
	ExpiresIn  int               `json:"expires_in"`
	ExpiresAt  int64             `json:"expires_at"`
}

// presign is POST /v1/uploads/presign {"content_type", "size",
// "filename"}: a grant for one upload of at most size bytes within an
// hour, whose size is reserved against the account's storage quota
// until the grant is used or expires (quota_exceeded when it does not
// fit). The upload goes straight to the store when it can take it (an
// S3 POST policy), else to PUT /v1/uploads/{id} at a URL signed by this
// API; either needs no API key, so a browser can make it.
func (s *Server) presign(c *gin.Context) {
	var req presignRequest
	if err := c.ShouldBindJSON(&req); intake.IsTooLarge(err) {
		failCode(c, picpipe.ECodePayloadTooLarge, "the request body is too large for a JSON request")
		return
	} else if err != nil {
		failCode(c, picpipe.ECodeInvalidRequest, `send JSON {"content_type": "image/png", "size": 18000000}: %v`, err)
		return
	}
	user := userOf(c)
	plan := s.planOf(user)
	if err := req.check(plan, user.Plan); err != nil {
		fail(c, err)
		return
	}
	now := s.now()
	g := &db.UploadGrant{ID: db.NewID(db.PrefixGrant), UserID: user.ID, KeyID: keyOf(c).ID,
		ContentType: req.ContentType, MaxSize: req.Size, Filename: intake.SanitizeName(req.Filename),
		CreatedAt: now.Unix(), ExpiresAt: now.Add(grantTTL).Unix()}
	g.StagingKey = "staging/" + user.ID + "/" + g.ID
	up, err := s.uploadRequest(c, g)
	if err == nil {
		err = s.db.CreateGrant(c.Request.Context(), g, quota(plan))
	}
	if errors.Is(err, db.ErrQuotaExceeded) {
		failQuota(c, plan)
		return
	} else if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, grantJSON{Object: "upload_grant", ID: g.ID, Method: up.Method, UploadURL: up.URL,
		Fields: up.Fields, StagingKey: g.StagingKey, MaxSize: g.MaxSize,
		ExpiresIn: int(grantTTL.Seconds()), ExpiresAt: g.ExpiresAt})
}

// directUploads returns the store as a storage.Presigner when clients
// upload straight to it, rather than through PUT /v1/uploads/{id}.
func (s *Server) directUploads() (storage.Presigner, bool) {
	p, ok := s.store.(storage.Presigner)
	return p, ok
}

// uploadRequest is the request that uploads g's bytes: a presigned
// request to the store itself when it takes them directly, else a PUT
// to this API at a URL it signed.
func (s *Server) uploadRequest(c *gin.Context, g *db.UploadGrant) (*storage.PresignedUpload, error) {
	if p, ok := s.directUploads(); ok {
		return p.PresignUpload(c.Request.Context(), g.StagingKey, storage.UploadPolicy{
			ContentType: g.ContentType, MaxSize: g.MaxSize, Expires: time.Unix(g.ExpiresAt, 0)})
	}
	return &storage.PresignedUpload{Method: http.MethodPut,
		URL: s.baseURL(c) + "/v1/uploads/" + g.ID + "?" + s.signer.query(g.ID, g.ExpiresAt)}, nil
}

// checkGrant refuses g unless the API key keyID may still upload with it
// or use it: g's own key, not expired, not used.
func (s *Server) checkGrant(g *db.UploadGrant, keyID string) error {
	switch {
	case g.KeyID != keyID:
		return picpipe.Errorf(picpipe.ECodeForbidden, "the upload grant belongs to another API key")
	case s.now().Unix() >= g.ExpiresAt:
		return picpipe.Errorf(picpipe.ECodeInvalidRequest, "the upload grant has expired")
	case g.UsedAt != nil:
		return picpipe.Errorf(picpipe.ECodeInvalidRequest, "the upload grant was already used")
	}
	return nil
}

// usableGrant returns the caller's grant (as looked up: g, err),
// refusing one that is another key's, expired, or spent. Another
// account's grant is not found.
func (s *Server) usableGrant(c *gin.Context, g *db.UploadGrant, err error) (*db.UploadGrant, error) {
	switch {
	case errors.Is(err, db.ErrGrantNotFound):
		return nil, picpipe.Errorf(picpipe.ECodeNotFound, "no such upload grant")
	case err != nil:
		return nil, err
	}
	var keyID string
	if k, ok := c.Get(ctxKey); ok {
		keyID = k.(*db.APIKey).ID
	}
	if err := s.checkGrant(g, keyID); err != nil {
		return nil, err
	}
	return g, nil
}

// authorizeUpload admits PUT /v1/uploads/:id by the signature of its URL
// when it has one (what a browser holding the URL sends: no API key),
// else by the API key, which must be the one the grant was made for. A
// signed URL stands for its grant alone, for as long as the grant's key
// is not revoked and its account not suspended; the key's IP allow-list
// does not apply to it.
func (s *Server) authorizeUpload(c *gin.Context) {
	allowAnyOrigin(c)
	if !c.Request.URL.Query().Has("sig") {
		s.authenticate(c)
		return
	}
	g, err := s.signedGrant(c)
	if err != nil {
		fail(c, err)
		return
	}
	if _, ok := s.admit(c, g.UserID, true, "upload URL"); !ok {
		return
	}
	c.Set(ctxGrant, g)
	c.Next()
}

// signedGrant returns the grant a signed upload URL names: forbidden
// when the signature does not hold, not_found when the grant or its key
// is gone.
func (s *Server) signedGrant(c *gin.Context) (*db.UploadGrant, error) {
	id := c.Param("id")
	exp, ok := s.signer.verify(id, c.Request.URL.Query())
	if !ok {
		return nil, picpipe.Errorf(picpipe.ECodeForbidden, "the upload URL's signature is not valid")
	}
	g, err := s.db.GrantToUpload(c.Request.Context(), id)
	switch {
	case errors.Is(err, db.ErrGrantNotFound):
		return nil, picpipe.Errorf(picpipe.ECodeNotFound, "no such upload grant")
	case err != nil:
		return nil, err
	case g.ExpiresAt != exp:
		return nil, picpipe.Errorf(picpipe.ECodeForbidden, "the upload URL's signature is not valid")
	}
	return g, nil
}

// grantToPut is the grant a PUT uploads to, checked: the one its signed
// URL names, or the caller's by id.
func (s *Server) grantToPut(c *gin.Context) (*db.UploadGrant, error) {
	if v, ok := c.Get(ctxGrant); ok {
		g := v.(*db.UploadGrant)
		return g, s.checkGrant(g, g.KeyID)
	}
	g, err := s.db.GrantByID(c.Request.Context(), userOf(c).ID, c.Param("id"))
	return s.usableGrant(c, g, err)
}

// putUpload is PUT /v1/uploads/:id: the bytes of a presigned upload,
// streamed to its staging key, checked like any image upload, and refused
// past the granted size.
func (s *Server) putUpload(c *gin.Context) {
	g, err := s.grantToPut(c)
	if err != nil {
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
	got, err := s.stager.Stage(ctx, c.Request.Body, g.StagingKey, g.MaxSize, s.grantGate(g), g.Filename)
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

// allowAnyOrigin lets a page of any origin send a presigned upload and
// read the answer: the URL is the credential, no cookie is involved.
func allowAnyOrigin(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "X-Request-Id")
}

// uploadPreflight is OPTIONS /v1/uploads/:id, the CORS preflight of a
// browser's PUT from another origin.
func (s *Server) uploadPreflight(c *gin.Context) {
	allowAnyOrigin(c)
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Methods", http.MethodPut)
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "3600")
	c.Status(http.StatusNoContent)
}

// stagedFromGrant is the staged upload of the caller's presigned grant
// named by stagingKey: not expired, not yet used, and its bytes checked.
// Bytes a client sent straight to the store are checked now and copied
// to key (restage); those PUT to this API were checked on the way in.
func (s *Server) stagedFromGrant(c *gin.Context, stagingKey, key string, opts imageOptions) (*staged, *db.UploadGrant, error) {
	ctx := c.Request.Context()
	g, err := s.db.GrantByStagingKey(ctx, userOf(c).ID, stagingKey)
	if g, err = s.usableGrant(c, g, err); err != nil {
		return nil, nil, err
	}
	if _, direct := s.directUploads(); direct {
		st, err := s.restage(ctx, g, key, opts)
		return st, g, err
	}
	if g.UploadedAt == nil {
		return nil, nil, picpipe.Errorf(picpipe.ECodeInvalidRequest, "nothing was uploaded to %s yet: PUT the bytes to the upload_url first", stagingKey)
	}
	return &staged{Key: g.StagingKey, Name: g.Filename, Size: g.Size, SHA256: g.SHA256, Options: opts}, g, nil
}

// restage takes in the bytes sent straight to the store for g, under its
// staging key, the way every upload is taken in: read back through the
// image gate (sniffed, the grant's type, at most its size, within the
// pixel limits, a JPEG whole) and hashed, into key, the image's own
// staging key. They are copied out of the client's reach because the
// presigned request stays valid until the grant expires: what is under
// g's key could change after it was checked. Bytes the gate refuses are
// deleted and the grant is spent; a failure of the store leaves both
// for a retry.
func (s *Server) restage(ctx context.Context, g *db.UploadGrant, key string, opts imageOptions) (*staged, error) {
	blob, err := s.store.Open(ctx, g.StagingKey)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, picpipe.Errorf(picpipe.ECodeInvalidRequest,
			"nothing was uploaded to %s yet: send the bytes to the upload_url first", g.StagingKey)
	} else if err != nil {
		return nil, err
	}
	defer blob.Close()
	got, err := s.stager.Stage(ctx, blob, key, g.MaxSize, s.grantGate(g), g.Filename)
	if err != nil {
		if code := statusOfCode(picpipe.ErrorCode(err)); ctx.Err() == nil && code >= 400 && code < 500 {
			s.spendGrant(ctx, g, s.now().Unix())
		}
		return nil, err
	}
	g.Size, g.SHA256 = got.Size, got.SHA256
	return &staged{Key: key, Name: g.Filename, Size: got.Size, SHA256: got.SHA256, Options: opts}, nil
}

// useGrant spends g at now in the transaction tx, on the upload that
// record (nil: none) counts in it: g's reservation gives way to what
// record counts. Where the store takes uploads itself, the presigned
// request stays valid until g expires, and the client could put up to
// MaxSize bytes under g's key again: g then holds its reservation again,
// past the quota if need be, until the purge releases it at expiry.
func (s *Server) useGrant(ctx context.Context, tx *db.DB, g *db.UploadGrant, now int64, record func() error) error {
	if err := tx.UseGrant(ctx, g, now); err != nil {
		return err
	}
	if record != nil {
		if err := record(); err != nil {
			return err
		}
	}
	if _, direct := s.directUploads(); direct {
		return tx.HoldGrant(ctx, g)
	}
	return nil
}

// spendGrant spends g without an upload (useGrant), at now, and deletes
// its bytes, when they were refused or duplicate an image of the account.
func (s *Server) spendGrant(ctx context.Context, g *db.UploadGrant, now int64) {
	ctx = context.WithoutCancel(ctx)
	err := s.db.RunInTx(ctx, func(tx *db.DB) error { return s.useGrant(ctx, tx, g, now, nil) })
	if err == nil || errors.Is(err, db.ErrGrantSpent) {
		s.store.Delete(ctx, g.StagingKey)
	}
}

// settleGrant tidies the bytes of grant g's upload, staged under key,
// once recording it ended with err. Recorded: the client's bytes go if
// key is a copy of them. A duplicate of an image the account has: the
// grant is spent and the bytes go. Refused otherwise (over quota, used
// meanwhile): the grant keeps the client's bytes, to be used once the
// quota allows, until it expires and the purge takes them; a copy goes.
func (s *Server) settleGrant(ctx context.Context, g *db.UploadGrant, key string, err error, now int64) {
	ctx = context.WithoutCancel(ctx)
	copied := key != g.StagingKey
	switch {
	case errors.Is(err, db.ErrImageExists):
		s.spendGrant(ctx, g, now)
		if copied {
			s.store.Delete(ctx, key)
		}
	case err != nil:
		if copied {
			s.store.Delete(ctx, key)
		}
	case copied:
		s.store.Delete(ctx, g.StagingKey)
	}
}

// grantGate is the imageGate of a presigned upload: the bytes must also be
// the type the grant was made for.
type grantGate struct {
	*intake.ImageGate
	want string
}

// grantGate returns the gate g's bytes pass.
func (s *Server) grantGate(g *db.UploadGrant) *grantGate {
	return &grantGate{ImageGate: s.imageGate(), want: g.ContentType}
}

func (g *grantGate) Check(header []byte, filename string) (string, error) {
	mime, err := g.ImageGate.Check(header, filename)
	if err == nil && mime != g.want {
		err = picpipe.Errorf(picpipe.ECodeUnsupportedFormat, "the grant is for %s but the bytes are %s", g.want, mime)
	}
	return mime, err
}
