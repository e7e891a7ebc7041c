package api_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/h2non/bimg"
)

// BenchmarkImageUpload is the whole cost of a small image (480×320
// JPEG) through POST /v1/images to WebP ready: the API, the worker and
// SQLite in this process (redis-server apart), as full-size WebP and as a
// 512 px thumbnail. The AVIF variant runs in the same worker, so cpu-ns/op
// counts it too, as production does. Each upload asks for a box of its
// own, never binding, so that none is a dedup hit. Profile it with
//
//	go test ./api/ -run '^$' -bench ImageUpload -benchtime 200x -cpuprofile cpu.out
func BenchmarkImageUpload(b *testing.B) {
	photo := benchFile{"jpeg", "photo.jpg", "image/jpeg", true}
	for _, op := range []struct {
		name string
		box  func(i int) string
	}{
		{"webp", func(i int) string { return fmt.Sprintf("%dx", 8000-i%7000) }},
		{"thumb512", func(i int) string { return fmt.Sprintf("512x%d", 512+i%7000) }},
	} {
		b.Run("op="+op.name, func(b *testing.B) {
			e := newBenchEnv(b, true)
			content := benchContent(b, photo)
			e.run(b, func(i int) *http.Request {
				body, ct := benchMultipart("file", photo.filename, content, map[string]string{"resize": op.box(i)})
				return e.request("/v1/images", body, map[string]string{"Authorization": "Bearer " + e.key, "Content-Type": ct})
			})
		})
	}
}

// BenchmarkImageIngest is the API's own cost of accepting a 2 MB JPEG
// with Prefer: respond-async (202), no worker running: streaming it to
// the blob store with its hash, the checks on its bytes, the row and the
// task. Profile it with
//
//	go test ./api/ -run '^$' -bench ImageIngest -benchtime 300x -cpuprofile cpu.out
func BenchmarkImageIngest(b *testing.B) {
	content := ingestJPEG(b)
	e := newBenchEnv(b, false)
	b.SetBytes(int64(len(content)))
	e.run(b, func(i int) *http.Request {
		return e.ingestRequest(content, i)
	})
}

// BenchmarkImageIngestParallel is BenchmarkImageIngest from 8 clients at
// once (4 a core here), reporting the latency's p50 and p99: the 8-client
// ingest row of BENCHMARKS.md, in-process.
func BenchmarkImageIngestParallel(b *testing.B) {
	content := ingestJPEG(b)
	e := newBenchEnv(b, false)
	var seq atomic.Int64
	var mu sync.Mutex
	var took []time.Duration
	b.SetBytes(int64(len(content)))
	b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := e.ingestRequest(content, int(seq.Add(1)))
			start := time.Now()
			e.serve(b, req)
			d := time.Since(start)
			mu.Lock()
			took = append(took, d)
			mu.Unlock()
		}
	})
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}

// ingestRequest is upload i of content with Prefer: respond-async, in a
// box of its own (never binding) so that it is no dedup hit.
func (e *benchEnv) ingestRequest(content []byte, i int) *http.Request {
	body, ct := benchMultipart("file", "big.jpg", content, map[string]string{"resize": fmt.Sprintf("%dx", 8000-i%7000)})
	return e.request("/v1/images", body, map[string]string{"Authorization": "Bearer " + e.key, "Content-Type": ct, "Prefer": "respond-async"})
}

// ingestJPEG is photo.jpg enlarged to 3000×2000 at quality 95: about 2 MB.
func ingestJPEG(b *testing.B) []byte {
	src, err := os.ReadFile(filepath.Join("..", "imaging", "testdata", "photo.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	content, err := bimg.NewImage(src).Process(bimg.Options{Width: 3000, Height: 2000, Enlarge: true, Quality: 95, Type: bimg.JPEG})
	if err != nil {
		b.Fatal(err)
	}
	return content
}
