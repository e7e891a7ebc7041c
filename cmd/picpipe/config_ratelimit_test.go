package main

import (
	"testing"

	"picpipe/api"
)

func TestRateLimitOnErrorSetting(t *testing.T) {
	for _, tt := range []struct {
		env  string
		want api.FailMode // "": refused
	}{{"", api.FailClosed}, {"closed", api.FailClosed}, {"open", api.FailOpen}, {"sometimes", ""}} {
		t.Setenv("PICPIPE_RATE_LIMIT_ON_ERROR", tt.env)
		c, err := loadConfig()
		switch got := c.apiConfig().WithDefaults().RateLimitOnError; {
		case tt.want == "" && err == nil:
			t.Errorf("PICPIPE_RATE_LIMIT_ON_ERROR=%q loaded; want an error", tt.env)
		case tt.want != "" && (err != nil || got != tt.want):
			t.Errorf("PICPIPE_RATE_LIMIT_ON_ERROR=%q = %q, %v; want %q", tt.env, got, err, tt.want)
		}
	}
}
