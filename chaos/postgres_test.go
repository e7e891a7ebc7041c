package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
)

// postgres is a PostgreSQL cluster owned by one test, on a free loopback
// port, trusting local connections. As root its files belong to the
// postgres user and its programs run through runuser: PostgreSQL refuses
// to run as root.
type postgres struct {
	bindir string
	dir    string // owned by the cluster's user: data/, the log, the socket
	port   int
	url    string
}

// startPostgres starts a cluster, a copy of one made by initdb once per
// test binary, and removes it when the test ends.
func startPostgres(t testing.TB) *postgres {
	t.Helper()
	tpl := clusterTemplate(t)
	pg := &postgres{bindir: tpl.bindir, port: freePort(t)}
	// Not under t.TempDir: the postgres user must reach it, and the
	// socket path must stay short.
	dir, err := newClusterDir()
	if err != nil {
		t.Fatal(err)
	}
	pg.dir = dir
	t.Cleanup(func() {
		pg.ctl("-m", "immediate", "stop").Run()
		os.RemoveAll(dir)
	})
	if out, err := exec.Command("cp", "-a", tpl.data(), pg.data()).CombinedOutput(); err != nil {
		t.Fatalf("copy the cluster template: %v\n%s", err, out)
	}
	pg.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
	if err := pg.start(); err != nil {
		t.Fatal(err)
	}
	return pg
}

var template struct {
	once sync.Once
	pg   *postgres
	err  error
}

// clusterTemplate runs initdb once per test binary; TestMain removes it.
func clusterTemplate(t testing.TB) *postgres {
	t.Helper()
	template.once.Do(func() {
		pg := &postgres{bindir: postgresBindir(t)}
		if pg.dir, template.err = newClusterDir(); template.err != nil {
			return
		}
		template.pg = pg
		initdb := pg.asOwner(filepath.Join(pg.bindir, "initdb"), "-D", pg.data(), "-U", "postgres",
			"--auth=trust", "-E", "UTF8", "--no-sync")
		if out, err := initdb.CombinedOutput(); err != nil {
			template.err = fmt.Errorf("initdb: %v\n%s", err, out)
		}
	})
	if template.err != nil {
		t.Fatal(template.err)
	}
	return template.pg
}

// newClusterDir makes a directory for a cluster, owned by the postgres
// user when running as root.
func newClusterDir() (string, error) {
	dir, err := os.MkdirTemp("", "picpipe-chaos-pg")
	if err != nil {
		return "", err
	}
	if os.Getuid() != 0 {
		return dir, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return dir, fmt.Errorf("running as root needs the postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return dir, os.Chown(dir, uid, gid)
}

// postgresBindir finds the newest installed PostgreSQL server.
func postgresBindir(t testing.TB) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	t.Fatal("PostgreSQL server not installed under /usr/lib/postgresql (make test installs it)")
	return ""
}

func version(bindir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(bindir)))
	return v
}

func (pg *postgres) data() string { return filepath.Join(pg.dir, "data") }

// logPath is the server's log.
func (pg *postgres) logPath() string { return filepath.Join(pg.dir, "postgres.log") }

// asOwner runs a PostgreSQL program as the cluster's owner.
func (pg *postgres) asOwner(name string, args ...string) *exec.Cmd {
	if os.Getuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

func (pg *postgres) ctl(args ...string) *exec.Cmd {
	return pg.asOwner(filepath.Join(pg.bindir, "pg_ctl"), append([]string{"-D", pg.data()}, args...)...)
}

// start starts the server and waits until it accepts connections.
func (pg *postgres) start() error {
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c max_connections=100", pg.port, pg.dir)
	if out, err := pg.ctl("-w", "-t", "60", "-l", pg.logPath(), "-o", opts, "start").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl start: %v\n%s", err, out)
	}
	return nil
}

// stop shuts the server down (fast: clients are disconnected) and
// returns when it is gone.
func (pg *postgres) stop() error {
	if out, err := pg.ctl("-w", "-t", "60", "-m", "fast", "stop").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}
