package intake

import "testing"

func TestSanitizeName(t *testing.T) {
	tests := map[string]string{
		"photo.jpg":               "photo.jpg",
		"../../etc/passwd":        "passwd",
		`C:\Users\me\cat.png`:     "cat.png",
		"bad\x00name\n.jpg":       "badname.jpg",
		"dir/":                    "dir",
		"":                        "",
		"\xff\xfeok.gif":          "ok.gif",
		"  spaced.webp ":          "spaced.webp",
		string(make([]byte, 300)): "",
	}
	for in, want := range tests {
		if got := SanitizeName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q; want %q", in, got, want)
		}
	}
	long := ""
	for range 100 {
		long += "日本"
	}
	if got := SanitizeName(long + ".jpg"); len(got) > maxNameLen {
		t.Errorf("long name kept %d bytes; want at most %d", len(got), maxNameLen)
	}
}
