package chaos

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// result is what one run of one fault measured.
type result struct {
	fault    string
	run      int
	recovery time.Duration // fault's end → every acknowledged upload final
	timedOut bool          // some upload was not final within the bound
	acked    int
	ready    int
	failed   int
	lost     int
	check    string    // outcome of picpipe check
	drained  time.Time // when the queues were seen dry of image work after the fault (zero: not within the settle time)
	passed   bool
	notes    []string
}

// report gathers the results of every fault and prints them as a table.
type report struct {
	runs    int
	mu      sync.Mutex
	order   []string
	results map[string][]result
	skipped map[string]string
}

func newReport(runs int) *report {
	return &report{runs: runs, results: map[string][]result{}, skipped: map[string]string{}}
}

func (r *report) add(res result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen(res.fault)
	r.results[res.fault] = append(r.results[res.fault], res)
}

func (r *report) skip(fault, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen(fault)
	r.skipped[fault] = strings.Join(strings.Fields(reason), " ") // one table row
}

func (r *report) seen(fault string) {
	if !slices.Contains(r.order, fault) {
		r.order = append(r.order, fault)
	}
}

// emit logs the table and writes it to $PICPIPE_CHAOS_REPORT when set.
func (r *report) emit(t *testing.T) {
	table := r.table()
	t.Log("\n" + table)
	if path := os.Getenv("PICPIPE_CHAOS_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
			t.Errorf("PICPIPE_CHAOS_REPORT: %v", err)
		}
	}
}

// table renders the results as Markdown: one row per fault, then the
// notes of each run.
func (r *report) table() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "picpipe fault suite, %s, %d run(s) per fault; recovery = the fault's end (or the kill) → every acknowledged upload ready or failed\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), r.runs)
	b.WriteString("| fault | recovery (median) | recovery per run | acknowledged | ready / failed | lost | picpipe check | result |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, f := range r.order {
		if reason, ok := r.skipped[f]; ok {
			fmt.Fprintf(&b, "| %s | — | — | — | — | — | — | skipped: %s |\n", f, reason)
			continue
		}
		b.WriteString(row(f, r.results[f]))
	}
	for _, f := range r.order {
		for _, res := range r.results[f] {
			for _, n := range res.notes {
				fmt.Fprintf(&b, "\n- %s, run %d: %s", f, res.run, strings.ReplaceAll(n, "\n", " "))
			}
		}
	}
	b.WriteString("\n")
	return b.String()
}

func row(fault string, rs []result) string {
	slices.SortFunc(rs, func(a, b result) int { return a.run - b.run })
	var per, acked, rf, lost, check []string
	pass := 0
	for _, res := range rs {
		per = append(per, recoveryString(res))
		acked = append(acked, fmt.Sprint(res.acked))
		rf = append(rf, fmt.Sprintf("%d / %d", res.ready, res.failed))
		lost = append(lost, fmt.Sprint(res.lost))
		check = append(check, orDash(res.check))
		if res.passed {
			pass++
		}
	}
	verdict := "pass"
	if pass < len(rs) {
		verdict = fmt.Sprintf("FAIL (%d of %d runs failed)", len(rs)-pass, len(rs))
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", fault, median(rs),
		strings.Join(per, ", "), strings.Join(acked, ", "), strings.Join(rf, ", "),
		strings.Join(lost, ", "), strings.Join(check, ", "), verdict)
}

// median is the median recovery; a run that timed out counts as longer
// than any other.
func median(rs []result) string {
	if len(rs) == 0 {
		return "—"
	}
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b result) int {
		if a.timedOut != b.timedOut {
			if a.timedOut {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.recovery, b.recovery)
	})
	return recoveryString(s[(len(s)-1)/2])
}

func recoveryString(res result) string {
	switch {
	case res.timedOut:
		return fmt.Sprintf("> %v (bound)", res.recovery)
	case res.acked == 0:
		return "— (none acknowledged)"
	}
	return fmt.Sprintf("%.1f s", res.recovery.Seconds())
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
