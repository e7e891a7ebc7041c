package picpipe

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCleanName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"photo.jpg", "photo.jpg"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\me\cat.png`, "cat.png"},
		{"bad\x00name\n.jpg", "badname.jpg"},
		{"a\x00b\x1f\x7fc.png", "abc.png"},
		{"dir/", "dir"},
		{"\xff\xfeok.gif", "ok.gif"},
		{"  spaced.webp ", "spaced.webp"},
		// Format characters: bidi overrides and isolates, zero-width
		// characters, the byte-order mark, the soft hyphen.
		{"invoice\u202Egpj.exe.jpg", "invoicegpj.exe.jpg"},
		{"evil\u202egnp.exe", "evilgnp.exe"},
		{"a\u2066b\u2067c\u2068d\u2069e\u200ef\u200fg.png", "abcdefg.png"},
		{"zero\u200bwidth\u200c\u200d\ufeff.txt", "zerowidth.txt"},
		{"soft\u00adhyphen.txt", "softhyphen.txt"},
		{"line\u2028para\u2029.txt", "linepara.txt"},
		// Dots and trailing white space.
		{".", ""},
		{"..", ""},
		{"...", ""},
		{". .", ""},
		{"/", ""},
		{"", ""},
		{"a/..", ""},
		{"x.php.", "x.php"},
		{"x.php . .", "x.php"},
		{"x.php\u202e.", "x.php"},
		{"x.php\u3000", "x.php"},
		{".env", ".env"},
		{"\u202e", ""},
		{string(make([]byte, 300)), ""},
		{strings.Repeat("é", 200), strings.Repeat("é", 127)},
		{strings.Repeat("a", 300) + ".jpg", strings.Repeat("a", 251) + ".jpg"},
		{strings.Repeat("a", 253) + " .jpg", strings.Repeat("a", 251) + ".jpg"},
	}
	for _, tt := range tests {
		if got := CleanName(tt.in); got != tt.want {
			t.Errorf("CleanName(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("日本", 100) + ".jpg"
	if got := CleanName(long); len(got) > MaxNameLen || !strings.HasSuffix(got, ".jpg") {
		t.Errorf("CleanName(600 bytes + .jpg) = %d bytes %q; want at most %d ending .jpg", len(got), got, MaxNameLen)
	}
}

// checkCleanName checks what CleanName promises of any name it returns.
func checkCleanName(t *testing.T, in string) {
	got := CleanName(in)
	if again := CleanName(got); again != got {
		t.Errorf("CleanName is not idempotent: %q → %q → %q", in, got, again)
	}
	if !utf8.ValidString(got) || len(got) > MaxNameLen || strings.ContainsAny(got, `/\`) {
		t.Errorf("CleanName(%q) = %q: invalid UTF-8, too long or a separator", in, got)
	}
	if strings.Trim(got, ".") == "" && got != "" {
		t.Errorf("CleanName(%q) = %q: only dots", in, got)
	}
	if got != strings.TrimRight(strings.TrimSpace(got), ".") {
		t.Errorf("CleanName(%q) = %q: untrimmed", in, got)
	}
	for _, r := range got {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			t.Errorf("CleanName(%q) = %q keeps %U", in, got, r)
		}
	}
}

// FuzzCleanName: whatever the name, the result is clean, bounded and
// stable.
func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"photo.jpg", "invoice\u202Egpj.exe.jpg", "..", "x.php.",
		`C:\a\b.png`, strings.Repeat("é", 200) + ".jpeg", "a\u200d.\u200d.", " \u00a0.jpg"} {
		f.Add(s)
	}
	f.Fuzz(checkCleanName)
}
