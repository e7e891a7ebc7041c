package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// inflightKey is the Redis key of the deliveries of account userID in
// flight: a sorted set of leases scored by their expiry (Unix ms).
func inflightKey(userID string) string { return "picpipe:webhooks:inflight:" + userID }

// acquireScript takes a lease on one of ARGV[3] slots of the set
// KEYS[1], dropping the leases expired by ARGV[1] first: 1 when taken
// (member ARGV[4], expiring at ARGV[2]), 0 when all are held.
var acquireScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
	return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
`)

// acquire takes one of the PerAccount delivery slots of userID for the
// length of a delivery, and returns its release; ErrBusy when all are
// held. A lease a crashed worker held expires by itself.
func (s *Sender) acquire(ctx context.Context, userID string) (func(), error) {
	now := time.Now()
	lease := strconv.FormatInt(now.UnixNano(), 36) + ":" + strconv.FormatUint(rand.Uint64(), 36)
	expiry := now.Add(s.cfg.Timeout + 30*time.Second).UnixMilli()
	key := inflightKey(userID)
	got, err := acquireScript.Run(ctx, s.deps.Redis, []string{key},
		now.UnixMilli(), expiry, s.cfg.PerAccount, lease).Int()
	if err != nil {
		return nil, fmt.Errorf("outbox: take a delivery slot: %w", err)
	}
	if got == 0 {
		return nil, ErrBusy
	}
	return func() {
		if err := s.deps.Redis.ZRem(context.WithoutCancel(ctx), key, lease).Err(); err != nil {
			slog.Warn("release a delivery slot; it expires by itself", "err", err)
		}
	}, nil
}
