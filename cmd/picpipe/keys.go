package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"picpipe/db"
)

// newKeysCmd is "picpipe keys create|list|revoke".
func newKeysCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "keys",
		Short: "Manage users and API keys: create, list, revoke",
		Long: `keys creates users with API keys, lists keys and revokes them, in the
database the server uses (PICPIPE_DATABASE_URL, default SQLite in
PICPIPE_DATA_DIR). A SQLite database that does not exist is refused unless
--create is given: run these where picpipe serve runs.`,
		Args: groupArgs,
		RunE: groupRun,
	}
	addCreateFlag(c)
	c.AddCommand(newKeysCreateCmd(), newKeysListCmd(), newKeysRevokeCmd())
	return c
}

// keysCreateOptions are the flags of keys create.
type keysCreateOptions struct {
	name, plan, user, allowIPs, scopes string
	json, quiet                        bool
}

func newKeysCreateCmd() *cobra.Command {
	var o keysCreateOptions
	c := &cobra.Command{
		Use:   "create",
		Short: "Create a user with an API key, or another key for --user",
		Long: `create makes a new user on --plan with an API key, or with --user another
key for an existing user. The key is printed once; only its hash is kept.`,
		Example: `  picpipe keys create --name me
  KEY=$(picpipe keys create --name me --quiet)
  picpipe keys create --user usr_… --name ci --scopes upload --allow-ips 203.0.113.0/24 --json`,
		Args: exactArgs(0, "no arguments (the name is --name)"),
		RunE: configured(func(c *cobra.Command, cfg config, _ []string) error {
			plans := cfg.apiConfig().WithDefaults().Plans
			if _, ok := plans[o.plan]; !ok && o.user == "" {
				return fmt.Errorf("keys create: no plan %q is configured; PICPIPE_PLANS has %s "+
					"(give the CLI the same PICPIPE_PLANS as the server: export it)", o.plan, planNames(plans))
			}
			return withOperatorDB(c, cfg, func(ctx context.Context, d *db.DB) error {
				return keysCreate(ctx, d, c.OutOrStdout(), c.ErrOrStderr(), o, cfg.databaseName())
			})
		}),
	}
	f := c.Flags()
	f.StringVar(&o.name, "name", "default", "name of the user (new user) and of the key")
	f.StringVar(&o.plan, "plan", "free", "plan of a new user (one of PICPIPE_PLANS)")
	f.StringVar(&o.user, "user", "", "add the key to this existing user (usr_…) instead of creating one")
	f.StringVar(&o.allowIPs, "allow-ips", "", "comma-separated CIDRs the key may be used from (default: anywhere)")
	f.StringVar(&o.scopes, "scopes", strings.Join(db.AllScopes, ","), "comma-separated scopes of the key: "+strings.Join(db.AllScopes, ", "))
	f.BoolVar(&o.json, "json", false, "print JSON: user_id, key_id, key, database")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print only the key (for KEY=$(picpipe keys create -q)); the database goes to stderr")
	return c
}

// keysCreate creates a user with a key, or another key for o.user, in
// the database named database, and reports it to w (with --quiet, the
// key alone to w, the rest to errW).
func keysCreate(ctx context.Context, d *db.DB, w, errW io.Writer, o keysCreateOptions, database string) error {
	allow := ""
	if o.allowIPs != "" {
		var err error
		if allow, err = db.ParseAllowList(strings.Split(o.allowIPs, ",")); err != nil {
			return fmt.Errorf("keys create: --allow-ips: %w", err)
		}
	}
	scopes, err := db.ParseScopes(strings.Split(o.scopes, ","))
	if err != nil {
		return fmt.Errorf("keys create: --scopes: %w", err)
	}
	now := time.Now().Unix()
	var (
		key    *db.APIKey
		secret string
	)
	if o.user != "" {
		if _, err := d.UserByID(ctx, o.user); err != nil {
			return fmt.Errorf("keys create: %w", err)
		}
		// The operator's: no limit to the account's keys.
		key, secret, err = d.IssueScopedKey(ctx, o.user, o.name, allow, scopes, math.MaxInt, now)
	} else {
		_, key, secret, err = d.CreateUserWithScopedKey(ctx, o.name, o.plan, allow, scopes, now)
	}
	if err != nil {
		return fmt.Errorf("keys create: %w", err)
	}
	switch {
	case o.json:
		return json.NewEncoder(w).Encode(map[string]string{
			"user_id": key.UserID, "key_id": key.ID, "key": secret, "database": database})
	case o.quiet:
		fmt.Fprintf(errW, "picpipe: key %s of %s written to %s\n", key.ID, key.UserID, database)
		_, err := fmt.Fprintln(w, secret)
		return err
	}
	fmt.Fprintf(w, "user:     %s\nkey id:   %s\nkey:      %s\ndatabase: %s\n\n"+
		"The key is shown only now. Use it as: Authorization: Bearer %s\n"+
		"It works with the server that uses this database.\n",
		key.UserID, key.ID, secret, database, secret)
	return nil
}

func newKeysListCmd() *cobra.Command {
	var user string
	c := &cobra.Command{
		Use:   "list",
		Short: "List every key, or one user's",
		Args:  exactArgs(0, "no arguments"),
		RunE: configured(func(c *cobra.Command, cfg config, _ []string) error {
			return withOperatorDB(c, cfg, func(ctx context.Context, d *db.DB) error {
				return keysList(ctx, d, c.OutOrStdout(), user)
			})
		}),
	}
	c.Flags().StringVar(&user, "user", "", "only this user's keys (usr_…)")
	return c
}

// keysList prints every key, or userID's.
func keysList(ctx context.Context, d *db.DB, w io.Writer, userID string) error {
	keys, err := d.ListAPIKeys(ctx, userID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY ID\tUSER\tNAME\tPREFIX\tSCOPES\tCREATED\tSTATUS")
	for _, k := range keys {
		status := "active"
		if k.RevokedAt != nil {
			status = "revoked " + time.Unix(*k.RevokedAt, 0).UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s…\t%s\t%s\t%s\n", k.ID, k.UserID, k.Name, k.Prefix, k.Scopes,
			time.Unix(k.CreatedAt, 0).UTC().Format(time.RFC3339), status)
	}
	return tw.Flush()
}

func newKeysRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke KEY_ID",
		Short: "Revoke a key (ak_…): refused on the very next request",
		Args:  exactArgs(1, "one key id (ak_…)"),
		RunE: configured(func(c *cobra.Command, cfg config, args []string) error {
			return withOperatorDB(c, cfg, func(ctx context.Context, d *db.DB) error {
				if err := d.RevokeAPIKey(ctx, "", args[0], time.Now().Unix()); err != nil {
					return fmt.Errorf("keys revoke %s: %w", args[0], err)
				}
				fmt.Fprintln(c.OutOrStdout(), "revoked", args[0])
				return nil
			})
		}),
	}
}
