package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex>[,v1=<hex>]".
	SignatureHeader = "Picpipe-Signature"
	// EventIDHeader carries the event's id, the same as the body's.
	EventIDHeader = "Picpipe-Event-Id"
	// EventTypeHeader carries the event's type, the same as the body's.
	EventTypeHeader = "Picpipe-Event-Type"
)

// DefaultTolerance is how far a signature's time may be from the
// receiver's clock, either way.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify. Each means the delivery must be refused.
var (
	// ErrNoSignature is a header without a v1 signature or a time.
	ErrNoSignature = errors.New("webhook: no signature in the header")
	// ErrBadHeader is a header that is not t=…,v1=… .
	ErrBadHeader = errors.New("webhook: malformed signature header")
	// ErrTimestamp is a signature time outside the tolerance: a replay,
	// or a clock far off.
	ErrTimestamp = errors.New("webhook: signature time outside the tolerance")
	// ErrMismatch is no signature matching the body and the secret.
	ErrMismatch = errors.New("webhook: signature does not match")
)

// Event is the body of a delivery. Data is the resource the event is
// about, exactly as the API answers it (an Image or a File); Sequence
// orders the events of one resource: a later transition has a larger
// one.
type Event struct {
	ID        string          `json:"id"`
	Object    string          `json:"object"`
	Type      string          `json:"type"`
	CreatedAt int64           `json:"created_at"`
	Sequence  int64           `json:"sequence"`
	Variant   string          `json:"variant,omitempty"`
	Data      json.RawMessage `json:"data"`
}

// Sign returns the v1 signature of body at time t with secret: the hex
// HMAC-SHA256 of "t.body".
func Sign(secret string, t int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(t, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Header returns the SignatureHeader value for body signed at t with
// each of secrets (the current one first).
func Header(t int64, body []byte, secrets ...string) string {
	var b strings.Builder
	b.WriteString("t=" + strconv.FormatInt(t, 10))
	for _, s := range secrets {
		b.WriteString(",v1=" + Sign(s, t, body))
	}
	return b.String()
}

// Verify checks header, a SignatureHeader value, against body and
// secret, with DefaultTolerance around time.Now. It returns nil when a
// v1 signature matches, or one of the errors above.
func Verify(body []byte, header, secret string) error {
	return VerifyAt(body, header, secret, DefaultTolerance, time.Now())
}

// VerifyAt is Verify with its tolerance and clock given.
func VerifyAt(body []byte, header, secret string, tolerance time.Duration, now time.Time) error {
	t, sigs, err := parseHeader(header)
	if err != nil {
		return err
	}
	if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %d, %s from now", ErrTimestamp, t, d.Round(time.Second))
	}
	want := []byte(Sign(secret, t, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrMismatch
}

// ConstructEvent verifies body as Verify does and returns it parsed.
func ConstructEvent(body []byte, header, secret string) (Event, error) {
	var ev Event
	if err := Verify(body, header, secret); err != nil {
		return ev, err
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		return ev, fmt.Errorf("webhook: body is not an event: %w", err)
	}
	return ev, nil
}

// parseHeader splits "t=…,v1=…,v1=…" into its time and v1 signatures;
// other schemes' entries are skipped.
func parseHeader(header string) (int64, []string, error) {
	if strings.TrimSpace(header) == "" {
		return 0, nil, ErrNoSignature
	}
	var (
		t    int64
		seen bool
		sigs []string
	)
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return 0, nil, ErrBadHeader
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || seen {
				return 0, nil, ErrBadHeader
			}
			t, seen = n, true
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if !seen || len(sigs) == 0 {
		return 0, nil, ErrNoSignature
	}
	return t, sigs, nil
}
