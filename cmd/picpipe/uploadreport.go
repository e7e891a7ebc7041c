package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// reporter shows how picpipe upload goes: bars on a terminal, JSON
// lines with --json, a plain line per file otherwise.
type reporter interface {
	// begin is called as a file starts; the watcher follows it.
	begin(t todo) watcher
	// close is called once every file has ended.
	close()
}

// watcher follows one file's upload.
type watcher interface {
	progress(sent, total int64) // bytes sent, as client.Progress
	note(state string)          // a retry, or what is awaited
	done(o outcome)             // how it ended
}

// newReporter picks the reporter for f and the output: JSON lines, bars
// when out is a terminal, else plain lines; notes go to errOut.
func newReporter(f uploadFlags, out, errOut io.Writer, todos []todo) reporter {
	switch {
	case f.json:
		return &lineReporter{out: out, line: jsonLine}
	case isTerminal(out):
		return newBarReporter(out, todos)
	}
	return &lineReporter{out: out, notes: errOut, line: textLine}
}

// lineReporter writes one line per file as it ends, and with notes set
// its retries to notes.
type lineReporter struct {
	mu    sync.Mutex
	out   io.Writer
	notes io.Writer // nil: retries are not told
	line  func(outcome) string
}

func (r *lineReporter) begin(t todo) watcher { return lineWatcher{r, t.path} }
func (r *lineReporter) close()               {}

func (r *lineReporter) write(w io.Writer, s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(w, s)
}

type lineWatcher struct {
	r    *lineReporter
	path string
}

func (w lineWatcher) progress(int64, int64) {}
func (w lineWatcher) done(o outcome)        { w.r.write(w.r.out, w.r.line(o)) }

func (w lineWatcher) note(state string) {
	if w.r.notes != nil {
		w.r.write(w.r.notes, w.path+": "+state)
	}
}

// jsonLine is an outcome as one line of JSON.
func jsonLine(o outcome) string {
	b, _ := json.Marshal(o)
	return string(b)
}

// textLine is an outcome for people: "ok  PATH  URL (sizes)", or
// "failed  PATH  code: message".
func textLine(o outcome) string {
	if !o.OK {
		return fmt.Sprintf("failed  %s  %s", o.Path, failure(o))
	}
	return fmt.Sprintf("%-6s  %s  %s", o.Status, o.Path, result(o))
}

// failure is why o failed, in a few words.
func failure(o outcome) string {
	if o.Error == nil {
		return string(o.Status)
	}
	if o.Error.Code == "" {
		return o.Error.Message
	}
	return string(o.Error.Code) + ": " + o.Error.Message
}

// result is o's link (or id while it has none) and, for a ready image,
// its sizes.
func result(o outcome) string {
	s := o.URL
	if s == "" {
		s = o.ID
	}
	if img := o.Image; img != nil && img.Status == "ready" {
		s += fmt.Sprintf(" (%s → %s)", humanBytes(img.SizeOriginal), humanBytes(img.SizeOptimized))
	}
	return s
}

// humanBytes is n bytes for people: "612.3 KiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// barReporter draws a bar per file as it uploads, and one for all of
// them below; a finished file's bar gives way to its line of result,
// printed above the bars.
type barReporter struct {
	p     *mpb.Progress
	total *mpb.Bar
	sent  atomic.Int64 // bytes sent of all files, this attempt of each
	ended atomic.Int64 // files ended
}

func newBarReporter(out io.Writer, todos []todo) *barReporter {
	var size int64
	for _, t := range todos {
		size += t.size
	}
	r := &barReporter{p: mpb.New(mpb.WithOutput(out), mpb.WithWidth(32))}
	n := len(todos)
	r.total = r.p.AddBar(0, mpb.BarPriority(math.MaxInt32), // completed by close, not by the bytes
		mpb.PrependDecorators(decor.Name("total", decor.WC{W: 24, C: decor.DindentRight})),
		mpb.AppendDecorators(decor.Counters(decor.SizeB1024(0), "% .1f / % .1f"),
			decor.Any(func(decor.Statistics) string { return fmt.Sprintf("  %d/%d files", r.ended.Load(), n) })))
	r.total.SetTotal(size, false)
	return r
}

func (r *barReporter) begin(t todo) watcher {
	w := &barWatcher{r: r}
	w.state.Store("uploading")
	name := filepath.Base(t.path)
	if len(name) > 24 {
		name = name[:21] + "…"
	}
	w.bar = r.p.AddBar(0,
		mpb.PrependDecorators(decor.Name(name, decor.WC{W: 24, C: decor.DindentRight})),
		mpb.AppendDecorators(decor.Counters(decor.SizeB1024(0), "% .1f / % .1f"),
			decor.Any(func(decor.Statistics) string { return "  " + w.state.Load().(string) })))
	w.bar.SetTotal(t.size, false)
	return w
}

func (r *barReporter) close() {
	r.total.SetTotal(-1, true)
	r.p.Wait()
}

type barWatcher struct {
	r     *barReporter
	bar   *mpb.Bar
	sent  int64 // this file's bytes sent, this attempt
	state atomic.Value
}

func (w *barWatcher) progress(sent, total int64) {
	w.r.total.SetCurrent(w.r.sent.Add(sent - w.sent))
	w.sent = sent
	w.bar.SetCurrent(sent)
	if sent == total && total > 0 {
		w.note("processing") // sent: the server has it
	} else if sent == 0 {
		w.note("uploading")
	}
}

func (w *barWatcher) note(state string) { w.state.Store(state) }

func (w *barWatcher) done(o outcome) {
	w.r.ended.Add(1)
	w.bar.Abort(true)                // its line replaces it,
	fmt.Fprintln(w.r.p, textLine(o)) // above the bars, whole, however wide
}
