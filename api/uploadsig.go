package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
)

// minSigningKey is the shortest signing key accepted, in bytes.
const minSigningKey = 32

// uploadSigner signs the URLs of presigned uploads the API takes in
// itself (PUT /v1/uploads/{id}), for stores clients cannot upload to
// directly: the URL is the credential, so a browser needs no API key.
// The signature is an HMAC-SHA256, under the server's signing key, of
// the grant's id and expiry; what the upload may be (size, type, once)
// is the grant's row, which the route reads.
type uploadSigner struct {
	key []byte
}

// newUploadSigner returns a signer with key, or with a random key of
// this process when key is empty.
func newUploadSigner(key []byte) uploadSigner {
	if len(key) == 0 {
		key = make([]byte, minSigningKey)
		rand.Read(key)
	}
	return uploadSigner{key: key}
}

// mac is the signature of grant id expiring at the Unix second exp.
func (s uploadSigner) mac(id string, exp int64) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte("picpipe upload v1\n" + id + "\n" + strconv.FormatInt(exp, 10)))
	return h.Sum(nil)
}

// query is the query string of grant id's upload URL.
func (s uploadSigner) query(id string, exp int64) string {
	return url.Values{
		"exp": {strconv.FormatInt(exp, 10)},
		"sig": {base64.RawURLEncoding.EncodeToString(s.mac(id, exp))},
	}.Encode()
}

// verify reports whether q, an upload URL's query, holds a valid
// signature of grant id, and returns the expiry it signs. It does not
// look at the clock.
func (s uploadSigner) verify(id string, q url.Values) (int64, bool) {
	exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
	if err != nil {
		return 0, false
	}
	sig, err := base64.RawURLEncoding.DecodeString(q.Get("sig"))
	return exp, err == nil && hmac.Equal(sig, s.mac(id, exp))
}
