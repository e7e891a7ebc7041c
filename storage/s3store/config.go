package s3store

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"picpipe/storage"
)

const (
	// minPartSize and maxPartSize bound S3's parts (but the last).
	minPartSize = 5 << 20
	maxPartSize = 5 << 30
	// maxParts is S3's most parts in one multipart upload.
	maxParts = 10000
)

// Config says which bucket to use and how to reach it. The zero values
// of the optional fields are the defaults documented on them.
type Config struct {
	// Bucket is the bucket's name. Required.
	Bucket string
	// Prefix, when set, puts every key under Prefix + "/", to share a
	// bucket. Default: keys at the bucket's root.
	Prefix string
	// Endpoint is the server's base URL, "http://127.0.0.1:7070" or
	// "https://s3.eu-west-1.amazonaws.com", with no path. Default:
	// "https://s3.amazonaws.com" (AWS).
	Endpoint string
	// Region is the bucket's region. Default: "us-east-1".
	Region string
	// AccessKey, SecretKey and SessionToken are the credentials. When
	// AccessKey is empty they come from AWS_ACCESS_KEY_ID,
	// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, else from the shared
	// credentials file (~/.aws/credentials, AWS_PROFILE).
	AccessKey, SecretKey, SessionToken string
	// PartSize is the size of the parts a Put uploads, and so the memory
	// each Put in progress holds. A blob smaller than a part goes up in
	// one request. Default 8 MiB; at least 5 MiB, at most 5 GiB. The
	// largest blob is 10,000 parts.
	PartSize int64
	// UploadEndpoint is the base URL browsers reach the server at, for
	// presigned uploads, when it differs from Endpoint (an internal
	// address behind a proxy or a CDN): "https://s3.example.com", no
	// path; uploads then go to UploadEndpoint/Bucket. Default: the URL
	// Endpoint gives.
	UploadEndpoint string
	// MaxRetries is how many times a request that failed for want of the
	// server (refused, reset, 5xx) is tried again, with backoff from
	// 200 ms up to 1 s, before the operation fails with
	// storage.ErrUnavailable. Default 3; -1 for none.
	MaxRetries int
}

// Validate reports a missing bucket, an unclean prefix, an endpoint or
// upload endpoint that is not an http(s) base URL, a PartSize under
// 5 MiB or a secret without an access key.
func (c Config) Validate() error {
	if c.Bucket == "" {
		return errors.New("s3store: no bucket")
	}
	if c.Prefix != "" && storage.CheckKey(c.Prefix) != nil {
		return fmt.Errorf("s3store: prefix %q: want a clean relative path", c.Prefix)
	}
	if c.Endpoint != "" && !isBaseURL(c.Endpoint) {
		return fmt.Errorf("s3store: endpoint %q: want http(s)://host[:port]", c.Endpoint)
	}
	if c.UploadEndpoint != "" && !isBaseURL(c.UploadEndpoint) {
		return fmt.Errorf("s3store: upload_endpoint %q: want http(s)://host[:port]", c.UploadEndpoint)
	}
	if c.PartSize != 0 && (c.PartSize < minPartSize || c.PartSize > maxPartSize) {
		return fmt.Errorf("s3store: part size %d: want at least %d (5 MiB) and at most 5 GiB", c.PartSize, minPartSize)
	}
	if (c.AccessKey == "") != (c.SecretKey == "") {
		return errors.New("s3store: give both the access key and the secret key, or neither")
	}
	return nil
}

// isBaseURL reports whether v is an http(s) URL with a host and no
// path, query or credentials.
func isBaseURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		strings.Trim(u.Path, "/") == "" && u.User == nil && u.RawQuery == ""
}

// ParseURL reads a Config from a store URL:
//
//	s3://[ACCESS_KEY:SECRET_KEY@]BUCKET[/PREFIX][?endpoint=URL&region=R&part_size=BYTES&max_retries=N&upload_endpoint=URL]
//
// The credentials, when in the URL, are percent-encoded. Unknown
// parameters are an error, so that a misspelt one is not ignored.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url's error repeats the URL, password and all.
		return Config{}, errors.New("s3store: the URL does not parse")
	}
	return configFromURL(u)
}

func configFromURL(u *url.URL) (Config, error) {
	if u.Scheme != "s3" || u.Opaque != "" {
		return Config{}, fmt.Errorf("s3store: %s: want s3://bucket?…", u.Redacted())
	}
	c := Config{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}
	if u.User != nil {
		c.AccessKey = u.User.Username()
		c.SecretKey, _ = u.User.Password()
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, fmt.Errorf("s3store: %s: query: %w", u.Redacted(), err)
	}
	for name, vals := range q {
		if err := c.set(name, vals[len(vals)-1]); err != nil {
			return Config{}, fmt.Errorf("s3store: %s: %w", u.Redacted(), err)
		}
	}
	return c, c.Validate()
}

// set sets the field a URL parameter names.
func (c *Config) set(name, v string) error {
	var err error
	switch name {
	case "endpoint":
		c.Endpoint = v
	case "region":
		c.Region = v
	case "part_size":
		c.PartSize, err = strconv.ParseInt(v, 10, 64)
	case "max_retries":
		c.MaxRetries, err = strconv.Atoi(v)
	case "upload_endpoint":
		c.UploadEndpoint = v
	default:
		return fmt.Errorf("unknown parameter %q (want endpoint, region, part_size, max_retries, upload_endpoint)", name)
	}
	if err != nil {
		return fmt.Errorf("%s=%q: not a number", name, v)
	}
	return nil
}

func (c Config) partSize() int64 {
	if c.PartSize == 0 {
		return 8 << 20
	}
	return c.PartSize
}

func (c Config) region() string {
	if c.Region == "" {
		return "us-east-1"
	}
	return c.Region
}

// retries is minio's MaxRetries: the number of tries, at least 1.
func (c Config) retries() int {
	switch {
	case c.MaxRetries == 0:
		return 1 + 3
	case c.MaxRetries < 0:
		return 1
	}
	return 1 + c.MaxRetries
}

// credentials are cfg's keys, else those of the environment or the
// shared credentials file.
func (c Config) credentials() (*credentials.Credentials, error) {
	if c.AccessKey != "" {
		return credentials.NewStaticV4(c.AccessKey, c.SecretKey, c.SessionToken), nil
	}
	chain := credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{}, &credentials.FileAWSCredentials{},
	})
	if v, err := chain.Get(); err != nil || v.AccessKeyID == "" {
		return nil, errors.New("s3store: no credentials: put them in the URL or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	return chain, nil
}
