// Package fetch downloads a remote file for the ingest:url task without
// letting a client's URL reach the service's own network (SSRF).
//
// Only http and https URLs without credentials, on allowed ports (80 and 443
// by default), are fetched. Hosts written as numbers in any but their
// canonical form ("127.1", "2130706433", "0x7f000001", "[::ffff:127.0.0.1]")
// are refused from the text. Every address is then checked when it is
// dialled, after DNS resolution, with code.dny.dev/ssrf: loopback, private,
// link-local (cloud metadata at 169.254.169.254), CGNAT, multicast,
// unspecified, documentation, 6to4, Teredo, NAT64 and every other non-global
// range are refused unless Config.AllowPrefixes lists them. Redirects are
// bounded, their URLs re-checked, their addresses checked at dial like the
// first. No proxy from the environment is used.
//
// Connect, response-header and whole-transfer timeouts bound a slow server;
// the body is capped on the stream, whatever Content-Length says.
//
// Errors follow one rule: a *picpipe.Error (fetch_failed, file_too_large) is
// permanent and its message is safe to show to the client; anything else is
// transient and worth retrying with backoff.
//
//	f, err := fetch.New(fetch.Config{})
//	if err != nil {
//		return err
//	}
//	resp, err := f.Fetch(ctx, "https://example.com/cat.jpg", 50<<20)
//	if err != nil {
//		if fetch.Temporary(err) {
//			return err // asynq retries with backoff
//		}
//		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
//	}
//	defer resp.Body.Close()
//	n, err := io.Copy(staging, resp.Body) // file_too_large past the cap
package fetch
