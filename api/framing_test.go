package api

import (
	"fmt"
	"strings"
	"testing"
)

func TestJudgeHead(t *testing.T) {
	tests := []struct {
		head      string
		ambiguous bool
		body      int64
		ok        bool
	}{
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", false, 0, true},
		{"POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n", false, 12, true},
		{"POST / HTTP/1.1\r\nContent-Length: 12\r\ncontent-length:12 \r\n\r\n", false, 12, true},
		{"POST / HTTP/1.1\r\nContent-Length: 12\r\nContent-Length: 13\r\n\r\n", false, 0, false},
		{"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", false, 0, false},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", false, 0, false},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", true, 0, false},
		{"POST / HTTP/1.1\nCONTENT-LENGTH: 3\nTRANSFER-ENCODING: identity\n\n", true, 0, false},
		{"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", true, 3, true},
	}
	for _, tt := range tests {
		ambiguous, body, ok := judgeHead([]byte(tt.head))
		if ambiguous != tt.ambiguous || body != tt.body || ok != tt.ok {
			t.Errorf("judgeHead(%q) = %t, %d, %t; want %t, %d, %t", tt.head, ambiguous, body, ok, tt.ambiguous, tt.body, tt.ok)
		}
	}
}

// TestFramedConnFollows: heads are found through bodies framed by
// Content-Length, whatever the bytes they arrive in.
func TestFramedConnFollows(t *testing.T) {
	stream := "POST /a HTTP/1.1\r\nContent-Length: 42\r\n\r\n" +
		"GET /fake HTTP/1.1\r\nContent-Length: 1\r\n\r\nx" + // a body that looks like a head
		"\r\n" + // a blank line between requests
		"GET /b HTTP/1.1\nHost: x\n\n" +
		"POST /c HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
		"GET /smuggled HTTP/1.1\r\n\r\n"
	if len("GET /fake HTTP/1.1\r\nContent-Length: 1\r\n\r\nx") != 42 {
		t.Fatal("the first body is not 42 bytes")
	}
	want := "[false false true]" // /a, /b, /c; not followed after /c
	for _, size := range []int{1, 2, 3, 7, 64, len(stream)} {
		c := &framedConn{}
		for s := stream; len(s) > 0; {
			n := min(size, len(s))
			c.follow([]byte(s[:n]))
			s = s[n:]
		}
		var got []bool
		for {
			a, known := c.next()
			if !known {
				break
			}
			got = append(got, a)
		}
		if fmt.Sprint(got) != want || !c.lost {
			t.Errorf("in %d-byte reads: verdicts %v, lost %t; want %s, lost", size, got, c.lost, want)
		}
	}
}

func TestFramedConnGivesUpOnHugeHeads(t *testing.T) {
	c := &framedConn{}
	c.follow([]byte("GET / HTTP/1.1\r\nX: " + strings.Repeat("a", maxFollowedHead) + "\r\n"))
	if !c.lost {
		t.Fatalf("a head over %d bytes is still followed", maxFollowedHead)
	}
}

// FuzzFramedConn: whatever bytes a client sends, in whatever pieces,
// following them never panics, keeps a bounded head, and gives the same
// verdicts as reading them in one piece.
func FuzzFramedConn(f *testing.F) {
	f.Add("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n", 3)
	f.Add("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 1)
	f.Add("\r\n\n\nGET / HTTP/1.0\nContent-Length: 1\nTransfer-Encoding: x\n\nx", 7)
	f.Fuzz(func(t *testing.T, stream string, size int) {
		size = max(1, size%64+1)
		whole, pieces := &framedConn{}, &framedConn{}
		whole.follow([]byte(stream))
		for s := stream; len(s) > 0; {
			n := min(size, len(s))
			pieces.follow([]byte(s[:n]))
			s = s[n:]
		}
		if len(pieces.head) > maxFollowedHead+64 {
			t.Fatalf("a head of %d bytes kept", len(pieces.head))
		}
		if fmt.Sprint(whole.heads, whole.lost) != fmt.Sprint(pieces.heads, pieces.lost) {
			t.Fatalf("whole: %v lost %t; in %d-byte pieces: %v lost %t", whole.heads, whole.lost, size, pieces.heads, pieces.lost)
		}
	})
}
