package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// Sentinel errors of the agent store.
var (
	ErrAgentNotFound = errors.New("db: agent not found")
	ErrAgentExists   = errors.New("db: agent name already registered")
	// ErrAgentName is in the chain of every refusal of a name that
	// breaks the rules of AgentName.
	ErrAgentName = errors.New("db: invalid agent name")
)

// MaxAgentNameLen is the longest agent name, in bytes.
const MaxAgentNameLen = 64

// AgentTouchEvery is how stale an agent's LastUsedAt may get, in seconds:
// its row is written at most once per interval, not on every request.
const AgentTouchEvery = 60

// Agent is a name that clients of the Agent-header upload API send as
// "Agent: <name>", registered by the operator and bound to a user:
// whoever sends the name acts as that user, from the addresses its
// allow-list admits. The name is not a secret — it is stored and sent in
// clear, and usually guessable ("fastgpt", "dify") — so the allow-list is
// what restricts it. Names are case-insensitive: they are kept in lower
// case (AgentName) and looked up the same way. Removing an agent deletes
// its row; the name may then be registered again.
type Agent struct {
	bun.BaseModel `bun:"table:agents"`

	ID         string `bun:"id,pk"`
	Name       string `bun:"name,notnull"`
	UserID     string `bun:"user_id,notnull"`
	AllowedIPs string `bun:"allowed_ips,notnull"`
	CreatedAt  int64  `bun:"created_at,notnull"`
	LastUsedAt *int64 `bun:"last_used_at"`
}

// Allows reports whether the agent may be used from ip (AllowList.Allows).
func (a *Agent) Allows(ip string) bool { return AllowList(a.AllowedIPs).Allows(ip) }

// TouchDue reports whether a use at now should be recorded with
// TouchAgent: the agent was never used, or last AgentTouchEvery or more
// seconds before now.
func (a *Agent) TouchDue(now int64) bool {
	return a.LastUsedAt == nil || *a.LastUsedAt <= now-AgentTouchEvery
}

// AgentName returns the stored form of an agent name: name in lower case.
// A name is 1 to MaxAgentNameLen ASCII letters, digits, '.', '_' and '-',
// starting with a letter or a digit; any other returns an error wrapping
// ErrAgentName.
func AgentName(name string) (string, error) {
	if name == "" || len(name) > MaxAgentNameLen {
		return "", fmt.Errorf("%w: %q: want 1 to %d characters", ErrAgentName, name, MaxAgentNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || (c != '.' && c != '_' && c != '-')) {
			return "", fmt.Errorf("%w: %q: want ASCII letters, digits, '.', '_' and '-', starting with a letter or digit",
				ErrAgentName, name)
		}
	}
	return strings.ToLower(name), nil
}

// CreateAgent registers name for userID at now, usable from the CIDRs or
// addresses allowIPs (none for anywhere). It returns an error wrapping
// ErrAgentName for an invalid name, an error naming the entry for an
// invalid or too long allow-list (ParseAllowList), ErrUserNotFound when
// the user does not exist and ErrAgentExists when the name, in any case,
// is registered already.
func (d *DB) CreateAgent(ctx context.Context, name, userID string, allowIPs []string, now int64) (*Agent, error) {
	stored, err := AgentName(name)
	if err != nil {
		return nil, err
	}
	allow, err := ParseAllowList(allowIPs)
	if err != nil {
		return nil, fmt.Errorf("db: agent allow-list: %w", err)
	}
	a := &Agent{ID: NewID(PrefixAgent), Name: stored, UserID: userID, AllowedIPs: allow, CreatedAt: now}
	err = d.RunInTx(ctx, func(tx *DB) error {
		if _, err := tx.UserByID(ctx, userID); err != nil {
			return err
		}
		return tx.insertAgent(ctx, a)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// insertAgent inserts a, or returns ErrAgentExists when its name is taken.
func (d *DB) insertAgent(ctx context.Context, a *Agent) error {
	res, err := d.idb.NewInsert().Model(a).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: create agent: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrAgentExists
	}
	return nil
}

// AgentByName returns the agent registered as name, in any case, or
// ErrAgentNotFound; a name AgentName refuses is not found without a query.
func (d *DB) AgentByName(ctx context.Context, name string) (*Agent, error) {
	stored, err := AgentName(name)
	if err != nil {
		return nil, ErrAgentNotFound
	}
	a := new(Agent)
	err = d.idb.NewSelect().Model(a).Where("name = ?", stored).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrAgentNotFound
	} else if err != nil {
		return nil, fmt.Errorf("db: agent by name: %w", err)
	}
	return a, nil
}

// ListAgents returns the user's agents by name. With userID "" it lists
// every user's.
func (d *DB) ListAgents(ctx context.Context, userID string) ([]Agent, error) {
	var agents []Agent
	q := d.idb.NewSelect().Model(&agents).Order("name ASC")
	if userID != "" {
		q = q.Where("user_id = ?", userID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: list agents: %w", err)
	}
	return agents, nil
}

// RemoveAgent deletes the agent registered as name, in any case, so that
// the name is refused from the next request on. It returns
// ErrAgentNotFound when no agent has the name.
func (d *DB) RemoveAgent(ctx context.Context, name string) error {
	stored, err := AgentName(name)
	if err != nil {
		return ErrAgentNotFound
	}
	res, err := d.idb.NewDelete().Model((*Agent)(nil)).Where("name = ?", stored).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: remove agent: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrAgentNotFound
	}
	return nil
}

// TouchAgent records that agent id was used at now. The row is written
// only when its last use is AgentTouchEvery or more seconds before now
// (Agent.TouchDue), so concurrent requests write it at most once per
// interval. An unknown id is no error.
func (d *DB) TouchAgent(ctx context.Context, id string, now int64) error {
	_, err := d.idb.NewUpdate().Model((*Agent)(nil)).
		Set("last_used_at = ?", now).Where("id = ?", id).
		Where("last_used_at IS NULL OR last_used_at <= ?", now-AgentTouchEvery).Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: touch agent: %w", err)
	}
	return nil
}
