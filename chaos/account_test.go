package chaos

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// newKey creates a user with an API key through `picpipe keys create
// --json` and returns the key.
func (s *stack) newKey(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := s.command(ctx, "keys", "create", "--name", "chaos", "--json").Output()
	if err != nil {
		t.Fatalf("picpipe keys create: %v", err)
	}
	var k struct{ Key string }
	if err := json.Unmarshal(out, &k); err != nil || k.Key == "" {
		t.Fatalf("picpipe keys create printed %q", out)
	}
	return k.Key
}
