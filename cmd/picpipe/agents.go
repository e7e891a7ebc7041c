package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"picpipe/db"
)

// runAgents is "picpipe agents add|list|remove".
func runAgents(ctx context.Context, cfg config, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("agents: want add, list or remove")
	}
	d, err := openDB(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer d.Close()
	return agentsCommand(ctx, d, os.Stdout, args)
}

// agentsCommand runs one agents command on d, printing to w.
func agentsCommand(ctx context.Context, d *db.DB, w io.Writer, args []string) error {
	switch args[0] {
	case "add":
		return agentsAdd(ctx, d, w, args[1:])
	case "list":
		return agentsList(ctx, d, w, args[1:])
	case "remove":
		if len(args) != 2 {
			return fmt.Errorf("agents remove: want one agent NAME")
		}
		if err := d.RemoveAgent(ctx, args[1]); err != nil {
			return fmt.Errorf("agents remove %s: %w", args[1], err)
		}
		fmt.Fprintln(w, "removed", args[1])
		return nil
	}
	return fmt.Errorf("agents: unknown command %q; want add, list or remove", args[0])
}

// agentJSON is an agent as --json prints it.
type agentJSON struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	UserID     string   `json:"user_id"`
	AllowedIPs []string `json:"allowed_ips"`
	CreatedAt  int64    `json:"created_at"`
	LastUsedAt *int64   `json:"last_used_at"`
}

func agentView(a *db.Agent) agentJSON {
	ips := db.AllowList(a.AllowedIPs).Entries()
	if ips == nil {
		ips = []string{}
	}
	return agentJSON{ID: a.ID, Name: a.Name, UserID: a.UserID, AllowedIPs: ips,
		CreatedAt: a.CreatedAt, LastUsedAt: a.LastUsedAt}
}

// agentsAdd registers an agent name for --user.
func agentsAdd(ctx context.Context, d *db.DB, w io.Writer, args []string) error {
	fs := flag.NewFlagSet("agents add", flag.ContinueOnError)
	userID := fs.String("user", "", "the account (usr_…) the name acts as (required)")
	allowIPs := fs.String("allow-ips", "", "comma-separated CIDRs the name may be used from (default: anywhere)")
	asJSON := fs.Bool("json", false, "print JSON")
	name, err := parseNamed(fs, args)
	if err != nil {
		return fmt.Errorf("agents add: %w", err)
	}
	if *userID == "" {
		return fmt.Errorf("agents add %s: --user usr_… is required", name)
	}
	var allow []string
	if *allowIPs != "" {
		allow = strings.Split(*allowIPs, ",")
	}
	a, err := d.CreateAgent(ctx, name, *userID, allow, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("agents add %s: %w", name, err)
	}
	if *asJSON {
		return json.NewEncoder(w).Encode(agentView(a))
	}
	fmt.Fprintf(w, "agent:       %s\nuser:        %s\nallowed ips: %s\n\nClients send it as: Agent: %s\n",
		a.Name, a.UserID, allowedText(a.AllowedIPs), a.Name)
	if a.AllowedIPs == "" {
		fmt.Fprintf(w, "The name is no secret: anyone who sends it acts as %s. "+
			"Restrict it with --allow-ips (remove it and add it again).\n", a.UserID)
	}
	return nil
}

// agentsList prints every agent, or one user's.
func agentsList(ctx context.Context, d *db.DB, w io.Writer, args []string) error {
	fs := flag.NewFlagSet("agents list", flag.ContinueOnError)
	userID := fs.String("user", "", "only this user's agents")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("agents list: unexpected %q", fs.Arg(0))
	}
	agents, err := d.ListAgents(ctx, *userID)
	if err != nil {
		return err
	}
	if *asJSON {
		views := make([]agentJSON, len(agents))
		for i := range agents {
			views[i] = agentView(&agents[i])
		}
		return json.NewEncoder(w).Encode(views)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tUSER\tALLOWED IPS\tCREATED\tLAST USED")
	for _, a := range agents {
		lastUsed := "never"
		if a.LastUsedAt != nil {
			lastUsed = time.Unix(*a.LastUsedAt, 0).UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Name, a.UserID, allowedText(a.AllowedIPs),
			time.Unix(a.CreatedAt, 0).UTC().Format(time.RFC3339), lastUsed)
	}
	return tw.Flush()
}

func allowedText(stored string) string {
	if stored == "" {
		return "anywhere"
	}
	return stored
}

// parseNamed parses args of the form "NAME [flags]" or "[flags] NAME" and
// returns NAME.
func parseNamed(fs *flag.FlagSet, args []string) (string, error) {
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	rest := fs.Args()
	if name == "" && len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	if name == "" || len(rest) > 0 {
		return "", fmt.Errorf("want one NAME and flags")
	}
	return name, nil
}
