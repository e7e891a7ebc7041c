package main

import (
	"slices"
	"testing"
)

func TestCORSOriginsSetting(t *testing.T) {
	for _, tt := range []struct {
		env  string
		want []string // nil: refused
	}{
		{"", []string{}},
		{"*", []string{"*"}},
		{"https://app.example.com,http://localhost:3000", []string{"https://app.example.com", "http://localhost:3000"}},
		{"app.example.com", nil},
		{"https://app.example.com/upload", nil},
	} {
		t.Setenv("PICPIPE_CORS_ORIGINS", tt.env)
		c, err := loadConfig()
		got := c.apiConfig().CORSOrigins
		switch {
		case tt.want != nil && (err != nil || !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0):
			t.Errorf("PICPIPE_CORS_ORIGINS=%q = %q, %v; want %q", tt.env, got, err, tt.want)
		case tt.want == nil && err == nil:
			t.Errorf("PICPIPE_CORS_ORIGINS=%q loaded; want an error", tt.env)
		}
	}
}
