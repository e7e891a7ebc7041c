package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"picpipe"
)

// TransientError is a failure worth retrying later: a timeout, a reset
// connection, a 5xx or 429 answer. Reason is safe to show to a client once
// the retries are spent; Err, if any, is for the logs only.
type TransientError struct {
	Reason string
	// RetryAfter is the delay the server asked for (Retry-After on 429 and
	// 503), or 0.
	RetryAfter time.Duration
	Err        error
}

// Error implements the error interface.
func (e *TransientError) Error() string {
	if e.Err == nil {
		return "fetch: " + e.Reason
	}
	return "fetch: " + e.Reason + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *TransientError) Unwrap() error { return e.Err }

// Temporary reports whether err is worth retrying: any non-nil error that is
// not a *picpipe.Error. Permanent failures (refused URLs, 4xx, too large)
// are *picpipe.Error.
func Temporary(err error) bool {
	var pe *picpipe.Error
	return err != nil && !errors.As(err, &pe)
}

// Reason returns a message about err that is safe to show to a client: the
// message of a *picpipe.Error or the reason of a *TransientError, and a
// generic text otherwise.
func Reason(err error) string {
	var te *TransientError
	var pe *picpipe.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe):
		return pe.Message
	case errors.As(err, &te):
		return te.Reason
	default:
		return "the remote file could not be fetched"
	}
}

// classify turns an error from http.Client.Do, or from reading a body, into
// a *picpipe.Error when retrying cannot help, or a *TransientError.
func classify(err error) error {
	redactURLError(err)
	var pe *picpipe.Error
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	var invalidErr x509.CertificateInvalidError
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return refuse("host %s does not exist", dnsErr.Name)
	case errors.As(err, &certErr), errors.As(err, &hostErr),
		errors.As(err, &authErr), errors.As(err, &invalidErr):
		return refuse("the remote server's TLS certificate is not valid")
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return &TransientError{Reason: "the remote server did not answer in time", Err: err}
	case errors.Is(err, context.Canceled):
		return &TransientError{Reason: "the fetch was cancelled", Err: err}
	default:
		return &TransientError{Reason: "the connection to the remote server failed", Err: err}
	}
}

// redactURLError strips the URL an *url.Error in err's chain names down
// to RedactURL's form: the error's text is logged by the worker and kept
// by the queue, and a presigned URL's query is its signature.
func redactURLError(err error) {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = RedactURL(ue.URL)
	}
}

// RedactURL returns raw without its credentials, query and fragment, for
// logs: "https://host/path?…" when it had a query.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL)"
	}
	s := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String()
	if u.RawQuery != "" || u.ForceQuery {
		s += "?…"
	}
	return s
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// statusError returns nil for 200 and 203, a *TransientError for answers
// worth retrying (408, 425, 429, 5xx) and a *picpipe.Error for the rest.
func statusError(resp *http.Response) error {
	code := resp.StatusCode
	text := strings.TrimSpace(fmt.Sprintf("remote server answered %d %s", code, http.StatusText(code)))
	switch {
	case code == http.StatusOK, code == http.StatusNonAuthoritativeInfo:
		return nil
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly,
		code == http.StatusTooManyRequests, code >= 500:
		return &TransientError{Reason: text, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	default:
		return refuse("%s", text)
	}
}

// retryAfter parses a Retry-After value (seconds or an HTTP date); 0 when
// absent or invalid.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}
