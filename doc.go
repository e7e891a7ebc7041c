// Package picpipe holds the vocabulary every part of picpipe shares: the
// error type with its stable codes. The roles live in the sub-packages
// (api, worker, scheduler), the task contract in jobs, persistence in db,
// image work in imaging and blobs in storage.
package picpipe
