package webhook_test

import (
	"errors"
	"testing"
	"time"

	"picpipe/webhook"
)

// vector is a signature computed by another implementation (Python's
// hmac module) of the documented scheme.
const (
	vecSecret = "whsec_test"
	vecTime   = 1795256974
	vecBody   = `{"id":"evt_1"}`
	vecSig    = "561656fd925f258b305eebc44c83c0d9f271c6bdb29c04558c709248740e68ee"
)

func TestSignMatchesAnotherImplementation(t *testing.T) {
	if got := webhook.Sign(vecSecret, vecTime, []byte(vecBody)); got != vecSig {
		t.Fatalf("Sign = %s; want %s", got, vecSig)
	}
	if got, want := webhook.Header(vecTime, []byte(vecBody), vecSecret), "t=1795256974,v1="+vecSig; got != want {
		t.Fatalf("Header = %s; want %s", got, want)
	}
}

func TestVerifyAt(t *testing.T) {
	at := time.Unix(vecTime, 0)
	body := []byte(vecBody)
	good := "t=1795256974,v1=" + vecSig
	tests := []struct {
		name   string
		body   []byte
		header string
		secret string
		now    time.Time
		want   error
	}{
		{"good", body, good, vecSecret, at, nil},
		{"good, four minutes later", body, good, vecSecret, at.Add(4 * time.Minute), nil},
		{"good, clock four minutes behind", body, good, vecSecret, at.Add(-4 * time.Minute), nil},
		{"the previous secret beside", body, "t=1795256974,v1=" + webhook.Sign("whsec_new", vecTime, body) + ",v1=" + vecSig, vecSecret, at, nil},
		{"another scheme's entry is skipped", body, "t=1795256974,v0=abc,v1=" + vecSig, vecSecret, at, nil},
		{"spaces", body, "t=1795256974, v1=" + vecSig, vecSecret, at, nil},
		{"six minutes later", body, good, vecSecret, at.Add(6 * time.Minute), webhook.ErrTimestamp},
		{"six minutes early", body, good, vecSecret, at.Add(-6 * time.Minute), webhook.ErrTimestamp},
		{"another body", []byte(`{"id":"evt_2"}`), good, vecSecret, at, webhook.ErrMismatch},
		{"a body with a space more", []byte(`{"id": "evt_1"}`), good, vecSecret, at, webhook.ErrMismatch},
		{"another secret", body, good, "whsec_other", at, webhook.ErrMismatch},
		{"another time", body, "t=1795256975,v1=" + vecSig, vecSecret, at, webhook.ErrMismatch},
		{"upper-case hex", body, "t=1795256974,v1=561656FD925F258B305EEBC44C83C0D9F271C6BDB29C04558C709248740E68EE", vecSecret, at, webhook.ErrMismatch},
		{"no header", body, "", vecSecret, at, webhook.ErrNoSignature},
		{"no v1", body, "t=1795256974", vecSecret, at, webhook.ErrNoSignature},
		{"no time", body, "v1=" + vecSig, vecSecret, at, webhook.ErrNoSignature},
		{"two times", body, "t=1,t=1795256974,v1=" + vecSig, vecSecret, at, webhook.ErrBadHeader},
		{"a bad time", body, "t=soon,v1=" + vecSig, vecSecret, at, webhook.ErrBadHeader},
		{"not key=value", body, "garbage", vecSecret, at, webhook.ErrBadHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.VerifyAt(tt.body, tt.header, tt.secret, webhook.DefaultTolerance, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("VerifyAt = %v; want %v", err, tt.want)
			}
		})
	}
}

func TestConstructEvent(t *testing.T) {
	body := []byte(`{"id":"evt_1","object":"event","type":"image.ready","created_at":1,"sequence":7,"data":{"id":"img_1"}}`)
	now := time.Now().Unix()
	ev, err := webhook.ConstructEvent(body, webhook.Header(now, body, "whsec_s"), "whsec_s")
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "evt_1" || ev.Type != "image.ready" || ev.Sequence != 7 || string(ev.Data) != `{"id":"img_1"}` {
		t.Fatalf("event = %+v", ev)
	}
	if _, err := webhook.ConstructEvent(body, webhook.Header(now-3600, body, "whsec_s"), "whsec_s"); !errors.Is(err, webhook.ErrTimestamp) {
		t.Fatalf("an hour-old signature: %v; want ErrTimestamp", err)
	}
}
