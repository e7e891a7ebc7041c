// Package imaging turns untrusted image uploads into clean web images with
// libvips: it validates, auto-orients, converts to sRGB, resizes, strips
// every piece of metadata and encodes WebP (or passes an animated GIF
// through), and makes the AVIF variant.
//
// The work is a pipeline of small steps (see pipeline.go), run in order on
// one locked OS thread, the context checked between steps:
//
//	sniffSource     magic bytes and extension agree (package sniff)
//	checkContainer  the container walked (sniff.Walk): frames counted in
//	                it, at most MaxFrames, MaxPixels in all; a JPEG
//	                Huffman-coded, with data enough for its size
//	readHeader      libvips reads the header only; its loader must match
//	checkBudget     MaxEdge and MaxPixels (width × height × frames)
//	passAnimatedGIF animated GIF: rebuilt without metadata, its frames
//	                decoded one at a time by Go's decoder, done
//	checkJPEGScan   baseline JPEG: libjpeg must not warn about its scan data
//	loadImage       lazy load + shrink-on-load + orient + ICC→sRGB + fit;
//	                a JPEG loads at fail_on=warning
//	stripMetadata   drop EXIF, XMP, IPTC, ICC, comments from the image
//	encodeWebP      the one decode and encode, in one pass (or encodeAVIF);
//	                a loader failure here is decode_failed
//	cleanWebP       drop non-image chunks from the RIFF container
//	verifyOutput    sniff the output, check its container is clean
//	keepOriginal    a source of the target format that shows the same
//	                picture and is no larger than the encode is served
//	                instead, its metadata removed losslessly (Output.Original)
//
// libvips is reached through cgo helpers of this package rather than
// bimg's Process, which cannot do what the pipeline needs on libvips 8.14:
// it loads every GIF as its first frame only, decodes truncated JPEGs
// without an error, re-encodes rotated JPEGs to JPEG before resizing,
// loads with random access, and its WebP "strip" leaves the EXIF in place.
// bimg still initialises libvips and owns its cache settings.
//
// Usage:
//
//	if err := imaging.Startup(); err != nil { // once, at process start
//		log.Fatal(err)
//	}
//	p, err := imaging.NewProcessor(imaging.Config{MaxEdge: 8000})
//	if err != nil {
//		log.Fatal(err)
//	}
//	out, err := p.Process(ctx, src, "holiday.jpg", imaging.Options{Quality: 82, Width: 1920})
//	switch picpipe.ErrorCode(err) {
//	case "":
//		store(out.Data, out.MIME) // out.Format is "webp" or "gif"
//	case picpipe.ECodeInternal:
//		return err // transient: retry
//	default:
//		return fmt.Errorf("%v: %w", err, asynq.SkipRetry) // the client's file
//	}
//
// Errors a client can fix are *picpipe.Error values (possibly wrapped, so
// use picpipe.ErrorCode): unsupported_format, too_many_pixels,
// decode_failed and invalid_request. Everything else is internal.
package imaging
