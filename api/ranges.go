package api

import (
	"strconv"
	"strings"
)

// maxRanges is the most ranges a request may ask for in one Range header.
const maxRanges = 8

// tameRange returns the Range header value to honour for a body of size
// bytes: h itself when it asks for at most maxRanges ranges in
// ascending order without overlap, "" otherwise, and the whole body is
// served (RFC 9110 §14.2 lets a server ignore such a header). Each part
// of a multipart answer costs a header of its own, so many tiny or
// overlapping ranges made a small image answer megabytes. A header it
// cannot read is left as it is, for http.ServeContent to refuse (416).
func tameRange(h string, size int64) string {
	specs, ok := strings.CutPrefix(h, "bytes=")
	if !ok {
		return h
	}
	if strings.Count(specs, ",") >= maxRanges {
		return ""
	}
	end := int64(-1) // the end of the previous range
	for _, spec := range strings.Split(specs, ",") {
		spec = strings.TrimSpace(spec)
		if spec == "" {
			continue
		}
		first, last, ok := rangeBounds(spec, size)
		switch {
		case !ok:
			return h
		case first >= size: // not satisfiable: ServeContent drops it
			continue
		case first <= end:
			return ""
		}
		end = last
	}
	return h
}

// rangeBounds reads one range spec ("a-b", "a-" or "-n") of a body of
// size bytes as its first and last byte, as http.ServeContent does.
func rangeBounds(spec string, size int64) (first, last int64, ok bool) {
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == "" { // the last n bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size - 1, true
	}
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil || first < 0 {
		return 0, 0, false
	}
	if b == "" {
		return first, size - 1, true
	}
	last, err = strconv.ParseInt(b, 10, 64)
	if err != nil || last < first {
		return 0, 0, false
	}
	return first, min(last, size-1), true
}
