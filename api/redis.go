package api

import (
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"picpipe"
)

// The deadlines of the Redis calls made while a request waits. Redis
// answers in well under a millisecond; a Redis that does not answer
// costs a request these, not the client's read timeout times its retries.
// With Redis hung an upload is answered 503 within counterTimeout +
// limiterTimeout (failing closed), or with enqueueTimeout more (failing
// open); reads only pay counterTimeout.
const (
	// counterTimeout bounds the API-call counter, a metric: best effort.
	counterTimeout = 100 * time.Millisecond
	// limiterTimeout bounds one upload rate limit check.
	limiterTimeout = 500 * time.Millisecond
	// enqueueTimeout bounds putting a task on the queue.
	enqueueTimeout = time.Second
	// readyTimeout bounds each check of /readyz.
	readyTimeout = time.Second
)

// FailMode is what a check does when what it checks against does not
// answer.
type FailMode string

const (
	// FailClosed refuses the request (503).
	FailClosed FailMode = "closed"
	// FailOpen lets the request through unchecked.
	FailOpen FailMode = "open"
)

// Errors of Redis on the request path, joined with their cause for the log.
var (
	errQueueUnavailable   = picpipe.Errorf(picpipe.ECodeTranscodeUnavailable, "the processing queue is unavailable; retry later")
	errLimiterUnavailable = picpipe.Errorf(picpipe.ECodeTranscodeUnavailable, "the rate limiter is unavailable; retry later")
)

// redisClient is the API's one Redis client (counter, limiter, queue,
// completion announcements), on opt's server — or, for a master under
// Sentinel, on whichever server the sentinels name master, following
// their failovers — that honours the deadline of each call's context:
// without ContextTimeoutEnabled go-redis waits its read timeout whatever
// the context says.
func redisClient(opt asynq.RedisConnOpt) (redis.UniversalClient, error) {
	switch o := opt.(type) {
	case asynq.RedisClientOpt:
		return redis.NewClient(&redis.Options{
			Network: o.Network, Addr: o.Addr, Username: o.Username, Password: o.Password,
			DB: o.DB, DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout,
			WriteTimeout: o.WriteTimeout, PoolSize: o.PoolSize, TLSConfig: o.TLSConfig,
			ContextTimeoutEnabled: true,
		}), nil
	case asynq.RedisFailoverClientOpt:
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: o.MasterName, SentinelAddrs: o.SentinelAddrs,
			SentinelUsername: o.SentinelUsername, SentinelPassword: o.SentinelPassword,
			Username: o.Username, Password: o.Password, DB: o.DB,
			DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
			PoolSize: o.PoolSize, TLSConfig: o.TLSConfig,
			ContextTimeoutEnabled: true,
		}), nil
	case nil:
		return nil, errors.New("api: no Redis configured")
	default:
		return nil, fmt.Errorf("api: Redis options %T are not supported (want one server or Sentinel)", opt)
	}
}
