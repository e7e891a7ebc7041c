package webapp_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"picpipe/api"
)

// TestCORSInChromium: a page of an origin PICPIPE_CORS_ORIGINS lists
// calls the API from Chromium — reads the usage, reads a refusal's body,
// uploads with a progress listener (a preflight: Authorization, Prefer)
// and reads the answer's Location — while a page of another origin is
// refused by the browser; both read a public link.
func TestCORSInChromium(t *testing.T) {
	browser := chromium(t)
	blank := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>another site</title>")
	})
	allowed, other := httptest.NewServer(blank), httptest.NewServer(blank)
	defer allowed.Close()
	defer other.Close()
	site, key := startPicpipe(t, api.Config{CORSOrigins: []string{allowed.URL}})
	seen := &pageLog{}
	ctx := newBrowser(t, browser, seen)

	calls := fmt.Sprintf(`(async () => {
		const api = %q, key = %q, out = {};
		const call = async (path, k) => {
			try {
				const r = await fetch(api + path, {headers: {Authorization: 'Bearer ' + k}});
				const b = await r.json();
				return r.status + ' ' + (b.object || b.error.code);
			} catch (e) { return 'blocked'; }
		};
		out.usage = await call('/v1/usage', key);
		out.refused = await call('/v1/usage', 'pk_live_nope');
		const canvas = new OffscreenCanvas(40, 30);
		canvas.getContext('2d').fillRect(0, 0, 20, 15);
		const png = await canvas.convertToBlob({type: 'image/png'});
		out.upload = await new Promise((done) => {
			const x = new XMLHttpRequest();
			x.open('POST', api + '/v1/images');
			x.setRequestHeader('Authorization', 'Bearer ' + key);
			x.setRequestHeader('Prefer', 'wait=30');
			let progress = false;
			x.upload.addEventListener('progress', () => { progress = true; });
			x.addEventListener('load', () => {
				const b = JSON.parse(x.responseText);
				done({status: x.status, location: x.getResponseHeader('Location'), url: b.url, progress});
			});
			x.addEventListener('error', () => done({status: 0}));
			const f = new FormData();
			f.append('file', png, 'dot.png');
			x.send(f);
		});
		return out;
	})()`, site, key)
	type upload struct {
		Status   int    `json:"status"`
		Location string `json:"location"`
		URL      string `json:"url"`
		Progress bool   `json:"progress"`
	}
	type result struct {
		Usage, Refused string
		Upload         upload
	}
	runIn := func(origin, expr string) []byte {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(origin+"/")); err != nil {
			t.Fatal(err)
		}
		v, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](expr, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v\npage log:\n%s", origin, err, seen)
		}
		return v
	}
	var got result
	if err := json.Unmarshal(runIn(allowed.URL, calls), &got); err != nil {
		t.Fatal(err)
	}
	if got.Usage != "200 usage" || got.Refused != "401 unauthorized" || got.Upload.Status != 201 ||
		got.Upload.Location == "" || got.Upload.URL == "" {
		t.Fatalf("from the listed origin: %+v; want the usage, the refusal's code, a 201 with its Location and url", got)
	}
	link := got.Upload.URL
	var refused result
	if err := json.Unmarshal(runIn(other.URL, calls), &refused); err != nil {
		t.Fatal(err)
	}
	if refused.Usage != "blocked" || refused.Refused != "blocked" || refused.Upload.Status != 0 {
		t.Fatalf("from an unlisted origin: %+v; want every call blocked by the browser", refused)
	}
	read := fmt.Sprintf(`fetch(%q).then(r => r.blob()).then(b => b.type + ' ' + (b.size > 0))`, link)
	for _, origin := range []string{allowed.URL, other.URL} {
		if got := string(runIn(origin, read)); got != `"image/webp true"` {
			t.Errorf("the public link read from %s: %s; want a WebP", origin, got)
		}
	}
}
