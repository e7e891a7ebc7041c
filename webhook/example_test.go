package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"picpipe/webhook"
)

// A receiver verifies each delivery over its raw body before it reads
// the event, and answers 2xx once it has taken it.
func Example() {
	const secret = "whsec_example" // shown once, when the endpoint was made
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		ev, err := webhook.ConstructEvent(body, r.Header.Get(webhook.SignatureHeader), secret)
		if err != nil {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		fmt.Println("verified", ev.Type, ev.ID)
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()

	// What picpipe sends.
	body := `{"id":"evt_1","object":"event","type":"image.ready","created_at":1795256974,"sequence":1,"data":{"id":"img_1"}}`
	req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(body))
	req.Header.Set(webhook.SignatureHeader, webhook.Header(time.Now().Unix(), []byte(body), secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	fmt.Println(res.StatusCode)
	// Output:
	// verified image.ready evt_1
	// 200
}
