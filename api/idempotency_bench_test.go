package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"
)

// The cost of an Idempotency-Key on an upload, through the real router
// on a real redis-server, SQLite and blob directory (newBenchEnv): the
// same upload without a key (key=none), with a new key each time
// (key=new: the claim, the body's print, the answer kept), and sent again
// under its key (key=replay: the body read and printed, the answer
// replayed). route=images is POST /v1/images with Prefer: respond-async
// (staged, recorded, queued; no worker), route=files POST /v1/files (a
// PDF, ready at once); size is the file's.
//
//	go test ./api/ -run '^$' -bench Idempotency -count 6 >idem.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /key idem.txt
//
// BenchmarkIdempotencyVsNone alternates an upload with a new key and one
// without in one loop and reports the ratio (wall-vs-none, cpu-vs-none),
// which holds where the machine's load moves the absolute figures.
func BenchmarkIdempotency(b *testing.B) {
	for _, r := range idemRoutes(b) {
		for _, key := range []string{"none", "new", "replay"} {
			b.Run(r.name+"/key="+key, func(b *testing.B) {
				e := newBenchEnv(b, false)
				send := r.send(e)
				b.ReportAllocs()
				start := cpuTime(b)
				if key == "replay" {
					idemServe(b, e, send(0, "replayed"))
				}
				for i := 0; b.Loop(); i++ {
					switch key {
					case "none":
						idemServe(b, e, send(i, ""))
					case "new":
						idemServe(b, e, send(i, "k-"+strconv.Itoa(i)))
					case "replay":
						idemServe(b, e, send(0, "replayed"))
					}
				}
				b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// BenchmarkIdempotencyVsNone: an upload with a new key against the same
// upload without one, alternately in one loop.
func BenchmarkIdempotencyVsNone(b *testing.B) {
	for _, r := range idemRoutes(b) {
		b.Run(r.name, func(b *testing.B) {
			e := newBenchEnv(b, false)
			send := r.send(e)
			var wall, cpu [2]time.Duration
			for i := 0; b.Loop(); i++ {
				for j := range 2 {
					k := (i + j) % 2
					key := ""
					if k == 1 {
						key = "k-" + strconv.Itoa(i)
					}
					req := send(2*i+k, key)
					w, c := time.Now(), cpuTime(b)
					idemServe(b, e, req)
					wall[k] += time.Since(w)
					cpu[k] += cpuTime(b) - c
				}
			}
			b.ReportMetric(float64(wall[1])/float64(wall[0]), "wall-vs-none")
			b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "cpu-vs-none")
		})
	}
}

// idemRoute makes the request of iteration i under key ("" for none):
// an upload unlike any before it, so that none is a dedup hit.
type idemRoute struct {
	name string
	send func(e *benchEnv) func(i int, key string) *http.Request
}

func idemRoutes(b *testing.B) []idemRoute {
	photo := benchContent(b, benchFiles[0])
	pdf := func(size int) []byte {
		return slices.Concat([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0123456789abcdef"), size/16), []byte("\n%%EOF\n"))
	}
	files := func(content []byte) func(e *benchEnv) func(int, string) *http.Request {
		return func(e *benchEnv) func(int, string) *http.Request {
			return func(i int, key string) *http.Request {
				body, ct := benchMultipart("files", fmt.Sprintf("%d.pdf", i), content, nil)
				return idemRequest(e, "/v1/files", body, ct, key, nil)
			}
		}
	}
	return []idemRoute{
		{"route=images/size=30KB", func(e *benchEnv) func(int, string) *http.Request {
			return func(i int, key string) *http.Request {
				// The options make each upload another image.
				opts := map[string]string{"resize": fmt.Sprintf("%dx", 1+i%8000), "quality": strconv.Itoa(1 + i/8000%100)}
				body, ct := benchMultipart("file", "photo.jpg", photo, opts)
				return idemRequest(e, "/v1/images", body, ct, key, map[string]string{"Prefer": "respond-async"})
			}
		}},
		{"route=files/size=30KB", files(pdf(30 << 10))},
		{"route=files/size=4MB", files(pdf(4 << 20))},
	}
}

func idemRequest(e *benchEnv, path string, body io.Reader, ct, key string, header map[string]string) *http.Request {
	h := map[string]string{"Authorization": "Bearer " + e.key, "Content-Type": ct}
	if key != "" {
		h["Idempotency-Key"] = key
	}
	for k, v := range header {
		h[k] = v
	}
	return e.request(path, body, h)
}

// idemServe serves req, which must answer 201 or 202 (a replay as its
// first answer).
func idemServe(b *testing.B, e *benchEnv, req *http.Request) {
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated && rec.Code != http.StatusAccepted {
		b.Fatalf("%s = %d %s", req.URL.Path, rec.Code, rec.Body.Bytes())
	}
}
