package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is picpipe's release, set at build time:
//
//	go build -ldflags "-X main.version=v1.2.3" ./cmd/picpipe
//
// Unset, picpipe version reports the module version and the VCS revision
// the binary was built from, as far as the build recorded them.
var version = ""

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print picpipe's version, the commit it was built from and the Go version",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, _ []string) error {
			info, _ := debug.ReadBuildInfo()
			printVersion(c.OutOrStdout(), version, info)
			return nil
		},
	}
}

// printVersion writes "picpipe VERSION (COMMIT[, modified], DATE) GO": the
// -ldflags version when set, else the module's; the VCS facts that info
// records (go build records them inside a git checkout unless
// -buildvcs=false).
func printVersion(w io.Writer, v string, info *debug.BuildInfo) {
	var rev, when, modified string
	if info != nil {
		if v == "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = ", modified"
				}
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	vcs := ""
	if rev != "" {
		vcs = fmt.Sprintf(" (%s%s", rev, modified)
		if when != "" {
			vcs += ", " + when
		}
		vcs += ")"
	}
	fmt.Fprintf(w, "picpipe %s%s %s %s/%s\n", v, vcs, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
