package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"picpipe/client"
)

// uploadFlags are picpipe upload's flags.
type uploadFlags struct {
	jobs        int
	wait, async bool
	waitTimeout time.Duration
	quality     int
	lossless    bool
	resize      string
	files       bool
	expiresIn   string
	json        bool
	retries     int
}

// newUploadCmd is "picpipe upload FILE|DIR…".
func newUploadCmd() *cobra.Command {
	var f uploadFlags
	c := &cobra.Command{
		Use:   "upload FILE|DIR…",
		Short: "Upload images (or, with --files, general files) to a picpipe API, with progress bars",
		Long: `upload sends each FILE, and the files under each DIR, to the picpipe API at
PICPIPE_URL with the key PICPIPE_KEY (or those picpipe login kept), -j at a
time, streamed from disk. A directory gives its images (JPEG, PNG, GIF, WebP,
AVIF, HEIC), or with --files the files /v1/files takes, hidden ones left out.

By default each upload waits until its image is ready and prints its link;
--async hands it over and prints it queued. Answers 429 rate_limited and 503
are retried, after the Retry-After the API names. On a terminal there is a
progress bar per file and one in all; --json prints one JSON object per file
instead, for scripts. The exit status is 1 when any file failed, and the
last line names them. upload needs no server configuration.`,
		Example: `  picpipe upload photo.jpg
  picpipe upload -j 8 --quality 75 --resize 1920x ~/Pictures/trip
  picpipe upload --files --expires-in 72h report.pdf data.csv
  picpipe upload --async --json photos/ | jq -r .url`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr(c, errors.New("upload: want at least one FILE or DIR"))
			}
			return f.check(c)
		},
		RunE: func(c *cobra.Command, args []string) error {
			return runUpload(c, f, args)
		},
	}
	fl := c.Flags()
	fl.IntVarP(&f.jobs, "jobs", "j", 4, "how many files to upload at once")
	fl.BoolVar(&f.wait, "wait", true, "wait until each upload is ready (the default)")
	fl.BoolVar(&f.async, "async", false, "hand each upload over and do not wait for it")
	fl.DurationVar(&f.waitTimeout, "wait-timeout", 10*time.Minute, "the longest to wait for one upload to be ready")
	fl.IntVar(&f.quality, "quality", 0, "WebP quality, 1–100 (default: the server's, 82)")
	fl.BoolVar(&f.lossless, "lossless", false, "lossless WebP")
	fl.StringVar(&f.resize, "resize", "", `fit within a box, never enlarging: "1920x", "x1080" or "800x600"`)
	fl.BoolVar(&f.files, "files", false, "store general files as they are (/v1/files) instead of images")
	fl.StringVar(&f.expiresIn, "expires-in", "", `with --files: delete them after this long ("72h", or seconds)`)
	fl.BoolVar(&f.json, "json", false, "print one JSON object per file, and no bars")
	fl.IntVar(&f.retries, "retries", 10, "how many times to retry an upload refused 429 or 503")
	return c
}

// check refuses flags that contradict each other, as usage errors.
func (f *uploadFlags) check(c *cobra.Command) error {
	fail := func(format string, args ...any) error { return usageErr(c, fmt.Errorf("upload: "+format, args...)) }
	switch {
	case f.async && c.Flags().Changed("wait") && f.wait:
		return fail("--wait and --async contradict each other; give one")
	case f.jobs < 1:
		return fail("-j %d: want at least 1", f.jobs)
	case f.quality != 0 && (f.quality < 1 || f.quality > 100):
		return fail("--quality %d: want 1 to 100", f.quality)
	case f.files && (f.quality != 0 || f.lossless || f.resize != ""):
		return fail("--quality, --lossless and --resize are for images; --files stores files as they are")
	case f.expiresIn != "" && !f.files:
		return fail("--expires-in is for general files: add --files")
	case f.retries < 0:
		return fail("--retries %d: want 0 or more", f.retries)
	}
	f.async = f.async || !f.wait // --wait=false is --async
	f.wait = !f.async
	if _, err := f.expiry(); err != nil {
		return fail("%v", err)
	}
	return nil
}

// expiry is --expires-in as a duration: "72h", or whole seconds.
func (f *uploadFlags) expiry() (time.Duration, error) {
	if f.expiresIn == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(f.expiresIn); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(f.expiresIn)
	if err != nil || d < time.Second {
		return 0, fmt.Errorf(`--expires-in %q: want a duration such as "72h", or seconds`, f.expiresIn)
	}
	return d, nil
}

// runUpload uploads args and reports; it fails when any file failed.
func runUpload(c *cobra.Command, f uploadFlags, args []string) error {
	cfg, err := loadClientConfig()
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	todo, err := collect(args, f.files)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	up, err := newUploader(cfg, f)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	rep := newReporter(f, c.OutOrStdout(), c.ErrOrStderr(), todo)
	outs := uploadAll(c.Context(), todo, f.jobs, up, rep)
	rep.close()
	return summarize(outs, f, c.ErrOrStderr())
}

// summarize writes the closing line for people (not with --json) and
// returns the error naming the files that failed, if any.
func summarize(outs []outcome, f uploadFlags, w io.Writer) error {
	var failed []string
	for _, o := range outs {
		if !o.OK {
			failed = append(failed, o.Path)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("upload: %d of %d failed: %s", len(failed), len(outs), strings.Join(failed, ", "))
	}
	if !f.json {
		verb := "uploaded"
		if f.async {
			verb = "handed over"
		}
		fmt.Fprintf(w, "%d %s %s\n", len(outs), plural(len(outs), "file", "files"), verb)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// isTerminal reports whether w is a terminal that says how wide it is:
// bars only then (a terminal of width 0 would show none).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false
	}
	width, _, err := term.GetSize(int(f.Fd()))
	return err == nil && width > 0
}

// retryPolicy is the client's retry policy for one file: --retries, each
// retry told to watch.
func (f uploadFlags) retryPolicy(w watcher) client.RetryPolicy {
	return client.RetryPolicy{MaxAttempts: f.retries + 1, OnRetry: func(_ int, err error, wait time.Duration) {
		w.note(fmt.Sprintf("%s; retrying in %s", shortError(err), wait.Round(100*time.Millisecond)))
	}}
}

// shortError is err in a few words: its code, else its text.
func shortError(err error) string {
	if code := client.ErrorCode(err); code != "" {
		return string(code)
	}
	return err.Error()
}
