package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"picpipe/db"
)

// runUsers is "picpipe users list|suspend|activate|plan".
func runUsers(ctx context.Context, cfg config, args []string) error {
	d, err := openDB(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer d.Close()
	switch {
	case len(args) == 1 && args[0] == "list":
		return usersList(ctx, d)
	case len(args) == 2 && args[0] == "suspend":
		return usersSet(ctx, d, args[1], "status", db.UserSuspended)
	case len(args) == 2 && args[0] == "activate":
		return usersSet(ctx, d, args[1], "status", db.UserActive)
	case len(args) == 3 && args[0] == "plan":
		if _, ok := cfg.apiConfig().WithDefaults().Plans[args[2]]; !ok {
			return fmt.Errorf("users plan: no plan %q is configured", args[2])
		}
		return usersSet(ctx, d, args[1], "plan", args[2])
	}
	return fmt.Errorf("users: want list, suspend usr_…, activate usr_… or plan usr_… PLAN")
}

func usersSet(ctx context.Context, d *db.DB, id, column, value string) error {
	if err := d.UpdateUser(ctx, id, column, value); err != nil {
		return fmt.Errorf("users: %s: %w", id, err)
	}
	fmt.Printf("%s: %s %s\n", id, column, value)
	return nil
}

func usersList(ctx context.Context, d *db.DB) error {
	users, err := d.ListUsers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tNAME\tPLAN\tSTATUS\tIMAGES\tSTORAGE BYTES\tCREATED")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", u.ID, u.Name, u.Plan, u.Status, u.ImageCount,
			u.StorageBytes, time.Unix(u.CreatedAt, 0).UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}
