// Package client is a Go client of picpipe's HTTP API: a typed method for
// each native endpoint (images, files, presigned uploads, usage, keys,
// discovery and health), uploads streamed from disk as multipart bodies
// with a progress callback, the API's stable error codes as typed values,
// and retries that honour Retry-After.
//
//	c, err := client.New("http://localhost:8080", os.Getenv("PICPIPE_KEY"))
//	src, err := client.NewFileSource("photo.jpg")
//	img, err := c.UploadImage(ctx, src, &client.ImageParams{
//		ImageOptions: client.ImageOptions{Quality: 75, Resize: "1920x"},
//		Progress:     func(sent, total int64) { fmt.Printf("\r%d/%d", sent, total) },
//	})
//	if img.Status != client.StatusReady {
//		img, err = c.WaitReady(ctx, img.ID) // the server's wait ended first
//	}
//	fmt.Println(img.URL)
//
// Errors of the API are *Error values carrying the Code, the HTTP status,
// the message, the request id and the Retry-After; a Code is an error
// itself, so errors.Is(err, client.CodeNotFound) branches on it. The codes
// are those of package picpipe, which owns them.
//
// Uploads are never held in memory: a Source is read as the request is
// sent, through an io.Pipe. A Source from NewFileSource or NewSource is
// opened again for a retry; one from NewReaderSource is sent once, and
// its upload is not retried.
package client
