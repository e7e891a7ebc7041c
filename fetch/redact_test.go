package fetch

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFailuresRedactURL: what a failed fetch says — its error text, which
// the worker logs and the queue keeps — names the URL without its query,
// fragment or credentials: a presigned URL's signature never lands in a
// log.
func TestFailuresRedactURL(t *testing.T) {
	const secret = "s3cr3t-signature"
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	slow := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(3 * time.Second)
	}))
	redirect := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:"+strconv.Itoa(deadPort)+"/next?X-Amz-Signature="+secret, http.StatusFound)
	}))
	f := newFetcher(t, testConfig(deadPort, slow.port(t), redirect.port(t)))
	for name, u := range map[string]string{
		"refused":  "http://127.0.0.1:" + strconv.Itoa(deadPort) + "/a.jpg?X-Amz-Signature=" + secret + "#" + secret,
		"too slow": slow.URL + "/a.jpg?token=" + secret,
		"redirect": redirect.URL + "/a.jpg?sig=" + secret,
	} {
		_, err := f.Fetch(context.Background(), u, 1<<20)
		if err == nil {
			t.Fatalf("%s: fetched", name)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(Reason(err), secret) {
			t.Errorf("%s: the error shows the query: %v", name, err)
		}
		if !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("%s: the error no longer names the host: %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://u:p@example.com/a/b.jpg?X-Amz-Signature=x&y=z#frag": "https://example.com/a/b.jpg?…",
		"http://example.com/a.jpg":                                   "http://example.com/a.jpg",
		"http://example.com/a%20b.jpg?":                              "http://example.com/a%20b.jpg?…",
		"::not a url":                                                "(a URL)",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q; want %q", in, got, want)
		}
	}
}
