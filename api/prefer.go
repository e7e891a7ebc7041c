package api

import (
	"strconv"
	"strings"
	"time"
)

// preferredWait reads RFC 7240 Prefer: "respond-async" means do not wait,
// "wait=N" waits up to N seconds (capped at max); otherwise def. It also
// returns the preference applied, for the Preference-Applied header.
func preferredWait(header string, def, max time.Duration) (time.Duration, string) {
	wait, applied := def, ""
	for _, pref := range strings.Split(header, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(pref), "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "respond-async":
			return 0, "respond-async"
		case "wait":
			if n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(value), `"`)); err == nil && n >= 0 {
				// Capped in seconds, before a huge n overflows a Duration.
				wait = time.Duration(min(n, int(max/time.Second))) * time.Second
				applied = "wait=" + strconv.Itoa(int(wait.Seconds()))
			}
		}
	}
	return wait, applied
}
