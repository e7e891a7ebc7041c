package api

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// healthz answers while the process runs.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 200 when the database and Redis both answer, each
// within readyTimeout, and 503 naming the failing check otherwise. The
// body says only "unavailable"; the error goes to the log.
func (s *Server) readyz(c *gin.Context) {
	checks := gin.H{"database": "ok", "redis": "ok"}
	status := http.StatusOK
	for name, ping := range map[string]func(context.Context) error{
		"database": s.db.Ping,
		"redis":    func(ctx context.Context) error { return s.rdb.Ping(ctx).Err() },
	} {
		ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
		err := ping(ctx)
		cancel()
		if err != nil {
			slog.WarnContext(c.Request.Context(), "not ready", "check", name, "err", err, "request_id", requestID(c))
			checks[name], status = "unavailable", http.StatusServiceUnavailable
		}
	}
	if status != http.StatusOK {
		c.Header("Retry-After", strconv.Itoa(int(retryAfter.Seconds())))
	}
	c.JSON(status, gin.H{"status": map[bool]string{true: "ok", false: "unavailable"}[status == http.StatusOK], "checks": checks})
}
