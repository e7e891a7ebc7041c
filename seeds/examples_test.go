package seeds_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// example is one client example of a seed document, kept in
// testdata/examples, and what its run must show: the fields, or the
// printed lines, its client reads.
type example struct {
	file  string // in testdata/examples: NNN_… names the seed, the extension the runner
	check func(t *testing.T, out *output)
}

// output is what an example printed.
type output struct {
	origin         string // the served picpipe, http://127.0.0.1:PORT
	stdout, stderr string
}

// mounts are where each seed's examples point: the seed's mount, or the
// native API for PicBase (seed 001).
var mounts = map[string]string{
	"000": "/compat/picklyone", "001": "", "002": "/compat/apimart", "003": "/compat/agent", "004": "/compat/kie",
}

// workFiles are the local files the examples open, by the names they use,
// and where the test takes them from.
var workFiles = map[string]string{
	"anchor.jpg": photoJPEG, "a.jpg": photoJPEG, "b.png": "../imaging/testdata/alpha.png",
	"photo.jpg": photoJPEG, "image.jpg": photoJPEG, "reference.jpg": photoJPEG,
	"example-file": photoJPEG, "file.jpg": photoJPEG, "document.pdf": "testdata/document.pdf",
}

const photoJPEG = "../imaging/testdata/photo.jpg"

var examples = []example{
	{"000_picklyone_curl.sh", func(t *testing.T, o *output) {
		res := picklyoneAnswer(t, o, 1)
		f := res.Uploaded[0]
		if !picklyoneKey.MatchString(f.Key) || f.Filename != "anchor.jpg" || f.MimeType != "image/jpeg" || !f.IsImage || f.Size <= 0 {
			t.Errorf("uploaded[0] = %+v; want key files/usr_…/file_…_anchor.jpg, anchor.jpg, image/jpeg, an image", f)
		}
	}},
	{"000_picklyone_curl_multi.sh", func(t *testing.T, o *output) {
		res := picklyoneAnswer(t, o, 2)
		for i, want := range []string{"image/jpeg", "image/png"} {
			if f := res.Uploaded[i]; f.MimeType != want || !f.IsImage || !strings.HasPrefix(f.Key, "files/usr_") {
				t.Errorf("uploaded[%d] = %+v; want a %s image under files/usr_…", i, f, want)
			}
		}
	}},
	{"000_picklyone.py", checkImageKey},
	{"000_picklyone.mjs", checkImageKey},
	{"001_picbase_quickstart_curl.sh", checkPicBaseJSON},
	{"001_picbase_curl.sh", checkPicBaseJSON},
	{"001_picbase.py", checkPicBaseURL},
	{"001_picbase.mjs", checkPicBaseURL},
	{"002_apimart_curl.sh", func(t *testing.T, o *output) {
		var res struct {
			URL         string `json:"url"`
			Filename    string `json:"filename"`
			ContentType string `json:"content_type"`
			Bytes       int64  `json:"bytes"`
			CreatedAt   int64  `json:"created_at"`
		}
		decode(t, o, &res)
		if res.Filename != "image.jpg" || res.ContentType != "image/jpeg" || res.Bytes <= 0 || !recent(res.CreatedAt) {
			t.Errorf("answer = %+v; want image.jpg, image/jpeg, its size, a Unix time of now", res)
		}
		link(t, o, res.URL, "image/jpeg")
	}},
	{"002_apimart.py", printedLink(`图片 URL: (\S+)`, "image/jpeg")},
	{"002_apimart.mjs", printedLink(`图片 URL: (\S+)`, "image/jpeg")},
	{"002_apimart_workflow.py", printedLink(`图片已上传: (\S+)`, "image/jpeg")},
	{"003_agent_curl.sh", checkAgentJSON("example-file", "xiaoming")},
	{"003_agent_curl_localhost.sh", checkAgentJSON("file.jpg", "user123")},
	{"003_agent.py", func(t *testing.T, o *output) {
		url := printed(t, o, `文件上传成功!访问URL: (\S+)`)[1]
		link(t, o, url, "application/pdf")
		pdf, _ := os.Stat(workFiles["document.pdf"])
		if size := printed(t, o, `文件大小: (\d+) bytes`)[1]; size != itoa(pdf.Size()) {
			t.Errorf("printed size %s; want the PDF's %d bytes", size, pdf.Size())
		}
	}},
	{"003_agent.mjs", func(t *testing.T, o *output) {
		if strings.Contains(o.stderr, "上传失败") {
			t.Errorf("the example's catch ran: %s", o.stderr)
		}
		printedLink(`上传成功: (\S+)`, "image/jpeg")(t, o)
	}},
	{"004_kie_base64_curl.sh", func(t *testing.T, o *output) {
		var res struct {
			Success bool   `json:"success"`
			Code    int    `json:"code"`
			Msg     string `json:"msg"`
			Data    struct {
				FileName    string `json:"fileName"`
				FilePath    string `json:"filePath"`
				DownloadURL string `json:"downloadUrl"`
				FileSize    int64  `json:"fileSize"`
				MimeType    string `json:"mimeType"`
				UploadedAt  string `json:"uploadedAt"`
			} `json:"data"`
		}
		decode(t, o, &res)
		d := res.Data
		if _, err := time.Parse(time.RFC3339, d.UploadedAt); err != nil || !res.Success || res.Code != 200 ||
			d.FileName != "test-image.png" || d.FilePath != "images/base64/test-image.png" || d.MimeType != "image/png" || d.FileSize <= 0 {
			t.Errorf("answer = %+v; want success, code 200, test-image.png at images/base64/, image/png, an ISO time", res)
		}
		link(t, o, d.DownloadURL, "image/png")
	}},
}

// TestSeedExamples runs every cURL, Python and Node example of the seed
// documents, as kept in testdata/examples, against picpipe serve, each
// seed's as a new user of the default plan: exit status 0 and the fields
// or lines each client reads, and every link it got answers.
func TestSeedExamples(t *testing.T) {
	runners := exampleRunners(t)
	checkExampleFiles(t)
	s := serve(t)
	keys := map[string]string{}
	for seed := range mounts {
		key, userID := s.newUser(t, "seed-"+seed, "free")
		keys[seed] = key
		if seed == "003" { // the Agent names its examples send
			s.addAgent(t, "fastgpt", userID)
			s.addAgent(t, "dify", userID)
		}
	}
	for _, x := range examples {
		t.Run(x.file, func(t *testing.T) {
			seed := x.file[:3]
			x.check(t, runExample(t, runners, x.file, s.base, mounts[seed], keys[seed]))
		})
	}
}

// exampleRunners finds the programs that run the examples, by file
// extension, failing with what to install when one is missing.
func exampleRunners(t *testing.T) map[string]string {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed to run the seeds' cURL examples: apt-get install curl")
	}
	node, err := exec.LookPath("node")
	if err == nil {
		err = exec.Command(node, "-e", `process.exit(typeof fetch === "function" && typeof FormData === "function" && typeof Blob === "function" ? 0 : 1)`).Run()
	}
	if err != nil {
		t.Fatalf("node 18 or later (global fetch, FormData, Blob) is needed to run the seeds' Node examples: apt-get install nodejs (%v)", err)
	}
	return map[string]string{".sh": "sh", ".py": pythonWithRequests(t), ".mjs": node}
}

// pythonWithRequests returns a python3 that can import requests: the one
// on PATH, or Debian's.
func pythonWithRequests(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import requests").Run() == nil {
			return path
		}
	}
	t.Fatal("python3 with requests is needed to run the seeds' Python examples: apt-get install python3-requests")
	return ""
}

// checkExampleFiles fails when testdata/examples and the table disagree:
// an example kept but never run, or run but not kept.
func checkExampleFiles(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir("testdata/examples")
	if err != nil {
		t.Fatal(err)
	}
	var kept, listed []string
	for _, e := range entries {
		kept = append(kept, e.Name())
	}
	for _, x := range examples {
		listed = append(listed, x.file)
	}
	slices.Sort(listed)
	if !slices.Equal(kept, listed) {
		t.Fatalf("testdata/examples holds %v; the test runs %v", kept, listed)
	}
}

// runExample writes the example with its base URL (origin and mount)
// and key filled in, and the files it opens, to a directory of its own,
// runs it there and returns what it printed. It fails when the example
// would reach anything but its base URL, or exits other than 0.
func runExample(t *testing.T, runners map[string]string, file, origin, mount, key string) *output {
	t.Helper()
	base := origin + mount
	src, err := os.ReadFile(filepath.Join("testdata", "examples", file))
	if err != nil {
		t.Fatal(err)
	}
	script := strings.NewReplacer("{{BASE}}", base, "{{KEY}}", key).Replace(string(src))
	if strings.Contains(script, "{{") {
		t.Fatalf("%s has a placeholder other than {{BASE}} and {{KEY}}", file)
	}
	if off := offBase(script, base); len(off) > 0 {
		t.Fatalf("the example would reach %v; it may reach only %s", off, base)
	}
	dir := t.TempDir()
	for name, from := range workFiles {
		copyFile(t, from, filepath.Join(dir, name))
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, runners[filepath.Ext(file)], file)
	cmd.Dir, cmd.Env = dir, exampleEnv(key)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\nstdout: %s\nstderr: %s", file, err, stdout.Bytes(), stderr.Bytes())
	}
	t.Logf("%s printed: %s", file, stdout.Bytes())
	return &output{origin: origin, stdout: stdout.String(), stderr: stderr.String()}
}

// urlPattern finds the URLs in a script.
var urlPattern = regexp.MustCompile("[a-zA-Z][a-zA-Z0-9+.-]*://[^\\s'\"`)]+")

// offBase lists the URLs in script's code (comment lines aside) that do
// not start with base.
func offBase(script, base string) []string {
	var off []string
	for _, line := range strings.Split(script, "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "#") || strings.HasPrefix(l, "//") {
			continue
		}
		for _, u := range urlPattern.FindAllString(line, -1) {
			if !strings.HasPrefix(u, base) {
				off = append(off, u)
			}
		}
	}
	return off
}

// exampleEnv is the test's environment without proxies (the examples
// talk to loopback only), with the key in PICBASE_KEY, where PicBase's
// cURL example reads it.
func exampleEnv(key string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains([]string{"http_proxy", "https_proxy", "all_proxy", "no_proxy"}, strings.ToLower(name))
	})
	return append(env, "PICBASE_KEY="+key)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// picklyoneKey is the key Picklyone documents, files/USER_ID/UUID_name,
// with picpipe's ids.
var picklyoneKey = regexp.MustCompile(`^files/usr_[0-9A-Za-z]+/file_[0-9A-Za-z]+_anchor\.jpg$`)

type picklyoneFile struct {
	Key      string `json:"key"`
	Filename string `json:"filename"`
	MimeType string `json:"mimeType"`
	Size     int64  `json:"size"`
	IsImage  bool   `json:"isImage"`
}

// picklyoneAnswer decodes Picklyone's answer: success, n files uploaded,
// no errors.
func picklyoneAnswer(t *testing.T, o *output, n int) (res struct {
	Success  bool            `json:"success"`
	Uploaded []picklyoneFile `json:"uploaded"`
	Errors   []any           `json:"errors"`
}) {
	t.Helper()
	decode(t, o, &res)
	if !res.Success || len(res.Uploaded) != n || len(res.Errors) != 0 {
		t.Fatalf("answer %s; want success, %d uploaded, no errors", o.stdout, n)
	}
	return res
}

// checkImageKey: Picklyone's Python and Node examples print the key.
func checkImageKey(t *testing.T, o *output) {
	if key := printed(t, o, `image_key: (\S+)`)[1]; !picklyoneKey.MatchString(key) {
		t.Errorf("image_key %q; want files/usr_…/file_…_anchor.jpg", key)
	}
}

// checkPicBaseJSON: the answer of PicBase's cURL examples, whose fields
// its quick start shows.
func checkPicBaseJSON(t *testing.T, o *output) {
	var res struct {
		ID               string  `json:"id"`
		URL              string  `json:"url"`
		Format           string  `json:"format"`
		SizeOriginal     int64   `json:"size_original"`
		SizeOptimized    int64   `json:"size_optimized"`
		CompressionRatio float64 `json:"compression_ratio"`
		Width            int     `json:"width"`
		Height           int     `json:"height"`
	}
	decode(t, o, &res)
	photo, _ := os.Stat(photoJPEG)
	if !strings.HasPrefix(res.ID, "img_") || res.Format != "webp" || res.SizeOriginal != photo.Size() || res.SizeOptimized <= 0 ||
		res.CompressionRatio <= 0 || res.CompressionRatio > 1 || res.Width <= 0 || res.Height <= 0 || !strings.HasSuffix(res.URL, ".webp") {
		t.Errorf("answer = %+v; want img_…, webp, the photo's %d bytes and its compression, its size, a .webp link", res, photo.Size())
	}
	link(t, o, res.URL, "image/webp")
}

// checkPicBaseURL: PicBase's Python and Node examples print the link.
func checkPicBaseURL(t *testing.T, o *output) {
	url := printed(t, o, `(\S+)`)[1]
	if !strings.HasSuffix(url, ".webp") {
		t.Errorf("printed %q; want a .webp link", url)
	}
	link(t, o, url, "image/webp")
}

// checkAgentJSON: the Agent-header cURL examples' answer, for the file
// sent as name by createdBy.
func checkAgentJSON(name, createdBy string) func(*testing.T, *output) {
	return func(t *testing.T, o *output) {
		var res struct {
			Code int    `json:"code"`
			Msg  string `json:"msg"`
			Data struct {
				ID        string `json:"id"`
				Name      string `json:"name"`
				Size      int64  `json:"size"`
				Extension string `json:"extension"`
				MimeType  string `json:"mime_type"`
				CreatedBy string `json:"created_by"`
				CreatedAt int64  `json:"created_at"`
			} `json:"data"`
		}
		decode(t, o, &res)
		d := res.Data
		if res.Code != 200 || res.Msg != "File uploaded successfully" || d.Name != name || d.Extension != "jpg" ||
			d.MimeType != "image/jpeg" || d.CreatedBy != createdBy || d.Size <= 0 || !recent(d.CreatedAt) {
			t.Errorf("answer = %+v; want code 200, %s, jpg, image/jpeg, created by %s, a Unix time of now", res, name, createdBy)
		}
		link(t, o, d.ID, "image/jpeg")
	}
}

// printedLink checks a printed line matching pattern, whose group is a
// link serving wantType.
func printedLink(pattern, wantType string) func(*testing.T, *output) {
	return func(t *testing.T, o *output) { link(t, o, printed(t, o, pattern)[1], wantType) }
}

// printed returns the submatches of the whole stdout line matching
// pattern.
func printed(t *testing.T, o *output, pattern string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + pattern + `$`).FindStringSubmatch(o.stdout)
	if m == nil {
		t.Fatalf("printed %q; want a line %s", o.stdout, pattern)
	}
	return m
}

// link checks that url is picpipe's and answers 200 with wantType to a
// client that accepts it.
func link(t *testing.T, o *output, url, wantType string) {
	t.Helper()
	if !strings.HasPrefix(url, o.origin+"/") {
		t.Fatalf("link %q; want one on %s", url, o.origin)
	}
	status, typ, _ := get(t, url, wantType)
	if status != 200 || !strings.HasPrefix(typ, wantType) {
		t.Errorf("GET %s = %d %s; want 200 %s", url, status, typ, wantType)
	}
}

func decode(t *testing.T, o *output, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(o.stdout), v); err != nil {
		t.Fatalf("printed %q, not the JSON answer: %v", o.stdout, err)
	}
}

// recent reports whether the Unix time at is within a minute of now.
func recent(at int64) bool { return time.Since(time.Unix(at, 0)).Abs() < time.Minute }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestOffBase: the guard that keeps the examples on loopback finds every
// URL in code that is not the base, and ignores comment lines.
func TestOffBase(t *testing.T) {
	const base = "http://127.0.0.1:8080/compat/kie"
	for _, tt := range []struct {
		script string
		want   []string
	}{
		{"curl '" + base + "/api/file-base64-upload'", nil},
		{"# https://api.kie.ai is where it was\nfetch(`" + base + "/x`)", nil},
		{"// https://api.apimart.ai\nfetch('https://api.apimart.ai/v1/images/generations', {", []string{"https://api.apimart.ai/v1/images/generations"}},
		{`url = "http://localhost:3000/api/v1/upload"`, []string{"http://localhost:3000/api/v1/upload"}},
		{`BASE = "{{BASE}}"` + "\ncurl https://api.picbase.net/v1/images", []string{"https://api.picbase.net/v1/images"}},
	} {
		if got := offBase(tt.script, base); !slices.Equal(got, tt.want) {
			t.Errorf("offBase(%q) = %q; want %q", tt.script, got, tt.want)
		}
	}
}
