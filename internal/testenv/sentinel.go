package testenv

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the name the sentinels of StartSentinel monitor
// their master by.
const SentinelMaster = "picpipe"

// Sentinel is Redis under Redis Sentinel on loopback, each part a real
// process: a master, one replica and three sentinels with a quorum of
// two. Three is the smallest set that fails over the way a real
// deployment does: a majority must agree that the master is down and
// elect the sentinel that promotes the replica, so one sentinel's view
// alone never moves the master. The master and the replica want a
// password, and the sentinels another, so that a URL that mixes them up
// fails.
type Sentinel struct {
	// URL is picpipe's URL for it: redis-sentinel://:SENTINELPW@S1,S2,S3/0?master=picpipe&password=PW.
	URL string
	// Password is the master's and replica's; SentinelPassword the
	// sentinels'.
	Password, SentinelPassword string
	// Sentinels are the sentinels' addresses.
	Sentinels []string

	dir   string
	nodes []string // the master's and the replica's addresses, as started
	mu    sync.Mutex
	// servers are the master's and the replica's processes by address.
	servers map[string]*exec.Cmd
}

// Sentinel timings: a master that does not answer for downAfter is down;
// the sentinels then fail over at once.
const (
	sentinelDownAfter       = 1000 // milliseconds
	sentinelFailoverTimeout = 10000
)

// StartSentinel starts a master, a replica and three sentinels on free
// loopback ports, with their files in a temporary directory, stops them
// when the test ends (printing the tail of their logs when it failed),
// and returns once the replica is in sync and every sentinel knows the
// replica and the two other sentinels, so a failover can be agreed on.
// It fails the test when redis-server or redis-sentinel is not
// installed.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	server := Tool(t, "redis-server")
	sentinel := Tool(t, "redis-sentinel")
	addrs := freeAddrs(t, 5)
	s := &Sentinel{
		Password: "data-" + strconv.FormatInt(time.Now().UnixNano(), 36), SentinelPassword: "sentinel-pw",
		Sentinels: addrs[2:], dir: t.TempDir(), nodes: addrs[:2], servers: map[string]*exec.Cmd{},
	}
	var procs []*exec.Cmd
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range append(procs, slices.Collect(maps.Values(s.servers))...) {
			c.Process.Kill()
			c.Wait()
		}
		if t.Failed() {
			s.logTails(t)
		}
	})
	master, replica := addrs[0], addrs[1]
	for _, a := range []string{master, replica} {
		args := []string{"--bind", "127.0.0.1", "--port", portOf(a), "--dir", s.subdir(t, a),
			"--save", "", "--appendonly", "no", "--requirepass", s.Password, "--masterauth", s.Password,
			"--logfile", s.logFile(a)}
		if a == replica {
			args = append(args, "--replicaof", "127.0.0.1", portOf(master))
		}
		s.servers[a] = startProcess(t, server, args...)
	}
	for _, a := range s.Sentinels {
		conf := filepath.Join(s.subdir(t, a), "sentinel.conf")
		text := fmt.Sprintf(`bind 127.0.0.1
port %s
dir %s
logfile %s
requirepass %s
sentinel sentinel-pass %s
sentinel monitor %s 127.0.0.1 %s 2
sentinel auth-pass %s %s
sentinel down-after-milliseconds %s %d
sentinel failover-timeout %s %d
`, portOf(a), filepath.Dir(conf), s.logFile(a), s.SentinelPassword, s.SentinelPassword,
			SentinelMaster, portOf(master), SentinelMaster, s.Password,
			SentinelMaster, sentinelDownAfter, SentinelMaster, sentinelFailoverTimeout)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, startProcess(t, sentinel, conf))
	}
	s.URL = (&url.URL{Scheme: "redis-sentinel", User: url.UserPassword("", s.SentinelPassword),
		Host: strings.Join(s.Sentinels, ","), Path: "/0",
		RawQuery: url.Values{"master": {SentinelMaster}, "password": {s.Password}}.Encode()}).String()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.waitSynced(ctx, replica); err != nil {
		t.Fatalf("sentinel set-up: the replica did not sync: %v", err)
	}
	for _, a := range s.Sentinels {
		if err := s.waitSentinel(ctx, a); err != nil {
			t.Fatalf("sentinel set-up: sentinel %s: %v", a, err)
		}
	}
	return s
}

// Master returns the address a majority of the sentinels give for the
// master.
func (s *Sentinel) Master(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := s.agreedMaster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// KillMaster ends the master with SIGKILL, as a crash would, and returns
// its address. The sentinels see it down after a second and promote the
// replica; what the master had not yet sent to the replica is lost.
func (s *Sentinel) KillMaster(t testing.TB) string {
	t.Helper()
	m := s.Master(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.servers[m]
	if !ok {
		t.Fatalf("the sentinels name %s master, not a server of this set", m)
	}
	c.Process.Kill()
	c.Wait()
	delete(s.servers, m)
	return m
}

// Failover asks a sentinel for a failover (SENTINEL FAILOVER), as an
// operator does before maintenance: the replica is promoted and the old
// master turned into its replica, without waiting for a majority.
func (s *Sentinel) Failover(t testing.TB) {
	t.Helper()
	c := s.sentinelClient(s.Sentinels[0])
	defer c.Close()
	if err := c.Failover(context.Background(), SentinelMaster).Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER: %v", err)
	}
}

// WaitFailover waits until a majority of the sentinels name a master
// other than old and that server answers as master, and returns its
// address.
func (s *Sentinel) WaitFailover(t testing.TB, old string, timeout time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		m, err := s.agreedMaster(ctx)
		if err == nil && m != old {
			c := s.serverClient(m)
			role, err := c.Do(ctx, "ROLE").Slice()
			c.Close()
			if err == nil && len(role) > 0 && role[0] == "master" {
				return m
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no failover away from %s within %v (sentinels name %q: %v)", old, timeout, m, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// agreedMaster asks every sentinel for the master's address and returns
// the one a majority gives.
func (s *Sentinel) agreedMaster(ctx context.Context) (string, error) {
	votes := map[string]int{}
	var lastErr error
	for _, a := range s.Sentinels {
		c := s.sentinelClient(a)
		addr, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
		c.Close()
		if err != nil {
			lastErr = err
			continue
		}
		m := net.JoinHostPort(addr[0], addr[1])
		if votes[m]++; votes[m] > len(s.Sentinels)/2 {
			return m, nil
		}
	}
	return "", fmt.Errorf("the sentinels do not agree on a master: %v (last error %v)", votes, lastErr)
}

// waitSynced waits until the replica at addr has a live link to its
// master and has finished its first sync.
func (s *Sentinel) waitSynced(ctx context.Context, addr string) error {
	c := s.serverClient(addr)
	defer c.Close()
	return poll(ctx, func() error {
		info, err := c.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "master_link_status:up") || strings.Contains(info, "master_sync_in_progress:1") {
			return fmt.Errorf("not in sync: %q", info)
		}
		return nil
	})
}

// waitSentinel waits until the sentinel at addr knows the master, the
// other sentinels, and its replica well enough to promote it.
func (s *Sentinel) waitSentinel(ctx context.Context, addr string) error {
	c := s.sentinelClient(addr)
	defer c.Close()
	return poll(ctx, func() error {
		m, err := c.Master(ctx, SentinelMaster).Result()
		if err != nil {
			return err
		}
		if m["num-slaves"] != "1" || m["num-other-sentinels"] != strconv.Itoa(len(s.Sentinels)-1) ||
			!strings.Contains(m["flags"], "master") || strings.Contains(m["flags"], "down") {
			return fmt.Errorf("flags %s, %s replicas, %s other sentinels", m["flags"], m["num-slaves"], m["num-other-sentinels"])
		}
		// A replica is promoted only once the sentinel has its own report
		// of it (before, SENTINEL FAILOVER answers NOGOODSLAVE).
		rs, err := c.Replicas(ctx, SentinelMaster).Result()
		if err != nil {
			return err
		}
		if len(rs) != 1 || rs[0]["flags"] != "slave" || rs[0]["master-link-status"] != "ok" {
			return fmt.Errorf("replicas as the sentinel sees them: %v", rs)
		}
		return nil
	})
}

func (s *Sentinel) sentinelClient(addr string) *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: addr, Password: s.SentinelPassword,
		DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1})
}

func (s *Sentinel) serverClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Password: s.Password,
		DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1})
}

func (s *Sentinel) subdir(t testing.TB, addr string) string {
	d := filepath.Join(s.dir, portOf(addr))
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

func (s *Sentinel) logFile(addr string) string {
	return filepath.Join(s.dir, portOf(addr), "log")
}

// logTails logs the last lines of every process's log.
func (s *Sentinel) logTails(t testing.TB) {
	for _, a := range append(s.nodes[:len(s.nodes):len(s.nodes)], s.Sentinels...) {
		b, _ := os.ReadFile(s.logFile(a))
		lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
		lines = lines[max(0, len(lines)-15):]
		t.Logf("log of %s:\n%s", a, bytes.Join(lines, []byte("\n")))
	}
}

func startProcess(t testing.TB, bin string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	return cmd
}

// poll calls f every 20 ms until it succeeds or ctx ends, and then
// returns f's last error.
func poll(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// freeAddrs returns n distinct free loopback addresses, holding each port
// until all are chosen.
func freeAddrs(t testing.TB, n int) []string {
	t.Helper()
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
