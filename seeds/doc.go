// Package seeds holds no code: its tests hold picpipe to the seed
// documents (../shared/seeds/, see README.md), end to end, through the
// built binary.
//
// TestSeedExamples starts `picpipe serve` on a loopback port with its own
// data directory and private redis-server, and runs every cURL, Python
// (requests) and Node (fetch) example of the seeds, kept verbatim in
// testdata/examples (each file's header names its seed and what was
// substituted: the base URL, the key, local file names), asserting the
// fields and the output each client reads. It needs curl, python3 with
// requests and node 18 or later; make test and .ci/run install them
// (Debian: curl, python3-requests, nodejs).
//
// TestServedFilesHaveNoMetadata uploads images carrying GPS, camera EXIF,
// XMP, IPTC and comments through every way in that stores files as they
// are (/v1/files and each seed mount) and runs exiftool on exactly what
// each returned link serves.
//
//	go test ./seeds/ -run . -v
package seeds
