package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"picpipe/db"
	"picpipe/internal/testenv"
)

func TestParseScopes(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want db.Scopes
		ok   bool
	}{
		{[]string{"read", "upload"}, "upload,read", true},
		{[]string{"keys", " delete", "keys"}, "delete,keys", true},
		{[]string{"upload", "read", "delete", "keys"}, db.FullScopes, true},
		{nil, "", false},
		{[]string{"admin"}, "", false},
		{[]string{"read", ""}, "", false},
	} {
		got, err := db.ParseScopes(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseScopes(%q) = %q, %v; want %q, ok %t", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestCovers(t *testing.T) {
	key := func(scopes, allow string) *db.APIKey { return &db.APIKey{Scopes: scopes, AllowedIPs: allow} }
	office := key("upload,read", "10.0.0.0/8,2001:db8::/32")
	for _, tt := range []struct {
		other *db.APIKey
		want  bool
	}{
		{key("upload,read", "10.0.0.0/8,2001:db8::/32"), true},
		{key("read", "10.1.0.0/16"), true},
		{key("upload", "10.1.2.3/32,2001:db8:1::/48"), true},
		{key("upload", ""), false},                       // anywhere
		{key("upload", "10.0.0.0/7"), false},             // wider
		{key("upload", "192.0.2.0/24"), false},           // elsewhere
		{key("upload,keys", "10.1.0.0/16"), false},       // a scope more
		{key("upload,read,delete", "10.0.0.0/8"), false}, // a scope more
		{key("read", "10.1.0.0/16,192.0.2.1/32"), false}, // partly elsewhere
		{key("upload", "2001:db8::/31"), false},          // wider, v6
		{key("upload", "2001:db8:ffff::/48"), true},      // inside, v6
		{key("upload", "::ffff:10.0.0.0/104"), false},    // never stored so; unparsed forms stay out
	} {
		if got := office.Covers(tt.other); got != tt.want {
			t.Errorf("Covers(%q from %q) = %t; want %t", tt.other.Scopes, tt.other.AllowedIPs, got, tt.want)
		}
	}
	if !key(string(db.FullScopes), "").Covers(key("upload", "")) {
		t.Error("an unrestricted key with every scope does not cover an unrestricted upload key")
	}
}

// TestIssueScopedKeyLimit: 30 keys asked for at once get exactly the
// account's 5; revoking one makes no room until a day after it was made.
func TestIssueScopedKeyLimit(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		var wg sync.WaitGroup
		errs := make(chan error, 30)
		for i := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := d.IssueScopedKey(ctx, u.ID, fmt.Sprint("k", i), "", "read", 5, 1000)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		made := 0
		for err := range errs {
			switch {
			case err == nil:
				made++
			case !errors.Is(err, db.ErrTooManyKeys):
				t.Fatalf("IssueScopedKey = %v", err)
			}
		}
		keys, _ := d.ListAPIKeys(ctx, u.ID)
		if made != 5 || len(keys) != 5 || keys[0].Scopes != "read" {
			t.Fatalf("%d issued, %d stored (%+v); want 5 with scope read", made, len(keys), keys)
		}
		if err := d.RevokeAPIKey(ctx, u.ID, keys[0].ID, 2000); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.IssueScopedKey(ctx, u.ID, "churn", "", "read", 5, 2000); !errors.Is(err, db.ErrTooManyKeys) {
			t.Fatalf("a key right after revoking one = %v; want ErrTooManyKeys", err)
		}
		if _, _, err := d.IssueScopedKey(ctx, u.ID, "later", "", "read", 5, 1000+24*3600+1); err != nil {
			t.Fatalf("a key a day later = %v", err)
		}
		k, err := d.APIKeyByID(ctx, u.ID, keys[1].ID)
		if err != nil || k.ID != keys[1].ID {
			t.Fatalf("APIKeyByID = %+v, %v", k, err)
		}
		if _, err := d.APIKeyByID(ctx, u.ID, keys[0].ID); !errors.Is(err, db.ErrAPIKeyNotFound) {
			t.Fatalf("APIKeyByID(revoked) = %v; want ErrAPIKeyNotFound", err)
		}
	})
}

// BenchmarkAllowListAllows measures the check every request with a
// restricted key makes against its stored allow-list: a full one (100
// entries, none matching) costs a few microseconds, next to the
// database lookup of the key itself, so it is parsed as it is read.
func BenchmarkAllowListAllows(b *testing.B) {
	var list []string
	for i := range db.MaxAllowListEntries {
		list = append(list, fmt.Sprintf("2001:db8:%x::/48", i))
	}
	stored, err := db.ParseAllowList(list)
	if err != nil {
		b.Fatal(err)
	}
	l := db.AllowList(stored)
	for b.Loop() {
		if l.Allows("203.0.113.9") {
			b.Fatal("allowed")
		}
	}
}
