package seeds_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"picpipe/imaging/sniff"
)

// stripFixtures are images carrying what a served file must not: EXIF
// with camera make, model, serial number and GPS position, XMP, and where
// the format has them IPTC, comments, text chunks and trailing bytes (see
// ../imaging/strip/testdata/gen.sh).
const stripFixtures = "../imaging/strip/testdata"

var fixtureNames = []string{
	"photo.jpg", "progressive.jpg", "cmyk.jpg", "photo.png", "photo.webp", "anim.webp",
	"still.gif", "anim.gif", "photo.heic", "photo.avif",
}

// markers are the values the fixtures' metadata holds; no byte of a
// served file may spell one.
var markers = []string{"Secret", "PicpipeCam", "Leaky-1", "SN-31337"}

// fixture is one image to send.
type fixture struct {
	name string
	data []byte
	typ  sniff.Type
}

// dataURL is the fixture as a data URL.
func (f fixture) dataURL() string {
	return "data:" + f.typ.MIME() + ";base64," + base64.StdEncoding.EncodeToString(f.data)
}

// way is one way in that stores a file as it is, with the allow-list it
// applies (sniff's policy for it) and how to send a fixture through it.
type way struct {
	name   string
	policy sniff.Policy
	send   func(c *client, f fixture) answer
}

// answer is what a way said: its status, and the link or the file's id
// where it gave them.
type answer struct {
	status   int
	link, id string
	body     []byte
}

// ways are /v1/files and every seed mount, each of their ways in.
var ways = []way{
	{"files", sniff.FilesPolicy, func(c *client, f fixture) answer {
		return c.multipart("/v1/files", "files", f, nil, nil, "uploaded.0.url", "uploaded.0.id")
	}},
	{"files-json", sniff.FilesPolicy, func(c *client, f fixture) answer {
		return c.json("/v1/files", map[string]string{"data": f.dataURL(), "filename": f.name}, "url", "id")
	}},
	{"files-url", sniff.FilesPolicy, func(c *client, f fixture) answer {
		return c.json("/v1/files", map[string]string{"url": c.fixtures + "/" + f.name}, "url", "id")
	}},
	{"picklyone", sniff.PicklyonePolicy, func(c *client, f fixture) answer {
		return c.multipart("/compat/picklyone/api/v1/upload", "files", f, nil, nil, "uploaded.0.url", "uploaded.0.id")
	}},
	{"apimart", sniff.APIMartPolicy, func(c *client, f fixture) answer {
		return c.multipart("/compat/apimart/v1/uploads/images", "file", f, nil, nil, "url", "id")
	}},
	{"agent", sniff.AgentPolicy, func(c *client, f fixture) answer {
		return c.multipart("/compat/agent/api/v1/upload", "file", f, map[string]string{"created_by": "metadata-test"},
			map[string]string{"Authorization": "", "Agent": c.agent}, "data.id", "data.file_id")
	}},
	{"kie-base64", sniff.KIEPolicy, func(c *client, f fixture) answer {
		return c.json("/compat/kie/api/file-base64-upload",
			map[string]string{"base64Data": f.dataURL(), "uploadPath": "b64", "fileName": f.name}, "data.downloadUrl", "data.fileId")
	}},
	{"kie-stream", sniff.KIEPolicy, func(c *client, f fixture) answer {
		return c.multipart("/compat/kie/api/file-stream-upload", "file", f, map[string]string{"uploadPath": "stream"}, nil,
			"data.downloadUrl", "data.fileId")
	}},
	{"kie-url", sniff.KIEPolicy, func(c *client, f fixture) answer {
		return c.json("/compat/kie/api/file-url-upload",
			map[string]string{"fileUrl": c.fixtures + "/" + f.name, "uploadPath": "url", "fileName": f.name}, "data.downloadUrl", "data.fileId")
	}},
}

// TestServedFilesHaveNoMetadata sends images with GPS, camera EXIF, XMP,
// IPTC and comments (JPEG, PNG, WebP, GIF, HEIC, AVIF) through every way
// that stores files as they are, and runs exiftool on exactly what each
// link serves: no GPS, camera make, model or serial, XMP, IPTC, comment
// or marker is left, and the type is the one sent. A way whose policy
// refuses a type must refuse the file.
func TestServedFilesHaveNoMetadata(t *testing.T) {
	exiftool, err := exec.LookPath("exiftool")
	if err != nil {
		t.Fatal("exiftool is needed: apt-get install libimage-exiftool-perl")
	}
	origin := httptest.NewServer(http.FileServer(http.Dir(stripFixtures)))
	defer origin.Close()
	port := origin.URL[strings.LastIndexByte(origin.URL, ':')+1:]
	s := serve(t, "PICPIPE_FETCH_ALLOW_CIDRS=127.0.0.0/8", "PICPIPE_FETCH_PORTS="+port)
	fixtures := loadFixtures(t)
	dir := t.TempDir()
	var files []string
	served := map[string]string{} // file → "way fixture"
	for _, w := range ways {
		c := newClient(t, s, w.name, origin.URL)
		for _, f := range fixtures {
			if file := sendOne(t, c, w, f, dir); file != "" {
				files = append(files, file)
				served[file] = w.name + " " + f.name
			}
		}
	}
	originals := make([]string, len(fixtures))
	for i, f := range fixtures {
		originals[i] = filepath.Join(stripFixtures, f.name)
	}
	records := exifRecords(t, exiftool, append(originals, files...))
	for _, o := range originals {
		if len(leaks(records[o])) == 0 {
			t.Errorf("the fixture %s shows no metadata to exiftool: the check would prove nothing", o)
		}
	}
	for _, file := range files {
		if l := leaks(records[file]); len(l) > 0 {
			t.Errorf("%s: served with %s", served[file], strings.Join(l, ", "))
		} else {
			t.Logf("%-28s clean; exiftool shows only %s", served[file], strings.Join(groups(records[file]), " "))
		}
	}
}

// knownGaps are the files a way refuses although its policy takes them,
// each with why. The test checks that they are still refused, so that
// the entry goes when the gap is closed. There are none today.
var knownGaps = map[string]string{}

// sendOne sends f through w and, where w takes it, saves what its link
// serves in dir and returns that file's path; where w refuses it, it
// checks the refusal and returns "".
func sendOne(t *testing.T, c *client, w way, f fixture, dir string) string {
	t.Helper()
	_, refusal := w.policy.Check(f.data[:min(len(f.data), sniff.HeaderSize)], f.name)
	a := w.send(c, f)
	link := ""
	if a.status < 400 {
		link = c.await(a)
	}
	if gap, ok := knownGaps[w.name+" "+f.name]; ok && refusal == nil {
		if link != "" {
			t.Errorf("%s now takes %s: the known gap (%s) is closed; remove it from knownGaps", w.name, f.name, gap)
		} else {
			t.Logf("%s %s: refused, a known gap: %s", w.name, f.name, gap)
		}
		return ""
	}
	switch {
	case refusal != nil && link != "":
		t.Errorf("%s took %s (%s), which its policy refuses: %d %s", w.name, f.name, refusal, a.status, a.body)
		return ""
	case refusal != nil:
		return ""
	case link == "":
		t.Errorf("%s %s: %d %s; want a link", w.name, f.name, a.status, a.body)
		return ""
	}
	status, typ, body := get(t, link, "")
	if status != http.StatusOK || typ != f.typ.MIME() {
		t.Errorf("%s %s: GET %s = %d %s; want 200 %s", w.name, f.name, link, status, typ, f.typ.MIME())
		return ""
	}
	for _, m := range markers {
		if bytes.Contains(body, []byte(m)) {
			t.Errorf("%s %s: the served bytes spell %q", w.name, f.name, m)
		}
	}
	file := filepath.Join(dir, w.name+"-"+f.name)
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func loadFixtures(t *testing.T) []fixture {
	t.Helper()
	var fs []fixture
	for _, name := range fixtureNames {
		b, err := os.ReadFile(filepath.Join(stripFixtures, name))
		if err != nil {
			t.Fatal(err)
		}
		typ, what := sniff.Detect(b[:min(len(b), sniff.HeaderSize)], name)
		if typ.Class() != sniff.ClassRaster {
			t.Fatalf("fixture %s is %s, not an image", name, what)
		}
		fs = append(fs, fixture{name: name, data: b, typ: typ})
	}
	return fs
}

// exifRecords runs exiftool once on files and returns its record of each,
// by path.
func exifRecords(t *testing.T, exiftool string, files []string) map[string]map[string]any {
	t.Helper()
	out, err := exec.Command(exiftool, append([]string{"-j", "-G1", "-a"}, files...)...).Output()
	if err != nil && len(out) == 0 {
		t.Fatalf("exiftool: %v", err)
	}
	var recs []map[string]any
	if err := json.Unmarshal(out, &recs); err != nil {
		t.Fatalf("exiftool -j printed %.200q: %v", out, err)
	}
	byFile := map[string]map[string]any{}
	for _, r := range recs {
		byFile[fmt.Sprint(r["SourceFile"])] = r
	}
	for _, f := range files {
		if byFile[f] == nil {
			t.Fatalf("exiftool printed nothing about %s", f)
		}
	}
	return byFile
}

// cameraTags name the camera, its lens and its owner.
var cameraTags = []string{"Make", "Model", "SerialNumber", "InternalSerialNumber", "CameraSerialNumber",
	"LensMake", "LensModel", "LensSerialNumber", "OwnerName", "Artist"}

// leaks lists the tags of an exiftool -G1 record that a served file must
// not carry: GPS, XMP, IPTC (and Photoshop's IRB that holds it), maker
// notes, the camera's make, model and serial, comments of any kind, and
// any value that spells a fixture's marker.
func leaks(rec map[string]any) []string {
	var out []string
	for k, v := range rec {
		group, tag, _ := strings.Cut(k, ":")
		val := fmt.Sprint(v)
		switch {
		case group == "GPS" || strings.HasPrefix(tag, "GPS"),
			strings.HasPrefix(group, "XMP"),
			strings.HasPrefix(group, "IPTC") || strings.Contains(tag, "IPTC"),
			group == "Photoshop" || strings.HasPrefix(group, "MakerNotes"),
			slices.Contains(cameraTags, tag),
			strings.Contains(tag, "Comment"),
			slices.ContainsFunc(markers, func(m string) bool { return strings.Contains(val, m) }):
			out = append(out, fmt.Sprintf("%s=%.40q", k, val))
		}
	}
	sort.Strings(out)
	return out
}

// groups lists the metadata groups a record shows beyond the file's own
// (System, File, ExifTool, Composite), for the log.
func groups(rec map[string]any) []string {
	seen := map[string]bool{}
	for k := range rec {
		g, _, ok := strings.Cut(k, ":")
		if ok && !slices.Contains([]string{"System", "File", "ExifTool", "Composite"}, g) {
			seen[g] = true
		}
	}
	out := make([]string, 0, len(seen))
	for g := range seen {
		out = append(out, g)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return []string{"(none)"}
	}
	return out
}

// client sends the fixtures of one way as a user of its own (the pro
// plan: a way sends more uploads a minute than free allows).
type client struct {
	t        *testing.T
	origin   string // the served picpipe
	fixtures string // the fixtures' HTTP origin, for URL uploads
	key      string
	agent    string // an Agent name bound to the user
}

func newClient(t *testing.T, s *served, name, fixtures string) *client {
	key, userID := s.newUser(t, "metadata-"+name, "pro")
	agent := "meta-" + name
	s.addAgent(t, agent, userID)
	return &client{t: t, origin: s.base, fixtures: fixtures, key: key, agent: agent}
}

// multipart posts f as the part field, with fields, and reads the link
// and id at the JSON paths linkAt and idAt.
func (c *client) multipart(path, field string, f fixture, fields, header map[string]string, linkAt, idAt string) answer {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile(field, f.name)
	fw.Write(f.data)
	mw.Close()
	h := map[string]string{"Content-Type": mw.FormDataContentType()}
	for k, v := range header {
		h[k] = v
	}
	return c.post(path, &body, h, linkAt, idAt)
}

// json posts v as JSON, and reads the link and id as multipart does.
func (c *client) json(path string, v any, linkAt, idAt string) answer {
	b, _ := json.Marshal(v)
	return c.post(path, bytes.NewReader(b), map[string]string{"Content-Type": "application/json"}, linkAt, idAt)
}

func (c *client) post(path string, body io.Reader, header map[string]string, linkAt, idAt string) answer {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.origin+path, body)
	req.Header.Set("Authorization", "Bearer "+c.key)
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, body: b}
	var v any
	if json.Unmarshal(b, &v) == nil {
		a.link, a.id = at(v, linkAt), at(v, idAt)
	}
	return a
}

// await returns the answer's link, or when it has none yet (the file is
// still being fetched or cleaned) the link GET /v1/files/{id} gives once
// the file is ready; "" when the file failed or there is none.
func (c *client) await(a answer) string {
	if a.link != "" || a.id == "" {
		return a.link
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequest(http.MethodGet, c.origin+"/v1/files/"+a.id, nil)
		req.Header.Set("Authorization", "Bearer "+c.key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			c.t.Fatal(err)
		}
		var f struct {
			Status string `json:"status"`
			URL    string `json:"url"`
		}
		json.NewDecoder(res.Body).Decode(&f)
		res.Body.Close()
		switch f.Status {
		case "ready":
			return f.URL
		case "failed":
			return ""
		}
	}
	c.t.Fatalf("file %s not ready after 30 s", a.id)
	return ""
}

// at reads the string at a dotted path ("uploaded.0.url") of decoded
// JSON, or "".
func at(v any, path string) string {
	for _, k := range strings.Split(path, ".") {
		switch n := v.(type) {
		case map[string]any:
			v = n[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i >= len(n) {
				return ""
			}
			v = n[i]
		default:
			return ""
		}
	}
	s, _ := v.(string)
	return s
}
