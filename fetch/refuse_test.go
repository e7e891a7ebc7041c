package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"picpipe"
)

// refusingConfig allows loopback nowhere and has a short connect timeout, in
// case a refused address were ever dialled for real.
func refusingConfig(ports ...int) Config {
	cfg := testConfig(ports...)
	cfg.AllowPrefixes = nil
	cfg.ConnectTimeout = 200 * time.Millisecond
	return cfg
}

func TestFetchRefusesLoopbackWhenNotAllowed(t *testing.T) {
	srv := newServer(t, bytesHandler([]byte("secret"), nil))
	port := srv.port(t)
	f := newFetcher(t, refusingConfig(port))
	for _, u := range []string{
		srv.URL + "/",
		fmt.Sprintf("http://localhost:%d/", port), // a name: refused once resolved
	} {
		t.Run(u, func(t *testing.T) {
			resp, err := f.Fetch(context.Background(), u, 1<<20)
			if resp != nil {
				resp.Body.Close()
			}
			wantPermanent(t, err, picpipe.ECodeFetchFailed, "is not allowed")
			if n := srv.hits.Load(); n != 0 {
				t.Fatalf("server got %d requests, want 0", n)
			}
		})
	}
}

// TestFetchRefusesAddresses checks that non-public addresses are refused.
// Those with msg "address … is not allowed" come from the dial-time check,
// which runs before connect: no packet leaves the machine.
func TestFetchRefusesAddresses(t *testing.T) {
	tests := []struct{ url, msg string }{
		{"http://169.254.169.254/latest/meta-data/", "address 169.254.169.254 is not allowed"},
		{"http://10.0.0.1/", "address 10.0.0.1 is not allowed"},
		{"http://100.64.0.1/", "address 100.64.0.1 is not allowed"},
		{"http://172.16.3.4/", "address 172.16.3.4 is not allowed"},
		{"http://192.168.1.1/", "address 192.168.1.1 is not allowed"},
		{"http://127.0.0.1/", "address 127.0.0.1 is not allowed"},
		{"http://0.0.0.0/", "address 0.0.0.0 is not allowed"},
		{"http://224.0.0.1/", "address 224.0.0.1 is not allowed"},
		{"http://255.255.255.255/", "address 255.255.255.255 is not allowed"},
		{"https://[::1]/", "address ::1 is not allowed"},
		{"http://[::ffff:127.0.0.1]/", `host "::ffff:127.0.0.1" is not a valid address`},
		{"http://[::ffff:a9fe:a9fe]/", `host "::ffff:a9fe:a9fe" is not a valid address`},
		{"http://[fe80::1%25lo]/", `is not a valid address`},
		{"http://0x7f000001/", `host "0x7f000001" is not a valid address`},
		{"http://2130706433/", `host "2130706433" is not a valid address`},
		{"http://127.1/", `host "127.1" is not a valid address`},
		{"http://0177.0.0.1/", `host "0177.0.0.1" is not a valid address`},
		{"http://0x7f.0.0.1/", `host "0x7f.0.0.1" is not a valid address`},
		{"http://169.254.169.254./", `host "169.254.169.254." is not a valid address`},
		{"http://１２７.１/", `host "127.1" is not a valid address`},
		{"http://１６９。２５４。１６９。２５４/", "address 169.254.169.254 is not allowed"},
		{"http://%E2%91%A0%E2%91%A1%E2%91%A6.1/", `host "127.1" is not a valid address`},
	}
	f := newFetcher(t, refusingConfig(80, 443))
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			resp, err := f.Fetch(context.Background(), tt.url, 1<<20)
			if resp != nil {
				resp.Body.Close()
			}
			wantPermanent(t, err, picpipe.ECodeFetchFailed, tt.msg)
		})
	}
}

func TestFetchRefusesURLs(t *testing.T) {
	srv := newServer(t, bytesHandler([]byte("ok"), nil))
	port := srv.port(t)
	tests := []struct{ url, msg string }{
		{"ftp://127.0.0.1/x.png", "only http and https URLs can be fetched"},
		{"file:///etc/passwd", "only http and https URLs can be fetched"},
		{"gopher://127.0.0.1/", "only http and https URLs can be fetched"},
		{"/relative/x.png", "only http and https URLs can be fetched"},
		{fmt.Sprintf("http://user:pass@127.0.0.1:%d/", port), "URLs with credentials are not allowed"},
		{fmt.Sprintf("http://user@127.0.0.1:%d/", port), "URLs with credentials are not allowed"},
		{fmt.Sprintf("http://127.0.0.1:%d/", port+1), fmt.Sprintf("port %d is not allowed", port+1)},
		{"http://127.0.0.1/", "port 80 is not allowed"},
		{"http://example.com:8080/", "port 8080 is not allowed"},
		{"http://127.0.0.1:99999/", "the URL has an invalid port"},
		{"http:///x.png", "the URL has no host"},
		{"http:opaque", "the URL has no host"},
		{"http://[::1/", "the URL is not valid"},
	}
	f := newFetcher(t, testConfig(port))
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			resp, err := f.Fetch(context.Background(), tt.url, 1<<20)
			if resp != nil {
				resp.Body.Close()
			}
			wantPermanent(t, err, picpipe.ECodeFetchFailed, tt.msg)
		})
	}
	if n := srv.hits.Load(); n != 0 {
		t.Fatalf("server got %d requests, want 0", n)
	}
}

// redirectTo answers every request with a 302 to target.
func redirectTo(target string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusFound)
	}
}

func TestFetchRedirectToPrivateAddress(t *testing.T) {
	// Both servers exist and would answer; only 127.0.0.1 is allowed, so
	// the redirect to 127.0.0.2 must be refused when dialled.
	other := newServerOn(t, "127.0.0.2:0", bytesHandler([]byte("internal"), nil))
	src := newServer(t, redirectTo(other.URL+"/internal.png"))
	cfg := testConfig(src.port(t), other.port(t))
	cfg.AllowPrefixes = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	f := newFetcher(t, cfg)
	resp, err := f.Fetch(context.Background(), src.URL+"/a.png", 1<<20)
	if resp != nil {
		resp.Body.Close()
	}
	wantPermanent(t, err, picpipe.ECodeFetchFailed, "address 127.0.0.2 is not allowed")
	if src.hits.Load() != 1 || other.hits.Load() != 0 {
		t.Fatalf("hits: source %d, target %d; want 1, 0", src.hits.Load(), other.hits.Load())
	}
}

func TestFetchRedirectRefusals(t *testing.T) {
	other := newServer(t, bytesHandler([]byte("other"), nil))
	otherPort := other.port(t)
	// target returns where the source server on port redirects to.
	tests := []struct {
		name   string
		target func(port int) string
		msg    string
	}{
		{"private", func(p int) string { return fmt.Sprintf("http://10.0.0.1:%d/", p) },
			"address 10.0.0.1 is not allowed"},
		{"metadata", func(p int) string { return fmt.Sprintf("http://169.254.169.254:%d/latest/meta-data/", p) },
			"address 169.254.169.254 is not allowed"},
		{"port", func(int) string { return other.URL + "/" },
			fmt.Sprintf("redirect refused: port %d is not allowed", otherPort)},
		{"scheme", func(p int) string { return fmt.Sprintf("ftp://127.0.0.1:%d/x", p) },
			"redirect refused: only http and https URLs can be fetched"},
		{"credentials", func(p int) string { return fmt.Sprintf("http://u:p@127.0.0.1:%d/x", p) },
			"redirect refused: URLs with credentials are not allowed"},
		{"numeric host", func(p int) string { return fmt.Sprintf("http://2130706433:%d/x", p) },
			`redirect refused: host "2130706433" is not a valid address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var target string
			src := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target, http.StatusFound)
			}))
			target = tt.target(src.port(t))
			cfg := testConfig(src.port(t))
			cfg.ConnectTimeout = 200 * time.Millisecond
			f := newFetcher(t, cfg)
			resp, err := f.Fetch(context.Background(), src.URL+"/a.png", 1<<20)
			if resp != nil {
				resp.Body.Close()
			}
			wantPermanent(t, err, picpipe.ECodeFetchFailed, tt.msg)
		})
	}
	if n := other.hits.Load(); n != 0 {
		t.Fatalf("the server on a port not allowed got %d requests, want 0", n)
	}
}

func TestFetchRedirectLimit(t *testing.T) {
	tests := []struct {
		name      string
		max, hops int
		wantErr   string
	}{
		{"within default", 0, 3, ""},
		{"over default", 0, 4, "too many redirects (more than 3)"},
		{"within 1", 1, 1, ""},
		{"over 1", 1, 2, "too many redirects (more than 1)"},
		{"none allowed", -1, 1, "too many redirects (more than 0)"},
		{"none needed", -1, 0, ""},
		{"loop", 5, 1000, "too many redirects (more than 5)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var n int
				fmt.Sscanf(r.URL.Path, "/hop/%d", &n)
				if n < tt.hops {
					http.Redirect(w, r, fmt.Sprintf("/hop/%d", n+1), http.StatusFound)
					return
				}
				w.Write([]byte("done"))
			}))
			cfg := testConfig(srv.port(t))
			cfg.MaxRedirects = tt.max
			f := newFetcher(t, cfg)
			resp, err := f.Fetch(context.Background(), srv.URL+"/hop/0", 1<<20)
			if tt.wantErr != "" {
				if resp != nil {
					resp.Body.Close()
				}
				wantPermanent(t, err, picpipe.ECodeFetchFailed, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			resp.Body.Close()
			if want := fmt.Sprintf("%s/hop/%d", srv.URL, tt.hops); resp.URL != want {
				t.Errorf("URL = %q, want %q", resp.URL, want)
			}
			if want := fmt.Sprint(tt.hops); resp.Filename != want {
				t.Errorf("Filename = %q, want %q (from the final URL)", resp.Filename, want)
			}
		})
	}
}
