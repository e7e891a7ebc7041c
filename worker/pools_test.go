package worker

import (
	"strings"
	"testing"
)

func TestParsePools(t *testing.T) {
	for _, tt := range []struct {
		names []string
		want  Pools
	}{
		{nil, AllPools},
		{[]string{"variants"}, PoolVariants},
		{[]string{"images", " webhooks"}, PoolImages | PoolWebhooks},
		{[]string{"images", "variants", "webhooks"}, AllPools},
	} {
		got, err := ParsePools(tt.names)
		if err != nil || got != tt.want {
			t.Errorf("ParsePools(%q) = %v, %v; want %v", tt.names, got, err, tt.want)
		}
		if back, err := ParsePools(strings.Split(got.String(), ",")); err != nil || back != got {
			t.Errorf("%v.String() = %q reads back as %v, %v", got, got.String(), back, err)
		}
	}
	if _, err := ParsePools([]string{"images", "avif"}); err == nil {
		t.Error(`ParsePools("images,avif") took an unknown pool`)
	}
}
