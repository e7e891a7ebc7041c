package jobs

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// defaultSentinelPort is the port of a sentinel named without one.
const defaultSentinelPort = "26379"

// sentinelParams are the query parameters of a redis-sentinel URL.
var sentinelParams = []string{"master", "password", "username"}

// RedisOpt parses a Redis URL, PICPIPE_REDIS_URL, into the connection
// options asynq takes. Their MakeRedisClient gives a go-redis client (a
// redis.UniversalClient) on the same server. The forms:
//
//	redis://[[USER]:PASSWORD@]HOST[:PORT][/DB][?OPTIONS]   one server (go-redis's form and options)
//	rediss://…                                              the same over TLS
//	unix://[[USER]:PASSWORD@]/PATH/redis.sock[?db=DB]       one server on a unix socket
//	redis-sentinel://[[SUSER]:SPASSWORD@]HOST[:PORT][,HOST[:PORT]…][/DB]?master=NAME[&password=PASSWORD][&username=USER]
//
// The first three give an asynq.RedisClientOpt. The last names a master
// under Redis Sentinel and gives an asynq.RedisFailoverClientOpt: its
// clients ask the sentinels (port 26379 by default) for the master, and
// follow it when the sentinels fail over to a replica. It is asynq's own
// form (asynq.ParseRedisURI reads the sentinels, the master's name and the
// sentinels' password), with what asynq's lacks: the database number, the
// credentials of the master and replicas (password, username), the
// sentinels' user name, and checks. As in asynq and go-redis, the
// credentials before @ are the sentinels'; the master's go in the query,
// percent-encoded. Sentinels are named by host name or IPv4 address.
//
// Errors name PICPIPE_REDIS_URL and what is wrong, never the URL itself,
// which may hold passwords.
func RedisOpt(raw string) (asynq.RedisConnOpt, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, passwords and all
		}
		return nil, redisURLError("not a URL: %v", err)
	}
	switch u.Scheme {
	case "redis", "rediss", "unix":
		o, err := redis.ParseURL(raw)
		if err != nil {
			return nil, redisURLError("%v", err)
		}
		return asynq.RedisClientOpt{
			Network: o.Network, Addr: o.Addr, Username: o.Username, Password: o.Password,
			DB: o.DB, DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout,
			WriteTimeout: o.WriteTimeout, PoolSize: o.PoolSize, TLSConfig: o.TLSConfig,
		}, nil
	case "redis-sentinel":
		return sentinelOpt(u, raw)
	case "":
		return nil, redisURLError("no scheme; want redis://, rediss://, unix:// or redis-sentinel://")
	default:
		return nil, redisURLError("scheme %q; want redis://, rediss://, unix:// or redis-sentinel://", u.Scheme)
	}
}

// sentinelOpt reads a redis-sentinel URL: asynq's parse, then what it
// leaves out, and checks.
func sentinelOpt(u *url.URL, raw string) (asynq.RedisConnOpt, error) {
	q := u.Query()
	for k, v := range q {
		if !slices.Contains(sentinelParams, k) {
			return nil, redisURLError("unknown parameter %q of a redis-sentinel URL; want %s", k, strings.Join(sentinelParams, ", "))
		}
		if len(v) > 1 {
			return nil, redisURLError("parameter %q given %d times", k, len(v))
		}
	}
	o, err := asynq.ParseRedisURI(raw)
	if err != nil {
		return nil, redisURLError("%v", err)
	}
	opt, ok := o.(asynq.RedisFailoverClientOpt)
	if !ok {
		return nil, redisURLError("asynq read a redis-sentinel URL as %T", o)
	}
	if opt.MasterName == "" {
		return nil, redisURLError("a redis-sentinel URL needs the master's name: ?master=NAME")
	}
	for i, a := range opt.SentinelAddrs {
		if opt.SentinelAddrs[i], err = sentinelAddr(a); err != nil {
			return nil, err
		}
	}
	if u.User != nil {
		opt.SentinelUsername = u.User.Username()
	}
	opt.Username, opt.Password = q.Get("username"), q.Get("password")
	if path := strings.Trim(u.Path, "/"); path != "" {
		db, err := strconv.Atoi(path)
		if err != nil || db < 0 {
			return nil, redisURLError("the path of a redis-sentinel URL is the database number, /DB; got %q", u.Path)
		}
		opt.DB = db
	}
	return opt, nil
}

// sentinelAddr checks one sentinel's address, host[:port], and gives it
// the default port when it has none.
func sentinelAddr(a string) (string, error) {
	if a == "" {
		return "", redisURLError("an empty sentinel address in the list; want host[:port][,host[:port]…]")
	}
	if !strings.Contains(a, ":") {
		a = net.JoinHostPort(a, defaultSentinelPort)
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil || host == "" {
		return "", redisURLError("sentinel address %q; want host[:port]", a)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", redisURLError("sentinel address %q has a bad port", a)
	}
	return a, nil
}

func redisURLError(format string, args ...any) error {
	return fmt.Errorf("PICPIPE_REDIS_URL: "+format, args...)
}
