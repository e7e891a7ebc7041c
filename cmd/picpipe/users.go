package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"picpipe"
	"picpipe/db"
)

// newUsersCmd is "picpipe users list|suspend|activate|plan".
func newUsersCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "users",
		Short: "List users, suspend or activate one, change its plan",
		Long: `users lists the accounts with their plan, status and quota in use, suspends
or activates one, or moves it to another plan (one of PICPIPE_PLANS: give
the CLI the same PICPIPE_PLANS as the server). A SQLite database that does
not exist is refused unless --create is given.`,
		Args: groupArgs,
		RunE: groupRun,
	}
	addCreateFlag(c)
	c.AddCommand(
		&cobra.Command{
			Use:   "list",
			Short: "List the accounts with their plan, status and quota in use",
			Args:  exactArgs(0, "no arguments"),
			RunE: configured(func(c *cobra.Command, cfg config, _ []string) error {
				return withOperatorDB(c, cfg, func(ctx context.Context, d *db.DB) error {
					return usersList(ctx, d, c.OutOrStdout())
				})
			}),
		},
		newUsersSetCmd("suspend", "Suspend an account: its keys and links stop working", "status", db.UserSuspended),
		newUsersSetCmd("activate", "Activate a suspended account again", "status", db.UserActive),
		newUsersPlanCmd(),
	)
	return c
}

// newUsersSetCmd is "picpipe users NAME usr_…", which sets column to value.
func newUsersSetCmd(name, short, column, value string) *cobra.Command {
	return &cobra.Command{
		Use:   name + " USER_ID",
		Short: short,
		Args:  exactArgs(1, "one user id (usr_…)"),
		RunE: configured(func(c *cobra.Command, cfg config, args []string) error {
			return withOperatorDB(c, cfg, func(ctx context.Context, d *db.DB) error {
				return usersSet(ctx, d, c.OutOrStdout(), args[0], column, value)
			})
		}),
	}
}

func newUsersPlanCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "plan USER_ID PLAN",
		Short:   "Move an account to another plan (one of PICPIPE_PLANS)",
		Example: `  picpipe users plan usr_… pro`,
		Args:    exactArgs(2, "a user id (usr_…) and a PLAN"),
		RunE: configured(func(c *cobra.Command, cfg config, args []string) error {
			plans := cfg.apiConfig().WithDefaults().Plans
			if _, ok := plans[args[1]]; !ok {
				return fmt.Errorf("users plan: no plan %q is configured; PICPIPE_PLANS has %s "+
					"(give the CLI the same PICPIPE_PLANS as the server: export it)", args[1], planNames(plans))
			}
			return withOperatorDB(c, cfg, func(ctx context.Context, d *db.DB) error {
				return usersSet(ctx, d, c.OutOrStdout(), args[0], "plan", args[1])
			})
		}),
	}
}

func usersSet(ctx context.Context, d *db.DB, w io.Writer, id, column, value string) error {
	if err := d.UpdateUser(ctx, id, column, value); err != nil {
		return fmt.Errorf("users: %s: %w", id, err)
	}
	fmt.Fprintf(w, "%s: %s %s\n", id, column, value)
	return nil
}

func usersList(ctx context.Context, d *db.DB, w io.Writer) error {
	users, err := d.ListUsers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tNAME\tPLAN\tSTATUS\tIMAGES\tSTORAGE BYTES\tCREATED")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", u.ID, u.Name, u.Plan, u.Status, u.ImageCount,
			u.StorageBytes, time.Unix(u.CreatedAt, 0).UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

// planNames lists the names of plans, sorted, for messages.
func planNames(plans picpipe.Plans) string {
	names := slices.Sorted(maps.Keys(plans))
	return strings.Join(names, ", ")
}
