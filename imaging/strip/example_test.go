package strip_test

import (
	"fmt"
	"io"
	"os"

	"picpipe/imaging/strip"
)

func ExampleStrip() {
	src, err := os.Open("testdata/photo.jpg") // EXIF with GPS, XMP, IPTC, a comment
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	res, err := strip.Strip(io.Discard, src, "jpeg")
	fmt.Println(res.Removed, res.Orientation, err)
	// Output:
	// [EXIF XMP IPTC Comment Trailer] 6 <nil>
}
