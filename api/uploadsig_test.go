package api

import (
	"net/url"
	"strconv"
	"testing"
)

func TestUploadSigner(t *testing.T) {
	s := newUploadSigner([]byte("0123456789abcdef0123456789abcdef"))
	q, err := url.ParseQuery(s.query("upl_1", 1700000000))
	if err != nil {
		t.Fatal(err)
	}
	if exp, ok := s.verify("upl_1", q); !ok || exp != 1700000000 {
		t.Fatalf("verify of its own URL = %d, %v; want 1700000000, true", exp, ok)
	}
	with := func(k, v string) url.Values {
		out := url.Values{"exp": {q.Get("exp")}, "sig": {q.Get("sig")}}
		out.Set(k, v)
		return out
	}
	sig := q.Get("sig")
	flipped := string(sig[0]^1) + sig[1:]
	tests := []struct {
		name string
		id   string
		q    url.Values
	}{
		{"another grant", "upl_2", q},
		{"a later expiry", "upl_1", with("exp", strconv.Itoa(1700000000+3600))},
		{"a tampered signature", "upl_1", with("sig", flipped)},
		{"no signature", "upl_1", with("sig", "")},
		{"no expiry", "upl_1", with("exp", "")},
		{"a signature in another encoding", "upl_1", with("sig", sig+"==")},
	}
	for _, tt := range tests {
		if _, ok := s.verify(tt.id, tt.q); ok {
			t.Errorf("%s: verified; want refused", tt.name)
		}
	}
	if _, ok := newUploadSigner(nil).verify("upl_1", q); ok {
		t.Error("another key verified the signature")
	}
}
