package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"picpipe/db"
)

// newAgentsCmd is "picpipe agents add|list|remove".
func newAgentsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "agents",
		Short: "Bind Agent-header names to users: add, list, remove",
		Long: `agents binds the names clients of the Agent-header upload API
(/compat/agent) send in their Agent header to accounts. A name is no secret:
bind it to an account of its own on a small plan and restrict it with
--allow-ips. A SQLite database that does not exist is refused unless
--create is given.`,
		Args: groupArgs,
		RunE: groupRun,
	}
	addCreateFlag(c)
	c.AddCommand(newAgentsAddCmd(), newAgentsListCmd(), newAgentsRemoveCmd())
	return c
}

func newAgentsRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an agent name: refused on the very next request",
		Args:  exactArgs(1, "one agent NAME"),
		RunE: configured(func(c *cobra.Command, cfg config, args []string) error {
			return withOperatorDB(c, cfg, func(ctx context.Context, d *db.DB) error {
				if err := d.RemoveAgent(ctx, args[0]); err != nil {
					return fmt.Errorf("agents remove %s: %w", args[0], err)
				}
				fmt.Fprintln(c.OutOrStdout(), "removed", args[0])
				return nil
			})
		}),
	}
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

func newAgentsAddCmd() *cobra.Command {
	var (
		user, allowIPs string
		asJSON         bool
	)
	c := &cobra.Command{
		Use:     "add NAME --user usr_…",
		Short:   "Register an agent name that acts as --user",
		Example: `  picpipe agents add fastgpt --user usr_… --allow-ips 192.0.2.0/24`,
		Args:    exactArgs(1, "one agent NAME"),
		RunE: configured(func(c *cobra.Command, cfg config, args []string) error {
			if user == "" {
				return usageErr(c, fmt.Errorf("agents add %s: --user usr_… is required", args[0]))
			}
			return withOperatorDB(c, cfg, func(ctx context.Context, d *db.DB) error {
				return agentsAdd(ctx, d, c.OutOrStdout(), args[0], user, allowIPs, asJSON)
			})
		}),
	}
	c.Flags().StringVar(&user, "user", "", "the account (usr_…) the name acts as (required)")
	c.Flags().StringVar(&allowIPs, "allow-ips", "", "comma-separated CIDRs the name may be used from (default: anywhere)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// agentsAdd registers an agent name for userID.
func agentsAdd(ctx context.Context, d *db.DB, w io.Writer, name, userID, allowIPs string, asJSON bool) error {
	var allow []string
	if allowIPs != "" {
		allow = strings.Split(allowIPs, ",")
	}
	a, err := d.CreateAgent(ctx, name, userID, allow, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("agents add %s: %w", name, err)
	}
	if asJSON {
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

func newAgentsListCmd() *cobra.Command {
	var (
		user   string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "List every agent name, or one user's",
		Args:  exactArgs(0, "no arguments"),
		RunE: configured(func(c *cobra.Command, cfg config, _ []string) error {
			return withOperatorDB(c, cfg, func(ctx context.Context, d *db.DB) error {
				return agentsList(ctx, d, c.OutOrStdout(), user, asJSON)
			})
		}),
	}
	c.Flags().StringVar(&user, "user", "", "only this user's agents")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// agentsList prints every agent, or userID's.
func agentsList(ctx context.Context, d *db.DB, w io.Writer, userID string, asJSON bool) error {
	agents, err := d.ListAgents(ctx, userID)
	if err != nil {
		return err
	}
	if asJSON {
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
