package storage

import (
	"os"

	"golang.org/x/sys/unix"
)

// writeBack asks the kernel to start writing f's bytes [off, off+n) to
// the disk now, without waiting for it (sync_file_range with
// SYNC_FILE_RANGE_WRITE).
func writeBack(f *os.File, off, n int64) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE) }); err != nil {
		return err
	}
	return serr
}
