package intake

import (
	"testing"

	"picpipe"
)

// TestSanitizeName: the API keeps what every other way in keeps (the full
// rule is tested with picpipe.CleanName).
func TestSanitizeName(t *testing.T) {
	for _, in := range []string{"photo.jpg", "../../etc/passwd", "invoice\u202Egpj.exe.jpg", "..", "x.php."} {
		if got, want := SanitizeName(in), picpipe.CleanName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q; want %q", in, got, want)
		}
	}
	if got := SanitizeName("invoice\u202Egpj.exe.jpg"); got != "invoicegpj.exe.jpg" {
		t.Errorf("bidi override kept: %q", got)
	}
}
