package worker

import (
	"runtime"
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

// The pools' defaults follow GOMAXPROCS — a container's CPU limit, or
// what the operator set — not the host's CPU count (runtime.NumCPU),
// which would run 64 libvips jobs at once in a container given 2 of a
// host's 64 CPUs.
func TestDefaultConcurrency(t *testing.T) {
	procs := runtime.NumCPU() + 14 // never the CPU count, as a container's limit would not be
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	c := Config{}.withDefaults()
	if c.Concurrency != procs {
		t.Errorf("default concurrency = %d with GOMAXPROCS %d (CPUs %d); want %d", c.Concurrency, procs, runtime.NumCPU(), procs)
	}
	if want := max(2, procs/4); c.VariantConcurrency != want {
		t.Errorf("default variant concurrency = %d with GOMAXPROCS %d; want %d", c.VariantConcurrency, procs, want)
	}
	if c := (Config{Concurrency: 3, VariantConcurrency: 1}).withDefaults(); c.Concurrency != 3 || c.VariantConcurrency != 1 {
		t.Errorf("set concurrencies became %d and %d; want 3 and 1", c.Concurrency, c.VariantConcurrency)
	}
}
