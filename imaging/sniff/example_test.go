package sniff_test

import (
	"fmt"

	"picpipe"
	"picpipe/imaging/sniff"
)

func ExampleImage() {
	jpeg := []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00")
	f, err := sniff.Image(jpeg, "holiday.JPG")
	fmt.Println(f.Name, f.MIME, err)

	_, err = sniff.Image([]byte("<?php system($_GET['c']); ?>"), "cat.png")
	fmt.Println(picpipe.ErrorCode(err))
	// Output:
	// jpeg image/jpeg <nil>
	// unsupported_format
}

func ExamplePolicy_Check() {
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>`)
	t, err := sniff.AgentPolicy.Check(svg, "logo.svg")
	fmt.Println(t.Type, t.MIME, t.Image, err)

	_, err = sniff.FilesPolicy.Check(svg, "logo.svg")
	fmt.Println(picpipe.ErrorMessage(err))

	_, err = sniff.APIMartPolicy.Check([]byte("%PDF-1.7\n"), "scan.pdf")
	fmt.Println(picpipe.ErrorMessage(err))
	// Output:
	// svg image/svg+xml false <nil>
	// files ending in .svg are refused
	// the file content is application/pdf, which is not an accepted type (jpeg, png, gif, webp)
}

func ExampleType() {
	for _, t := range sniff.TypesOf(sniff.ClassVideo) {
		fmt.Println(t, t.MIME(), t.Exts(), t.Inline())
	}
	// Output:
	// mp4 video/mp4 [.mp4 .m4v] false
	// mov video/quicktime [.mov .qt] false
	// avi video/x-msvideo [.avi] false
	// wmv video/x-ms-wmv [.wmv .asf] false
}
