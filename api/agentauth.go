package api

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/gin-gonic/gin"

	"picpipe"
	"picpipe/db"
)

// authenticateAgent admits a request of the Agent-header seed's mount:
// with an API key when one is sent, as every route does; otherwise by the
// name in its Agent header, registered with picpipe agents add and bound
// to one account and, optionally, an allow-list of addresses. An unknown
// name is 401. A name is no secret: it is only as strong as its
// allow-list (README, "Agent names").
func (s *Server) authenticateAgent(c *gin.Context) {
	if c.GetHeader("Authorization") != "" || c.GetHeader("X-Api-Key") != "" {
		s.authenticate(c)
		return
	}
	name := strings.TrimSpace(c.GetHeader("Agent"))
	if name == "" {
		failCode(c, picpipe.ECodeUnauthorized, "missing Agent header (or API key)")
		return
	}
	ctx := c.Request.Context()
	a, err := s.db.AgentByName(ctx, name)
	if errors.Is(err, db.ErrAgentNotFound) {
		failCode(c, picpipe.ECodeUnauthorized, "unknown agent %q", name)
		return
	} else if err != nil {
		fail(c, err)
		return
	}
	user, ok := s.admit(c, a.UserID, a.Allows(c.ClientIP()), "agent")
	if !ok {
		return
	}
	s.recordCall(ctx, user)
	if now := s.now().Unix(); a.TouchDue(now) {
		if err := s.db.TouchAgent(ctx, a.ID, now); err != nil {
			slog.WarnContext(ctx, "touch agent", "err", err)
		}
	}
	c.Next()
}
