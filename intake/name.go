package intake

import "picpipe"

// SanitizeName keeps a client's file name for display only: it is
// picpipe.CleanName, the one rule for file names (base name, no control
// or format characters, no trailing dots or spaces, "" for "." and "..",
// at most picpipe.MaxNameLen bytes). The extension checks of the gates
// see the same name. It is never used as a storage key.
func SanitizeName(name string) string { return picpipe.CleanName(name) }
