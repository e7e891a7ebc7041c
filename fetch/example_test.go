package fetch_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"

	"picpipe"
	"picpipe/fetch"
)

func ExampleFetcher_Fetch() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG..."))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	port, _ := strconv.Atoi(u.Port())

	// Loopback is refused unless allowed, as here for the test server.
	f, err := fetch.New(fetch.Config{
		AllowedPorts:  []int{80, 443, port},
		AllowPrefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	})
	if err != nil {
		panic(err)
	}
	defer f.Close()

	resp, err := f.Fetch(context.Background(), srv.URL+"/photos/cat.png", 10<<20)
	if err != nil {
		fmt.Println(picpipe.ErrorCode(err), fetch.Reason(err), fetch.Temporary(err))
		return
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	fmt.Println(len(b), err, resp.Filename, resp.ContentType)

	_, err = f.Fetch(context.Background(), "http://169.254.169.254/latest/meta-data/", 10<<20)
	fmt.Println(picpipe.ErrorCode(err), fetch.Reason(err), fetch.Temporary(err))
	// Output:
	// 7 <nil> cat.png image/png
	// fetch_failed address 169.254.169.254 is not allowed false
}
