package db_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"picpipe/db"
	"picpipe/internal/testenv"
)

func TestAgents(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u, other := newUser(t, d), newUser(t, d)
		a, err := d.CreateAgent(ctx, "FastGPT", u.ID, []string{"192.0.2.0/24", "2001:db8::1"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != "fastgpt" || a.AllowedIPs != "192.0.2.0/24,2001:db8::1/128" || !strings.HasPrefix(a.ID, db.PrefixAgent) {
			t.Fatalf("CreateAgent = %+v; want fastgpt with the canonical allow-list", a)
		}
		for _, name := range []string{"fastgpt", "FASTGPT", "FastGPT"} {
			got, err := d.AgentByName(ctx, name)
			if err != nil || got.ID != a.ID || got.UserID != u.ID || got.AllowedIPs != a.AllowedIPs || got.LastUsedAt != nil {
				t.Fatalf("AgentByName(%q) = %+v, %v; want %+v", name, got, err, a)
			}
		}
		for _, name := range []string{"dify", "fastgpt2", "", "fast gpt", strings.Repeat("a", 65)} {
			if _, err := d.AgentByName(ctx, name); !errors.Is(err, db.ErrAgentNotFound) {
				t.Errorf("AgentByName(%q) = %v; want ErrAgentNotFound", name, err)
			}
		}
		if _, err := d.CreateAgent(ctx, "fastGPT", other.ID, nil, 11); !errors.Is(err, db.ErrAgentExists) {
			t.Fatalf("CreateAgent of a taken name = %v; want ErrAgentExists", err)
		}
		if _, err := d.CreateAgent(ctx, "dify", "usr_nope", nil, 11); !errors.Is(err, db.ErrUserNotFound) {
			t.Fatalf("CreateAgent for an unknown user = %v; want ErrUserNotFound", err)
		}
		if _, err := d.CreateAgent(ctx, "dify", other.ID, nil, 12); err != nil {
			t.Fatal(err)
		}
		if _, err := d.CreateAgent(ctx, "coze", u.ID, nil, 13); err != nil {
			t.Fatal(err)
		}
		for user, want := range map[string][]string{u.ID: {"coze", "fastgpt"}, other.ID: {"dify"}, "": {"coze", "dify", "fastgpt"}} {
			agents, err := d.ListAgents(ctx, user)
			if got := agentNames(agents); err != nil || !slices.Equal(got, want) {
				t.Errorf("ListAgents(%q) = %v, %v; want %v", user, got, err, want)
			}
		}
		if err := d.RemoveAgent(ctx, "FASTGPT"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.AgentByName(ctx, "fastgpt"); !errors.Is(err, db.ErrAgentNotFound) {
			t.Fatalf("AgentByName after RemoveAgent = %v; want ErrAgentNotFound", err)
		}
		if err := d.RemoveAgent(ctx, "fastgpt"); !errors.Is(err, db.ErrAgentNotFound) {
			t.Fatalf("second RemoveAgent = %v; want ErrAgentNotFound", err)
		}
		if _, err := d.CreateAgent(ctx, "fastgpt", other.ID, nil, 14); err != nil {
			t.Fatalf("CreateAgent of a removed name = %v; want it registered again", err)
		}
	})
}

func TestAgentRefusals(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		for _, name := range []string{"", " dify", "dify ", "fast gpt", "-dify", ".x", "dify/1", "dïfy", "a\x00b",
			strings.Repeat("a", db.MaxAgentNameLen+1)} {
			if _, err := d.CreateAgent(ctx, name, u.ID, nil, 1); !errors.Is(err, db.ErrAgentName) {
				t.Errorf("CreateAgent(%q) = %v; want ErrAgentName", name, err)
			}
		}
		for _, name := range []string{"a", "9", "fastgpt", "my-agent_2.prod", strings.Repeat("a", db.MaxAgentNameLen)} {
			if _, err := d.CreateAgent(ctx, name, u.ID, nil, 1); err != nil {
				t.Errorf("CreateAgent(%q) = %v; want it accepted", name, err)
			}
		}
		tooMany := make([]string, db.MaxAllowListEntries+1)
		for i := range tooMany {
			tooMany[i] = fmt.Sprintf("10.0.%d.0/24", i)
		}
		for _, list := range [][]string{{"10.0.0.0/33"}, {"host.example"}, {""}, tooMany} {
			if _, err := d.CreateAgent(ctx, "dify", u.ID, list, 1); err == nil || errors.Is(err, db.ErrAgentName) {
				t.Errorf("CreateAgent with allow-list %.40q = %v; want an allow-list error", list, err)
			}
		}
		if _, err := d.CreateAgent(ctx, "dify", u.ID, tooMany[:db.MaxAllowListEntries], 1); err != nil {
			t.Errorf("CreateAgent with %d allow-list entries = %v; want it accepted", db.MaxAllowListEntries, err)
		}
	})
}

func TestAgentAllows(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := newUser(t, d)
		if _, err := d.CreateAgent(ctx, "dify", u.ID, []string{"10.0.0.0/8", "2001:db8::/32", "::ffff:198.51.100.0/120"}, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := d.CreateAgent(ctx, "open", u.ID, nil, 1); err != nil {
			t.Fatal(err)
		}
		a, err := d.AgentByName(ctx, "dify")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			ip   string
			want bool
		}{
			{"10.200.1.1", true}, {"11.0.0.1", false},
			{"2001:db8:1::5", true}, {"2001:db9::1", false},
			{"::ffff:10.1.1.1", true}, {"::ffff:11.0.0.1", false}, {"198.51.100.200", true},
			{"::1", false}, {"garbage", false}, {"", false},
		} {
			if got := a.Allows(tc.ip); got != tc.want {
				t.Errorf("Allows(%q) = %v; want %v", tc.ip, got, tc.want)
			}
		}
		open, err := d.AgentByName(ctx, "open")
		if err != nil || !open.Allows("203.0.113.1") || !open.Allows("2001:db8::1") {
			t.Fatalf("an agent without an allow-list refused an address (%v)", err)
		}
	})
}

func TestTouchAgent(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		a, err := d.CreateAgent(ctx, "dify", newUser(t, d).ID, nil, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			now, want int64
		}{
			{1000, 1000}, // first use
			{1059, 1000}, // within the interval: not written
			{1060, 1060}, // a full interval later
		} {
			if got, want := a.TouchDue(step.now), step.want == step.now; got != want {
				t.Errorf("TouchDue(%d) = %v with last use %v; want %v", step.now, got, a.LastUsedAt, want)
			}
			if err := d.TouchAgent(ctx, a.ID, step.now); err != nil {
				t.Fatal(err)
			}
			if a, err = d.AgentByName(ctx, "dify"); err != nil || a.LastUsedAt == nil || *a.LastUsedAt != step.want {
				t.Fatalf("after TouchAgent(%d): last_used_at = %v, %v; want %d", step.now, a.LastUsedAt, err, step.want)
			}
			if a.TouchDue(step.now) {
				t.Errorf("TouchDue(%d) = true right after a touch", step.now)
			}
		}
	})
}

func agentNames(agents []db.Agent) []string {
	names := make([]string, len(agents))
	for i, a := range agents {
		names[i] = a.Name
	}
	return names
}
