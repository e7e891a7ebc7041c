package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"picpipe/db"
)

// runKeys is "picpipe keys create|list|revoke".
func runKeys(ctx context.Context, cfg config, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("keys: want create, list or revoke")
	}
	d, err := openDB(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer d.Close()
	switch args[0] {
	case "create":
		return keysCreate(ctx, d, args[1:])
	case "list":
		return keysList(ctx, d, args[1:])
	case "revoke":
		if len(args) != 2 {
			return fmt.Errorf("keys revoke: want one key id (ak_…)")
		}
		if err := d.RevokeAPIKey(ctx, "", args[1], time.Now().Unix()); err != nil {
			return fmt.Errorf("keys revoke %s: %w", args[1], err)
		}
		fmt.Println("revoked", args[1])
		return nil
	}
	return fmt.Errorf("keys: unknown command %q; want create, list or revoke", args[0])
}

// keysCreate creates a user with a key, or another key for --user.
func keysCreate(ctx context.Context, d *db.DB, args []string) error {
	fs := flag.NewFlagSet("keys create", flag.ContinueOnError)
	name := fs.String("name", "default", "name of the user (new user) and of the key")
	plan := fs.String("plan", "free", "plan of a new user")
	userID := fs.String("user", "", "add the key to this existing user (usr_…) instead of creating one")
	allowIPs := fs.String("allow-ips", "", "comma-separated CIDRs the key may be used from (default: anywhere)")
	scopeList := fs.String("scopes", strings.Join(db.AllScopes, ","), "comma-separated scopes of the key: "+strings.Join(db.AllScopes, ", "))
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	allow := ""
	if *allowIPs != "" {
		var err error
		if allow, err = db.ParseAllowList(strings.Split(*allowIPs, ",")); err != nil {
			return fmt.Errorf("keys create: --allow-ips: %w", err)
		}
	}
	scopes, err := db.ParseScopes(strings.Split(*scopeList, ","))
	if err != nil {
		return fmt.Errorf("keys create: --scopes: %w", err)
	}
	now := time.Now().Unix()
	var (
		key    *db.APIKey
		secret string
	)
	if *userID != "" {
		if _, err := d.UserByID(ctx, *userID); err != nil {
			return fmt.Errorf("keys create: %w", err)
		}
		// The operator's: no limit to the account's keys.
		key, secret, err = d.IssueScopedKey(ctx, *userID, *name, allow, scopes, math.MaxInt, now)
	} else {
		_, key, secret, err = d.CreateUserWithScopedKey(ctx, *name, *plan, allow, scopes, now)
	}
	if err != nil {
		return fmt.Errorf("keys create: %w", err)
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(map[string]string{
			"user_id": key.UserID, "key_id": key.ID, "key": secret})
	}
	fmt.Printf("user:   %s\nkey id: %s\nkey:    %s\n\nThe key is shown only now. Use it as: Authorization: Bearer %s\n",
		key.UserID, key.ID, secret, secret)
	return nil
}

// keysList prints every key, or one user's.
func keysList(ctx context.Context, d *db.DB, args []string) error {
	fs := flag.NewFlagSet("keys list", flag.ContinueOnError)
	userID := fs.String("user", "", "only this user's keys")
	if err := fs.Parse(args); err != nil {
		return err
	}
	keys, err := d.ListAPIKeys(ctx, *userID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
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
