package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"picpipe/db"
	"picpipe/internal/testenv"
)

// TestAgentsCommand runs "picpipe agents …" on both databases: add (the
// name before or after its flags), list as a table and as JSON, the
// refusals, and remove.
func TestAgentsCommand(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		u := &db.User{ID: db.NewID(db.PrefixUser), Name: "t", Plan: "free", Status: db.UserActive, CreatedAt: 1}
		if err := d.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		agents := func(args ...string) (string, error) {
			var out bytes.Buffer
			err := agentsCommand(ctx, d, &out, args)
			return out.String(), err
		}

		out, err := agents("add", "FastGPT", "--user", u.ID, "--allow-ips", "192.0.2.0/24, 2001:db8::/32", "--json")
		var added agentJSON
		if err != nil || json.Unmarshal([]byte(out), &added) != nil {
			t.Fatalf("agents add --json = %q, %v", out, err)
		}
		if added.Name != "fastgpt" || added.UserID != u.ID || strings.Join(added.AllowedIPs, ",") != "192.0.2.0/24,2001:db8::/32" {
			t.Fatalf("agents add --json = %+v; want fastgpt of %s with two CIDRs", added, u.ID)
		}
		out, err = agents("add", "--user", u.ID, "dify")
		if err != nil || !strings.Contains(out, "Agent: dify") || !strings.Contains(out, "--allow-ips") {
			t.Fatalf("agents add (flags first, no allow-list) = %q, %v; want the header and a warning", out, err)
		}

		for _, tc := range []struct {
			args []string
			want error // nil: any error
		}{
			{[]string{"add", "fastgpt", "--user", u.ID}, db.ErrAgentExists},
			{[]string{"add", "coze", "--user", "usr_nope"}, db.ErrUserNotFound},
			{[]string{"add", "fast gpt", "--user", u.ID}, db.ErrAgentName},
			{[]string{"add", "coze"}, nil},
			{[]string{"add", "coze", "--user", u.ID, "--allow-ips", "10.0.0.0/33"}, nil},
			{[]string{"add", "--user", u.ID}, nil},
			{[]string{"add", "coze", "extra", "--user", u.ID}, nil},
			{[]string{"remove", "coze"}, db.ErrAgentNotFound},
			{[]string{"remove"}, nil},
			{[]string{"rename", "coze"}, nil},
		} {
			if _, err := agents(tc.args...); err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("agents %v = %v; want an error (%v)", tc.args, err, tc.want)
			}
		}

		out, err = agents("list")
		if err != nil || !strings.Contains(out, "fastgpt") || !strings.Contains(out, "192.0.2.0/24,2001:db8::/32") ||
			!strings.Contains(out, "anywhere") || !strings.Contains(out, "never") {
			t.Fatalf("agents list = %q, %v; want both agents, their allow-lists and no use", out, err)
		}
		if out, err = agents("remove", "FASTGPT"); err != nil || out != "removed FASTGPT\n" {
			t.Fatalf("agents remove = %q, %v", out, err)
		}
		out, err = agents("list", "--user", u.ID, "--json")
		var listed []agentJSON
		if err != nil || json.Unmarshal([]byte(out), &listed) != nil || len(listed) != 1 ||
			listed[0].Name != "dify" || listed[0].AllowedIPs == nil || len(listed[0].AllowedIPs) != 0 {
			t.Fatalf("agents list --json after remove = %q, %v; want dify alone, allowed_ips []", out, err)
		}
		if out, err = agents("list", "--user", "usr_other", "--json"); err != nil || out != "[]\n" {
			t.Fatalf("agents list --json of a user without agents = %q, %v; want []", out, err)
		}
	})
}

// agentsCommand runs "picpipe agents ARGS…" on d, printing to w.
func agentsCommand(ctx context.Context, d *db.DB, w io.Writer, args []string) error {
	c := newAgentsCmd()
	c.SetArgs(args)
	c.SetOut(w)
	c.SetErr(io.Discard)
	c.SilenceErrors, c.SilenceUsage = true, true
	return c.ExecuteContext(context.WithValue(ctx, dbKey{}, d))
}
