package api

import (
	"log/slog"

	"picpipe"
	"picpipe/db"
)

// quota is the plan's quota in the store's terms.
func quota(p picpipe.Plan) db.Quota {
	return db.Quota{MaxImages: p.MaxImages, MaxStorageBytes: p.MaxStorageBytes}
}

// planOf returns the user's plan, or the default plan (logged) when the
// user's plan is not configured.
func (s *Server) planOf(u *db.User) picpipe.Plan {
	p, ok := s.cfg.Plans.Of(u.Plan)
	if !ok {
		slog.Warn("user on an unknown plan; applying the default plan", "user_id", u.ID, "plan", u.Plan)
	}
	return p
}
