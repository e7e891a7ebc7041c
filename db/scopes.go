package db

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// The scopes of an API key: what it may be used for.
const (
	// ScopeUpload creates images and files, on every way in (the seed
	// mounts and presigned uploads too).
	ScopeUpload = "upload"
	// ScopeRead gets and lists images and files, and the usage.
	ScopeRead = "read"
	// ScopeDelete deletes images and files.
	ScopeDelete = "delete"
	// ScopeKeys lists, creates and revokes the account's keys.
	ScopeKeys = "keys"
)

// AllScopes are the scopes in their stored order; a key made by an
// operator (picpipe keys create) has them all unless told otherwise.
var AllScopes = []string{ScopeUpload, ScopeRead, ScopeDelete, ScopeKeys}

// Scopes is the stored form of a key's scopes, as in APIKey.Scopes:
// names from AllScopes, in its order, comma-separated.
type Scopes string

// FullScopes is every scope.
var FullScopes = Scopes(strings.Join(AllScopes, ","))

// ParseScopes returns the stored form of list, at least one scope of
// AllScopes (repeats allowed), or an error naming the first unknown one.
func ParseScopes(list []string) (Scopes, error) {
	if len(list) == 0 {
		return "", fmt.Errorf("no scopes; want some of %s", strings.Join(AllScopes, ", "))
	}
	for _, s := range list {
		if !slices.Contains(AllScopes, strings.TrimSpace(s)) {
			return "", fmt.Errorf("unknown scope %q; the scopes are %s", s, strings.Join(AllScopes, ", "))
		}
	}
	var out []string
	for _, s := range AllScopes {
		if slices.ContainsFunc(list, func(v string) bool { return strings.TrimSpace(v) == s }) {
			out = append(out, s)
		}
	}
	return Scopes(strings.Join(out, ",")), nil
}

// List returns the scopes, none for the empty Scopes.
func (s Scopes) List() []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(string(s), ",")
}

// Has reports whether s includes scope.
func (s Scopes) Has(scope string) bool { return slices.Contains(s.List(), scope) }

// Within reports whether every scope of s is also in t.
func (s Scopes) Within(t Scopes) bool {
	for _, scope := range s.List() {
		if !t.Has(scope) {
			return false
		}
	}
	return true
}

// Within reports whether every address l allows, m allows too: the
// empty m allows everything; the empty l (anywhere) is within nothing
// else; otherwise each of l's entries must lie inside one of m's.
func (l AllowList) Within(m AllowList) bool {
	if m == "" {
		return true
	}
	if l == "" {
		return false
	}
	outer := m.prefixes()
	for _, p := range l.prefixes() {
		if !slices.ContainsFunc(outer, func(q netip.Prefix) bool { return q.Bits() <= p.Bits() && q.Contains(p.Addr()) }) {
			return false
		}
	}
	return true
}

// prefixes parses the stored entries; an unparsable one (never stored by
// ParseAllowList) is left out.
func (l AllowList) prefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, e := range l.Entries() {
		if p, err := netip.ParsePrefix(e); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// Covers reports whether other is no broader than k: its scopes within
// k's and its allow-list within k's. A key may create and revoke only
// keys it covers (and itself).
func (k *APIKey) Covers(other *APIKey) bool {
	return Scopes(other.Scopes).Within(Scopes(k.Scopes)) && AllowList(other.AllowedIPs).Within(AllowList(k.AllowedIPs))
}
