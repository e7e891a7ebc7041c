package main

import "testing"

func TestPublicBlobURLSetting(t *testing.T) {
	for _, tt := range []struct {
		env string
		ok  bool
	}{{"", true}, {"https://cdn.example.com", true}, {"https://s3.example.com/pics/", true},
		{"cdn.example.com", false}, {"ftp://cdn.example.com", false}, {"https://cdn.example.com/?x=1", false}} {
		t.Setenv("PICPIPE_PUBLIC_BLOB_URL", tt.env)
		c, err := loadConfig()
		switch {
		case tt.ok && (err != nil || c.apiConfig().PublicBlobURL != tt.env):
			t.Errorf("PICPIPE_PUBLIC_BLOB_URL=%q = %q, %v; want it taken", tt.env, c.apiConfig().PublicBlobURL, err)
		case !tt.ok && err == nil:
			t.Errorf("PICPIPE_PUBLIC_BLOB_URL=%q loaded; want an error", tt.env)
		}
	}
}
