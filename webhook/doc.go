// Package webhook verifies the webhooks picpipe sends, for receivers,
// and signs them, for picpipe itself: one owner of the scheme.
//
// Every delivery is a POST with a JSON Event as its body and these
// headers:
//
//	Picpipe-Signature: t=1795256974,v1=5257a869e7…
//	Picpipe-Event-Id: evt_01M7YTEZ1BEFDVC5TCH1VF72AP
//	Picpipe-Event-Type: image.ready
//
// t is the Unix time of the signing, and each v1 the lower-case hex
// HMAC-SHA256, keyed with the endpoint's whole secret ("whsec_…" as
// shown), of t, a full stop, and the exact bytes of the body. Right
// after a secret is rolled, the previous one signs too, so the header
// then carries two v1 values: a signature is good when any of them
// matches. A receiver checks the signature over the raw body before
// parsing it, refuses a t more than five minutes away from its own
// clock (a replay), and deduplicates on the event id: a delivery may
// come more than once.
//
//	http.HandleFunc("/hooks/picpipe", func(w http.ResponseWriter, r *http.Request) {
//		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
//		if err != nil {
//			http.Error(w, "read", http.StatusBadRequest)
//			return
//		}
//		ev, err := webhook.ConstructEvent(body, r.Header.Get(webhook.SignatureHeader), secret)
//		if err != nil {
//			http.Error(w, "bad signature", http.StatusBadRequest)
//			return
//		}
//		if seen(ev.ID) {
//			return // a second delivery of an event already handled
//		}
//		switch ev.Type {
//		case "image.ready":
//			var img struct{ ID, URL string }
//			json.Unmarshal(ev.Data, &img)
//			…
//		}
//	})
package webhook
