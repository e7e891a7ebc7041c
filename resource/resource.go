package resource

import (
	"math"
	"net"
	"strconv"

	"picpipe/db"
	"picpipe/imaging/sniff"
)

// Image is the Image resource.
type Image struct {
	ID               string   `json:"id"`
	Object           string   `json:"object"`
	Status           string   `json:"status"`
	URL              *string  `json:"url"`
	Format           *string  `json:"format"`
	Filename         string   `json:"filename"`
	SizeOriginal     int64    `json:"size_original"`
	SizeOptimized    *int64   `json:"size_optimized"`
	CompressionRatio *float64 `json:"compression_ratio"`
	// Served names the bytes the link serves: "optimized" (an encode)
	// or "original" (the upload itself without its metadata: no larger
	// than its encode, or an animated GIF); null until ready.
	Served    *string `json:"served"`
	Width     *int    `json:"width"`
	Height    *int    `json:"height"`
	Quality   int     `json:"quality"`
	Lossless  bool    `json:"lossless"`
	Resize    *string `json:"resize"`
	CreatedAt int64   `json:"created_at"`
	// Variants are the image's other renditions by format ("avif"),
	// made in the background once it is ready; {} until then.
	Variants map[string]Variant `json:"variants"`
	Error    *Failure           `json:"error,omitempty"`
}

// Variant is one rendition of an Image: its status, and once ready its
// size and the bytes it serves (null before). A variant "skipped" came out
// no smaller than the image's own output and is never served.
type Variant struct {
	Status string  `json:"status"`
	Size   *int64  `json:"size"`
	Served *string `json:"served"`
}

// Failure is why an image or a file failed: a stable code and a message.
type Failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// NewImage renders img with its variants vs, its link under base (the
// public URL of the API, no trailing slash); the output fields are null
// until it is ready.
func NewImage(base string, img *db.Image, vs []db.Variant) Image {
	v := Image{
		ID: img.ID, Object: "image", Status: img.Status, Filename: img.SourceName,
		SizeOriginal: img.SourceSize, Quality: img.Quality, Lossless: img.Lossless,
		CreatedAt: img.CreatedAt, Variants: map[string]Variant{},
	}
	for _, vr := range vs {
		vj := Variant{Status: vr.Status}
		if vr.Status == db.StatusReady {
			vj.Size, vj.Served = &vr.Size, &vr.Served
		}
		v.Variants[vr.Kind] = vj
	}
	if img.ResizeWidth != 0 || img.ResizeHeight != 0 {
		r := ResizeString(img.ResizeWidth, img.ResizeHeight)
		v.Resize = &r
	}
	switch img.Status {
	case db.StatusReady:
		u := base + "/u/" + img.UserID + "/" + img.Link + "." + img.Format
		ratio := 0.0
		if img.SourceSize > 0 {
			ratio = math.Round((1-float64(img.OutputSize)/float64(img.SourceSize))*1e4) / 1e4
		}
		v.URL, v.Format, v.SizeOptimized, v.Served = &u, &img.Format, &img.OutputSize, &img.Served
		v.CompressionRatio, v.Width, v.Height = &ratio, &img.Width, &img.Height
	case db.StatusFailed:
		v.Error = &Failure{Code: img.ErrorCode, Message: img.ErrorMessage}
	}
	return v
}

// ResizeString writes a resize box as the API takes it: "1920x", "x1080"
// or "800x600".
func ResizeString(w, h int) string {
	f := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	return f(w) + "x" + f(h)
}

// File is the File resource.
type File struct {
	ID        string   `json:"id"`
	Object    string   `json:"object"`
	Status    string   `json:"status"`
	URL       *string  `json:"url"`
	Filename  string   `json:"filename"`
	MIMEType  string   `json:"mime_type"`
	Size      int64    `json:"size"`
	IsImage   bool     `json:"is_image"`
	SHA256    string   `json:"sha256"`
	ExpiresAt *int64   `json:"expires_at"`
	CreatedAt int64    `json:"created_at"`
	Error     *Failure `json:"error,omitempty"`
}

// NewFile renders f, its link under base.
func NewFile(base string, f *db.File) File {
	v := File{ID: f.ID, Object: "file", Status: f.Status, Filename: f.Name, MIMEType: f.MIME,
		Size: f.Size, SHA256: f.SHA256, ExpiresAt: f.ExpiresAt, CreatedAt: f.CreatedAt,
		IsImage: f.Status == db.StatusReady && isImageMIME(f.MIME)}
	switch f.Status {
	case db.StatusReady:
		u := base + "/f/" + f.UserID + "/" + f.ID + f.Ext
		v.URL = &u
	case db.StatusFailed:
		v.Error = &Failure{Code: f.ErrorCode, Message: f.ErrorMessage}
	}
	return v
}

func isImageMIME(m string) bool {
	t, _ := sniff.FileTypeOf(m)
	return t.Image
}

// FallbackBase is the base of links when no public URL is configured and
// no trusted request names the host: this machine at the port of the
// listen address addr (8080 when it has none).
func FallbackBase(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		port = "8080"
	}
	return "http://localhost:" + port
}
