package db

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Id prefixes, as the API shows them.
const (
	PrefixUser   = "usr_"
	PrefixAPIKey = "ak_"
	PrefixImage  = "img_"
	PrefixFile   = "file_"
	PrefixGrant  = "upl_"
	PrefixAgent  = "agt_"
	// Webhooks: an endpoint, an event of the outbox, a delivery attempt.
	PrefixWebhook  = "whk_"
	PrefixEvent    = "evt_"
	PrefixDelivery = "dlv_"
)

// crockford is Crockford's base32 alphabet, in ascending byte order so that
// encoded ids sort like the bytes they encode.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns prefix followed by a time-ordered UUIDv7 in 26 characters of
// Crockford base32: ids made later sort after ids made earlier, which the
// cursor pagination relies on.
func NewID(prefix string) string {
	u := uuid.Must(uuid.NewV7())
	var b strings.Builder
	b.Grow(len(prefix) + 26)
	b.WriteString(prefix)
	// 128 bits as 26 five-bit groups, the first holding the top 3 bits.
	for i := 25; i >= 0; i-- {
		b.WriteByte(crockford[bitsAt(u, uint(i*5))])
	}
	return b.String()
}

// bitsAt returns the five bits of u starting shift bits from the least
// significant end.
func bitsAt(u uuid.UUID, shift uint) byte {
	var v uint16
	for k := uint(0); k < 5; k++ {
		bit := shift + k
		if bit >= 128 {
			break
		}
		byteIdx := 15 - bit/8
		if u[byteIdx]>>(bit%8)&1 == 1 {
			v |= 1 << k
		}
	}
	return byte(v)
}

// NewAttempt returns a new attempt token: 16 random hex digits, which
// also make the blob keys of one attempt's outputs its own.
func NewAttempt() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// TimeOfID returns the time NewID made id (to the millisecond: the
// UUIDv7's timestamp), and false when id is not one of NewID's.
func TimeOfID(id string) (time.Time, bool) {
	i := strings.LastIndexByte(id, '_')
	s := id[i+1:]
	if len(s) != 26 {
		return time.Time{}, false
	}
	var ms int64
	// The first 10 characters carry the top 50 of the 130 bits the 26
	// hold: 2 always 0, then the 48 bits of the time.
	for _, c := range []byte(s[:10]) {
		v := strings.IndexByte(crockford, c)
		if v < 0 {
			return time.Time{}, false
		}
		ms = ms<<5 | int64(v)
	}
	return time.UnixMilli(ms), true
}
