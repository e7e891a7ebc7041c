package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/h2non/bimg"
)

// image is one corpus file.
type image struct {
	Path   string
	Name   string
	Class  string // "small", "medium", "large", "24MP", "bomb"
	Size   int64  // bytes
	W, H   int    // as stored
	Orient int    // EXIF orientation
}

// MP is the size in megapixels.
func (im image) MP() float64 { return float64(im.W*im.H) / 1e6 }

// classes in report order.
var classes = []string{"small", "medium", "large", "24MP"}

var classOf = map[string]string{"s": "small", "m": "medium", "l": "large", "x": "24MP", "bomb": "bomb"}

// loadCorpus lists the corpus made by bench/corpus.sh.
func loadCorpus(dir string) ([]image, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.*"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []image
	for _, p := range paths {
		name := filepath.Base(p)
		class, ok := classOf[strings.SplitN(name, "-", 2)[0]]
		if !ok {
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		im := image{Path: p, Name: name, Class: class, Size: st.Size()}
		if class != "bomb" {
			buf, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			md, err := bimg.NewImage(buf).Metadata()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			im.W, im.H, im.Orient = md.Size.Width, md.Size.Height, md.Orientation
		}
		out = append(out, im)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no corpus in %s: run bench/corpus.sh", dir)
	}
	return out, nil
}

// photos returns the corpus without the bombs.
func photos(c []image) []image {
	var out []image
	for _, im := range c {
		if im.Class != "bomb" {
			out = append(out, im)
		}
	}
	return out
}

// byName finds a corpus file.
func byName(c []image, name string) image {
	for _, im := range c {
		if im.Name == name {
			return im
		}
	}
	panic("corpus has no " + name)
}
