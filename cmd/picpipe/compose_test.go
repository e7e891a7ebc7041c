package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"picpipe/internal/testenv"
	"picpipe/storage/s3store"
)

// The compose file is checked by loading it the way Docker Compose does
// (compose-go's loader: interpolation, schema validation, consistency), with
// no Docker engine: what it asserts is what would otherwise only show on a
// real `docker compose up` — or, worse, on a second host. compose-go is
// held at v2.16.2: v2.17.0's go.mod wants go >= 1.26.11, newer than the
// Go these machines build with (1.26.8, GOTOOLCHAIN=local).

const composeFile = "../../docker-compose.yml"

// composeEnv is what an operator exports before `docker compose up`: the
// variables the file requires (${VAR:?…}) and nothing else.
func composeEnv() map[string]string {
	return map[string]string{
		"S3_ACCESS_KEY": "compose-test",
		"S3_SECRET_KEY": "compose-test-secret",
	}
}

func loadCompose(ctx context.Context, vars map[string]string) (*types.Project, error) {
	var environ []string
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	abs, err := filepath.Abs(composeFile)
	if err != nil {
		return nil, err
	}
	opts, err := cli.NewProjectOptions([]string{abs},
		cli.WithName("picpipe"),
		cli.WithWorkingDirectory(filepath.Dir(abs)),
		cli.WithEnv(environ), // no OS environment, no .env file: only vars
	)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(ctx)
}

func mustLoadCompose(t *testing.T) *types.Project {
	t.Helper()
	p, err := loadCompose(context.Background(), composeEnv())
	if err != nil {
		t.Fatalf("load %s: %v", composeFile, err)
	}
	return p
}

// picpipeServices are the services that run the picpipe image.
func picpipeServices(t *testing.T, p *types.Project) map[string]types.ServiceConfig {
	t.Helper()
	root, _ := filepath.Abs("../..")
	out := map[string]types.ServiceConfig{}
	for name, s := range p.Services {
		if s.Build != nil && filepath.Clean(s.Build.Context) == root || strings.HasPrefix(s.Image, "picpipe:") {
			out[name] = s
		}
	}
	if len(out) == 0 {
		t.Fatal("no service runs the picpipe image")
	}
	return out
}

// envSettings returns every environment variable the config struct
// reads, by reflection over its env tags (nested structs and envPrefix
// included), with the struct field that holds it.
func envSettings() map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if name, ok := f.Tag.Lookup("env"); ok && strings.Split(name, ",")[0] != "" {
				out[prefix+strings.Split(name, ",")[0]] = f
				continue
			}
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && f.IsExported() && ft != reflect.TypeOf(time.Time{}) {
				walk(ft, prefix+f.Tag.Get("envPrefix"))
			}
		}
	}
	walk(reflect.TypeOf(config{}), "")
	return out
}

// settingValue parses vars into the config struct with the library
// picpipe uses, and returns the parsed value of the setting named.
func settingValue(t *testing.T, vars map[string]string, name string) reflect.Value {
	t.Helper()
	var c config
	if err := env.ParseWithOptions(&c, env.Options{Environment: vars}); err != nil {
		t.Fatalf("parse %v: %v", vars, err)
	}
	var find func(v reflect.Value, prefix string) (reflect.Value, bool)
	find = func(v reflect.Value, prefix string) (reflect.Value, bool) {
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if tag, ok := f.Tag.Lookup("env"); ok && prefix+strings.Split(tag, ",")[0] == name {
				return v.Field(i), true
			}
			if f.Type.Kind() == reflect.Struct && f.IsExported() {
				if r, ok := find(v.Field(i), prefix+f.Tag.Get("envPrefix")); ok {
					return r, true
				}
			}
		}
		return reflect.Value{}, false
	}
	r, ok := find(reflect.ValueOf(c), "")
	if !ok {
		t.Fatalf("no setting %s in config", name)
	}
	return r
}

// serviceEnv is a service's environment as the container gets it.
func serviceEnv(t *testing.T, name string, s types.ServiceConfig) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range s.Environment {
		if v == nil {
			t.Errorf("%s: %s has no value (it would be taken from the host running compose)", name, k)
			continue
		}
		out[k] = *v
	}
	return out
}

// The binary, built once, and the commands its help lists.
var picpipeBin struct {
	once     sync.Once
	path     string
	commands []string
	err      error
	out      string
}

// picpipeCommands builds picpipe and returns the commands `picpipe help`
// lists — whatever parses the command line, flags by hand or cobra.
func picpipeCommands(t *testing.T) (bin string, commands []string) {
	t.Helper()
	b := &picpipeBin
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "picpipe-compose-test")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "picpipe")
		out, err := exec.Command("go", "build", "-o", b.path, ".").CombinedOutput()
		if err != nil {
			b.err, b.out = err, string(out)
			return
		}
		cmd := exec.Command(b.path, "help")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "PICPIPE_DATA_DIR=" + dir}
		out, err = cmd.CombinedOutput()
		if err != nil {
			b.err, b.out = err, string(out)
			return
		}
		// A command is a line of the help that starts with two spaces and
		// a lower-case word (both the hand-made usage and cobra's
		// "Available Commands" list them so); cobra's usage line
		// "  picpipe [command]" is the binary, not a command.
		for _, m := range regexp.MustCompile(`(?m)^  ([a-z][a-z0-9-]*)(?:\s|$)`).FindAllStringSubmatch(string(out), -1) {
			if m[1] != "picpipe" && !slices.Contains(b.commands, m[1]) {
				b.commands = append(b.commands, m[1])
			}
		}
		b.out = string(out)
	})
	if b.err != nil {
		t.Fatalf("picpipe: %v\n%s", b.err, b.out)
	}
	for _, want := range []string{"api", "worker", "scheduler", "migrate", "healthcheck"} {
		if !slices.Contains(b.commands, want) {
			t.Fatalf("`picpipe help` lists %v, not %q; its output:\n%s", b.commands, want, b.out)
		}
	}
	return b.path, b.commands
}

func TestMain(m *testing.M) {
	code := m.Run()
	if picpipeBin.path != "" {
		os.RemoveAll(filepath.Dir(picpipeBin.path))
	}
	os.Exit(code)
}

// TestComposeLoads: the file loads and validates with the variables it
// requires, and refuses to load without them rather than start a store
// with empty credentials.
func TestComposeLoads(t *testing.T) {
	p := mustLoadCompose(t)
	for _, want := range []string{"redis", "postgres", "migrate", "api", "worker", "scheduler"} {
		if _, ok := p.Services[want]; !ok {
			t.Errorf("no service %q", want)
		}
	}
	for v := range composeEnv() {
		vars := composeEnv()
		delete(vars, v)
		if _, err := loadCompose(context.Background(), vars); err == nil || !strings.Contains(err.Error(), v) {
			t.Errorf("loaded without %s (err %v); want an error naming it", v, err)
		}
	}
}

// TestComposeNoSharedVolume: no volume or host directory is mounted by two
// services, and the picpipe roles mount none at all — they are stateless,
// so they can run on any host.
func TestComposeNoSharedVolume(t *testing.T) {
	p := mustLoadCompose(t)
	mountedBy := map[string][]string{}
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Source != "" && (v.Type == types.VolumeTypeVolume || v.Type == types.VolumeTypeBind) {
				mountedBy[v.Type+":"+v.Source] = append(mountedBy[v.Type+":"+v.Source], name)
			}
		}
	}
	for src, names := range mountedBy {
		if len(names) > 1 {
			slices.Sort(names)
			t.Errorf("%s is mounted by %v: every service must be able to run on a host of its own", src, names)
		}
	}
	for name, s := range picpipeServices(t, p) {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeTmpfs {
				t.Errorf("%s mounts %s %s at %s: picpipe roles keep nothing on local disk", name, v.Type, v.Source, v.Target)
			}
		}
	}
}

// TestComposeSettings: every PICPIPE_* variable given to a picpipe
// service is one the binary reads, and its value parses as the binary
// parses it; the blobs are in the object store of this file, with
// credentials; all roles share one database, one Redis and one store.
func TestComposeSettings(t *testing.T) {
	p := mustLoadCompose(t)
	settings := envSettings()
	for _, want := range []string{"PICPIPE_STORAGE_URL", "PICPIPE_DATABASE_URL", "PICPIPE_REDIS_URL", "PICPIPE_WORKER_CONCURRENCY"} {
		if _, ok := settings[want]; !ok {
			t.Fatalf("config has no setting %s: envSettings reads the struct wrongly", want)
		}
	}
	shared := map[string]map[string][]string{} // setting → value → services
	for name, s := range picpipeServices(t, p) {
		vars := serviceEnv(t, name, s)
		for k, v := range vars {
			if !strings.HasPrefix(k, "PICPIPE_") {
				continue
			}
			if _, ok := settings[k]; !ok {
				t.Errorf("%s: %s is not a picpipe setting (misspelt? the config struct has no env tag for it)", name, k)
			}
			switch k {
			case "PICPIPE_STORAGE_URL", "PICPIPE_DATABASE_URL", "PICPIPE_REDIS_URL":
				if shared[k] == nil {
					shared[k] = map[string][]string{}
				}
				shared[k][v] = append(shared[k][v], name)
			}
		}
		// Durations, numbers, lists: parsed by the same library, into the
		// same struct, as the binary does.
		var c config
		if err := env.ParseWithOptions(&c, env.Options{Environment: vars}); err != nil {
			t.Errorf("%s: its environment does not parse: %v", name, err)
		}

		if _, ok := vars["PICPIPE_STORAGE_DIR"]; ok {
			t.Errorf("%s sets PICPIPE_STORAGE_DIR: blobs belong in the object store", name)
		}
		raw, ok := vars["PICPIPE_STORAGE_URL"]
		if !ok {
			t.Errorf("%s has no PICPIPE_STORAGE_URL: it would keep blobs on its own disk", name)
			continue
		}
		cfg, err := s3store.ParseURL(raw)
		if err != nil {
			t.Errorf("%s: PICPIPE_STORAGE_URL: %v", name, err)
			continue
		}
		if cfg.AccessKey == "" && (vars["AWS_ACCESS_KEY_ID"] == "" || vars["AWS_SECRET_ACCESS_KEY"] == "") {
			t.Errorf("%s: no S3 credentials, in the store URL or in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", name)
		}
		if cfg.AccessKey == "" && (vars["AWS_ACCESS_KEY_ID"] != composeEnv()["S3_ACCESS_KEY"] || vars["AWS_SECRET_ACCESS_KEY"] != composeEnv()["S3_SECRET_KEY"]) {
			t.Errorf("%s: its S3 credentials are not the object store's (S3_ACCESS_KEY, S3_SECRET_KEY)", name)
		}
		if cfg.Endpoint == "" {
			t.Errorf("%s: PICPIPE_STORAGE_URL has no endpoint: it would go to AWS", name)
		}
		// Every address a role dials is a service of this file.
		for _, k := range []string{"PICPIPE_DATABASE_URL", "PICPIPE_REDIS_URL"} {
			checkServiceURL(t, p, name, k, vars[k])
		}
		checkServiceURL(t, p, name, "PICPIPE_STORAGE_URL endpoint", cfg.Endpoint)
	}
	for k, values := range shared {
		if len(values) > 1 {
			t.Errorf("the picpipe services disagree on %s: %v", k, values)
		}
	}
}

// checkServiceURL wants raw to be a URL whose host is a service of p that
// listens on its port.
func checkServiceURL(t *testing.T, p *types.Project, service, what, raw string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		t.Errorf("%s: %s %q is not a URL with a host", service, what, raw)
		return
	}
	target, ok := p.Services[u.Hostname()]
	if !ok {
		t.Errorf("%s: %s names host %q, which is no service of the file", service, what, u.Hostname())
		return
	}
	if len(target.Ports) > 0 && u.Port() != "" {
		port, _ := strconv.Atoi(u.Port())
		if !slices.ContainsFunc(target.Ports, func(pc types.ServicePortConfig) bool { return int(pc.Target) == port }) {
			t.Errorf("%s: %s dials %s, but %s publishes %v", service, what, u.Host, u.Hostname(), target.Ports)
		}
	}
}

// TestComposeRoles: each picpipe service runs a real picpipe command;
// every role waits for the migrations, and those that use the store for
// its bucket; exactly one scheduler; the scalable roles can be scaled;
// the stop grace periods outlast the shutdown timeouts; Redis keeps its
// work.
func TestComposeRoles(t *testing.T) {
	p := mustLoadCompose(t)
	_, commands := picpipeCommands(t)
	services := picpipeServices(t, p)
	byRole := map[string][]string{}
	for name, s := range services {
		if len(s.Command) == 0 {
			t.Errorf("%s has no command: it would run the image's default (serve), a whole stack of its own", name)
			continue
		}
		role := s.Command[0]
		if !slices.Contains(commands, role) {
			t.Errorf("%s runs `picpipe %s`, which is no picpipe command (there are %v)", name, strings.Join(s.Command, " "), commands)
		}
		byRole[role] = append(byRole[role], name)
	}
	for _, role := range []string{"migrate", "api", "worker", "scheduler", "dashboard"} {
		if len(byRole[role]) != 1 {
			t.Errorf("%d services run %q (%v); want one", len(byRole[role]), role, byRole[role])
		}
	}
	if n := len(byRole["scheduler"]) + len(byRole["serve"]); n != 1 {
		t.Errorf("%d services run a scheduler (scheduler %v, serve %v); want exactly one", n, byRole["scheduler"], byRole["serve"])
	}
	for _, name := range append(byRole["scheduler"], byRole["serve"]...) {
		s := services[name]
		if s.GetScale() != 1 {
			t.Errorf("%s is scaled to %d: asynq's scheduler has no leader election, run exactly one", name, s.GetScale())
		}
	}
	// api and worker scale with --scale: no fixed container name, and no
	// host port two replicas would fight over (the api's is a variable
	// that takes a range).
	for _, role := range []string{"api", "worker"} {
		for _, name := range byRole[role] {
			if services[name].ContainerName != "" {
				t.Errorf("%s has container_name %q: it could not be scaled", name, services[name].ContainerName)
			}
		}
	}
	for _, name := range byRole["worker"] {
		if len(services[name].Ports) > 0 {
			t.Errorf("%s publishes %v: a second worker could not bind it", name, services[name].Ports)
		}
	}
	vars := composeEnv()
	vars["API_PORTS"] = "8080-8083"
	scaled, err := loadCompose(context.Background(), vars)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range byRole["api"] {
		if ports := scaled.Services[name].Ports; len(ports) != 1 || ports[0].Published != "8080-8083" {
			t.Errorf("with API_PORTS=8080-8083, %s publishes %+v; want the range, so that --scale %s=4 can bind", name, ports, name)
		}
	}

	// The roles that dial PostgreSQL wait for the migrations, which wait
	// for PostgreSQL; those that open the store wait for its bucket.
	for _, name := range byRole["migrate"] {
		if !dependsOn(services[name], "postgres", types.ServiceConditionHealthy) {
			t.Errorf("%s does not wait for postgres to be healthy", name)
		}
	}
	for name, s := range services {
		if slices.Contains(byRole["migrate"], name) {
			continue
		}
		for _, m := range byRole["migrate"] {
			if !dependsOn(s, m, types.ServiceConditionCompletedSuccessfully) {
				t.Errorf("%s does not wait for %s to complete successfully", name, m)
			}
		}
	}
	store := storeService(t, p)
	for _, role := range []string{"api", "worker", "scheduler"} {
		for _, name := range byRole[role] {
			if !waitsForBucket(p, services[name], store) {
				t.Errorf("%s does not wait for a one-shot service that creates the bucket once %s is healthy", name, store)
			}
		}
	}
	// A healthy condition on a service without a health check never holds.
	for name, s := range p.Services {
		for dep, d := range s.DependsOn {
			if d.Condition == types.ServiceConditionHealthy && p.Services[dep].HealthCheck == nil {
				t.Errorf("%s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
			}
		}
	}

	// On SIGTERM, Docker waits stop_grace_period before SIGKILL: it must
	// outlast the drain the role is configured for.
	for setting, role := range map[string]string{"PICPIPE_WORKER_SHUTDOWN_TIMEOUT": "worker", "PICPIPE_API_SHUTDOWN_TIMEOUT": "api"} {
		for _, name := range byRole[role] {
			s := services[name]
			d := time.Duration(settingValue(t, serviceEnv(t, name, s), setting).Int())
			if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) <= d {
				t.Errorf("%s: stop_grace_period %v does not outlast %s (%v): running work would be killed", name, s.StopGracePeriod, setting, d)
			}
		}
	}

	redis := strings.Join(p.Services["redis"].Command, " ")
	for _, want := range []string{"--appendonly yes", "--maxmemory-policy noeviction"} {
		if !strings.Contains(redis, want) {
			t.Errorf("redis runs %q, without %q", redis, want)
		}
	}
}

func dependsOn(s types.ServiceConfig, dep, condition string) bool {
	d, ok := s.DependsOn[dep]
	return ok && d.Condition == condition
}

// storeService is the service PICPIPE_STORAGE_URL's endpoint names.
func storeService(t *testing.T, p *types.Project) string {
	t.Helper()
	for name, s := range picpipeServices(t, p) {
		if v := s.Environment["PICPIPE_STORAGE_URL"]; v != nil {
			cfg, err := s3store.ParseURL(*v)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			u, _ := url.Parse(cfg.Endpoint)
			return u.Hostname()
		}
	}
	t.Fatal("no picpipe service has PICPIPE_STORAGE_URL")
	return ""
}

// waitsForBucket: s waits for a one-shot service to complete, which
// itself waits for the store to be healthy.
func waitsForBucket(p *types.Project, s types.ServiceConfig, store string) bool {
	for dep, d := range s.DependsOn {
		if d.Condition != types.ServiceConditionCompletedSuccessfully {
			continue
		}
		if dependsOn(p.Services[dep], store, types.ServiceConditionHealthy) && p.Services[dep].Restart == types.RestartPolicyNo {
			return true
		}
	}
	return false
}

// TestComposeHealthchecks runs each picpipe service's health check, as
// the file writes it, with the binary: against a server answering 200 and
// one answering 503 (the HTTP checks), and against a real Redis and a
// database the migrate service's command made, then no Redis (--deps).
func TestComposeHealthchecks(t *testing.T) {
	p := mustLoadCompose(t)
	bin, commands := picpipeCommands(t)
	status := 200
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
	}))
	defer srv.Close()
	setStatus := func(s int) { mu.Lock(); status = s; mu.Unlock() }
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	redisURL := testenv.Redis(t)
	services := picpipeServices(t, p)
	run := func(vars map[string]string, args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "PICPIPE_DATA_DIR=" + t.TempDir()}
		for k, v := range vars {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	// The database the --deps checks ping is made by the migrate
	// service's own command, on SQLite instead of PostgreSQL.
	database := "sqlite://" + filepath.Join(t.TempDir(), "picpipe.db")
	migrated := false
	for name, s := range services {
		if len(s.Command) > 0 && s.Command[0] == "migrate" {
			vars := serviceEnv(t, name, s)
			vars["PICPIPE_DATABASE_URL"] = database
			if out, err := run(vars, s.Command...); err != nil {
				t.Fatalf("%s: picpipe %s: %v\n%s", name, strings.Join(s.Command, " "), err, out)
			}
			migrated = true
		}
	}
	if !migrated {
		t.Fatal("no service runs picpipe migrate")
	}

	sawAPI := false
	for name, s := range services {
		if s.HealthCheck == nil || s.HealthCheck.Disable {
			if s.Restart != types.RestartPolicyNo {
				t.Errorf("%s, a long-running role, has no healthcheck", name)
			}
			continue
		}
		if len(s.Command) > 0 && s.Command[0] == "api" {
			sawAPI = true
		}
		test := []string(s.HealthCheck.Test)
		if len(test) < 3 || test[0] != "CMD" || test[1] != "picpipe" || !slices.Contains(commands, test[2]) {
			t.Errorf("%s: healthcheck %q is not [CMD picpipe <command> …] with a picpipe command (%v)", name, test, commands)
			continue
		}
		vars := serviceEnv(t, name, s)
		args := slices.Clone(test[2:])
		deps := slices.Contains(args, "--deps")
		if deps {
			vars["PICPIPE_DATABASE_URL"] = database
			vars["PICPIPE_REDIS_URL"] = redisURL
		} else {
			// The check dials this host: the container's own port, or the
			// URL it names, is moved to the test server's.
			vars["PICPIPE_ADDR"] = ":" + port
			for i, a := range args {
				if u, err := url.Parse(a); err == nil && u.Host != "" {
					u.Host = "127.0.0.1:" + port
					args[i] = u.String()
				}
			}
		}
		setStatus(200)
		if out, err := run(vars, args...); err != nil {
			t.Errorf("%s: healthcheck %q fails on a healthy service: %v\n%s", name, test, err, out)
		}
		if deps {
			vars["PICPIPE_REDIS_URL"] = "redis://127.0.0.1:1/0"
		} else {
			setStatus(503)
		}
		if out, err := run(vars, args...); err == nil {
			t.Errorf("%s: healthcheck %q passes on an unhealthy service\n%s", name, test, out)
		}
	}
	if !sawAPI {
		t.Error("no api service with a healthcheck")
	}
}

// TestComposeDockerfile: the image the picpipe services build is picpipe
// itself: the Dockerfile the build context holds compiles cmd/picpipe
// with a Go at least as new as go.mod wants, puts it on PATH (the health
// checks call `picpipe`) and makes it the entrypoint (commands are its
// arguments).
func TestComposeDockerfile(t *testing.T) {
	p := mustLoadCompose(t)
	for name, s := range picpipeServices(t, p) {
		if s.Build == nil {
			t.Errorf("%s has no build: the image picpipe:latest would have to exist already", name)
			continue
		}
		df := s.Build.Dockerfile
		if df == "" {
			df = "Dockerfile"
		}
		if _, err := os.Stat(filepath.Join(s.Build.Context, df)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := string(b)
	build := regexp.MustCompile(`(?m)go build .*-o (\S+) \./cmd/picpipe\s*$`).FindStringSubmatch(dockerfile)
	if build == nil {
		t.Fatalf("the Dockerfile does not `go build -o … ./cmd/picpipe`:\n%s", dockerfile)
	}
	if !regexp.MustCompile(`(?m)^COPY --from=\S+ ` + regexp.QuoteMeta(build[1]) + ` /usr/(local/)?bin/picpipe\s*$`).MatchString(dockerfile) {
		t.Errorf("the Dockerfile does not copy %s to /usr/local/bin/picpipe", build[1])
	}
	if !regexp.MustCompile(`(?m)^ENTRYPOINT \["(/usr/local/bin/)?picpipe"\]`).MatchString(dockerfile) {
		t.Error(`the Dockerfile's ENTRYPOINT is not ["picpipe"]: compose's commands would not be picpipe's`)
	}
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindStringSubmatch(string(mod))
	have := regexp.MustCompile(`(?m)^FROM golang:(\d+)\.(\d+)`).FindStringSubmatch(dockerfile)
	if want == nil || have == nil {
		t.Fatalf("go.mod's go line %q, the Dockerfile's golang image %q", want, have)
	}
	if atoi(have[1]) < atoi(want[1]) || atoi(have[1]) == atoi(want[1]) && atoi(have[2]) < atoi(want[2]) {
		t.Errorf("the Dockerfile builds with golang:%s.%s, go.mod wants go %s.%s", have[1], have[2], want[1], want[2])
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
