package db_test

import (
	"testing"

	"picpipe/db"
)

func TestAllowList(t *testing.T) {
	stored, err := db.ParseAllowList([]string{"10.0.0.0/8", " 192.0.2.7 ", "2001:db8::/32", "::ffff:198.51.100.0/120"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "10.0.0.0/8,192.0.2.7/32,2001:db8::/32,198.51.100.0/24"; stored != want {
		t.Fatalf("stored = %q; want %q", stored, want)
	}
	k := &db.APIKey{AllowedIPs: stored}
	for ip, want := range map[string]bool{
		"10.200.1.1": true, "11.0.0.1": false, "192.0.2.7": true, "192.0.2.8": false,
		"2001:db8:1::5": true, "2001:db9::1": false, "::ffff:10.1.1.1": true,
		"198.51.100.200": true, "::1": false, "garbage": false, "": false,
	} {
		if got := k.Allows(ip); got != want {
			t.Errorf("Allows(%q) = %v; want %v", ip, got, want)
		}
	}
	if !(&db.APIKey{}).Allows("203.0.113.1") {
		t.Error("an empty allow-list refused an address")
	}
	for _, bad := range []string{"10.0.0.0/33", "host.example", "1.2.3.4/x", ""} {
		if _, err := db.ParseAllowList([]string{bad}); err == nil {
			t.Errorf("ParseAllowList(%q) accepted it", bad)
		}
	}
}
