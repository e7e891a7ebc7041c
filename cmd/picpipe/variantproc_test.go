package main

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"picpipe/worker"
)

// TestVariantProcess: serve runs its variant pool in a child "picpipe
// worker" that encodes on threads at PICPIPE_VARIANT_NICE, while its
// other threads and serve's keep theirs; the child makes the AVIF of an upload, which
// serve's /metrics counts, is started again when it dies, and ends when
// serve is killed.
func TestVariantProcess(t *testing.T) {
	sv := serveWithKey(t, "PICPIPE_VARIANT_NICE=17", "PICPIPE_ADMIN_TOKEN=admin-token-of-the-test")
	started := func(pools string, n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for strings.Count(sv.logs.String(), `msg="worker started" pools=`+pools+" ") < n {
			if time.Now().After(deadline) {
				t.Fatalf("not %d workers started with pools %s", n, pools)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	started("images,webhooks", 1)
	started(worker.PoolVariants.String(), 1)
	if !regexp.MustCompile(`pools=` + worker.PoolVariants.String() + ` .*variants_give_way=true`).MatchString(sv.logs.String()) {
		t.Fatalf("the variant process's variants do not give way to serve's image pool: %s", sv.logs.String())
	}
	child := variantChild(t, sv.cmd.Process.Pid, 0)
	if got := slices.Concat(slices.Collect(maps.Values(threadNices(t, sv.cmd.Process.Pid)))...); !allEqual(got, 0) {
		t.Fatalf("serve's own threads have nice %v; want 0 each", got)
	}

	// avifMade uploads file and waits for its AVIF; the variant process
	// encodes it on threads at PICPIPE_VARIANT_NICE (libvips's), its
	// other threads (its commits among them) keep serve's priority.
	avifMade := func(file string) {
		t.Helper()
		res := upload(t, "http://"+sv.addr+"/v1/images", sv.key.Key, "../../imaging/testdata/"+file)
		var img struct{ ID string }
		if err := json.NewDecoder(res.Body).Decode(&img); err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("upload = %d, %v", res.StatusCode, err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			req, _ := http.NewRequest("GET", "http://"+sv.addr+"/v1/images/"+img.ID, nil)
			req.Header.Set("Authorization", "Bearer "+sv.key.Key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Variants map[string]struct{ Status string }
			}
			json.NewDecoder(res.Body).Decode(&got)
			res.Body.Close()
			if s := got.Variants["avif"].Status; s == "ready" {
				return
			} else if s == "failed" || time.Now().After(deadline) {
				t.Fatalf("the AVIF variant is %q", s)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	encodedNiced := func(pid int) {
		t.Helper()
		got := threadNices(t, pid)
		if len(got["libvips worker"]) == 0 || !allEqual(got["libvips worker"], 17) {
			t.Fatalf("the variant process's libvips threads have nice %v; want 17 each (all: %v)", got["libvips worker"], got)
		}
		for name, nices := range got {
			if name != "libvips worker" && !allEqual(nices, 0) {
				t.Fatalf("the variant process's threads %q have nice %v; want 0 each", name, nices)
			}
		}
	}
	avifMade("photo.jpg")
	encodedNiced(child)
	// The child counts the task once its handler has returned, just
	// after the variant is recorded ready.
	for _, series := range []string{
		`picpipe_tasks_total{pool="variants",result="ok",type="image:avif"} 1`, // the child's
		`picpipe_tasks_total{result="ok",type="image:process"} 1`,              // serve's own
	} {
		deadline := time.Now().Add(10 * time.Second)
		for {
			req, _ := http.NewRequest("GET", "http://"+sv.addr+"/metrics", nil)
			req.Header.Set("Authorization", "Bearer admin-token-of-the-test")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if strings.Contains(string(metrics), series+"\n") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET /metrics = %d, without %s:\n%s", res.StatusCode, series, metrics)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// killed, it is started again
	syscall.Kill(child, syscall.SIGKILL)
	started(worker.PoolVariants.String(), 2)
	again := variantChild(t, sv.cmd.Process.Pid, child)
	avifMade("progressive.jpg")
	encodedNiced(again)

	// serve killed, the kernel stops its child
	sv.cmd.Process.Kill()
	<-sv.done
	deadline := time.Now().Add(30 * time.Second)
	for alive(again) {
		if time.Now().After(deadline) {
			syscall.Kill(again, syscall.SIGKILL)
			t.Fatal("the variant process outlived serve by 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// variantChild waits for the picpipe worker child of pid other than
// not, and returns its pid.
func variantChild(t *testing.T, pid, not int) int {
	t.Helper()
	exe, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	deadline := time.Now().Add(30 * time.Second)
	for {
		tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
		for _, f := range tasks {
			b, _ := os.ReadFile(f)
			for _, c := range strings.Fields(string(b)) {
				cpid, _ := strconv.Atoi(c)
				cexe, _ := os.Readlink("/proc/" + c + "/exe")
				args, _ := os.ReadFile("/proc/" + c + "/cmdline")
				if cpid != not && cexe == exe && string(args) == exe+"\x00worker\x00" {
					return cpid
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no variant process under %d", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// threadNices is the nice values of the threads of pid, by name.
func threadNices(t *testing.T, pid int) map[string][]int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*")
	m := map[string][]int{}
	for _, d := range dirs {
		comm, err1 := os.ReadFile(d + "/comm")
		b, err2 := os.ReadFile(d + "/stat")
		if err1 != nil || err2 != nil {
			continue // the thread ended
		}
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		n, _ := strconv.Atoi(fields[19-3])
		name := strings.TrimSpace(string(comm))
		m[name] = append(m[name], n)
	}
	return m
}

func allEqual(xs []int, v int) bool {
	for _, x := range xs {
		if x != v {
			return false
		}
	}
	return len(xs) > 0
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	return fields[0] != "Z"
}
