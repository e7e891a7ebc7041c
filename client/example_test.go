package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"picpipe/client"
)

// Upload a photo from disk with a progress line, and wait for its link.
func Example() {
	ctx := context.Background()
	c, err := client.New("http://localhost:8080", os.Getenv("PICPIPE_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	src, err := client.NewFileSource("photo.jpg")
	if err != nil {
		log.Fatal(err)
	}
	img, err := c.UploadImage(ctx, src, &client.ImageParams{
		ImageOptions: client.ImageOptions{Quality: 75, Resize: "1920x"},
		Progress:     func(sent, total int64) { fmt.Fprintf(os.Stderr, "\r%d/%d bytes", sent, total) },
	})
	if err != nil {
		log.Fatal(err)
	}
	if img.Status != client.StatusReady { // still processing when the server's wait ended
		if img, err = c.WaitReady(ctx, img.ID); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(img.URL, img.SizeOriginal, "→", img.SizeOptimized)
}

// Hand an upload over and poll for it: Prefer: respond-async, then
// WaitReady.
func ExampleClient_WaitReady() {
	ctx := context.Background()
	c, _ := client.New("http://localhost:8080", os.Getenv("PICPIPE_KEY"))
	src, _ := client.NewFileSource("photo.jpg")
	img, err := c.UploadImage(ctx, src, &client.ImageParams{Prefer: client.Prefer{Async: true}})
	if err != nil {
		log.Fatal(err)
	}
	img, err = c.WaitReady(ctx, img.ID)
	if errors.Is(err, client.CodeDecodeFailed) {
		log.Fatalf("%s is not a readable image", src.Name)
	}
	fmt.Println(img.Status, img.URL)
}

// Walk every image of the account, page by page.
func ExampleClient_Images() {
	ctx := context.Background()
	c, _ := client.New("http://localhost:8080", os.Getenv("PICPIPE_KEY"))
	for img, err := range c.Images(ctx, 100) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(img.ID, img.Status, img.Filename)
	}
}

// Store documents as they are, for three days; one refused file does not
// sink the others.
func ExampleClient_UploadFiles() {
	ctx := context.Background()
	c, _ := client.New("http://localhost:8080", os.Getenv("PICPIPE_KEY"))
	var srcs []*client.Source
	for _, p := range []string{"report.pdf", "data.csv"} {
		src, err := client.NewFileSource(p)
		if err != nil {
			log.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	res, err := c.UploadFiles(ctx, srcs, &client.FileParams{ExpiresIn: 72 * time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range res.Uploaded {
		fmt.Println(f.Filename, f.URL)
	}
	for _, e := range res.Errors {
		fmt.Println(e.Filename, "refused:", e.Code)
	}
}

// Retry more patiently than the default, and say so.
func ExampleWithRetry() {
	c, err := client.New("http://localhost:8080", os.Getenv("PICPIPE_KEY"), client.WithRetry(client.RetryPolicy{
		MaxAttempts: 10,
		OnRetry: func(attempt int, err error, wait time.Duration) {
			log.Printf("attempt %d: %v; again in %s", attempt, err, wait)
		},
	}))
	if err != nil {
		log.Fatal(err)
	}
	_ = c
}

// Branch on the stable codes, never on messages.
func ExampleError() {
	var err error = &client.Error{Code: client.CodeRateLimited, Status: 429,
		Message: "upload rate exceeded", RequestID: "req_0123456789abcdef", RetryAfter: 2 * time.Second}

	var e *client.Error
	switch {
	case errors.Is(err, client.CodeQuotaExceeded):
		fmt.Println("out of quota: delete something")
	case errors.As(err, &e) && e.Code == client.CodeRateLimited:
		fmt.Println("slow down for", e.RetryAfter)
	}
	fmt.Println(err)
	// Output:
	// slow down for 2s
	// picpipe: 429 rate_limited: upload rate exceeded (request req_0123456789abcdef)
}
