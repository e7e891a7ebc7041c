package worker

import (
	"fmt"
	"strings"
)

// Pools is a set of a worker's pools: a worker process may run some of
// them and leave the rest to others (a variant pool at a lower CPU
// priority, or on machines of its own).
type Pools uint8

const (
	// PoolImages serves uploads, URL fetches, cleans and the
	// scheduler's maintenance: every queue but the variants' and the
	// webhooks'.
	PoolImages Pools = 1 << iota
	// PoolVariants makes the background variants (AVIF).
	PoolVariants
	// PoolWebhooks delivers webhooks.
	PoolWebhooks
	// AllPools is every pool, the zero value of Config.Pools.
	AllPools = PoolImages | PoolVariants | PoolWebhooks
)

// poolNames names the pools, in PICPIPE_WORKER_POOLS and in logs.
var poolNames = []struct {
	name string
	pool Pools
}{{"images", PoolImages}, {"variants", PoolVariants}, {"webhooks", PoolWebhooks}}

// ParsePools reads a set of pools from their names (images, variants,
// webhooks); none means AllPools.
func ParsePools(names []string) (Pools, error) {
	var ps Pools
next:
	for _, n := range names {
		n = strings.TrimSpace(n)
		for _, p := range poolNames {
			if n == p.name {
				ps |= p.pool
				continue next
			}
		}
		return 0, fmt.Errorf("unknown pool %q: want images, variants or webhooks", n)
	}
	if ps == 0 {
		return AllPools, nil
	}
	return ps, nil
}

// String lists the pools' names, comma-separated: what ParsePools reads.
func (ps Pools) String() string {
	var names []string
	for _, p := range poolNames {
		if ps&p.pool != 0 {
			names = append(names, p.name)
		}
	}
	return strings.Join(names, ",")
}
