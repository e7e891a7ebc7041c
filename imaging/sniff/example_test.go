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
