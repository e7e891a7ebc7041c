package main

import (
	"testing"

	"picpipe/imaging"
)

// TestMaxFramesSetting: PICPIPE_MAX_FRAMES reaches the API's gate and the
// imaging workers alike; unset, both use the imaging default.
func TestMaxFramesSetting(t *testing.T) {
	for _, tt := range []struct {
		env  string
		want int // -1: refused
	}{{"", imaging.DefaultMaxFrames}, {"50", 50}, {"-1", -1}} {
		t.Setenv("PICPIPE_MAX_FRAMES", tt.env)
		c, err := loadConfig()
		switch {
		case tt.want < 0 && err == nil:
			t.Errorf("PICPIPE_MAX_FRAMES=%q loaded; want an error", tt.env)
		case tt.want >= 0 && (err != nil || c.apiConfig().MaxFrames != tt.want || c.imagingConfig().MaxFrames != tt.want):
			t.Errorf("PICPIPE_MAX_FRAMES=%q: api %d, imaging %d, %v; want %d",
				tt.env, c.apiConfig().MaxFrames, c.imagingConfig().MaxFrames, err, tt.want)
		}
	}
}
